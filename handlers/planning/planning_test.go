package planning_test

import (
	"accountbot/handlers/handlerstest"
	"accountbot/handlers/planning"
	"accountbot/internal/chattest"
	"accountbot/internal/golden"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"
)

// replyDump renders replies with their buttons, for golden files.
func replyDump(rec *bot.Recorder) string {
	var b strings.Builder
	for _, r := range rec.Replies {
		b.WriteString(r.PlainText())
		b.WriteString("\n")
		for _, row := range r.Buttons {
			for i, btn := range row {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString("[" + btn.Label + " → " + btn.Data + "]")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// planEnv is the shared chat environment (handlerstest) whose service
// notifies Notes, at Thursday 26 November 2026, 10:00 in Sofia.
type planEnv struct{ *handlerstest.Env }

// newPlanningEnv starts a service that notifies, with no one but the
// heads console:admin and telegram:1.
func newPlanningEnv(t testing.TB) (*planEnv, *chattest.Notifier) {
	t.Helper()
	e := handlerstest.New(t, chattest.Options{Notify: true})
	return &planEnv{e}, e.Notes
}

// at runs fn with the clock at t and puts it back afterwards.
func (e *planEnv) at(t time.Time, fn func()) {
	e.T.Helper()
	now := e.Clock.Now()
	e.Clock.Set(t)
	fn()
	e.Clock.Set(now)
}

var dealRef = regexp.MustCompile(`D-\d+`)

// deal adds a deal and returns its reference.
func (e *planEnv) deal(identity, text string) string {
	e.T.Helper()
	got := e.Say(identity, text)
	ref := dealRef.FindString(got)
	if ref == "" {
		e.T.Fatalf("%q: no deal in %q", text, got)
	}
	return ref
}

// seedPlanning makes the audience of the golden tests: Maria (reporting to
// Sam) owns Acme, Beta and Delta, Ivan owns Gamma and Epsilon; deals won
// and lost over two years, an open one and a claim.
func seedPlanning(e *planEnv) {
	e.T.Helper()
	e.Team()
	e.at(time.Date(2025, 3, 10, 11, 0, 0, 0, e.TZ), func() {
		e.Must("console:maria", "/client add Acme segment=retail level=key need=pumps,service city=Sofia industry=food size=large contact=Ivo phone=+35921", "Saved")
		e.Must("console:maria", "/client add Beta segment=retail level=regular need=pumps city=Varna", "Saved")
		e.Must("console:ivan", "/client add Gamma segment=horeca level=key need=service city=Sofia", "Saved")
		e.deal("console:maria", "/deal add Acme: Pumps 2025 amount=12000 stage=won")
	})
	e.at(time.Date(2026, 6, 15, 11, 0, 0, 0, e.TZ), func() {
		e.deal("console:maria", "/deal add Acme: Pumps 2026 amount=15000 stage=won")
		e.deal("console:ivan", "/deal add Gamma: Service contract amount=4000 stage=won")
		e.Must("console:maria", "/client add Delta segment=wholesale need=valves city=Plovdiv", "Saved")
	})
	e.at(time.Date(2026, 10, 1, 11, 0, 0, 0, e.TZ), func() {
		e.deal("console:maria", "/deal add Beta: Pumps amount=8000")
		e.Must("console:ivan", "/client add Epsilon segment=horeca status=client city=Sofia", "Saved")
		lost := e.deal("console:ivan", "/deal add Epsilon: Coffee machines amount=3000")
		e.Must("console:ivan", "/deal lost "+lost+": price competitor=Metro", lost)
		e.Must("console:maria", "/claim Acme: three pallets broken severity=high category=delivery", "C-")
	})
}

func TestPlanningSegmentsGolden(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	var out strings.Builder
	for _, q := range []struct{ who, text string }{
		{"console:admin", "/segments"},
		{"console:admin", "/segments by=need"},
		{"console:admin", "/segments by=level"},
		{"console:ivan", "/segments"},
		{"console:sam", "/segments by=city"},
	} {
		out.WriteString("> " + q.who + ": " + q.text + "\n")
		out.WriteString(replyDump(e.Send(q.who, q.text)) + "\n")
	}
	golden.Check(t, filepath.Join("testdata", "planning_segments_en.golden"), out.String())

	e.Must("console:admin", "/lang bg", "")
	out.Reset()
	for _, q := range []string{"/сегменти", "/сегменти по=нужда"} {
		out.WriteString("> " + q + "\n" + replyDump(e.Send("console:admin", q)) + "\n")
	}
	golden.Check(t, filepath.Join("testdata", "planning_segments_bg.golden"), out.String())
}

func TestPlanningSegmentsFigures(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	got := e.Say("console:admin", "/segments")
	for _, want := range []string{
		"Audience by segment · 5 records",
		// retail: Acme won (client), Beta open deal only (prospect).
		"retail — 2 (clients 1, prospects 1) · conversion 50% · won €15,000.00 · pipeline €8,000.00 · 1.0 claims/client",
		// horeca: Gamma won, Epsilon status=client.
		"horeca — 2 (clients 2, prospects 0) · conversion 100% · won €4,000.00",
		"wholesale — 1 (clients 0, prospects 1) · conversion 0%",
		"Growing most: horeca (+€4,000.00 won against the 12 months before",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/segments lacks %q:\n%s", want, got)
		}
	}
	// A manager sees only their own clients.
	ivan := e.Say("console:ivan", "/segments")
	if !strings.Contains(ivan, "2 records") || strings.Contains(ivan, "retail") {
		t.Errorf("Ivan's /segments:\n%s", ivan)
	}
	e.Must("console:ivan", "/segments all", "Only heads see everything")
	e.Must("console:admin", "/segments by=colour", "segment, industry, need, level or city")
}

func TestPlanningFieldChoices(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	rec := e.Send("console:maria", "/client edit Delta level=")
	if len(rec.Replies) != 1 {
		t.Fatalf("replies: %+v", rec.Replies)
	}
	r := rec.Replies[0]
	var labels, data []string
	for _, row := range r.Buttons {
		for _, b := range row {
			labels, data = append(labels, b.Label), append(data, b.Data)
		}
	}
	// key is used twice, regular once: most used first.
	if strings.Join(labels, ",") != "key,regular" || !strings.HasPrefix(data[0], "/client edit #") || !strings.HasSuffix(data[0], " level=key") {
		t.Fatalf("choices %v %v", labels, data)
	}
	e.Must("console:maria", data[0], "Level: — → key")
	// Needs add to the ones there are.
	rec = e.Send("console:maria", "/client edit Delta need=")
	var needs []string
	for _, row := range rec.Replies[0].Buttons {
		for _, b := range row {
			needs = append(needs, b.Label+"="+b.Data[strings.Index(b.Data, "need="):])
		}
	}
	if !contains(needs, `+ pumps=need=valves,pumps`) || !contains(needs, `Clear=need=""`) {
		t.Fatalf("need choices %v", needs)
	}
	e.Must("console:maria", `/client edit Delta need="valves,pumps"`, "Needs: valves → valves,pumps")
	e.Must("console:maria", `/client edit Delta level=""`, "Level: key → —")
	// Nobody else's value is invented: an unused field says so.
	e.Must("console:maria", "/client edit Delta focus=", "No client has a value for Focus yet")
	// Other fields are not touched by the question.
	e.Must("console:maria", "/client Delta", "Needs: valves,pumps")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestPlanningContactPlan(t *testing.T) {
	e, notes := newPlanningEnv(t)
	_ = notes
	e.Team()
	e.Must("console:maria", "/client add Acme segment=retail", "Saved")
	e.Must("console:maria", "/plan Acme every 2w #call until 2027-06-30", "Saved: Acme every 2 weeks #call until 2027-06-30. Next contact due 2026-12-10.")
	e.Must("console:maria", "/plan Acme goal: +20% volume in 2027", "goal [")
	e.Must("console:maria", "/plan Acme risk: a new buyer at their side", "risk [")
	e.Must("console:maria", "/plan Acme person: Ivo Petrov, CFO, decides budgets", "key person [")
	got := e.Must("console:maria", "/plan Acme", "Plan for Acme", "Contact every 2 weeks #call until 2027-06-30 (set by Maria Petrova, 2026-11-26)",
		"Next contact due 2026-12-10; last talk never", "Goals:", "+20% volume in 2027 — Maria Petrova, 2026-11-26",
		"Key people:", "Ivo Petrov, CFO", "Risks:", "a new buyer")
	if strings.Index(got, "Goals:") > strings.Index(got, "Key people:") || strings.Index(got, "Key people:") > strings.Index(got, "Risks:") {
		t.Errorf("plan order:\n%s", got)
	}
	// Ivan sees nothing of Maria's client.
	e.Must("console:ivan", "/plan Acme", "No client")
	e.Must("console:ivan", "/plan Acme every 1w", "No client")
	// Nothing due yet; two weeks later the touch is due in /today.
	e.MustNot("console:maria", "/today", "Contact Acme")
	e.Clock.Set(time.Date(2026, 12, 10, 9, 0, 0, 0, e.TZ))
	e.Must("console:maria", "/today", "Contact Acme #call — plan: every 2 weeks")
	e.Clock.Set(time.Date(2026, 12, 12, 9, 0, 0, 0, e.TZ))
	e.Must("console:maria", "/today", "⚠ Contact Acme #call — plan: every 2 weeks · overdue by 2 days")
	e.Must("console:maria", "/client Acme", "Contact plan: every 2 weeks #call until 2027-06-30 · Next contact due 2026-12-10", "overdue by 2 days")
	e.Must("console:maria", "/next Acme", "Get in touch #call", "the contact plan had the next contact due 2026-12-10")
	// A logged talk moves the next touch.
	e.Must("console:maria", "/log Acme: called about the spring order #call", "Saved")
	e.MustNot("console:maria", "/today", "Contact Acme")
	e.Must("console:maria", "/plan Acme", "Next contact due 2026-12-26")
	// The supervisor sees the team's touches in the digest data.
	items, err := planning.Due(context.Background(), e.Store, []uint64{2, 3}, e.Clock.Now(), time.Date(2027, 1, 1, 0, 0, 0, 0, e.TZ), e.TZ)
	if err != nil || len(items) != 1 || items[0].Kind != "touch" || items[0].Client != "Acme" {
		t.Errorf("Due: %+v %v", items, err)
	}
	// Bulgarian forms; a plan can be dropped.
	e.Must("console:maria", "/план Акме на всеки 10 дни #посещение до 30.06.2027", "every 10 days #visit until 2027-06-30")
	e.Must("console:maria", "/plan Acme drop 2", "Removed from the plan: [2] a new buyer")
	e.MustNot("console:maria", "/plan Acme", "a new buyer")
	e.Must("console:maria", "/plan Acme off", "Contact plan of Acme stopped.")
	e.Must("console:maria", "/plan Acme", "No contact plan yet")
	e.Must("console:maria", "/plan Acme every fortnight-ish", "Usage: /plan")
	e.Must("console:maria", "/plan Acme every 2w until 2020-01-01", "cannot end in the past")
	e.Must("console:maria", "/client Acme history", "Contact plan: every 10d #visit until 2027-06-30 → —")
}

func TestPlanningMeetingReminderOnce(t *testing.T) {
	e, notes := newPlanningEnv(t)
	e.Team()
	e.Must("console:maria", "/client add Acme", "Saved")
	// Only the meeting's own messages are counted here: the morning
	// agenda (which lists the day's meetings) is tested in push_test.go.
	e.Must("console:maria", "/agenda off", "off")
	// Thursday 10:00; Friday 14:30 is tomorrow.
	e.Must("console:maria", "/meeting Acme friday 14:30: the new price list", "Saved: meeting M-1 with Acme on 2026-11-27 14:30.",
		"Topic: the new price list", "remind you at 2026-11-27 13:30")
	e.Must("console:maria", "/meeting Acme yesterday 10:00", "has already passed")
	e.Must("console:maria", "/meeting Acme friday 25:00", "not a time of day")
	e.Must("console:maria", "/meeting", "1 meeting ahead", "M-1 · 2026-11-27 14:30 · Acme: the new price list")
	ctx := context.Background()
	tick := func(t time.Time) {
		e.Clock.Set(t)
		e.Svc.RunJobs(ctx)
	}
	tick(time.Date(2026, 11, 27, 13, 0, 0, 0, e.TZ))
	if n := len(notes.Replies("console:maria")); n != 0 {
		t.Fatalf("reminded too early: %d", n)
	}
	e.Must("console:maria", "/today", "Meeting M-1 · 2026-11-27 14:30 · Acme: the new price list")
	tick(time.Date(2026, 11, 27, 13, 31, 0, 0, e.TZ))
	tick(time.Date(2026, 11, 27, 13, 32, 0, 0, e.TZ))
	got := notes.Replies("console:maria")
	if len(got) != 1 || !strings.Contains(got[0].Text, "M-1: meeting with Acme at 2026-11-27 14:30.") {
		t.Fatalf("reminders: %+v", got)
	}
	// An hour after the start, the question with the /log button, once.
	tick(time.Date(2026, 11, 27, 15, 31, 0, 0, e.TZ))
	tick(time.Date(2026, 11, 27, 15, 32, 0, 0, e.TZ))
	got = notes.Replies("console:maria")
	if len(got) != 2 || got[1].Title != "How did the meeting go?" || got[1].Buttons[0][0].Data != "/log #1" {
		t.Fatalf("question: %+v", got)
	}
	// A second meeting whose outcome was logged is not asked about.
	e.Must("console:maria", "/meeting Acme monday 09:00", "M-2")
	tick(time.Date(2026, 11, 30, 8, 15, 0, 0, e.TZ))
	e.Clock.Set(time.Date(2026, 11, 30, 9, 30, 0, 0, e.TZ))
	e.Must("console:maria", "/log Acme: met, they want a quote #meeting", "Saved")
	tick(time.Date(2026, 11, 30, 10, 30, 0, 0, e.TZ))
	if got = notes.Replies("console:maria"); len(got) != 3 || got[2].Title != "Meeting soon" || !strings.Contains(got[2].Text, "M-2") {
		t.Errorf("after the logged meeting: %+v", got)
	}
	for _, r := range got {
		if r.Title == "How did the meeting go?" && strings.Contains(r.Text, "M-2") {
			t.Errorf("asked about a meeting whose outcome was logged: %+v", r)
		}
	}
	// Cancelled meetings are neither reminded nor shown.
	e.Must("console:maria", "/meeting Acme 2026-12-03 11:00", "M-3")
	e.Must("console:ivan", "/meeting cancel M-3", "no meeting M-3")
	e.Must("console:maria", "/meeting cancel M-3", "Cancelled: M-3")
	n := len(notes.Replies("console:maria"))
	tick(time.Date(2026, 12, 3, 10, 30, 0, 0, e.TZ))
	if len(notes.Replies("console:maria")) != n {
		t.Error("a cancelled meeting was reminded")
	}
	// Settings: a head changes the lead time.
	e.Must("console:maria", "/meeting settings remind=30m", "Only a head")
	e.Must("console:admin", "/meeting settings remind=30m ask=2h", "Saved.", "Reminder 30 minutes before a meeting; the question about the outcome 2 hours after")
}

func TestPlanningPromises(t *testing.T) {
	e, _ := newPlanningEnv(t)
	e.Team()
	e.Must("console:maria", "/client add Acme", "Saved")
	e.Must("console:maria", "/promise Acme: free service visit by 2026-11-30 contract=K-17", "Saved: promise P-1 to Acme — free service visit by 2026-11-30.", "Contract: K-17")
	e.Must("console:maria", "/promise Acme: pay the deposit by 2026-11-25 from=client", "Saved: Acme's promise P-2 — pay the deposit by 2026-11-25.", "due date has passed")
	e.Must("console:maria", "/promise Acme: ten percent off", "Usage: /promise")
	e.Must("console:maria", "/today", "P-2 · 2026-11-25 · Acme: [client's] pay the deposit — ⚠ broken, 1 day overdue")
	e.MustNot("console:maria", "/today", "P-1")
	e.Must("console:maria", "/client Acme", "Promise: P-1 · 2026-11-30 · free service visit (K-17) — open", "Promises broken (12 months): 1")
	e.Must("console:maria", "/next Acme", "Remind the client of their promise P-2: pay the deposit", "it was due 2026-11-25 and is now broken")
	e.Must("console:ivan", "/promise done P-1", "no promise P-1")
	e.Must("console:sam", "/promise P-1", "Promise P-1 · Acme", "Promised by: us")
	e.Clock.Set(time.Date(2026, 11, 30, 9, 0, 0, 0, e.TZ))
	e.Must("console:maria", "/today", "P-1 · 2026-11-30 · Acme: free service visit (K-17) — due today")
	e.Must("console:maria", "/promise done P-1", "Kept: P-1 (Acme) — free service visit.")
	e.Must("console:maria", "/promise done P-1", "already kept")
	e.Must("console:maria", "/обещание изпълнено P-2", "Kept: P-2", "counts as broken")
	e.Must("console:maria", "/promise Acme", "2 promises · Acme", "kept late")
	e.MustNot("console:maria", "/today", "P-")
	// The client's export holds its planning records.
	e.Must("console:maria", "/plan Acme goal: grow", "goal")
	rec := e.Send("console:admin", "/client export Acme")
	if len(rec.Replies) != 1 || rec.Replies[0].File == nil {
		t.Fatalf("export: %+v", rec.Replies)
	}
	doc := string(rec.Replies[0].File.Data)
	for _, want := range []string{`"planning"`, `"promises"`, "free service visit", `"plan_notes"`, `"grow"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("export lacks %s", want)
		}
	}
}

func TestPlanningReliabilityGolden(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	// Payments over the year, a kept and a broken promise, a rating.
	e.at(time.Date(2026, 5, 4, 10, 0, 0, 0, e.TZ), func() {
		e.Must("console:maria", "/payment Acme on-time: INV-101", "paid on time")
		e.Must("console:maria", "/payment Acme late 12d: INV-102", "12 days late")
		e.Must("console:maria", "/promise Acme: delivery by 2026-05-10", "P-1")
	})
	e.at(time.Date(2026, 5, 9, 10, 0, 0, 0, e.TZ), func() { e.Must("console:maria", "/promise done P-1", "Kept") })
	e.at(time.Date(2026, 10, 5, 10, 0, 0, 0, e.TZ), func() {
		e.Must("console:maria", "/payment Acme late 40d: INV-103", "40 days late")
		e.Must("console:maria", "/promise Acme: service visit by 2026-10-20", "P-2")
	})
	e.Must("console:maria", "/client edit Acme rating=B", "Rating")
	var out strings.Builder
	for _, q := range []struct{ who, text string }{
		{"console:maria", "/reliability Acme"},
		{"console:maria", "/reliability Delta"},
		{"console:sam", "/reliability settings"},
	} {
		out.WriteString("> " + q.who + ": " + q.text + "\n" + replyDump(e.Send(q.who, q.text)) + "\n")
	}
	golden.Check(t, filepath.Join("testdata", "planning_reliability_en.golden"), out.String())
	e.Must("console:maria", "/lang bg", "")
	out.Reset()
	for _, q := range []string{"/надеждност Акме", "/надеждност Делта"} {
		out.WriteString("> " + q + "\n" + replyDump(e.Send("console:maria", q)) + "\n")
	}
	golden.Check(t, filepath.Join("testdata", "planning_reliability_bg.golden"), out.String())
}

func TestPlanningReliabilityRules(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	e.Must("console:ivan", "/reliability Acme", "No client")
	e.Must("console:ivan", "/payment Acme on-time", "No client")
	e.Must("console:maria", "/payment Acme soon", "Usage: /payment")
	e.Must("console:maria", "/payment Acme late", "Usage: /payment")
	e.Must("console:maria", "/плащане Акме закъсняло 5 дни: Ф-7", "paid 5 days late", "Invoice: Ф-7")
	e.Must("console:maria", "/payment Acme on time", "paid on time")
	e.Must("console:maria", "/reliability Acme", "Reliability of Acme: ", "/100")
	// The card shows the score; a prospect gets no number.
	e.Must("console:maria", "/client Acme", "Reliability: ")
	e.Must("console:maria", "/client Delta", "Reliability: not enough data")
	// Weights: only a head changes them, and they change the score.
	e.Must("console:sam", "/reliability settings payment=90", "Only a head")
	before := e.Say("console:maria", "/reliability Acme")
	e.Must("console:admin", "/reliability settings payment=0 claims=0", "Saved.", "Payments 0 · Claims 0")
	after := e.Say("console:maria", "/reliability Acme")
	if before == after || !strings.Contains(after, "Payments: weight 0, not counted") {
		t.Errorf("weights changed nothing:\n%s\n%s", before, after)
	}
	e.Must("console:admin", "/reliability settings payment=0 claims=0 promises=0 deals=0 tenure=0 record=0 rating=0", "At least one weight")
	e.Must("console:admin", "/reliability settings payment=101", "whole number from 0 to 100")
	e.Must("console:admin", "/reliability settings reset", "Payments 30 · Claims 15")
}

func TestPlanningCampaigns(t *testing.T) {
	e, _ := newPlanningEnv(t)
	e.Team()
	e.Must("console:sam", `/campaign add "Agra 2027" kind=fair date=2026-11-10 city=Plovdiv budget=5000`, "Saved: Agra 2027 — fair, 2026-11-10.")
	e.Must("console:sam", `/campaign add "agra 2027" kind=fair date=2026-11-10`, "already a campaign")
	e.Must("console:sam", `/campaign add Mailing kind=spam date=2026-11-10`, "not a kind of campaign")
	e.Must("console:sam", `/campaign add Mailing kind=email date=2026-11-01 budget=lots`, "not an amount")
	e.Must("console:sam", `/кампания добави Бюлетин вид=имейл дата=01.11.2026`, "Saved: Бюлетин — e-mail, 2026-11-01.")
	e.Must("console:maria", "/client add Acme", "Saved")
	e.Must("console:maria", `/client add Beta source="Agra 2027"`, "Saved")
	e.Must("console:ivan", `/client add Gamma source="agra 2027"`, "Saved")
	e.Must("console:maria", `/lead Acme campaign="Agra"`, "Saved: Acme is a lead of Agra 2027.")
	e.Must("console:maria", `/lead Acme campaign="Agra 2027"`, "already a lead")
	e.Must("console:maria", "/client Acme", "Source: Agra 2027")
	e.Must("console:maria", "/log Acme: met at the fair stand #fair", "Saved")
	e.Must("console:maria", "/log Acme: sent the offer #email", "Saved")
	won := e.deal("console:maria", "/deal add Acme: Pumps amount=2000")
	e.Must("console:maria", "/deal won "+won, won)
	e.deal("console:maria", "/deal add Beta: Valves amount=700")
	// The head sees every lead: costs per lead and per won deal.
	e.Must("console:admin", `/campaign "Agra 2027" report`, "Report: Agra 2027 (fair · 2026-11-10 · Plovdiv)", "Leads: 3",
		"Conversations since: 2; leads talked to: 1", "Deals opened: 2 · won: 1 · revenue: €2,000.00", "Leads turned into won deals: 33%",
		"Budget: €5,000.00 · per lead: €1,666.67 · per won deal: €5,000.00")
	// Maria sees her two leads only, and no cost per lead.
	got := e.Must("console:maria", `/campaign Agra report`, "Leads: 2", "Costs per lead need every lead: 1 belongs to another manager.",
		"The figures leave out 1 lead of other managers.")
	if strings.Contains(got, "per lead:") {
		t.Errorf("a manager got a cost per lead over leads they do not see:\n%s", got)
	}
	e.Must("console:maria", "/campaigns", "2 campaigns", "• Agra 2027 — fair · 2026-11-10 · Plovdiv · 3 leads", "• Бюлетин — e-mail · 2026-11-01 · 0 leads")
	e.Must("console:maria", "/campaign Бюлетин report", "No budget known")
	e.Must("console:maria", "/campaign Nothing", "There is no campaign")
}

func TestPlanningCompetitors(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	e.at(time.Date(2026, 11, 20, 10, 0, 0, 0, e.TZ), func() {
		e.Must("console:maria", "/competitor Metro Cash: 3% below our list price aspect=price client=Acme", "Saved about Metro Cash: prices. Source: Acme.")
	})
	e.Must("console:ivan", "/competitor Metro Cash: 60 days to pay aspect=terms", "Saved about Metro Cash: terms.")
	e.Must("console:ivan", "/competitor Metro Cash: free delivery aspect=shipping", "not an aspect")
	e.Must("console:ivan", "/конкурент Metro Cash: отстъпка 5% за обем аспект=отстъпка клиент=Gamma", "Saved about Metro Cash: discounts. Source: Gamma.")
	// Maria does not see the note sourced from Ivan's client, and vice versa.
	maria := e.Must("console:maria", "/competitor Metro Cash", "Competitor: Metro Cash", "2 notes", "Prices:", "2026-11-20 · Maria Petrova · from Acme: 3% below our list price", "Terms:")
	if strings.Contains(maria, "Gamma") {
		t.Errorf("Maria sees Ivan's client:\n%s", maria)
	}
	e.Must("console:admin", "/competitor metro c", "3 notes", "Discounts:", "from Gamma: отстъпка 5% за обем")
	// The deal lost to "Metro" counts under Metro, not Metro Cash.
	e.Must("console:ivan", "/competitor Metro", "Competitor: Metro\n", "deals lost to them: 1 (1 in the last 6 months)", "Epsilon: Coffee machines · €3,000.00")
	e.Must("console:maria", "/competitor Metro", "Competitor: Metro Cash") // the lost deal is Ivan's
	rec := e.Send("console:admin", "/competitor Met")
	if len(rec.Replies) != 1 || len(rec.Replies[0].Buttons) != 2 || rec.Replies[0].Buttons[0][0].Data != "!/competitor Metro" ||
		rec.Replies[0].Buttons[1][0].Data != `!/competitor "Metro Cash"` {
		t.Errorf("ambiguous competitor: %+v", rec.Replies)
	}
	e.Must("console:admin", "/competitors", "2 competitors in the last 6 months", "• Metro Cash — 3 mentions", "• Metro — 0 mentions · 1 deal lost (€3,000.00)")
	e.Must("console:maria", "/competitors", "• Metro Cash — 2 mentions")
	e.MustNot("console:maria", "/competitors", "deal lost")
	e.Must("console:maria", "/competitor Nobody", "Nothing is known")
}

func TestPlanningNext(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	// Beta (retail) has not bought Pumps... it has an open Pumps deal; Delta
	// (wholesale) has no peers; add a retail prospect for cross-selling.
	e.Must("console:maria", "/client add Zeta segment=retail", "Saved")
	e.Must("console:maria", "/next Zeta", "Next step · Zeta", "→ Nothing urgent")
	e.at(time.Date(2026, 7, 1, 10, 0, 0, 0, e.TZ), func() {
		e.deal("console:maria", "/deal add Beta: Pumps 2026 amount=5000 stage=won")
	})
	e.Must("console:maria", "/next Zeta", "→ Offer Pumps", "2 of 2 buying clients in segment retail bought it in 2 years")
	e.Must("console:maria", "/client Zeta", "Recommended: Offer Pumps")
	// A stuck deal: Beta's open deal has stood since 1 October.
	e.Must("console:maria", "/next Beta", "Move deal", "“Pumps” forward", "it has been in lead for 56 days")
	// A claim near its deadline comes first.
	e.Must("console:maria", "/next Acme", "→ Acknowledge claim C-1 to the client")
	e.Must("console:ivan", "/next Acme", "No client")
	e.Must("console:maria", "/следващо Зета", "→ Offer Pumps")
}

// A head of a large company reads every row and deal in one scan each; a
// small team reads its own clients and their deals: both give the same.
func TestPlanningSegmentsPathsAgree(t *testing.T) {
	e, _ := newPlanningEnv(t)
	seedPlanning(e)
	var small []string
	for _, by := range []string{"segment", "need", "city"} {
		small = append(small, e.Say("console:admin", "/segments by="+by))
	}
	for i := 0; i < 25; i++ {
		e.Must("console:admin", fmt.Sprintf(`/appoint console:m%d manager "Extra %d"`, i, i), "Extra")
	}
	for i, by := range []string{"segment", "need", "city"} {
		if got := e.Say("console:admin", "/segments by="+by); got != small[i] {
			t.Errorf("by=%s differs between the scans:\n%s\n---\n%s", by, got, small[i])
		}
	}
}

// The supervisor's digest carries the team's planned work; what is late
// is in "needs you".
func TestPlanningDigest(t *testing.T) {
	e, _ := newPlanningEnv(t)
	e.Team()
	e.at(time.Date(2026, 11, 10, 10, 0, 0, 0, e.TZ), func() {
		e.Must("console:maria", "/client add Acme", "Saved")
		e.Must("console:maria", "/plan Acme every 1w #visit", "every week")
	})
	e.Must("console:maria", "/promise Acme: free visit by 2026-11-20", "P-1")
	e.Must("console:maria", "/meeting Acme today 15:00: demo", "M-1")
	e.Must("console:sam", "/digest", "Planned for today: contacts 1 (1 overdue), promises 1 (1 broken), meetings 1",
		"⚠ P-1 Acme: free visit (due 2026-11-20) (Maria Petrova)", "⚠ Contact Acme #visit (due 2026-11-17) (Maria Petrova)")
	e.MustNot("console:ivan", "/digest", "Planned for today")
}

// The keys that planning builds at run time exist in every language.
func TestPlanningDynamicKeysTranslated(t *testing.T) {
	cat := chattest.Catalog(t)
	var keys []string
	for _, k := range crm.PlanNoteKinds {
		keys = append(keys, "plan.kind."+string(k), "plan.kind_title."+string(k))
	}
	for _, k := range crm.CampaignKinds {
		keys = append(keys, "campaign.kind."+k)
	}
	for _, a := range crm.Aspects {
		keys = append(keys, "competitor.aspect."+a)
	}
	for _, f := range crm.ReliabilityFactors {
		keys = append(keys, "reliability.factor."+f)
		if f != crm.FactorRecord && f != crm.FactorRating {
			keys = append(keys, "reliability.facts."+f)
		}
	}
	for _, s := range []string{"ack", "resolve"} {
		keys = append(keys, "next.claim."+s)
	}
	for _, s := range crm.Stages {
		keys = append(keys, "deal.stage."+string(s))
	}
	for _, f := range []string{"segment", "industry", "need", "level", "city", "size", "focus", "source"} {
		keys = append(keys, "field."+f)
	}
	for _, lang := range i18n.Languages {
		for _, k := range keys {
			if !cat.Has(lang, k) {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}
