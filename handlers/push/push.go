// Package push is the family of what the bot says first, and of a
// person's own settings: reminders that ring at their time, the morning
// agenda (the person's /today, sent unasked) and the weekly stale nudge,
// /agenda, /me, /link and /unlink, and the digest's line on people the bot
// cannot reach. Its words are in i18n/locales/{en,bg}/push.toml; its data
// goes through Store. It registers itself with Register and meets other
// families only through the hooks of handlers/core: the agenda is the
// service's /today (core.Kit.Today), which gathers every family's items.
package push

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// Store is the push family's port: what the bot needs to speak first, the
// team and its clients as a request reads them (core.Directory), and the
// few reads and writes of people, tasks and settings that ringing and the
// agenda need (14 methods).
type Store interface {
	PushStore
	core.Directory
	// UpdatePerson applies fn (which may be re-run) to the person with id
	// and stores the result, keeping the identity index in step.
	UpdatePerson(ctx context.Context, id uint64, fn func(*crm.Person) error) (*crm.Person, error)
	// UpdateTask applies fn (which may be re-run) to the task with id and
	// stores it; when it is the client's current next step, the client's
	// next step follows it.
	UpdateTask(ctx context.Context, id uint64, fn func(*crm.Task) error) (*crm.Task, error)
	// StaleClients returns the stale clients q asks for and how many
	// there are: all of them (owner by owner, by id) or only the
	// q.Oldest longest untouched, oldest first.
	StaleClients(ctx context.Context, q crm.StaleQuery) (crm.StaleList, error)
	// ClaimSettings returns the SLA settings, the defaults for what was
	// never saved: their business hours are the company's working days.
	ClaimSettings(ctx context.Context) (crm.ClaimSettings, error)
	// ClientNames returns the names of the clients with the given ids;
	// ids of clients that do not exist are left out (no error).
	ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error)
}

// PushStore keeps what the bot needs to speak first: the reminders' ring
// index, the claims of scheduled messages (sent once across restarts and
// replicas: claimed in a transaction before sending), and link codes. It
// follows the rules every port shares (handlers/service.go).
type PushStore interface {
	// DueReminders returns up to limit (0: all) ring-index entries due at
	// or before until, soonest first, reading only those entries.
	DueReminders(ctx context.Context, until time.Time, limit int) ([]crm.DueReminder, error)
	// ClaimReminders takes the due reminders out of the ring index and
	// marks them rung at now, in one transaction, and returns the tasks
	// this caller claimed and so must send; one done, moved or claimed by
	// another tick or replica is left out.
	ClaimReminders(ctx context.Context, due []crm.DueReminder, now time.Time) ([]*crm.Task, error)
	// ClaimOnce records that the scheduled message kind/key is being sent
	// and reports whether this caller made the record (and so must send
	// it); the record lasts a month.
	ClaimOnce(ctx context.Context, kind, key string) (bool, error)
	// CreateLinkCode stores a one-time code that links another identity
	// to its person.
	CreateLinkCode(ctx context.Context, lc *crm.LinkCode) error
	// LinkIdentity joins identity to the person who made code and returns
	// them, in one transaction: the code works once and before it
	// expires (else crm.ENOTFOUND), and an identity someone holds is a
	// crm.ECONFLICT error.
	LinkIdentity(ctx context.Context, code, identity string, now time.Time) (*crm.Person, error)
}

// Stale is when the weekly nudge counts a client as stale (core.Stale).
type Stale = core.Stale

// agendaLate is how long after its time a missed morning agenda is still
// sent (the bot restarted at 09:05); later in the day it would not be a
// morning agenda any more, and /today is there.
const agendaLate = 3 * time.Hour

// ringBatch is the most reminders one tick claims in one transaction; more
// are taken by the next batch of the same tick.
const ringBatch = 250

// needRankUnreachable ranks "reminders could not reach X" in a digest's
// "needs you" list: below overdue work, above a quiet manager.
const needRankUnreachable = 45

// service answers the push family's commands and runs its jobs.
type service struct {
	kit   *core.Kit
	store Store
	stale Stale
	// done remembers, per kind and person, the last scheduled message
	// this process saw claimed (claimOnce), guarded by mu.
	mu   sync.Mutex
	done map[string]map[uint64]string
}

// Register adds /agenda, /me, /link and /unlink, the jobs that ring
// reminders and send the morning agenda with the weekly stale nudge, and
// the digest's unreachable people, to the service behind reg.
func Register(reg core.Registry, st Store, stale Stale) {
	s := &service{kit: reg.Kit(), store: st, stale: stale, done: map[string]map[uint64]string{}}
	defer reg.Family("me")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "agenda", Run: s.agendaCmd}, &core.Spec{Name: "me", Run: s.meCmd},
		&core.Spec{Name: "link", Run: s.linkCmd, Stranger: s.linkWithCode}, &core.Spec{Name: "unlink", Run: s.unlinkCmd})
	reg.AddDigestSection("reach", s.reachDigest)
	reg.AddJob(core.Job{Name: "reminders.ring", Run: s.reminderJob})
	reg.AddJob(core.Job{Name: "agenda.morning", Run: s.agendaJob})
}

// pushContext is what a job needs to speak to people: everyone by id and
// the delegations, read once per tick.
type pushContext struct {
	byID map[uint64]*crm.Person
	dels []*crm.Delegation
}

func (s *service) loadPushContext(ctx context.Context, withDelegations bool) (*pushContext, error) {
	people, err := s.store.People(ctx)
	if err != nil {
		return nil, err
	}
	pc := &pushContext{byID: make(map[uint64]*crm.Person, len(people))}
	for _, p := range people {
		pc.byID[p.ID] = p
	}
	if withDelegations {
		if pc.dels, err = s.store.Delegations(ctx); err != nil {
			return nil, err
		}
	}
	return pc, nil
}

// personRequest is a request made on a person's behalf by the bot itself
// (a job), so that what it sends reads as the person's own /today would:
// their language, time zone, rights and stand-ins.
func (s *service) personRequest(pc *pushContext, p *crm.Person, now time.Time) *core.Request {
	lang := p.Lang
	if lang == "" {
		lang = s.kit.Lang
	}
	m := &bot.Message{Person: p, Lang: lang, Private: true}
	if len(p.Identities) > 0 {
		m.Identity = p.Identities[0]
		m.Platform, _, _ = strings.Cut(m.Identity, ":")
	}
	r := core.ForPerson(s.store, s.kit.Catalog.For(lang), m, p, now, s.tz(p), pc.byID)
	for _, d := range pc.dels {
		if d.DeputyID == p.ID && d.ActiveAt(now) && pc.byID[d.AbsentID].Active() {
			r.Absent[d.AbsentID] = d
		}
	}
	return r
}

// tz is the person's time zone, else the company's.
func (s *service) tz(p *crm.Person) *time.Location {
	_, tz := s.kit.PersonLocale(p)
	return tz
}

// reminderJob rings every reminder whose time has come. Exactly once: the
// reminders are claimed in one store transaction before anything is sent
// (Store.ClaimReminders), so two ticks or two replicas never send one
// twice. A reminder missed while the bot was down rings when it is back,
// marked as late, unless it is more than crm.ReminderMaxLate old: then it
// only waits in the agenda. A reminder that reached nobody is tried again
// after crm.ReminderRetry, crm.ReminderTries times in all; then its person
// is marked unreachable (supervisors' digests list them).
func (s *service) reminderJob(ctx context.Context, now time.Time) error {
	if s.kit.Notifier == nil {
		return nil
	}
	var pc *pushContext
	var errs []error
	for {
		due, err := s.store.DueReminders(ctx, now, ringBatch)
		if err != nil || len(due) == 0 {
			return errors.Join(append(errs, err)...)
		}
		tasks, err := s.store.ClaimReminders(ctx, due, now)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if len(tasks) > 0 && pc == nil {
			if pc, err = s.loadPushContext(ctx, false); err != nil {
				return errors.Join(append(errs, err)...)
			}
		}
		ids := make([]uint64, 0, len(tasks))
		for _, t := range tasks {
			ids = append(ids, t.ClientID)
		}
		names, err := core.ClientNames(ctx, s.store, ids)
		if err != nil {
			errs = append(errs, err)
		}
		for _, t := range tasks {
			errs = append(errs, s.ring(ctx, pc, t, names[t.ClientID], now))
		}
		if len(due) < ringBatch {
			return errors.Join(errs...)
		}
	}
}

// ring sends one claimed reminder to its assignee.
func (s *service) ring(ctx context.Context, pc *pushContext, t *crm.Task, client string, now time.Time) error {
	p := pc.byID[t.AssigneeID]
	if !p.Active() || len(p.Identities) == 0 {
		return nil
	}
	at := t.At
	if at.IsZero() {
		at = t.Due
	}
	if now.Sub(at) > crm.ReminderMaxLate {
		// Too old to ring: it waits in the agenda as overdue.
		return nil
	}
	// Late when missed (the bot was down), not when set for a past time.
	late := now.Sub(at) > crm.ReminderGrace && at.After(t.CreatedAt)
	r := s.personRequest(pc, p, now)
	delivered, refused := s.notifyEach(ctx, p, reminderReply(r, t, client, late))
	if delivered {
		return nil
	}
	if t.RingTries+1 < crm.ReminderTries {
		claimed := t.RungAt
		_, err := s.store.UpdateTask(ctx, t.ID, func(x *crm.Task) error {
			if x.Open() && x.RingAt.IsZero() && x.RungAt.Equal(claimed) {
				x.RingAt, x.RingTries = now.Add(crm.ReminderRetry), x.RingTries+1
			}
			return nil
		})
		return err
	}
	s.kit.Log.Warn("reminder not delivered; giving up, it waits in the agenda", "task", t.ID, "person", p.ID)
	if !refused {
		// None of their apps runs here (a console user while the bot
		// serves Telegram): not unreachable, just not here.
		return nil
	}
	_, err := s.store.UpdatePerson(crm.WithoutDeliveryKey(ctx), p.ID, func(q *crm.Person) error { q.Unreachable = true; return nil })
	return err
}

// notifyEach sends r to each of the person's identities and reports
// whether any delivery succeeded and whether any platform refused one (as
// opposed to not running in this process).
func (s *service) notifyEach(ctx context.Context, p *crm.Person, r bot.Reply) (delivered, refused bool) {
	for _, id := range p.Identities {
		err := s.kit.Notifier.Notify(ctx, id, r)
		if err == nil {
			delivered = true
			continue
		}
		if !errors.Is(err, bot.ErrNotRunning) {
			refused = true
			s.kit.Log.Warn("reminder not delivered", "person", p.ID, "identity", id, "err", err)
		}
	}
	return delivered, refused
}

// reminderReply is the ringing reminder: the client and the text, its
// time, and buttons to mark it done, postpone it or open the card.
func reminderReply(r *core.Request, t *crm.Task, client string, late bool) bot.Reply {
	ref := core.IDRef("T", t.ID)
	line := ref + " · "
	if client != "" {
		line += client + ": "
	}
	line += t.Text
	lines := []string{line}
	if late {
		lines = append(lines, r.T("reminder.late", "time", r.FmtDue(t)))
	} else if !t.At.IsZero() {
		lines = append(lines, "⏰ "+t.At.In(r.TZ).Format("15:04"))
	}
	rep := bot.Reply{Title: r.T("reminder.title"), Text: strings.Join(lines, "\n")}
	row := []bot.Button{
		{Label: "✓ " + r.T("button.done"), Data: "/task done " + ref},
		{Label: r.T("button.hour_later"), Data: "/task later " + ref},
		{Label: "→ " + r.T("button.tomorrow"), Data: "/task tomorrow " + ref},
	}
	rep.Buttons = [][]bot.Button{row}
	if t.ClientID != 0 {
		rep.Buttons = append(rep.Buttons, []bot.Button{{Label: r.T("button.card"), Data: fmt.Sprintf("/client #%d", t.ClientID)}})
	}
	return rep
}

// agendaJob sends each person their morning agenda: on their working days
// (the company's days of the claims settings, holidays and closed days
// skipped) from their agenda time on, once a day, and only when something
// is due or overdue. Once a week, on the first working day of the week, a
// person with stale clients also gets the stale nudge. Each message is
// claimed in the store (ClaimOnce, per person and day or week) before it is
// built and sent, so it goes out once across restarts and replicas; an
// agenda missed while the bot was down goes out when it is back, up to
// agendaLate after its time.
func (s *service) agendaJob(ctx context.Context, now time.Time) error {
	if s.kit.Notifier == nil {
		return nil
	}
	people, err := s.store.People(ctx)
	if err != nil {
		return err
	}
	var (
		pc    *pushContext
		hours *crm.BusinessHours
		errs  []error
	)
	for _, p := range people {
		if !p.Active() || p.AgendaOff || len(p.Identities) == 0 {
			continue
		}
		tz := s.tz(p)
		day := dates.Day(now, tz)
		h, m, ok := dates.ParseClock(p.AgendaTime())
		if !ok {
			h, m = 9, 0
		}
		at := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, tz)
		if now.Before(at) || now.Sub(at) > agendaLate {
			continue
		}
		if hours == nil {
			cs, err := s.store.ClaimSettings(ctx)
			if err != nil {
				return err
			}
			hours = &cs.Hours
		}
		if !hours.WorkingDay(day) {
			continue
		}
		if pc == nil {
			if pc, err = s.loadPushContext(ctx, true); err != nil {
				return err
			}
		}
		errs = append(errs, s.sendAgenda(ctx, pc, p, now, day))
		if firstWorkingDayOfWeek(*hours, day) {
			errs = append(errs, s.sendStaleNudge(ctx, pc, p, now, day))
		}
	}
	return errors.Join(errs...)
}

// firstWorkingDayOfWeek reports whether no earlier day of day's week
// (Monday first) is a working day.
func firstWorkingDayOfWeek(h crm.BusinessHours, day time.Time) bool {
	wd := (int(day.Weekday()) + 6) % 7 // Monday = 0
	for i := 1; i <= wd; i++ {
		if h.WorkingDay(dates.AddDays(day, -i)) {
			return false
		}
	}
	return true
}

// claimOnce claims the scheduled message kind/key of person p in the store
// (ClaimOnce) unless this process already saw it claimed: each tick of the
// morning window then costs no store transaction per person. The store
// decides; the memo only spares asking again.
func (s *service) claimOnce(ctx context.Context, kind string, p uint64, key string) (bool, error) {
	memo := kind + "/" + key
	s.mu.Lock()
	if s.done[kind] == nil {
		s.done[kind] = map[uint64]string{}
	}
	seen := s.done[kind][p] == memo
	s.mu.Unlock()
	if seen {
		return false, nil
	}
	ok, err := s.store.ClaimOnce(ctx, kind, fmt.Sprintf("%d/%s", p, key))
	if err == nil {
		s.mu.Lock()
		s.done[kind][p] = memo
		s.mu.Unlock()
	}
	return ok, err
}

// sendAgenda sends p their /today as the morning agenda of day, once, and
// only when something is in it.
func (s *service) sendAgenda(ctx context.Context, pc *pushContext, p *crm.Person, now, day time.Time) error {
	ok, err := s.claimOnce(ctx, "agenda", p.ID, day.Format(time.DateOnly))
	if err != nil || !ok {
		return err
	}
	r := s.personRequest(pc, p, now)
	rep, n, err := s.kit.Today(ctx, r)
	if err != nil || n == 0 {
		return err
	}
	rep.Title = r.T("agenda.title") + " · " + rep.Title
	s.kit.Notify(ctx, p, rep)
	return nil
}

// sendStaleNudge tells an owner of stale clients how many there are and
// names the five that matter most (key accounts first, then the longest
// untouched), with buttons to confirm each is current or to log a talk.
func (s *service) sendStaleNudge(ctx context.Context, pc *pushContext, p *crm.Person, now, day time.Time) error {
	y, w := day.ISOWeek()
	ok, err := s.claimOnce(ctx, "stale", p.ID, fmt.Sprintf("%d-W%02d", y, w))
	if err != nil || !ok {
		return err
	}
	st, err := s.store.StaleClients(ctx, s.stale.Query([]uint64{p.ID}, now))
	stale := st.Clients
	if err != nil || len(stale) == 0 {
		return err
	}
	sort.SliceStable(stale, func(i, j int) bool {
		a, b := stale[i].KeyAccount(), stale[j].KeyAccount()
		if a != b {
			return a
		}
		return stale[i].LastTouch.Before(stale[j].LastTouch)
	})
	r := s.personRequest(pc, p, now)
	rep := bot.Reply{Title: r.T("stale.title", "count", len(stale))}
	var lines []string
	for i, c := range stale {
		if i == 5 {
			break
		}
		line := "• " + c.Name
		if c.KeyAccount() {
			line += " ★"
		}
		if c.LastTouch.IsZero() {
			line += " — " + r.T("stale.never")
		} else {
			line += " — " + r.T("stale.last_touch", "ago", r.Ago(c.LastTouch))
		}
		lines = append(lines, line)
		rep.Buttons = append(rep.Buttons, []bot.Button{
			{Label: "✓ " + c.Name + ": " + r.T("button.still_current"), Data: "/client " + core.ClientRef(c) + " ok"},
			{Label: r.T("button.log"), Data: "/log " + core.ClientRef(c)},
		})
	}
	if len(stale) > 5 {
		lines = append(lines, r.T("list.more", "count", len(stale)-5))
	}
	rep.Text = strings.Join(lines, "\n") + "\n\n" + r.T("stale.hint")
	s.kit.Notify(ctx, p, rep)
	return nil
}

// reachDigest tells a supervisor (or head) which of the people their digest
// covers the bot could not reach (they blocked it, or every try of a
// reminder failed): those people miss their reminders and agenda.
func (s *service) reachDigest(_ context.Context, sc *core.DigestScope) (*core.DigestPart, error) {
	if sc.Personal() {
		return nil, nil
	}
	part := &core.DigestPart{}
	for _, id := range sc.Owners {
		p := sc.People[id]
		if id == sc.Reader.ID || !p.Active() || !p.Unreachable {
			continue
		}
		part.Needs = append(part.Needs, core.DigestNeed{Rank: needRankUnreachable, Text: sc.T("digest.unreachable", "name", p.Name)})
	}
	if len(part.Needs) == 0 {
		return nil, nil
	}
	return part, nil
}
