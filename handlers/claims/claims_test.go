package claims_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
)

// claimsEnv is the shared chat environment (handlerstest) with the
// company the claims tests start from.
type claimsEnv struct{ *handlerstest.Env }

// monday10 is Monday 2 March 2026, 10:00 in Sofia.
func monday10(loc *time.Location) time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, loc) }

// newClaimsEnv starts a service over an in-memory store at Monday 10:00
// in Sofia, with a head (console:admin), a supervisor Ivan, his managers
// Maria and Petar, and Georgi who reports to nobody; Maria owns Acme and
// Beta, Petar owns Gamma, Georgi owns Delta.
func newClaimsEnv(t testing.TB) *claimsEnv {
	t.Helper()
	sofia := chattest.Sofia(t)
	e := &claimsEnv{handlerstest.New(t, chattest.Options{Now: monday10(sofia), TZ: sofia, Notify: true})}
	e.Appoint(
		"/appoint console:ivan supervisor Ivan",
		"/appoint console:maria manager Maria reports=@Ivan",
		"/appoint console:petar manager Petar reports=@Ivan",
		"/appoint console:georgi manager Georgi",
	)
	e.Must("maria", "/client add Acme city=Sofia", "Saved")
	e.Must("maria", "/client add Beta", "Saved")
	e.Must("petar", "/client add Gamma", "Saved")
	e.Must("georgi", "/client add Delta", "Saved")
	return e
}

// claim returns the stored claim with id.
func (e *claimsEnv) claim(id uint64) *crm.Claim {
	e.T.Helper()
	c, err := e.Store.Claim(e.Ctx, id)
	if err != nil {
		e.T.Fatal(err)
	}
	return c
}

// notesTo returns what identity was sent by the bot itself, leaving out
// the scheduled digests (they run in the same jobs).
func (e *claimsEnv) notesTo(identity string) []bot.Reply {
	var out []bot.Reply
	for _, r := range e.Notes.Replies(identity) {
		if !chattest.IsDigest(r) {
			out = append(out, r)
		}
	}
	return out
}

func TestClaimsRecord(t *testing.T) {
	e := newClaimsEnv(t)
	rec := e.Send("maria", `/claim Acme: 3 pallets arrived broken severity=high category=delivery remedy="replace them"`)
	text := rec.Text()
	for _, want := range []string{"Saved: claim C-1 from Acme — high · delivery.", "Acknowledge by 2026-03-03 10:00 · resolve by 2026-03-09 10:00", "The client asks for: replace them"} {
		if !strings.Contains(text, want) {
			t.Errorf("reply:\n%s\nwant %q", text, want)
		}
	}
	if !chattest.HasButton(rec, "/claim ack C-1") || !chattest.HasButton(rec, "/claim C-1") {
		t.Errorf("no next-step buttons: %+v", rec.Replies)
	}
	c := e.claim(1)
	if c.Text != "3 pallets arrived broken" || c.Remedy != "replace them" || c.Severity != crm.SeverityHigh || c.Category != "delivery" ||
		c.Status != crm.ClaimNew || c.ReporterID != e.Person("maria").ID || c.OwnerID != e.Person("maria").ID {
		t.Errorf("stored claim = %+v", c)
	}

	// Defaults: medium and other; a custom category is kept.
	e.Must("maria", "/claim Beta: the invoice is late", "C-2", "medium · other", "Acknowledge by 2026-03-04 10:00 · resolve by 2026-03-16 10:00")
	e.Must("maria", "/claim Beta: torn boxes category=Packaging", "C-3", "medium · packaging")
	// Received on Friday evening: the clock waits for Monday.
	e.Clock.Set(time.Date(2026, 3, 6, 17, 0, 0, 0, e.TZ))
	e.Must("maria", "/claim Acme: line stopped severity=critical", "C-4", "Acknowledge by 2026-03-09 12:00 · resolve by 2026-03-10 17:00")

	// Bulgarian command, keys and words.
	e.Must("maria", "/lang bg", "")
	e.Must("maria", "/рекламация Акме: грешно количество тежест=критична категория=качество искане=\"нова доставка\"",
		"Записано: рекламация C-5 от Acme — критична · качество.", "Потвърждение до 09.03.2026 12:00 · решаване до 10.03.2026 17:00", "Клиентът иска: нова доставка")

	// Client names that start with a sub-word are still clients.
	e.Must("maria", "/client add Note Ltd", "")
	e.Must("maria", "/client add Нова Звезда", "")
	e.Must("maria", "/claim Note Ltd: wrong labels", "рекламация C-6 от Note Ltd")
	e.Must("maria", "/claim нова Нова Звезда: счупено", "рекламация C-7 от Нова Звезда")
	e.Must("maria", "/claim Нова Звезда: пак", "рекламация C-8 от Нова Звезда")
	e.Must("maria", "/claim new Acme: again", "рекламация C-9 от Acme")

	// Errors change nothing.
	e.Must("maria", "/claim Acme: x severity=huge", "„huge“ не е тежест")
	e.Must("maria", "/claim Acme", "Употреба: /рекламация")
	e.Must("maria", "/claim Nobody: x", "Нямате клиент")
	if _, err := e.Store.Claim(e.Ctx, 10); !crm.IsNotFound(err) {
		t.Errorf("a refused claim was stored: %v", err)
	}
	// Petar cannot record a claim on Maria's client.
	e.Must("petar", "/claim Acme: x", "No client of yours matches")
}

func TestClaimsLifecycle(t *testing.T) {
	e := newClaimsEnv(t)
	e.Must("maria", "/claim Acme: 3 pallets arrived broken severity=high category=delivery", "C-1")
	at := func(d, h int) { e.Clock.Set(time.Date(2026, 3, d, h, 0, 0, 0, e.TZ)) }

	at(2, 11)
	rec := e.Send("maria", "/claim ack C-1")
	if !strings.Contains(rec.Text(), "C-1 acknowledged. Resolve by 2026-03-09 10:00") || !chattest.HasButton(rec, "/claim investigate C-1") || chattest.HasButton(rec, "/claim ack C-1") {
		t.Fatalf("ack reply: %s %+v", rec.Text(), rec.Replies)
	}
	e.Must("maria", "/claim ack C-1", "C-1 is acknowledged: you cannot acknowledge it now.")
	e.Must("maria", "/claim investigate C-1", "C-1 is under investigation.")
	e.Must("maria", "/claim note C-1: the warehouse says the pallets left damaged", "note on C-1")
	e.Must("maria", "/claim note C-1", "Usage: /claim note")
	e.Must("maria", "/claim assign C-1 @Petar", "C-1 is assigned to Petar.")
	if n := e.notesTo("console:petar"); len(n) != 1 || !strings.Contains(n[0].Text, "Maria assigned claim C-1 from Acme to you") {
		t.Errorf("assignee not told: %+v", n)
	}
	at(3, 9)
	e.Must("petar", "/claim respond C-1: we replace the pallets on Thursday", "response on C-1")
	// No cause: refused, and nothing changes.
	before := e.claim(1)
	e.Must("petar", "/claim resolve C-1: replaced", "A resolved claim needs a root cause: /claim resolve C-1")
	e.Must("petar", "/claim resolve C-1: replaced cause=x action=maybe", `action must be corrective, preventive or none, not "maybe"`)
	if after := e.claim(1); len(after.Timeline) != len(before.Timeline) || after.Status != crm.ClaimResponded {
		t.Fatalf("a refused resolve changed the claim: %+v", after)
	}
	at(5, 12)
	rec = e.Send("petar", `/claim resolve C-1: replaced all 3 pallets cause="loading at the warehouse" action=corrective`)
	if !strings.Contains(rec.Text(), "C-1 resolved. Root cause: loading at the warehouse (corrective action).") || !strings.Contains(rec.Text(), "Within the SLA.") || !chattest.HasButton(rec, "/claim satisfied C-1 4") {
		t.Fatalf("resolve reply: %s", rec.Text())
	}
	e.Must("petar", "/claim reject C-1: not ours", "C-1 is resolved: you cannot reject it until it is reopened (/claim reopen C-1: reason).")
	e.Must("maria", "/claim satisfied C-1 9", "Satisfaction is a number from 1")
	e.Must("maria", "/claim satisfied C-1 4", "satisfaction with C-1 is 4/5")
	e.Must("maria", "/claim reopen C-1", "Reopening needs a reason")
	at(9, 10)
	e.Must("maria", "/claim reopen C-1: the replacement is damaged too", "C-1 reopened", "Acknowledge by 2026-03-10 10:00 · resolve by 2026-03-16 10:00")
	e.Must("maria", "/claim reject C-1: damage happened after delivery", "C-1 rejected: damage happened after delivery")

	c := e.claim(1)
	if c.Status != crm.ClaimRejected || c.Cause != "loading at the warehouse" || c.Action != crm.ActionCorrective || c.AssigneeID != e.Person("petar").ID || !c.AckedAt.Equal(time.Date(2026, 3, 2, 11, 0, 0, 0, e.TZ)) {
		t.Errorf("claim = %+v", c)
	}
	card := e.Must("maria", "/claim C-1",
		"Claim C-1 · Acme", "Status: rejected", "Assigned to: Petar", "Rejected because: damage happened after delivery",
		"2026-03-02 10:00 · Maria: received",
		"2026-03-02 11:00 · Maria: acknowledged",
		"Maria: note: the warehouse says the pallets left damaged",
		"Maria: assigned to Petar",
		"2026-03-03 09:00 · Petar: told the client: we replace the pallets on Thursday",
		"2026-03-05 12:00 · Petar: resolved: replaced all 3 pallets (cause: loading at the warehouse, corrective action)",
		"Maria: client satisfaction 4/5",
		"2026-03-09 10:00 · Maria: reopened: the replacement is damaged too",
		"Maria: rejected: damage happened after delivery")
	_ = card
	hist, err := e.Store.History(e.Ctx, "claim", 1)
	if err != nil || len(hist) < 10 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
	// Bulgarian words for the same steps.
	e.Must("maria", "/lang bg", "")
	e.Must("maria", "/рекламация оценка C-1 2", "удовлетвореността на клиента по C-1 е 2/5")
	e.Must("maria", "/рекламация реши C-1: x причина=y", "C-1 е отхвърлена: не можете да я решите, докато не бъде отворена отново")
	e.Must("maria", "/рекламация C-1", "Рекламация C-1 · Acme", "Статус: отхвърлена", "02.03.2026 10:00 · Maria: получена")
}

func TestClaimsRights(t *testing.T) {
	e := newClaimsEnv(t)
	e.Must("maria", "/claim Acme: wrong invoice category=invoice", "C-1")
	e.Must("georgi", "/claim C-1", "No claim C-1 that you may see.")
	e.Must("georgi", "/claim ack C-1", "No claim C-1 that you may see.")
	e.Must("petar", "/claim C-1", "No claim C-1 that you may see.")
	e.Must("petar", "/claim C-99", "No claim C-99")
	// The supervisor and the head may act.
	e.Must("ivan", "/claim ack C-1", "C-1 acknowledged")
	e.Must("admin", "/claim note C-1: called the client", "note on C-1")
	// The assignee may act, and sees it in their lists.
	e.Must("ivan", "/claim assign C-1 @Petar", "assigned to Petar")
	e.Must("petar", "/claim note C-1: checking", "note on C-1")
	e.Must("petar", "/claims", "C-1 · Acme")
	e.Must("georgi", "/claim assign C-1 @Georgi", "No claim C-1")
	// A deputy acts for the absent owner, and the timeline says so.
	from := e.Clock.Now().Add(-time.Hour)
	if err := e.Store.SaveDelegation(e.Ctx, &crm.Delegation{AbsentID: e.Person("maria").ID, DeputyID: e.Person("georgi").ID, From: from, To: from.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.Must("georgi", "/claim respond C-1: a corrected invoice goes out today", "response on C-1")
	e.Must("maria", "/claim C-1", "Georgi for Maria: told the client: a corrected invoice goes out today")
	hist, _ := e.Store.History(e.Ctx, "claim", 1)
	last := hist[len(hist)-1]
	if last.By != e.Person("georgi").ID || last.OnBehalfOf != e.Person("maria").ID {
		t.Errorf("history entry = %+v", last)
	}
	// Claims follow their client to a new owner.
	e.Must("admin", "/client reassign Acme @Georgi", "now belongs to Georgi")
	if c := e.claim(1); c.OwnerID != e.Person("georgi").ID {
		t.Errorf("claim owner = %d after reassignment", c.OwnerID)
	}
	e.Must("georgi", "/claims mine", "C-1 · Acme")
	e.Must("maria", "/claim C-1", "No claim C-1 that you may see.")
}

func TestClaimsList(t *testing.T) {
	e := newClaimsEnv(t)
	at := func(d, h int) { e.Clock.Set(time.Date(2026, 3, d, h, 0, 0, 0, e.TZ)) }
	e.Must("maria", "/claim Acme: low thing severity=low category=service", "C-1")    // ack by 09.03 10:00
	e.Must("maria", "/claim Beta: critical thing severity=critical", "C-2")           // ack by 02.03 14:00
	e.Must("petar", "/claim Gamma: medium thing category=delivery", "C-3")            // ack by 04.03 10:00
	e.Must("maria", "/claim Acme: high thing severity=high category=delivery", "C-4") // ack by 03.03 10:00
	e.Must("georgi", "/claim Delta: georgi's thing severity=critical", "C-5")         // not Ivan's team
	e.Must("maria", "/claim Beta: done thing category=invoice", "C-6")                // to be resolved
	e.Must("maria", `/claim resolve C-6: fixed cause="wrong VAT"`, "resolved")
	at(3, 12) // C-2 (ack 02.03 14:00) and C-4 (ack 03.03 10:00) are overdue

	got := e.Must("ivan", "/claims", "4 open claims · 2 overdue")
	lines := strings.Split(strings.TrimSpace(got), "\n")[1:]
	order := []string{"⚠ C-2 · Beta · critical", "⚠ C-4 · Acme · high", "C-3 · Gamma · medium", "C-1 · Acme · low"}
	if len(lines) != len(order) {
		t.Fatalf("/claims:\n%s", got)
	}
	for i, w := range order {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want %q…", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[0], "not acknowledged, due 2026-03-02 14:00 (Maria)") || !strings.Contains(lines[2], "acknowledge by 2026-03-04 10:00 (Petar)") {
		t.Errorf("lines: %q", lines)
	}
	e.Must("ivan", "/claims overdue", "2 overdue claims", "C-2", "C-4")
	e.MustNot("ivan", "/claims overdue", "C-1", "C-3")
	e.Must("ivan", "/claims closed", "1 closed claim", "C-6 · Beta · medium · invoice · resolved 2026-03-02")
	e.Must("ivan", "/claims all", "5 claims")
	e.MustNot("ivan", "/claims all", "C-5")
	e.Must("ivan", "/claims category=delivery", "2 open claims", "C-4", "C-3")
	e.Must("ivan", "/claims @Petar", "1 open claim", "C-3")
	e.Must("ivan", "/claims Acme", "2 open claims", "C-4", "C-1")
	e.Must("ivan", "/claims severity=critical", "1 open claim", "C-2")
	e.Must("maria", "/claims", "3 open claims")
	e.MustNot("maria", "/claims", "C-3", "C-5")
	e.Must("maria", "/claims @Petar", "You have no rights over Petar.")
	e.Must("maria", "/claims team", "Only supervisors and heads see the team.")
	e.Must("admin", "/claims", "5 open claims · 3 overdue", "C-5")
	e.Must("ivan", "/рекламации просрочени", "2 overdue claims")
	e.Must("georgi", "/claims overdue", "1 overdue claim", "C-5")
	e.Must("petar", "/claims closed", "0 closed claims")
}

func TestClaimsTodayAndCard(t *testing.T) {
	e := newClaimsEnv(t)
	e.Must("maria", "/claim Acme: high thing severity=high category=delivery", "C-1") // ack by 03.03 10:00, resolve by 09.03 10:00
	e.Must("maria", "/claim Acme: low thing severity=low", "C-2")                     // ack by 09.03 10:00
	e.Must("maria", "/claim Beta: other thing", "C-3")
	e.Must("maria", "/claim resolve C-3: done cause=x", "resolved")
	e.MustNot("maria", "/today", "C-1", "C-2")
	e.Clock.Set(time.Date(2026, 3, 3, 11, 0, 0, 0, e.TZ))
	rec := e.Send("maria", "/today")
	if text := rec.Text(); !strings.Contains(text, "⚠ C-1 · Acme · high · delivery · new · not acknowledged, due 2026-03-03 10:00") || strings.Contains(text, "C-2") {
		t.Fatalf("/today:\n%s", text)
	}
	if !chattest.HasButton(rec, "/claim ack C-1") {
		t.Errorf("no ack button in /today")
	}
	e.Must("maria", "/claim ack C-1", "acknowledged")
	e.MustNot("maria", "/today", "C-1")
	e.Clock.Set(time.Date(2026, 3, 9, 11, 0, 0, 0, e.TZ))
	e.Must("maria", "/today", "⚠ C-1 · Acme · high · delivery · acknowledged · resolve overdue since 2026-03-09 10:00", "⚠ C-2")
	// Petar's /today does not show Maria's claims.
	e.MustNot("petar", "/today", "C-1")

	card := e.Must("maria", "/client Acme", "Claims, last 12 months: 2 (2 open)", "Open claim: ⚠ C-1 · high · delivery · acknowledged · resolve overdue since 2026-03-09 10:00")
	_ = card
	e.Must("maria", "/client Beta", "Claims, last 12 months: 1 (0 open)")
	e.MustNot("petar", "/client Gamma", "Claims, last 12 months")
	// A year later the old claims no longer count.
	e.Clock.Set(time.Date(2027, 3, 10, 11, 0, 0, 0, e.TZ))
	e.Must("maria", "/client Beta", "Claims, last 12 months: 0 (0 open)")
}

func TestClaimsEscalationOnce(t *testing.T) {
	e := newClaimsEnv(t)
	e.Must("maria", "/claim Acme: high thing severity=high", "resolve by 2026-03-09 10:00")
	e.Must("georgi", "/claim Delta: georgi's thing severity=critical", "resolve by 2026-03-04 10:00")
	e.Must("ivan", "/lang bg", "")
	// Only escalations are counted here; the morning agenda that lists the
	// overdue claim is tested in push_test.go.
	e.Must("maria", "/agenda off", "off")
	e.Clock.Set(time.Date(2026, 3, 9, 10, 0, 0, 0, e.TZ)) // exactly at the deadline: not yet
	e.Svc.RunJobs(e.Ctx)
	if n := e.notesTo("console:ivan"); len(n) != 0 {
		t.Fatalf("escalated before the deadline: %+v", n)
	}
	e.Clock.Set(time.Date(2026, 3, 9, 10, 30, 0, 0, e.TZ))
	e.Svc.RunJobs(e.Ctx)
	e.Svc.RunJobs(e.Ctx)
	got := e.notesTo("console:ivan")
	if len(got) != 1 {
		t.Fatalf("supervisor got %d messages, want 1: %+v", len(got), got)
	}
	if !strings.Contains(got[0].Text, "Рекламация C-1 от Acme (отговорник: Maria) не е решена в срок — срокът беше 09.03.2026 10:00") {
		t.Errorf("escalation text: %s", got[0].Text)
	}
	// Georgi has no supervisor: the head is told.
	if a := e.notesTo("console:admin"); len(a) != 1 || !strings.Contains(a[0].Text, "C-2 from Delta (owner: Georgi)") {
		t.Errorf("head got %+v", a)
	}
	if n := e.notesTo("console:maria"); len(n) != 0 {
		t.Errorf("the owner was pinged: %+v", n)
	}
	e.Must("maria", "/claim C-1", "accountbot: resolve deadline passed; Ivan was told")

	// A reopened claim that breaches its new deadline is a new breach.
	e.Must("maria", "/claim resolve C-1: done cause=x", "After the resolve deadline")
	e.Must("maria", "/claim reopen C-1: broke again", "resolve by 2026-03-16 10:30")
	e.Clock.Set(time.Date(2026, 3, 16, 11, 0, 0, 0, e.TZ))
	e.Svc.RunJobs(e.Ctx)
	e.Svc.RunJobs(e.Ctx)
	if got := e.notesTo("console:ivan"); len(got) != 2 {
		t.Fatalf("after a second breach the supervisor has %d messages, want 2", len(got))
	}
}

func TestClaimsEscalationRetriesDelivery(t *testing.T) {
	e := newClaimsEnv(t)
	e.Must("maria", "/claim Acme: high thing severity=high", "C-1")
	e.Clock.Set(time.Date(2026, 3, 10, 10, 0, 0, 0, e.TZ))
	e.Notes.FailAll(true)
	e.Svc.RunJobs(e.Ctx)
	e.Notes.FailAll(false)
	e.Svc.RunJobs(e.Ctx)
	e.Svc.RunJobs(e.Ctx)
	if got := e.notesTo("console:ivan"); len(got) != 1 {
		t.Fatalf("after a failed delivery the supervisor got %d messages, want 1", len(got))
	}
	steps := 0
	for _, s := range e.claim(1).Timeline {
		if s.Kind == crm.StepEscalated {
			steps++
		}
	}
	if steps != 1 {
		t.Errorf("%d escalation steps", steps)
	}
}

func TestClaimsSettings(t *testing.T) {
	e := newClaimsEnv(t)
	e.Must("maria", "/claims settings", "Business hours: Mon–Fri 09:00–18:00 (a working day = 9h)", "• critical: acknowledge within 4h, resolve within 2d", "• low: acknowledge within 5d, resolve within 20d")
	e.Must("maria", "/claims settings critical=1h/4h", "Only a head of the company changes the claim SLA.")
	e.Must("admin", "/claims settings critical=1h/4h", "Saved: claim SLA", "• critical: acknowledge within 1h, resolve within 4h")
	e.Must("admin", "/claims settings hours=25:00-18:00", `"25:00-18:00" are not business hours`)
	e.Must("admin", "/claims settings high=1h", `"1h" is not an SLA`)
	e.Must("admin", "/claims settings days=fri-xyz", `"fri-xyz" are not working days`)
	e.Must("maria", "/claim Acme: stopped severity=critical", "Acknowledge by 2026-03-02 11:00 · resolve by 2026-03-02 14:00")
	e.Must("admin", "/lang bg", "")
	e.Must("admin", "/рекламации настройки часове=08:00-17:00 дни=пн-сб висока=2ч/1д", "Работно време: пн–сб 08:00–17:00 (работен ден = 9 ч)", "• висока: потвърждение до 2 ч, решаване до 1 д")
	e.Clock.Set(time.Date(2026, 3, 7, 16, 0, 0, 0, e.TZ)) // Saturday
	e.Must("maria", "/claim Acme: saturday thing severity=high", "Acknowledge by 2026-03-09 09:00 · resolve by 2026-03-09 16:00")
	hist, _ := e.Store.History(e.Ctx, "claim_settings", 0)
	if len(hist) < 4 {
		t.Errorf("settings history: %+v", hist)
	}
	e.Must("admin", "/рекламации настройки нулирай", "пн–пт 09:00–18:00", "критична: потвърждение до 4 ч, решаване до 2 д")
}

// TestClaimsSettingsHolidays: with Bulgaria's calendar switched on, a claim
// received before Christmas is due after the days off; a closed day moves
// the deadline further; switching off restores the plain count.
func TestClaimsSettingsHolidays(t *testing.T) {
	e := newClaimsEnv(t)
	e.Clock.Set(time.Date(2026, 12, 23, 10, 0, 0, 0, e.TZ))
	e.Must("admin", "/claims settings", "Public holidays: SLA time runs through them (holidays=bg skips Bulgaria's)")
	e.Must("maria", "/claim Acme: before the holidays severity=high", "Acknowledge by 2026-12-24 10:00 · resolve by 2026-12-30 10:00")
	e.Must("maria", "/claims settings holidays=bg", "Only a head of the company changes the claim SLA.")
	e.Must("admin", "/claims settings holidays=bg", "Saved: claim SLA",
		"Days off besides the weekly ones: Bulgaria's public holidays. Next: 2026-12-24, 2026-12-25, 2026-12-26, 2026-12-28, 2027-01-01")
	e.Must("maria", "/claim Acme: during the holidays severity=high", "Acknowledge by 2026-12-29 10:00 · resolve by 2027-01-05 10:00")
	e.Must("admin", "/claims settings closed=31.12.2026,2026-12-31", "Bulgaria's public holidays; 1 closed day. Next: 2026-12-24, 2026-12-25, 2026-12-26, 2026-12-28, 2026-12-31")
	e.Must("maria", "/claim Beta: with a closed day severity=high", "resolve by 2027-01-06 10:00")
	e.Must("admin", "/claims settings holidays=xmas", `"xmas" is not a holiday calendar`)
	e.Must("admin", "/claims settings closed=someday", `"someday" is not a list of dates`)
	e.Must("admin", "/lang bg", "")
	e.Must("admin", "/рекламации настройки празници=няма почивни=няма", "Официални празници: сроковете текат и в тях")
	e.Must("maria", "/claim Beta: after switching off severity=high", "Acknowledge by 2026-12-24 10:00")
	// The claims recorded under the calendar keep their deadlines.
	e.Must("maria", "/claim C-2", "Acknowledge by: 2026-12-29 10:00")
}

func TestClaimsReport(t *testing.T) {
	e := newClaimsEnv(t)
	at := func(d, h int) { e.Clock.Set(time.Date(2026, 3, d, h, 0, 0, 0, e.TZ)) }
	e.Must("maria", "/claim Acme: broken pallets severity=high category=delivery", "C-1")
	e.Must("maria", "/claim Beta: late truck severity=high category=delivery", "C-2")
	e.Must("petar", "/claim Gamma: wrong VAT category=invoice", "C-3")
	e.Must("maria", "/claim Acme: rude driver severity=low category=service", "C-4")
	at(2, 12)
	e.Must("maria", "/claim ack C-1", "acknowledged") // 2h
	e.Must("maria", "/claim ack C-2", "acknowledged") // 2h
	at(3, 12)
	e.Must("petar", "/claim ack C-3", "acknowledged") // 11h
	at(4, 10)
	e.Must("maria", `/claim resolve C-1: replaced cause="Loading at the warehouse" action=corrective`, "Within the SLA") // 2d
	e.Must("maria", `/claim resolve C-2: apologised cause="loading at the warehouse"`, "Within the SLA")                 // 2d
	e.Must("maria", "/claim satisfied C-1 5", "5/5")
	e.Must("maria", "/claim satisfied C-2 4", "4/5")
	at(20, 10)
	e.Must("petar", `/claim resolve C-3: credit note cause="wrong VAT rate"`, "After the resolve deadline") // 14d
	e.Must("maria", "/claim reject C-4: not our driver", "rejected")

	got := e.Must("ivan", "/claims report month",
		"Claims report 2026-03-01 – 2026-03-31: 4 claims",
		"By category: delivery 2 · invoice 1 · service 1",
		"By severity: high 2 · medium 1 · low 1",
		"Now: 0 open (0 overdue) · 3 resolved · 1 rejected",
		"• high: acknowledge 2h (SLA 1d) · resolve 2d (SLA 5d)",
		"• medium: acknowledge 1d 2h (SLA 2d) · resolve 14d (SLA 10d)",
		"• low: acknowledge 14d (SLA 5d) · resolve — (SLA 20d)", // a rejection tells the client too
		"Acknowledged within the SLA: 3 of 4 (75%)",
		"Resolved within the SLA: 2 of 3 (67%)",
		"Average satisfaction: 4.5 of 5 (2 ratings)",
		"Root causes: Loading at the warehouse 2 · wrong VAT rate 1",
		`⚠ Needs corrective action: "Loading at the warehouse" recurs at 2 clients (Acme, Beta). Action recorded on 1 of 2 claims.`,
		"Top clients by claims: Acme 2 · Beta 1 · Gamma 1")
	_ = got
	e.MustNot("ivan", "/claims report month", "wrong VAT rate\" recurs")
	e.Must("maria", "/claims report", "3 claims")
	e.Must("ivan", "/claims report 2026-03-02..2026-03-02 @Petar", "Claims report 2026-03-02 – 2026-03-02: 1 claim")
	e.Must("ivan", "/claims report quarter", "Claims report 2026-01-01 – 2026-03-31: 4 claims")
	e.Must("ivan", "/claims report last month", "Claims report 2026-02-01 – 2026-02-28: 0 claims", "No claims were received")
	e.Must("ivan", "/claims report 2026-03-05..2026-03-01", "Usage: /claims report")
	e.Must("ivan", "/lang bg", "")
	e.Must("ivan", "/рекламации отчет месец", "Отчет за рекламациите 01.03.2026 – 31.03.2026: 4 рекламации", "Нужно е коригиращо действие: „Loading at the warehouse“ се повтаря при 2 клиента (Acme, Beta).", "Средна удовлетвореност: 4,5 от 5 (2 оценки)")
}

// TestClaimsConsoleScenario is the end-to-end story of the README: a
// manager records a claim, acknowledges it, resolves it, and the
// supervisor reads the report.
func TestClaimsConsoleScenario(t *testing.T) {
	e := newClaimsEnv(t)
	var transcript strings.Builder
	step := func(who, line string, wants ...string) {
		t.Helper()
		got := e.Must(who, line, wants...)
		transcript.WriteString(who + "> " + line + "\n" + got + "\n")
	}
	step("maria", `/claim Acme: 3 pallets arrived broken severity=high category=delivery remedy="replace them"`, "C-1", "Acknowledge by 2026-03-03 10:00")
	e.Clock.Set(time.Date(2026, 3, 2, 10, 40, 0, 0, e.TZ))
	step("maria", "/claim ack C-1: called Ivan Petrov, replacement on Thursday", "C-1 acknowledged")
	e.Clock.Set(time.Date(2026, 3, 5, 15, 0, 0, 0, e.TZ))
	step("maria", `/claim resolve C-1: replaced all 3 pallets cause="loading at the warehouse" action=corrective`, "C-1 resolved", "Within the SLA")
	step("maria", "/claim satisfied C-1 5", "5/5")
	step("maria", "/claim C-1", "Status: resolved", "Client satisfaction: 5/5", "acknowledged: called Ivan Petrov")
	step("ivan", "/claims report", "Claims report 2026-03-01 – 2026-03-31: 1 claim", "Resolved within the SLA: 1 of 1 (100%)", "Average satisfaction: 5.0 of 5 (1 rating)")
	e.Golden(filepath.Join("testdata", "claims_scenario.golden"), transcript.String())
}
