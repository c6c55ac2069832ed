// Package digest is the digests family: the digest a supervisor, a head
// or an opted-in manager gets on schedule (daily, weekly on its day, in
// their time zone, exactly once), /digest to read one now or someone
// else's, /digest settings for the schedule, the daily snapshots the
// sections compare against, and the digest's image. The digest's own
// section (per person: conversations, overdue work, stale clients) is
// here; every other section is a family's (claims, pipeline, planned
// work, health, unreachable people), added through the registry
// (core.Registry.AddDigestSection) and read here at run time, in the
// order the families registered (core.DigestHooks). Its words are in
// i18n/locales/{en,bg}/digest.toml; its data goes through Store. It
// registers itself with Register and meets other families only through
// the hooks of handlers/core.
package digest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// Store is the digest family's port: its own records (DigestStore), the
// team and its clients as a request reads them (core.Directory), and the
// reads of others' records its own section is made of: the stale clients,
// the overdue tasks and the clients' names (14 methods).
type Store interface {
	DigestStore
	core.Directory
	// StaleClients returns the stale clients q asks for and how many
	// there are: all of them (owner by owner, by id) or only the
	// q.Oldest longest untouched, oldest first.
	StaleClients(ctx context.Context, q crm.StaleQuery) (crm.StaleList, error)
	// OpenTasks returns the open tasks of the assignees due before
	// before, assignee by assignee in the order given and soonest first
	// within one.
	OpenTasks(ctx context.Context, assignees []uint64, before time.Time) ([]*crm.Task, error)
	// ClientNames returns the names of the clients with the given ids;
	// ids of clients that do not exist are left out (no error).
	ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error)
}

// DigestStore keeps digest schedules, the record of digests sent, and the
// daily snapshots that digests compare against. A day is a calendar date,
// given as a time whose own zone has that date (midnight of it, as
// dates.Day returns); the store keys records by that date.
type DigestStore interface {
	// DigestSchedules returns every stored schedule, by person; people
	// who never changed theirs have none.
	DigestSchedules(ctx context.Context) (map[uint64]*crm.DigestSchedule, error)
	// SaveDigestSchedule stores d as its person's schedule.
	SaveDigestSchedule(ctx context.Context, d *crm.DigestSchedule) error
	// UpdateDigestDelivery applies fn (which may be re-run) to the
	// delivery record of subject's digest for reader on day (an empty
	// record the first time) and stores it, in one transaction: of two
	// callers, the later sees the earlier's claim, so a digest is claimed
	// for sending once. It returns the stored record; records go after
	// about a week.
	UpdateDigestDelivery(ctx context.Context, reader, subject uint64, day time.Time, fn func(*crm.DigestDelivery) error) (*crm.DigestDelivery, error)
	// OwnerActivity sums up, for each of q.Owners (one transaction for
	// all), the conversations on the owner's clients: how many clients,
	// the latest touch, and how many conversations were logged in
	// [q.From, q.To); an owner with no clients has a zero entry.
	OwnerActivity(ctx context.Context, q crm.ActivityQuery) (map[uint64]crm.OwnerActivity, error)
	// PutSnapshot stores rows as day's snapshot of kind, taken at at,
	// unless that snapshot is already stored, and reports whether it
	// stored it; a snapshot is whole or absent.
	PutSnapshot(ctx context.Context, kind string, day time.Time, at time.Time, rows []crm.SnapshotRow) (bool, error)
	// HasSnapshot reports whether day's snapshot of kind is stored.
	HasSnapshot(ctx context.Context, kind string, day time.Time) (bool, error)
	// SnapshotReader reads the snapshots back (SnapshotRows).
	core.SnapshotReader
}

// service answers /digest and runs the digest and snapshot jobs.
type service struct {
	kit   *core.Kit
	store Store
	stale core.Stale
	// hooks are the sections and snapshots the families add.
	hooks *core.DigestHooks
}

// dayLayout writes a day in a file name or a command.
const dayLayout = "2006-01-02"

// Register adds /digest, the snapshot job and the digest job to the
// service behind reg, in the help family "assistant". Snapshots go first,
// so that a digest due at the same tick reads today's.
func Register(reg core.Registry, st Store, stale core.Stale) {
	s := &service{kit: reg.Kit(), store: st, stale: stale, hooks: reg.Digests()}
	defer reg.Family("assistant")()
	reg.Add(&core.Spec{Name: "digest", MinRole: crm.RoleManager, Run: s.digestCmd})
	reg.AddJob(core.Job{Name: "snapshots", Run: s.snapshotJob})
	reg.AddJob(core.Job{Name: "digests", Run: s.digestJob})
}

// effectiveSchedule is the person's stored schedule, or the default one:
// on for supervisors and heads, off for managers until they opt in.
func effectiveSchedule(p *crm.Person, stored map[uint64]*crm.DigestSchedule) crm.DigestSchedule {
	if d := stored[p.ID]; d != nil {
		return *d
	}
	d := crm.DefaultDigestSchedule(p.ID)
	d.Off = p.Role == crm.RoleManager
	return d
}

// personTZ is the person's time zone, else the company's.
func (s *service) personTZ(p *crm.Person) *time.Location {
	_, tz := s.kit.PersonLocale(p)
	return tz
}

// digestCmd: "/digest [full] [week|day] [@person] [DATE]" sends a digest
// now; "/digest settings …" changes the schedule.
func (s *service) digestCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) > 0 && r.Is(args[0], "digest.settings") {
		return s.digestSettings(ctx, w, r, args[1:])
	}
	var (
		full    bool
		kind    string
		subject = r.Me
		day     time.Time
	)
	for _, a := range args {
		switch {
		case r.Is(a, "digest.full"):
			full = true
		case r.Is(a, "digest.week"):
			kind = crm.DigestWeekly
		case r.Is(a, "digest.day"):
			kind = crm.DigestDaily
		case strings.HasPrefix(a, "@") || strings.Contains(a, ":"):
			p, err := r.ResolvePerson(a)
			if err != nil {
				return err
			}
			if r.RightsOver(p.ID) == nil {
				return crm.Errorf(crm.EFORBIDDEN, "digest.forbidden", "name", p.Name)
			}
			subject = p
		default:
			d, ok := r.Date(a)
			if !ok {
				return crm.Errorf(crm.EINVALID, "digest.usage")
			}
			day = d
		}
	}
	stored, err := s.store.DigestSchedules(ctx)
	if err != nil {
		return err
	}
	// The caller's own digest, then (for a deputy asking without naming
	// anyone) the digest of each person they stand in for.
	subjects := []*crm.Person{subject}
	if subject == r.Me {
		for id := range r.Absent {
			if p := r.People[id]; p != nil {
				subjects = append(subjects, p)
			}
		}
		sortPeople(subjects[1:])
	}
	for _, subj := range subjects {
		sched := effectiveSchedule(subj, stored)
		per := digestPeriodOn(sched, r.TZ, r.Now, day, kind)
		rep, err := s.buildDigest(ctx, r.Me, subj, r.Lang, per, full)
		if err != nil {
			return err
		}
		if err := w.Reply(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// digestPeriodOn returns the period of the digest of day (midnight in tz;
// zero for "now, as asked") under sched. kind forces daily or weekly; ""
// takes the schedule's kind for that day, else daily. A daily digest
// covers the days since the previous day that has a digest (Friday to
// Sunday on a Monday when Monday has a daily one), a weekly one seven days.
func digestPeriodOn(sched crm.DigestSchedule, tz *time.Location, now, day time.Time, kind string) core.DigestPeriod {
	asked := day.IsZero()
	if asked {
		day = dates.Day(now, tz)
	}
	if kind == "" {
		sched.Off = false
		kind = sched.KindOn(day.Weekday())
		if kind == "" {
			kind = crm.DigestDaily
		}
	}
	p := core.DigestPeriod{Kind: kind, Day: day, To: day}
	if asked {
		p.To = now
	}
	if kind == crm.DigestWeekly {
		p.From = dates.AddDays(day, -7)
		return p
	}
	days := sched.Days | sched.Weekly
	if days == 0 {
		days = crm.Workdays
	}
	p.From = dates.AddDays(day, -1)
	for i := 1; i <= 7; i++ {
		if d := dates.AddDays(day, -i); days.Has(d.Weekday()) {
			p.From = d
			break
		}
	}
	return p
}

// digestSettings shows or changes the caller's schedule:
// "/digest settings [time=07:45] [days=mon-fri] [weekly=mon|off] [daily|weekly] [on|off]".
func (s *service) digestSettings(ctx context.Context, w bot.ReplyWriter, r *core.Request, args []string) error {
	stored, err := s.store.DigestSchedules(ctx)
	if err != nil {
		return err
	}
	sched := effectiveSchedule(r.Me, stored)
	if len(args) == 0 {
		return w.Reply(ctx, bot.Reply{Title: r.T("digest.settings_title"), Text: s.describeSchedule(r, sched) + "\n" + r.T("digest.settings_hint")})
	}
	for _, a := range args {
		k, v, hasValue := strings.Cut(a, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !hasValue {
			switch {
			case r.Is(k, "digest.set.on"):
				sched.Off = false
			case r.Is(k, "digest.set.off"):
				sched.Off = true
			case r.Is(k, "digest.set.daily"):
				if sched.Days == 0 {
					sched.Days = crm.Workdays
				}
			case r.Is(k, "digest.set.weekly"):
				sched.Days = 0
				if sched.Weekly == 0 {
					sched.Weekly = crm.WeekdayOf(time.Monday)
				}
			default:
				return crm.Errorf(crm.EINVALID, "digest.settings_usage")
			}
			continue
		}
		switch {
		case r.Is(k, "digest.key.time"):
			h, m, ok := dates.ParseClock(v)
			if !ok {
				return crm.Errorf(crm.EINVALID, "digest.bad_time", "value", v)
			}
			sched.At = h*60 + m
		case r.Is(k, "digest.key.days"):
			d, ok := s.kit.ParseWeekdays(v)
			if !ok {
				return crm.Errorf(crm.EINVALID, "digest.bad_days", "value", v)
			}
			sched.Days = d
		case r.Is(k, "digest.key.weekly"):
			if r.Is(v, "digest.weekly.off") {
				sched.Weekly = 0
				break
			}
			d, ok := s.kit.ParseWeekdays(v)
			if !ok || len(d.List()) != 1 {
				return crm.Errorf(crm.EINVALID, "digest.bad_weekly", "value", v)
			}
			sched.Weekly = d
		default:
			return crm.Errorf(crm.EINVALID, "digest.settings_usage")
		}
	}
	if !sched.Off && sched.Days == 0 && sched.Weekly == 0 {
		return crm.Errorf(crm.EINVALID, "digest.no_days")
	}
	sched.PersonID, sched.UpdatedAt = r.Me.ID, r.Now
	if err := s.store.SaveDigestSchedule(ctx, &sched); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("digest.settings_saved") + " " + s.describeSchedule(r, sched)})
}

// describeSchedule says in words when the digest comes.
func (s *service) describeSchedule(r *core.Request, d crm.DigestSchedule) string {
	if d.Off {
		return r.T("digest.settings_off")
	}
	at := fmt.Sprintf("%02d:%02d", d.At/60, d.At%60)
	tz := s.personTZ(r.Me).String()
	if d.Days == 0 {
		return r.T("digest.settings_weekly_only", "weekly", weekdays(r, d.Weekly, true), "time", at, "tz", tz)
	}
	text := r.T("digest.settings_daily", "days", weekdays(r, d.Days, false), "time", at, "tz", tz)
	if d.Weekly != 0 {
		text += " " + r.T("digest.settings_weekly_too", "weekly", weekdays(r, d.Weekly, true))
	}
	return text
}

// weekdays writes a set of days: "Mon–Fri", "Mon, Wed, Fri", "every day";
// with full names ("Monday") when full.
func weekdays(r *core.Request, w crm.Weekdays, full bool) string {
	if w == crm.AllDays {
		return r.T("digest.every_day")
	}
	list := w.List()
	var parts []string
	for i := 0; i < len(list); {
		j := i
		for j+1 < len(list) && (int(list[j])+1)%7 == int(list[j+1]) {
			j++
		}
		name := func(d time.Weekday) string {
			key := strings.ToLower(d.String()[:3])
			if full {
				return r.T("digest.dayname." + key)
			}
			return r.T("digest.day." + key)
		}
		switch {
		case j-i >= 2:
			parts = append(parts, name(list[i])+"–"+name(list[j]))
		case j > i:
			parts = append(parts, name(list[i]), name(list[j]))
		default:
			parts = append(parts, name(list[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
