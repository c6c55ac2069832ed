package digest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/internal/golden"
	"accountbot/store"
)

// notice is one message the notifier was asked to deliver.
type notice = chattest.Note

// digestEnv is the shared chat environment (handlerstest) whose service
// notifies.
type digestEnv struct{ *handlerstest.Env }

// newDigestEnv starts a service over st (a new in-memory store when nil)
// at clock's time, in Europe/Sofia, head console:admin, notifying n (a
// new notifier when nil). Calling it again with the same store, clock and
// notifier is a restart.
func newDigestEnv(t *testing.T, st *store.Store, clock *dates.ManualClock, n *chattest.Notifier) *digestEnv {
	t.Helper()
	cfg := handlers.DefaultConfig()
	cfg.TZ = chattest.Sofia(t)
	return &digestEnv{handlerstest.New(t, chattest.Options{Reuse: st, Clock: clock, Notes: n, Notify: true}, handlers.WithConfig(cfg))}
}

// tick runs the scheduled jobs once.
func (e *digestEnv) tick() { e.Svc.RunJobs(context.Background()) }

// setTZ gives a person their own time zone.
func (e *digestEnv) setTZ(identity, tz string) {
	e.T.Helper()
	ctx := context.Background()
	p, err := e.Store.PersonByIdentity(ctx, identity)
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.UpdatePerson(ctx, p.ID, func(p *crm.Person) error { p.TZ = tz; return nil }); err != nil {
		e.T.Fatal(err)
	}
}

// wantSent fails unless identity got exactly n digests so far.
func (e *digestEnv) wantSent(identity string, n int, when string) []notice {
	e.T.Helper()
	got := e.Notes.To(identity)
	if len(got) != n {
		var titles []string
		for _, g := range got {
			titles = append(titles, g.Reply.Title)
		}
		e.T.Fatalf("%s: %s got %d digests, want %d: %q", when, identity, len(got), n, titles)
	}
	return got
}

func newClock(t time.Time) *dates.ManualClock { return dates.NewManualClock(t) }

func TestDigestSchedulesAcrossTimeZones(t *testing.T) {
	utc := func(d, hh, mm int) time.Time { return time.Date(2026, 11, d, hh, mm, 0, 0, time.UTC) }
	e := newDigestEnv(t, nil, newClock(utc(25, 12, 0)), nil)
	e.Must("console:admin", `/appoint console:sofia supervisor "Sofia Sup"`, "Sofia Sup")
	e.Must("console:admin", `/appoint console:tokyo supervisor "Tokyo Sup"`, "Tokyo Sup")
	e.Must("console:admin", `/appoint console:ny supervisor "NY Sup"`, "NY Sup")
	e.setTZ("console:tokyo", "Asia/Tokyo")
	e.setTZ("console:ny", "America/New_York")

	// Wednesday 25 Nov, 12:00 UTC: Sofia (14:00) and Tokyo (21:00) get
	// Wednesday's digest at once (missed, same day); New York (07:00) not yet.
	e.tick()
	steps := []struct {
		at               time.Time
		sofia, tokyo, ny int
	}{
		{utc(25, 12, 0), 1, 1, 0},
		// 08:30 in New York (UTC−5) is 13:30 UTC.
		{utc(25, 13, 29), 1, 1, 0},
		{utc(25, 13, 30), 1, 1, 1},
		// Thursday 26 Nov: 08:30 in Tokyo (UTC+9) is 23:30 UTC the day before.
		{utc(25, 23, 29), 1, 1, 1},
		{utc(25, 23, 30), 1, 2, 1},
		// 08:30 in Sofia (UTC+2) is 06:30 UTC.
		{utc(26, 6, 29), 1, 2, 1},
		{utc(26, 6, 30), 2, 2, 1},
		{utc(26, 13, 29), 2, 2, 1},
		{utc(26, 13, 30), 2, 2, 2},
		{utc(26, 20, 0), 2, 2, 2},
	}
	for _, s := range steps {
		e.Clock.Set(s.at)
		e.tick()
		when := s.at.Format(time.RFC3339)
		e.wantSent("console:sofia", s.sofia, when)
		e.wantSent("console:tokyo", s.tokyo, when)
		e.wantSent("console:ny", s.ny, when)
	}
	// Each got the digest of its own Thursday last.
	for _, id := range []string{"console:sofia", "console:tokyo", "console:ny"} {
		if got := e.Notes.To(id)[1].Reply.Title; got != "Daily digest · 2026-11-26" {
			t.Errorf("%s: title %q", id, got)
		}
	}
	// The head gets theirs too.
	e.wantSent("console:admin", 2, "head")
}

func TestDigestAcrossDaylightSavingChanges(t *testing.T) {
	utc := func(m time.Month, d, hh, mm int) time.Time { return time.Date(2027, m, d, hh, mm, 0, 0, time.UTC) }
	e := newDigestEnv(t, nil, newClock(utc(3, 20, 10, 0)), nil)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:sam", "/digest settings days=all weekly=off", "every day at 08:30")

	steps := []struct {
		at   time.Time
		want int
	}{
		// Saturday 27 March 2027, winter time (UTC+2): 08:30 is 06:30 UTC.
		{utc(3, 27, 6, 29), 0},
		{utc(3, 27, 6, 30), 1},
		// Sunday 28 March, summer time from 03:00 (UTC+3): 08:30 is 05:30 UTC.
		{utc(3, 28, 5, 29), 1},
		{utc(3, 28, 5, 30), 2},
		{utc(3, 28, 6, 30), 2},
		// Sunday 31 October, back to winter time at 04:00: 08:30 is 06:30 UTC.
		{utc(10, 30, 5, 30), 3}, // Saturday, still summer time
		{utc(10, 31, 5, 30), 3},
		{utc(10, 31, 6, 29), 3},
		{utc(10, 31, 6, 30), 4},
	}
	for _, s := range steps {
		e.Clock.Set(s.at)
		e.tick()
		e.wantSent("console:sam", s.want, s.at.Format(time.RFC3339))
	}

}

func TestDigestSkippedHourStillSends(t *testing.T) {
	// On 28 March 2027 Sofia's clocks jump from 03:00 to 04:00: 03:30 does
	// not happen that day, and the digest still comes that morning.
	e := newDigestEnv(t, nil, newClock(time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC)), nil)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:sam", "/digest settings days=all weekly=off time=03:30", "03:30")
	e.Clock.Set(time.Date(2027, 3, 28, 0, 59, 0, 0, time.UTC)) // 02:59 local
	e.tick()
	e.wantSent("console:sam", 0, "02:59, before the jump")
	e.Clock.Set(time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC)) // 04:30 local
	e.tick()
	e.wantSent("console:sam", 1, "04:30, after the jump")
	e.Clock.Set(time.Date(2027, 3, 28, 20, 0, 0, 0, time.UTC))
	e.tick()
	e.wantSent("console:sam", 1, "later that day")
}

func TestDigestRepeatedHourSendsOnce(t *testing.T) {
	// On 31 October 2027 Sofia's clocks go from 04:00 back to 03:00, so
	// 03:30 comes twice (00:30 and 01:30 UTC).
	e := newDigestEnv(t, nil, newClock(time.Date(2027, 10, 30, 12, 0, 0, 0, time.UTC)), nil)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:sam", "/digest settings days=all weekly=off time=03:30", "03:30")
	for _, at := range []time.Time{
		time.Date(2027, 10, 31, 0, 29, 0, 0, time.UTC),
		time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC),
		time.Date(2027, 10, 31, 1, 30, 0, 0, time.UTC),
		time.Date(2027, 10, 31, 1, 31, 0, 0, time.UTC),
	} {
		e.Clock.Set(at)
		e.tick()
	}
	e.wantSent("console:sam", 1, "after both 03:30s")
}

func TestDigestExactlyOnceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() *store.Store {
		st, err := store.Open(store.Options{Dir: filepath.Join(dir, "data")})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	clock := newClock(time.Time{})
	n := &chattest.Notifier{}
	st := open()
	e := newDigestEnv(t, st, clock, n)
	e.At(2026, 11, 26, 8, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.At(2026, 11, 26, 8, 31)
	e.tick()
	e.tick()
	e.wantSent("console:sam", 1, "first run")

	// Restart: a new process (a new Service) on the same data.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open()
	defer st.Close()
	e = newDigestEnv(t, st, clock, n)
	e.tick()
	e.At(2026, 11, 26, 17, 0)
	e.tick()
	e.wantSent("console:sam", 1, "after the restart")

	// Many ticks at once (two schedules firing together): still one.
	e.At(2026, 11, 27, 8, 30)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.tick() }()
	}
	wg.Wait()
	e.wantSent("console:sam", 2, "concurrent ticks on Friday")
}

func TestDigestInterruptedSendIsNotRepeated(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	e.At(2026, 11, 26, 8, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	sam, err := e.Store.PersonByIdentity(context.Background(), "console:sam")
	if err != nil {
		t.Fatal(err)
	}
	// A process claimed Sam's digest at 08:30 and stopped before recording
	// whether it arrived.
	e.At(2026, 11, 26, 8, 30)
	if _, err := e.Store.UpdateDigestDelivery(context.Background(), sam.ID, sam.ID, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), func(d *crm.DigestDelivery) error {
		d.Claim(sam.Identities, e.Clock.Now())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, mm := range []int{31, 50, 59} {
		e.At(2026, 11, 26, 9, mm)
		e.tick()
	}
	e.wantSent("console:sam", 0, "after an interrupted send")
	d, err := e.Store.DigestDelivery(context.Background(), sam.ID, sam.ID, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if st := d.Sends["console:sam"].State; st != crm.SendUnknown {
		t.Fatalf("state %q, want %q", st, crm.SendUnknown)
	}
}

func TestDigestRefusedDeliveryIsRetried(t *testing.T) {
	n := &chattest.Notifier{}
	n.Fail("console:sam", 2)
	e := newDigestEnv(t, nil, newClock(time.Time{}), n)
	e.At(2026, 11, 26, 8, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.At(2026, 11, 26, 8, 30)
	e.tick() // refused
	e.At(2026, 11, 26, 8, 31)
	e.tick() // too early to try again
	e.wantSent("console:sam", 0, "after one refusal")
	e.At(2026, 11, 26, 8, 33)
	e.tick() // refused again
	e.At(2026, 11, 26, 8, 40)
	e.tick() // delivered
	e.At(2026, 11, 26, 9, 40)
	e.tick()
	e.wantSent("console:sam", 1, "after retries")
}

func TestDigestMissedIsCaughtUpSameDayOnly(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	e.At(2026, 11, 25, 12, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	// The bot was down all Thursday morning and starts at 15:00.
	e.At(2026, 11, 26, 15, 0)
	e.tick()
	got := e.wantSent("console:sam", 1, "start on Thursday afternoon")
	if got[0].Reply.Title != "Daily digest · 2026-11-26" {
		t.Fatalf("title %q", got[0].Reply.Title)
	}
	// Down from Thursday evening to Saturday: Friday's digest is not sent
	// late on Saturday (no digest on Saturdays) nor on Monday.
	e.At(2026, 11, 28, 9, 0)
	e.tick()
	e.wantSent("console:sam", 1, "Saturday")
	e.At(2026, 11, 30, 7, 0)
	e.tick()
	e.wantSent("console:sam", 1, "Monday before 08:30")
	e.At(2026, 11, 30, 8, 30)
	e.tick()
	got = e.wantSent("console:sam", 2, "Monday 08:30")
	if !strings.HasPrefix(got[1].Reply.Title, "Weekly digest · 2026-11-23 – 2026-11-29") {
		t.Fatalf("Monday's title %q", got[1].Reply.Title)
	}
}

func TestDigestWeeklyOnMonday(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	e.At(2026, 11, 20, 12, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:admin", `/appoint console:maria manager "Maria Petrova" reports=@Sam`, "Maria")
	e.Must("console:maria", "/client add Acme", "Saved")
	for _, d := range []int{23, 25, 27} { // Mon, Wed, Fri: one talk each
		e.At(2026, 11, d, 11, 0)
		e.Must("console:maria", "/log Acme: talked", "Saved")
	}
	e.At(2026, 11, 30, 8, 30) // Monday
	e.tick()
	e.At(2026, 11, 30, 18, 0)
	e.tick()
	got := e.wantSent("console:sam", 1, "Monday")
	rep := got[0].Reply
	if rep.Title != "Weekly digest · 2026-11-23 – 2026-11-29" {
		t.Fatalf("title %q", rep.Title)
	}
	if !strings.Contains(rep.Text, "Maria Petrova — conversations: 3") {
		t.Fatalf("weekly counts the week's three talks:\n%s", rep.Text)
	}
	// Tuesday's daily digest covers Monday only.
	e.At(2026, 12, 1, 8, 30)
	e.tick()
	got = e.wantSent("console:sam", 2, "Tuesday")
	if rep := got[1].Reply; rep.Title != "Daily digest · 2026-12-01" || !strings.Contains(rep.Text, "2026-11-30: conversations 0") {
		t.Fatalf("Tuesday:\n%s\n%s", rep.Title, rep.Text)
	}
	// weekly=off: a daily digest on Mondays, covering Friday to Sunday.
	e.Must("console:sam", "/digest settings weekly=off", "Mon–Fri at 08:30")
	e.At(2026, 12, 7, 8, 30)
	e.tick()
	got = e.wantSent("console:sam", 3, "next Monday")
	if rep := got[2].Reply; rep.Title != "Daily digest · 2026-12-07" || !strings.Contains(rep.Text, "2026-12-04 – 2026-12-06") {
		t.Fatalf("Monday without weekly:\n%s\n%s", rep.Title, rep.Text)
	}
}

func TestDigestSettings(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	e.At(2026, 11, 25, 12, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:admin", `/appoint console:maria manager "Maria Petrova" reports=@Sam`, "Maria")
	tests := []struct{ who, in, want string }{
		{"console:sam", "/digest settings", "Your digest comes Mon–Fri at 08:30 (Europe/Sofia). Weekly digest instead of the daily one: Monday."},
		{"console:sam", "/digest settings time=07:45", "Saved. Your digest comes Mon–Fri at 07:45"},
		{"console:sam", "/digest settings days=mon,wed,fri", "comes Mon, Wed, Fri at 07:45"},
		{"console:sam", "/digest settings days=sat-mon", "comes Mon, Sat, Sun at 07:45"},
		{"console:sam", "/digest settings days=mon-fri weekly=fri", "comes Mon–Fri at 07:45 (Europe/Sofia). Weekly digest instead of the daily one: Friday."},
		{"console:sam", "/digest settings weekly", "comes weekly: Friday at 07:45"},
		{"console:sam", "/digest settings daily weekly=off", "comes Mon–Fri at 07:45 (Europe/Sofia)."},
		{"console:sam", "/digest settings off", "Your digest is off"},
		{"console:sam", "/digest settings on time=08:30 weekly=mon", "comes Mon–Fri at 08:30 (Europe/Sofia). Weekly digest instead of the daily one: Monday."},
		// Bulgarian words.
		{"console:sam", "/обзор настройки час=7:15 дни=пон-чт седмичен=не", "comes Mon–Thu at 07:15"},
		{"console:sam", "/digest settings дни=всички изкл", "is off"},
		{"console:sam", "/digest settings вкл дни=делнични седмичен=пон час=08:30", "comes Mon–Fri at 08:30"},
		// Refusals change nothing.
		{"console:sam", "/digest settings time=25:00", `"25:00" is not a time of day`},
		{"console:sam", "/digest settings days=someday", `"someday" are not days I know`},
		{"console:sam", "/digest settings weekly=mon,tue", "weekly= takes one day"},
		{"console:sam", "/digest settings days=none weekly=off", "No day is left"},
		{"console:sam", "/digest settings loud", "Usage: /digest settings"},
		{"console:sam", "/digest settings", "comes Mon–Fri at 08:30"},
		// A manager's digest is off until they opt in.
		{"console:maria", "/digest settings", "Your digest is off"},
	}
	for _, tt := range tests {
		e.Must(tt.who, tt.in, tt.want)
	}
	e.At(2026, 11, 26, 9, 0)
	e.tick()
	e.wantSent("console:maria", 0, "manager not opted in")
	e.Must("console:maria", "/digest settings on", "comes Mon–Fri at 08:30")
	e.tick()
	got := e.wantSent("console:maria", 1, "manager opted in")
	if got[0].Reply.Title != "Daily digest · 2026-11-26" {
		t.Fatalf("title %q", got[0].Reply.Title)
	}
	// Moving the time after today's digest went out sends no second one.
	e.Must("console:maria", "/digest settings time=09:30", "09:30")
	e.At(2026, 11, 26, 9, 45)
	e.tick()
	e.wantSent("console:maria", 1, "time changed after sending")
	// Turned off: nothing on Friday.
	e.Must("console:maria", "/digest settings off", "is off")
	e.At(2026, 11, 27, 10, 0)
	e.tick()
	e.wantSent("console:maria", 1, "turned off")
	// In Bulgarian, the answer is in Bulgarian.
	e.Must("console:sam", "/lang bg", "")
	e.Must("console:sam", "/digest settings", "Обзорът ви идва пон–пет в 08:30 (Europe/Sofia). Седмичен обзор вместо дневния: понеделник.")
}

func TestDigestForDeputy(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	e.At(2026, 11, 20, 12, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:admin", `/appoint console:maria manager "Maria Petrova" reports=@Sam`, "Maria")
	e.Must("console:admin", `/appoint console:ivan manager "Ivan Ivanov" reports=@Sam`, "Ivan")
	e.Must("console:sam", "/digest settings off", "off")
	e.Must("console:maria", "/digest settings on", "08:30")
	e.Must("console:maria", "/client add Maria Co", "Saved")
	e.Must("console:maria", "/remind Maria Co: call the buyer by 2026-11-24", "T-1")
	e.Must("console:maria", "/delegate @Ivan from 2026-11-26 to 2026-11-27: leave", "Saved")

	e.At(2026, 11, 26, 8, 30)
	e.tick()
	e.tick()
	e.wantSent("console:maria", 1, "the absent person")
	got := e.wantSent("console:ivan", 1, "the deputy")
	rep := got[0].Reply
	if rep.Title != "Daily digest · 2026-11-26 · for Maria Petrova (you stand in)" || !strings.Contains(rep.Text, "T-1 · overdue since 2026-11-24 · Maria Co: call the buyer") {
		t.Fatalf("deputy's digest:\n%s\n%s", rep.Title, rep.Text)
	}
	if b := rep.Buttons[0][0].Data; !strings.Contains(b, "/digest full day @#") {
		t.Fatalf("details button %q", b)
	}
	// Pressing Details works for the deputy.
	e.Must("console:ivan", rep.Buttons[0][0].Data, "for Maria Petrova (you stand in) · details", "call the buyer")
	// Asked for, /digest gives the deputy's own digest and Maria's.
	e.Must("console:ivan", "/digest", "Daily digest · 2026-11-26\n", "for Maria Petrova (you stand in)")
	// After the delegation the deputy gets nothing of Maria's.
	e.At(2026, 11, 30, 8, 30)
	e.tick()
	e.wantSent("console:ivan", 1, "after the delegation")
	e.Must("console:ivan", "/digest @Maria", "not Maria Petrova's")
	// Sam, her supervisor, may look at her personal digest.
	e.Must("console:sam", "/digest @Maria", "Weekly digest · 2026-11-23 – 2026-11-30 · Maria Petrova", "call the buyer")
}

// digestGoldenData builds a fixed team: Sam supervises Maria and Petar;
// Ivan works outside the team. It leaves the clock at Thursday 26
// November 2026, 10:00 in Sofia.
func digestGoldenData(e *digestEnv) {
	e.At(2026, 10, 1, 9, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:admin", `/appoint console:maria manager "Maria Petrova" reports=@Sam`, "Maria")
	e.Must("console:admin", `/appoint console:petar manager "Petar Georgiev" reports=@Sam`, "Petar")
	e.Must("console:admin", `/appoint console:ivan manager "Ivan Ivanov"`, "Ivan")
	// Clients added on 1 October and never touched are stale by now.
	for _, c := range []string{"Acme Ltd", "Beta Foods", "Gamma Pumps"} {
		e.Must("console:maria", "/client add "+c, "Saved")
	}
	for _, c := range []string{"Delta Build", "Omega Textile"} {
		e.Must("console:petar", "/client add "+c, "Saved")
	}
	e.Must("console:ivan", "/client add Ivan Trade", "Saved")
	e.At(2026, 11, 18, 15, 0)
	e.Must("console:petar", "/log Delta Build: visit, talked about spring orders #visit", "Saved")
	e.Must("console:maria", "/remind Beta Foods: send the price list by 2026-11-20", "T-")
	e.At(2026, 11, 23, 11, 0)
	e.Must("console:maria", "/log Acme Ltd: call about the new order #call next: send the offer by 2026-11-24", "Saved")
	e.At(2026, 11, 25, 10, 0)
	e.Must("console:maria", "/log Acme Ltd: they asked for a discount #call", "Saved")
	e.At(2026, 11, 25, 16, 0)
	e.Must("console:maria", "/log Gamma Pumps: first meeting #meeting", "Saved")
	e.Must("console:petar", "/remind Omega Textile: visit by 2026-11-27", "T-")
	e.Must("console:ivan", "/remind Ivan Trade: call by 2026-11-10", "T-")
	e.At(2026, 11, 26, 10, 0)
}

func TestDigestGolden(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	digestGoldenData(e)
	var b strings.Builder
	show := func(name string, replies []bot.Reply) {
		fmt.Fprintf(&b, "==== %s\n", name)
		for _, r := range replies {
			b.WriteString(r.PlainText() + "\n")
			for _, row := range r.Buttons {
				for _, btn := range row {
					fmt.Fprintf(&b, "[%s → %s] ", btn.Label, btn.Data)
				}
				b.WriteString("\n")
			}
			if r.Image != nil {
				b.WriteString("(image)\n")
			}
		}
	}
	ask := func(name, who, text string) {
		show(name, e.Send(who, text).Replies)
	}
	ask("supervisor /digest", "console:sam", "/digest")
	ask("supervisor /digest full", "console:sam", "/digest full")
	ask("manager /digest", "console:maria", "/digest")
	ask("head /digest week", "console:admin", "/digest week")
	e.Must("console:sam", "/lang bg", "")
	ask("supervisor /обзор (bg)", "console:sam", "/обзор")
	// The scheduled digest of Friday, as delivered.
	e.At(2026, 11, 27, 8, 30)
	e.tick()
	var sent []bot.Reply
	for _, n := range e.Notes.To("console:sam") {
		sent = append(sent, n.Reply)
	}
	show("scheduled Friday (bg)", sent)

	golden.Check(t, filepath.Join("testdata", "digest.golden"), b.String())
}
