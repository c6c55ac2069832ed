package handlers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// PushStore keeps what the bot needs to speak first: the reminders' ring
// index, the claims of scheduled messages (sent once across restarts and
// replicas: claimed in a transaction before sending), and link codes.
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

// agendaLate is how long after its time a missed morning agenda is still
// sent (the bot restarted at 09:05); later in the day it would not be a
// morning agenda any more, and /today is there.
const agendaLate = 3 * time.Hour

// ringBatch is the most reminders one tick claims in one transaction; more
// are taken by the next batch of the same tick.
const ringBatch = 250

// registerPush adds /agenda, /me, /link, /unlink and the jobs that send
// reminders, the morning agenda and the weekly stale nudge.
func (s *Service) registerPush() {
	defer s.inFamily("me")()
	defer s.inFamily("me")()
	s.add(&spec{name: "agenda", minRole: crm.RoleManager, run: s.agendaCmd})
	s.add(&spec{name: "me", minRole: crm.RoleManager, run: s.meCmd})
	s.add(&spec{name: "link", minRole: crm.RoleManager, run: s.linkCmd})
	s.add(&spec{name: "unlink", minRole: crm.RoleManager, run: s.unlinkCmd})
	s.addDigestSection("reach", s.reachDigest)
	s.jobs = append(s.jobs,
		core.Job{Name: "reminders.ring", Run: s.reminderJob},
		core.Job{Name: "agenda.morning", Run: s.agendaJob},
	)
}

// parseDue reads a due date with an optional time after it ("tomorrow
// 10:00", "31.12.2026 at 9:30", "петък в 14:00", or a time alone for
// today), in tz. day is midnight of the day; at is zero without a time.
// The word before the time may be "@" or one of "words.due.at".
func (r *request) parseDue(s string, now time.Time, tz *time.Location) (day, at time.Time, ok bool) {
	f := strings.Fields(s)
	if n := len(f); n > 0 && strings.Contains(f[n-1], ":") {
		h, m, okc := dates.ParseClock(f[n-1])
		if !okc {
			return time.Time{}, time.Time{}, false
		}
		rest := f[:n-1]
		if k := len(rest); k > 0 && (rest[k-1] == "@" || r.Is(rest[k-1], "list.due_at")) {
			rest = rest[:k-1]
		}
		d := dates.Day(now, tz)
		if len(rest) > 0 {
			if d, ok = dates.Parse(strings.Join(rest, " "), now, tz); !ok {
				return time.Time{}, time.Time{}, false
			}
		}
		at = time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, tz)
		return dates.Day(at, tz), at, true
	}
	day, ok = dates.Parse(s, now, tz)
	return day, time.Time{}, ok
}

// fmtDue writes a task's due day, with its time when it rings at one.
func (r *request) fmtDue(t *crm.Task) string {
	if t == nil {
		return ""
	}
	if !t.At.IsZero() {
		return r.FmtTime(t.At)
	}
	return r.FmtDate(t.Due)
}

// pushContext is what a job needs to speak to people: everyone by id and
// the delegations, read once per tick.
type pushContext struct {
	people []*crm.Person
	byID   map[uint64]*crm.Person
	dels   []*crm.Delegation
}

func (s *Service) loadPushContext(ctx context.Context, withDelegations bool) (*pushContext, error) {
	people, err := s.store.People(ctx)
	if err != nil {
		return nil, err
	}
	pc := &pushContext{people: people, byID: make(map[uint64]*crm.Person, len(people))}
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
func (s *Service) personRequest(pc *pushContext, p *crm.Person, now time.Time) *request {
	lang := p.Lang
	if lang == "" {
		lang = s.cfg.Lang
	}
	m := &bot.Message{Person: p, Lang: lang, Private: true}
	if len(p.Identities) > 0 {
		m.Identity = p.Identities[0]
		m.Platform, _, _ = strings.Cut(m.Identity, ":")
	}
	r := &request{Request: core.ForPerson(s.store, s.cat.For(lang), m, p, now, s.personTZ(p), pc.byID), svc: s}
	for _, d := range pc.dels {
		if d.DeputyID == p.ID && d.ActiveAt(now) && pc.byID[d.AbsentID].Active() {
			r.Absent[d.AbsentID] = d
		}
	}
	return r
}

// reminderJob rings every reminder whose time has come. Exactly once: the
// reminders are claimed in one store transaction before anything is sent
// (store.ClaimReminders), so two ticks or two replicas never send one
// twice. A reminder missed while the bot was down rings when it is back,
// marked as late, unless it is more than crm.ReminderMaxLate old: then it
// only waits in the agenda. A reminder that reached nobody is tried again
// after crm.ReminderRetry, crm.ReminderTries times in all; then its person
// is marked unreachable (supervisors' digests list them).
func (s *Service) reminderJob(ctx context.Context, now time.Time) error {
	if s.notifier == nil {
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
		names, err := s.clientNamesOf(ctx, ids)
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
func (s *Service) ring(ctx context.Context, pc *pushContext, t *crm.Task, client string, now time.Time) error {
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
	delivered, refused := s.notifyEach(ctx, p, s.reminderReply(r, t, client, late))
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
	s.log.Warn("reminder not delivered; giving up, it waits in the agenda", "task", t.ID, "person", p.ID)
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
func (s *Service) notifyEach(ctx context.Context, p *crm.Person, r bot.Reply) (delivered, refused bool) {
	for _, id := range p.Identities {
		err := s.notifier.Notify(ctx, id, r)
		if err == nil {
			delivered = true
			continue
		}
		if !errors.Is(err, bot.ErrNotRunning) {
			refused = true
			s.log.Warn("reminder not delivered", "person", p.ID, "identity", id, "err", err)
		}
	}
	return delivered, refused
}

// reminderReply is the ringing reminder: the client and the text, its
// time, and buttons to mark it done, postpone it or open the card.
func (s *Service) reminderReply(r *request, t *crm.Task, client string, late bool) bot.Reply {
	ref := core.IDRef("T", t.ID)
	line := ref + " · "
	if client != "" {
		line += client + ": "
	}
	line += t.Text
	lines := []string{line}
	if late {
		lines = append(lines, r.T("reminder.late", "time", r.fmtDue(t)))
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
func (s *Service) agendaJob(ctx context.Context, now time.Time) error {
	if s.notifier == nil {
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
		tz := s.personTZ(p)
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
func (s *Service) claimOnce(ctx context.Context, kind string, p uint64, key string) (bool, error) {
	memo := kind + "/" + key
	s.pushMu.Lock()
	if s.pushDone == nil {
		s.pushDone = map[string]map[uint64]string{}
	}
	if s.pushDone[kind] == nil {
		s.pushDone[kind] = map[uint64]string{}
	}
	seen := s.pushDone[kind][p] == memo
	s.pushMu.Unlock()
	if seen {
		return false, nil
	}
	ok, err := s.store.ClaimOnce(ctx, kind, fmt.Sprintf("%d/%s", p, key))
	if err == nil {
		s.pushMu.Lock()
		s.pushDone[kind][p] = memo
		s.pushMu.Unlock()
	}
	return ok, err
}

func (s *Service) sendAgenda(ctx context.Context, pc *pushContext, p *crm.Person, now, day time.Time) error {
	ok, err := s.claimOnce(ctx, "agenda", p.ID, day.Format(time.DateOnly))
	if err != nil || !ok {
		return err
	}
	r := s.personRequest(pc, p, now)
	rep, n, err := s.todayReply(ctx, r)
	if err != nil || n == 0 {
		return err
	}
	rep.Title = r.T("agenda.title") + " · " + rep.Title
	s.notify(ctx, p, rep)
	return nil
}

// sendStaleNudge tells an owner of stale clients how many there are and
// names the five that matter most (key accounts first, then the longest
// untouched), with buttons to confirm each is current or to log a talk.
func (s *Service) sendStaleNudge(ctx context.Context, pc *pushContext, p *crm.Person, now, day time.Time) error {
	y, w := day.ISOWeek()
	ok, err := s.claimOnce(ctx, "stale", p.ID, fmt.Sprintf("%d-W%02d", y, w))
	if err != nil || !ok {
		return err
	}
	st, err := s.store.StaleClients(ctx, crm.StaleQuery{Owners: []uint64{p.ID}, TouchBefore: now.Add(-s.cfg.StaleTouch), ReviewBefore: now.Add(-s.cfg.StaleReview)})
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
	s.notify(ctx, p, rep)
	return nil
}

// agendaCmd: "/agenda" shows when the morning agenda comes; "/agenda
// HH:MM" sets the time, "/agenda off" stops it, "/agenda on" restarts it.
func (s *Service) agendaCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	args := r.Command.Args
	if len(args) > 1 {
		return crm.Errorf(crm.EINVALID, "agenda.usage")
	}
	if len(args) == 1 {
		a := strings.ToLower(args[0])
		var fn func(*crm.Person) error
		switch {
		case r.Is(a, "agenda.off"):
			fn = func(p *crm.Person) error { p.AgendaOff = true; return nil }
		case r.Is(a, "agenda.on"):
			fn = func(p *crm.Person) error { p.AgendaOff = false; return nil }
		default:
			h, m, ok := dates.ParseClock(a)
			if !ok {
				return crm.Errorf(crm.EINVALID, "agenda.usage")
			}
			at := fmt.Sprintf("%02d:%02d", h, m)
			fn = func(p *crm.Person) error { p.Agenda, p.AgendaOff = at, false; return nil }
		}
		p, err := s.store.UpdatePerson(ctx, r.Me.ID, fn)
		if err != nil {
			return err
		}
		r.Me = p
		return w.Reply(ctx, bot.Reply{Text: r.T("agenda.saved") + " " + agendaText(r, p)})
	}
	return w.Reply(ctx, bot.Reply{Text: agendaText(r, r.Me) + "\n" + r.T("agenda.hint")})
}

// agendaText says when the person's agenda comes.
func agendaText(r *request, p *crm.Person) string {
	if p.AgendaOff {
		return r.T("agenda.off")
	}
	return r.T("agenda.at", "time", p.AgendaTime(), "tz", r.svc.personTZ(p).String())
}

// meCmd: "/me" shows the caller's own settings; "/me email=ADDR tz=ZONE
// lang=en|bg agenda=HH:MM|off" changes them.
func (s *Service) meCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	if len(r.Command.Args) > 0 {
		var sets []func(*crm.Person)
		for _, a := range r.Command.Args {
			k, v, ok := strings.Cut(a, "=")
			if !ok {
				return crm.Errorf(crm.EINVALID, "me.usage")
			}
			v = strings.TrimSpace(v)
			switch {
			case r.Is(k, "me.key.email"):
				addr, ok := parseEmail(v)
				if !ok {
					return crm.Errorf(crm.EINVALID, "me.bad_email", "value", v)
				}
				sets = append(sets, func(p *crm.Person) { p.Email = addr })
			case r.Is(k, "me.key.tz"):
				if v == "" || r.Is(v, "me.tz.default") {
					sets = append(sets, func(p *crm.Person) { p.TZ = "" })
					break
				}
				loc, err := time.LoadLocation(v)
				if err != nil || v == "Local" {
					return crm.Errorf(crm.EINVALID, "me.bad_tz", "value", v)
				}
				name := loc.String()
				sets = append(sets, func(p *crm.Person) { p.TZ = name })
			case r.Is(k, "me.key.lang"):
				lang := i18n.Lang(v)
				if lang == "" {
					return crm.Errorf(crm.EINVALID, "lang.usage")
				}
				sets = append(sets, func(p *crm.Person) { p.Lang = lang })
			case r.Is(k, "me.key.agenda"):
				switch {
				case r.Is(v, "me.agenda.off"):
					sets = append(sets, func(p *crm.Person) { p.AgendaOff = true })
				case r.Is(v, "me.agenda.on"):
					sets = append(sets, func(p *crm.Person) { p.AgendaOff = false })
				default:
					h, m, ok := dates.ParseClock(v)
					if !ok {
						return crm.Errorf(crm.EINVALID, "agenda.usage")
					}
					at := fmt.Sprintf("%02d:%02d", h, m)
					sets = append(sets, func(p *crm.Person) { p.Agenda, p.AgendaOff = at, false })
				}
			default:
				return crm.Errorf(crm.EINVALID, "me.usage")
			}
		}
		p, err := s.store.UpdatePerson(ctx, r.Me.ID, func(p *crm.Person) error {
			for _, set := range sets {
				set(p)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// The answer is in the language just chosen.
		r.Me = p
		if p.Lang != "" {
			r.Lang, r.Loc = p.Lang, s.cat.For(p.Lang)
		}
		r.TZ = s.personTZ(p)
		rep := s.meReply(r, p)
		rep.Title = r.T("me.saved")
		return w.Reply(ctx, rep)
	}
	return w.Reply(ctx, s.meReply(r, r.Me))
}

// meReply lists a person's own settings.
func (s *Service) meReply(r *request, p *crm.Person) bot.Reply {
	lang := p.Lang
	if lang == "" {
		lang = s.cfg.Lang
	}
	email := p.Email
	if email == "" {
		email = "—"
	}
	agenda := p.AgendaTime()
	if p.AgendaOff {
		agenda = r.T("agenda.off_short")
	}
	lines := []string{
		r.T("me.role") + ": " + r.T("role."+string(p.Role)),
		r.T("me.lang") + ": " + lang,
		r.T("me.tz") + ": " + s.personTZ(p).String(),
		r.T("me.agenda") + ": " + agenda,
		r.T("me.email") + ": " + email,
		r.T("me.identities") + ": " + strings.Join(p.Identities, ", "),
	}
	return bot.Reply{Title: r.T("me.title", "name", p.Name), Text: strings.Join(lines, "\n") + "\n\n" + r.T("me.hint")}
}

// parseEmail reads one plain address.
func parseEmail(v string) (string, bool) {
	v = strings.TrimSpace(v)
	at := strings.LastIndex(v, "@")
	if at < 1 || at == len(v)-1 || strings.ContainsAny(v, " <>,;\"") || !strings.Contains(v[at:], ".") || len(v) > 254 {
		return "", false
	}
	return v, true
}

// linkCmd: "/link" answers a one-time code; "/link CODE" from a known
// identity says it is already someone's (a new identity sends it before it
// is known; identify hears it).
func (s *Service) linkCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	if len(r.Command.Args) > 0 {
		return crm.Errorf(crm.ECONFLICT, "link.already_known", "identity", r.Identity)
	}
	lc := &crm.LinkCode{Code: newCode(), PersonID: r.Me.ID, ExpiresAt: r.Now.Add(crm.LinkTTL)}
	if err := s.store.CreateLinkCode(ctx, lc); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("link.code", "code", lc.Code, "minutes", int(crm.LinkTTL/time.Minute), "time", lc.ExpiresAt.In(r.TZ).Format("15:04"))})
}

// linkWithCode joins an identity nobody holds yet to the person whose
// code it sends.
func (s *Service) linkWithCode(ctx context.Context, w bot.ReplyWriter, m *bot.Message, code string) error {
	loc := s.cat.For(m.Lang)
	p, err := s.store.LinkIdentity(ctx, strings.ToUpper(strings.TrimSpace(code)), m.Identity, s.clock.Now())
	if err != nil {
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return w.Reply(ctx, bot.Reply{Text: loc.T("link.bad_code") + "\n" + loc.T("auth.unknown", "identity", m.Identity)})
		}
		return err
	}
	lang := m.Lang
	if p.Lang != "" {
		lang = p.Lang
	}
	loc = s.cat.For(lang)
	return w.Reply(ctx, bot.Reply{Text: loc.T("link.done", "name", p.Name, "identity", m.Identity, "identities", strings.Join(p.Identities, ", ")),
		Home: s.home(loc, lang, p)})
}

// unlinkCmd: "/unlink IDENTITY" removes one of the caller's identities (a
// head may remove anyone's); nobody loses their last identity.
func (s *Service) unlinkCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	if len(r.Command.Args) != 1 {
		return crm.Errorf(crm.EINVALID, "unlink.usage", "identities", strings.Join(r.Me.Identities, ", "))
	}
	ident := strings.TrimSpace(r.Command.Args[0])
	var owner *crm.Person
	for _, p := range r.People {
		if p.HasIdentity(ident) {
			owner = p
		}
	}
	if owner == nil || (owner.ID != r.Me.ID && r.Me.Role != crm.RoleHead) {
		return crm.Errorf(crm.ENOTFOUND, "unlink.not_yours", "identity", ident)
	}
	if len(owner.Identities) < 2 {
		return crm.Errorf(crm.EINVALID, "unlink.last", "identity", ident)
	}
	p, err := s.store.UpdatePerson(ctx, owner.ID, func(p *crm.Person) error {
		if len(p.Identities) < 2 {
			return crm.Errorf(crm.EINVALID, "unlink.last", "identity", ident)
		}
		kept := p.Identities[:0:0]
		for _, x := range p.Identities {
			if x != ident {
				kept = append(kept, x)
			}
		}
		p.Identities = kept
		return nil
	})
	if err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("unlink.done", "identity", ident, "name", p.Name, "identities", strings.Join(p.Identities, ", "))})
}

// needRankUnreachable ranks "reminders could not reach X" in a digest's
// "needs you" list: below overdue work, above a quiet manager.
const needRankUnreachable = 45

// reachDigest tells a supervisor (or head) which of the people their digest
// covers the bot could not reach (they blocked it, or every try of a
// reminder failed): those people miss their reminders and agenda.
func (s *Service) reachDigest(_ context.Context, sc *digestScope) (*digestPart, error) {
	if sc.personal() {
		return nil, nil
	}
	part := &digestPart{}
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
