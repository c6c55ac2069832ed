package push_test

import (
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
)

// pushEnv is the shared chat environment (handlerstest) whose service
// notifies Notes, at Thursday 26 November 2026, 10:00 in Sofia.
type pushEnv struct{ *handlerstest.Env }

// newPushEnv starts a service that notifies, with the head's client Acme
// Ltd.
func newPushEnv(t *testing.T) *pushEnv {
	t.Helper()
	e := &pushEnv{handlerstest.New(t, chattest.Options{Notify: true})}
	e.Must("console:admin", `/client add "Acme Ltd"`, "Saved")
	return e
}

// newSettingsEnv starts a service that notifies nobody: /me and /link
// need no notifier.
func newSettingsEnv(t *testing.T) *pushEnv {
	t.Helper()
	return &pushEnv{handlerstest.New(t, chattest.Options{})}
}

// tick runs the scheduled jobs once.
func (e *pushEnv) tick() { e.Svc.RunJobs(e.Ctx) }

// tickAt sets the clock to the date and time and runs the scheduled jobs
// once.
func (e *pushEnv) tickAt(y int, m time.Month, d, hh, mm int) {
	e.At(y, m, d, hh, mm)
	e.tick()
}

// restart returns a new service over the same store, clock and notifier.
func (e *pushEnv) restart() *pushEnv { return &pushEnv{e.Restart()} }

// pushed returns the notices to identity whose title contains title.
func (e *pushEnv) pushed(identity, title string) []chattest.Note {
	var out []chattest.Note
	for _, n := range e.Notes.To(identity) {
		if strings.Contains(n.Reply.Title, title) {
			out = append(out, n)
		}
	}
	return out
}

// wantPushed fails unless identity got n notices titled title so far, and
// returns them.
func (e *pushEnv) wantPushed(identity, title string, n int, when string) []chattest.Note {
	e.T.Helper()
	got := e.pushed(identity, title)
	if len(got) != n {
		var all []string
		for _, g := range e.Notes.To(identity) {
			all = append(all, g.Reply.Title+": "+g.Reply.Text)
		}
		e.T.Fatalf("%s: %s got %d %q, want %d; all: %q", when, identity, len(got), title, n, all)
	}
	return got
}

// buttonData lists the commands of a reply's buttons.
func buttonData(r bot.Reply) []string {
	var out []string
	for _, row := range r.Buttons {
		for _, b := range row {
			out = append(out, b.Label+"="+b.Data)
		}
	}
	return out
}

func TestReminderRingsAtItsTimeOnce(t *testing.T) {
	e := newPushEnv(t)
	e.Must("console:admin", "/remind acme: call about the contract by today 10:30", "T-1", "2026-11-26 10:30")
	e.Must("console:admin", "/today", "T-1 · 10:30 · Acme Ltd: call about the contract")
	e.tickAt(2026, 11, 26, 10, 29)
	e.wantPushed("console:admin", "Reminder", 0, "10:29")
	e.tickAt(2026, 11, 26, 10, 30)
	got := e.wantPushed("console:admin", "Reminder", 1, "10:30")[0].Reply
	if !strings.Contains(got.Text, "T-1 · Acme Ltd: call about the contract") || strings.Contains(got.Text, "Late") {
		t.Errorf("reminder text %q", got.Text)
	}
	buttons := strings.Join(buttonData(got), " | ")
	for _, want := range []string{"/task done T-1", "+1 hour=/task later T-1", "/task tomorrow T-1", "Card=/client #1"} {
		if !strings.Contains(buttons, want) {
			t.Errorf("buttons %q lack %q", buttons, want)
		}
	}
	e.tick()
	e.tickAt(2026, 11, 26, 10, 31)
	e.wantPushed("console:admin", "Reminder", 1, "after it rang")

	// A restart (a new service over the same store) does not ring it again.
	e2 := e.restart()
	e2.tick()
	e.wantPushed("console:admin", "Reminder", 1, "after a restart")
}

func TestReminderPostponeAndDone(t *testing.T) {
	e := newPushEnv(t)
	e.Must("console:admin", "/remind acme: send the offer by today 10:30", "T-1")
	e.tickAt(2026, 11, 26, 10, 30)
	e.wantPushed("console:admin", "Reminder", 1, "10:30")

	// +1 hour: rings again an hour after the press.
	e.Must("console:admin", "/task later T-1", "2026-11-26 11:30")
	e.tickAt(2026, 11, 26, 11, 29)
	e.wantPushed("console:admin", "Reminder", 1, "11:29")
	e.tickAt(2026, 11, 26, 11, 30)
	e.wantPushed("console:admin", "Reminder", 2, "11:30")

	// Tomorrow: the same time of day on the next day.
	e.Must("console:admin", "/task tomorrow T-1", "2026-11-27 11:30")
	e.tickAt(2026, 11, 27, 11, 30)
	e.wantPushed("console:admin", "Reminder", 3, "next day")

	// Moved to a date and time, then done before it rings: silence.
	e.Must("console:admin", "/task move T-1 today 15:00", "2026-11-27 15:00")
	e.Must("console:admin", "/task done T-1", "Done: T-1")
	e.tickAt(2026, 11, 27, 15, 0)
	e.wantPushed("console:admin", "Reminder", 3, "done")
}

func TestReminderMissedWhileDown(t *testing.T) {
	e := newPushEnv(t)
	e.Must("console:admin", "/remind acme: call back by today 10:30", "T-1")
	e.Must("console:admin", "/remind acme: old one by today 11:00", "T-2")
	// The bot was down from 10:00 to 12:00: T-1 and T-2 ring at start, late.
	e.tickAt(2026, 11, 26, 12, 0)
	got := e.wantPushed("console:admin", "Reminder", 2, "12:00")
	for _, g := range got {
		if !strings.Contains(g.Reply.Text, "Late: it was due at 2026-11-26") {
			t.Errorf("missed reminder not marked late: %q", g.Reply.Text)
		}
	}

	// Down for more than a day: it only waits in the agenda, overdue.
	e.Must("console:admin", "/remind acme: long missed by today 13:00", "T-3")
	e.tickAt(2026, 11, 27, 14, 0)
	e.wantPushed("console:admin", "Reminder", 2, "a day later")
	e.Must("console:admin", "/today", "overdue since 2026-11-26", "Acme Ltd: long missed")

	// A time already past when typed rings at once, not marked late.
	e.Must("console:admin", "/remind acme: now please by today 09:00", "T-4")
	e.tick()
	last := e.wantPushed("console:admin", "Reminder", 3, "past time")[2].Reply
	if strings.Contains(last.Text, "Late") || !strings.Contains(last.Text, "now please") {
		t.Errorf("past-time reminder %q", last.Text)
	}
}

func TestReminderForms(t *testing.T) {
	e := newPushEnv(t)
	e.Must("console:admin", "/lang bg", "")
	// Bulgarian command, date and time words.
	e.Must("console:admin", "/напомни акме: обаждане до утре 9:15", "T-1", "27.11.2026 09:15")
	e.Must("console:admin", "/напомни акме: среща до петък в 14:30", "T-2", "27.11.2026 14:30")
	// A day and month without a year is a date, not a time.
	e.Must("console:admin", "/напомни акме: фактура до 15.12", "T-3", "15.12.2026")
	e.Must("console:admin", "/напомни акме: лош час до утре 25:00", "25:00")
	// A next step with a time rings for the client's owner.
	e.Must("console:admin", "/запиши акме: говорихме next: изпрати оферта до утре 11:00", "T-4", "27.11.2026 11:00")
	e.tickAt(2026, 11, 27, 9, 15)
	got := e.wantPushed("console:admin", "Напомняне", 1, "09:15")[0].Reply
	if !strings.Contains(got.Text, "Acme Ltd: обаждане") || !strings.Contains(strings.Join(buttonData(got), " "), "+1 час") {
		t.Errorf("bg reminder %q %q", got.Text, buttonData(got))
	}
	e.tickAt(2026, 11, 27, 11, 0)
	if got := e.wantPushed("console:admin", "Напомняне", 2, "11:00")[1].Reply; !strings.Contains(got.Text, "T-4 · Acme Ltd: изпрати оферта") {
		t.Errorf("next step reminder %q", got.Text)
	}
}

func TestReminderRingsInTheAssigneesZone(t *testing.T) {
	e := newPushEnv(t)
	e.Must("console:admin", "/me tz=Asia/Tokyo", "Time zone: Asia/Tokyo")
	// 10:00 in Sofia is 17:00 in Tokyo; 18:00 Tokyo is 11:00 Sofia.
	e.Must("console:admin", "/remind acme: evening call by today 18:00", "2026-11-26 18:00")
	e.tickAt(2026, 11, 26, 10, 59)
	e.wantPushed("console:admin", "Reminder", 0, "10:59 Sofia")
	e.tickAt(2026, 11, 26, 11, 0)
	e.wantPushed("console:admin", "Reminder", 1, "11:00 Sofia")
}

func TestReminderUndeliveredIsRetriedThenMarked(t *testing.T) {
	e := newPushEnv(t)
	e.Notes.Fail("console:admin", 100)
	e.Must("console:admin", "/remind acme: call back by today 10:30", "T-1")
	e.tickAt(2026, 11, 26, 10, 30)
	e.Notes.Fail("console:admin", 0)
	e.tick() // not again before the pause
	e.wantPushed("console:admin", "Reminder", 0, "retry pause")
	e.Clock.Add(crm.ReminderRetry)
	e.tick()
	e.wantPushed("console:admin", "Reminder", 1, "retried")

	// Refused every time: after the last try the person is unreachable.
	e.Notes.Fail("console:admin", 100)
	e.Must("console:admin", "/remind acme: another by today 11:00", "T-2")
	e.At(2026, 11, 26, 11, 0)
	for i := 0; i < crm.ReminderTries+1; i++ {
		e.tick()
		e.Clock.Add(crm.ReminderRetry)
	}
	p, err := e.Store.PersonByIdentity(e.Ctx, "console:admin")
	if err != nil || !p.Unreachable {
		t.Fatalf("admin not marked unreachable: %v %+v", err, p)
	}

	// A person whose only app is not running here (a console user while
	// the bot serves Telegram) is not unreachable: the reminder waits.
	e.Notes.Fail("console:admin", 0)
	e.Must("console:admin", "/today", "") // clears the mark
	e.Notes.Away("console:admin", true)
	e.Must("console:admin", "/remind acme: while away by today 12:00", "T-3")
	e.At(2026, 11, 26, 12, 0)
	for i := 0; i < crm.ReminderTries+1; i++ {
		e.tick()
		e.Clock.Add(crm.ReminderRetry)
	}
	if p, err := e.Store.PersonByIdentity(e.Ctx, "console:admin"); err != nil || p.Unreachable {
		t.Fatalf("a person not here was marked unreachable: %v %+v", err, p)
	}
}

func TestMorningAgenda(t *testing.T) {
	e := newPushEnv(t)
	e.Team()
	e.Must("console:maria", `/client add "Beta AD"`, "Saved")
	e.Must("console:maria", "/remind beta: send prices by tomorrow", "T-1")
	e.Must("console:ivan", `/client add "Gamma"`, "Saved")

	// Friday 27 November: 08:59 nothing; 09:00 Maria gets her /today;
	// Ivan, with nothing due, gets nothing.
	e.tickAt(2026, 11, 27, 8, 59)
	e.wantPushed("console:maria", "Good morning", 0, "08:59")
	e.tickAt(2026, 11, 27, 9, 0)
	got := e.wantPushed("console:maria", "Good morning", 1, "09:00")[0].Reply
	if !strings.Contains(got.Title, "Today, 2026-11-27: 1 item") || !strings.Contains(got.Text, "Beta AD: send prices") || len(got.Buttons) == 0 {
		t.Errorf("agenda %q %q %v", got.Title, got.Text, got.Buttons)
	}
	e.wantPushed("console:ivan", "Good morning", 0, "nothing due")
	e.tickAt(2026, 11, 27, 9, 30)
	e.wantPushed("console:maria", "Good morning", 1, "once a day")

	// Saturday and Sunday are skipped, overdue or not.
	for _, d := range []int{28, 29} {
		e.tickAt(2026, 11, d, 9, 0)
	}
	e.wantPushed("console:maria", "Good morning", 1, "weekend")

	// Her own time, in her own zone; a closed day of the company is skipped.
	e.Must("console:maria", "/agenda 08:15", "08:15")
	e.Must("console:admin", "/claims settings closed=2026-12-01", "2026-12-01")
	e.tickAt(2026, 11, 30, 8, 14)
	e.wantPushed("console:maria", "Good morning", 1, "Mon 08:14")
	e.tickAt(2026, 11, 30, 8, 15)
	e.wantPushed("console:maria", "Good morning", 2, "Mon 08:15")
	e.tickAt(2026, 12, 1, 8, 15)
	e.wantPushed("console:maria", "Good morning", 2, "closed day")

	// Off stops it; on restarts it.
	e.Must("console:maria", "/agenda off", "off")
	e.tickAt(2026, 12, 2, 8, 15)
	e.wantPushed("console:maria", "Good morning", 2, "off")
	e.Must("console:maria", "/програма вкл", "08:15")
	e.tickAt(2026, 12, 3, 8, 15)
	e.wantPushed("console:maria", "Good morning", 3, "on again")

	// A restart on the same morning does not send it twice.
	e2 := e.restart()
	e2.tick()
	e.wantPushed("console:maria", "Good morning", 3, "restart")
}

func TestWeeklyStaleNudge(t *testing.T) {
	e := newPushEnv(t)
	e.Team()
	for _, c := range []string{`"Small One"`, `"Big Key" level=key`, `"Other"`} {
		e.Must("console:maria", "/client add "+c, "Saved")
	}
	e.Must("console:maria", "/remind small: something by today", "T-1")
	// Five weeks later, Monday 4 January 2027 (1 January, a Friday, is the
	// holiday): all three are stale.
	e.Must("console:admin", "/claims settings holidays=bg", "")
	e.tickAt(2027, 1, 4, 9, 0)
	got := e.wantPushed("console:maria", "need an update", 1, "Monday")[0].Reply
	if !strings.HasPrefix(got.Title, "3 clients") {
		t.Errorf("nudge title %q", got.Title)
	}
	lines := strings.Split(got.Text, "\n")
	if !strings.Contains(lines[0], "Big Key ★") {
		t.Errorf("key account not first: %q", got.Text)
	}
	buttons := strings.Join(buttonData(got), " | ")
	if !strings.Contains(buttons, "still current=/client #") || !strings.Contains(buttons, " ok") || !strings.Contains(buttons, "Log a talk=/log #") {
		t.Errorf("nudge buttons %q", buttons)
	}
	// Once a week: not on Tuesday.
	e.tickAt(2027, 1, 5, 9, 0)
	e.wantPushed("console:maria", "need an update", 1, "Tuesday")
	// Confirming one from the button makes it current.
	e.Must("console:maria", "/client #3 ok", "")
	e.tickAt(2027, 1, 11, 9, 0)
	if got := e.wantPushed("console:maria", "need an update", 2, "next Monday")[1].Reply; !strings.HasPrefix(got.Title, "2 clients") {
		t.Errorf("after a confirmation %q", got.Title)
	}
}

func TestMeSettings(t *testing.T) {
	e := newSettingsEnv(t)
	e.Team()
	e.Must("console:maria", "/me", "Your settings, Maria Petrova", "Role: account manager", "Language: en", "Time zone: Europe/Sofia", "Agenda: 09:00", "E-mail: —", "Accounts: console:maria")
	e.Must("console:maria", "/me email=maria@example.com tz=Asia/Tokyo", "Saved", "E-mail: maria@example.com", "Time zone: Asia/Tokyo")
	e.Must("console:maria", "/me lang=bg agenda=off", "Записано", "Език: bg", "Програма: изключена")
	e.Must("console:maria", "/аз имейл=nope", "не е имейл адрес")
	e.Must("console:maria", "/аз зона=Mars/Olympus", "Не познавам часова зона")
	e.Must("console:maria", "/аз цвят=син", "Употреба")
	p, err := e.Store.PersonByIdentity(e.Ctx, "console:maria")
	if err != nil || p.Email != "maria@example.com" || p.TZ != "Asia/Tokyo" || p.Lang != "bg" || !p.AgendaOff {
		t.Fatalf("settings not stored: %v %+v", err, p)
	}
}

func TestLinkJoinsAnotherIdentity(t *testing.T) {
	e := newSettingsEnv(t)
	e.Team()
	e.Must("console:maria", `/client add "Beta AD"`, "Saved")
	code := linkCode(t, e.Must("console:maria", "/link", "link code", "10 minutes"))

	// An unknown identity without a code still sees nothing.
	e.Must("telegram:555", "/clients", "telegram:555")
	e.Must("telegram:555", "/link WRONG1", "unknown, used or expired", "telegram:555")
	e.Must("telegram:555", "/link "+code, "Linked", "telegram:555", "Maria Petrova")
	// Same person: same role, records and settings.
	e.Must("telegram:555", "/clients", "Beta AD")
	e.Must("telegram:555", "/me", "console:maria, telegram:555", "account manager")
	// A code works once.
	e.Must("slack:U9", "/link "+code, "unknown, used or expired")
	e.Must("slack:U9", "/clients", "slack:U9")

	// An expired code does not work.
	code = linkCode(t, e.Say("console:maria", "/link"))
	e.Clock.Add(crm.LinkTTL)
	e.Must("slack:U9", "/link "+code, "unknown, used or expired")

	// A known identity cannot take a code: it is someone already.
	code = linkCode(t, e.Say("console:maria", "/link"))
	e.Must("console:ivan", "/link "+code, "already belongs to a person")

	// Unlink: one's own, never the last; a head may unlink anyone's.
	e.Must("console:ivan", "/unlink telegram:555", "none of your accounts")
	e.Must("console:maria", "/unlink telegram:555", "Removed telegram:555")
	e.Must("telegram:555", "/clients", "I don't know you")
	e.Must("console:maria", "/unlink console:maria", "only account left")
	code = linkCode(t, e.Say("console:maria", "/link"))
	e.Must("slack:U7", "/свържи "+code, "Linked")
	e.Must("console:admin", "/unlink slack:U7", "Removed slack:U7")
}

// linkCode reads the code out of /link's answer.
func linkCode(t *testing.T, reply string) string {
	t.Helper()
	for _, w := range strings.Fields(reply) {
		if strings.HasPrefix(reply[strings.Index(reply, w):], w+" (") {
			return w
		}
	}
	t.Fatalf("no code in %q", reply)
	return ""
}

func TestSupervisorDigestListsUnreachablePeople(t *testing.T) {
	e := newPushEnv(t)
	e.Team()
	e.Must("console:sam", "/digest", "Nothing needs you")
	e.Notes.Fail("console:maria", 100)
	e.Must("console:maria", `/client add "Beta AD"`, "Saved")
	e.Must("console:maria", "/agenda off", "off")
	e.Must("console:maria", "/remind beta: call by today 10:30", "T-1")
	e.At(2026, 11, 26, 10, 30)
	for i := 0; i < crm.ReminderTries; i++ {
		e.tick()
		e.Clock.Add(crm.ReminderRetry)
	}
	e.Must("console:sam", "/digest", "Maria Petrova cannot be reached")
	e.MustNot("console:ivan", "/digest", "cannot be reached")
	// A message from her clears it.
	e.Must("console:maria", "/today", "")
	e.MustNot("console:sam", "/digest", "cannot be reached")
}
