package people_test

import (
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
)

// newEnv is the shared chat environment (handlerstest) over a whole
// service, at Thursday 26 November 2026, 10:00 in Sofia.
func newEnv(t *testing.T) *handlerstest.Env {
	t.Helper()
	return handlerstest.New(t, chattest.Options{})
}

func TestDismissAndHandover(t *testing.T) {
	e := newEnv(t)
	e.Team()
	e.Must("console:maria", "/client add Maria Co", "Saved")
	e.Must("console:maria", "/remind Maria Co: call by tomorrow", "T-1")
	e.Must("console:admin", "/dismiss @Maria", "no longer has access", "Maria Co")
	e.Must("console:maria", "/clients", "console:maria")
	e.Must("console:admin", "/team", "Dismissed, with clients to hand over", "Maria Petrova")
	e.Must("console:admin", "/handover @Maria @Ivan", "1 client moved")
	e.Must("console:ivan", "/client Maria Co", "Ivan Ivanov")
	e.Clock.Add(24 * time.Hour)
	e.Must("console:ivan", "/today", "T-1", "call")
	e.Must("console:admin", "/client Maria Co history", "owner: Maria Petrova → Ivan Ivanov")
}

// TestDismissalVoidsInvitations: a code issued by a person later dismissed,
// or issued before a dismissal (the dismissed person may hold it), no
// longer registers anyone; codes issued after it do.
func TestDismissalVoidsInvitations(t *testing.T) {
	e := newEnv(t)
	e.Team()
	codeOf := func(identity, cmd string) string {
		t.Helper()
		text := e.Say(identity, cmd)
		i := strings.Index(text, "/start ")
		if i < 0 {
			t.Fatalf("no code in %q", text)
		}
		return strings.Fields(text[i+len("/start "):])[0]
	}
	bySam := codeOf("console:sam", "/invite manager")
	byHead := codeOf("console:admin", "/invite manager")
	e.Clock.Add(time.Minute)
	e.Must("console:admin", "/dismiss @Sam", "no longer has access")
	e.Must("console:admin", "/dismiss @Ivan", "no longer has access")
	e.Must("telegram:701", "/start "+bySam, "unknown, used or expired")
	e.Must("telegram:702", "/start "+byHead, "unknown, used or expired")
	e.MustNot("console:admin", "/team", "telegram:701", "telegram:702")
	e.Clock.Add(time.Minute)
	after := codeOf("console:admin", "/invite manager")
	e.Must("telegram:703", "/start "+after, "Welcome")
}

func TestInviteAndStart(t *testing.T) {
	e := newEnv(t)
	e.Team()
	rec := e.Send("console:sam", "/invite manager")
	text := rec.Text()
	i := strings.Index(text, "/start ")
	if i < 0 {
		t.Fatalf("no code in %q", text)
	}
	code := strings.Fields(text[i+len("/start "):])[0]
	e.Must("telegram:777", "/client Maria", "telegram:777")
	e.Must("telegram:777", "/start "+code, "Welcome", "account manager")
	e.Must("telegram:777", "/clients", "0 clients")
	// One use only.
	e.Must("telegram:888", "/start "+code, "unknown, used or expired")
	// The new manager reports to Sam, who now sees their clients.
	e.Must("telegram:777", "/client add Newco", "Saved")
	e.Must("console:sam", "/client Newco", "Newco")
	// Codes expire after 7 days.
	code2 := strings.Fields(e.Say("console:admin", "/invite supervisor")[strings.Index(e.Say("console:admin", "/invite supervisor"), "/start ")+7:])[0]
	e.Clock.Add(8 * 24 * time.Hour)
	e.Must("telegram:999", "/start "+code2, "unknown, used or expired")
}

// TestSameNameImpostor: an invitee who picks an appointed person's name
// gets a name that tells them apart, so "@Name" still means the appointed
// person, and a head cannot appoint a second person of the same name.
func TestSameNameImpostor(t *testing.T) {
	e := newEnv(t)
	e.Team()
	e.Must("console:admin", `/appoint console:sue supervisor "Sue Super"`, "Sue Super")
	text := e.Say("console:admin", "/invite manager")
	code := strings.Fields(text[strings.Index(text, "/start ")+len("/start "):])[0]
	rec := &bot.Recorder{}
	m := &bot.Message{Platform: "telegram", ChatID: "666", Identity: "telegram:666", DisplayName: "Sue  super", Text: "/start " + code, Private: true}
	if err := e.Svc.ServeChat(e.Ctx, rec, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Text(), "Sue  super (telegram:666)") {
		t.Fatalf("registration: %s", rec.Text())
	}
	e.Must("console:admin", "/client add Acme", "Saved")
	e.Must("console:admin", "/claim Acme: late", "C-1")
	for range 8 {
		e.Say("console:admin", "/claim assign C-1 @Sue Super")
		if out := e.Say("console:admin", "/claim C-1"); !strings.Contains(out, "Assigned to: Sue Super\n") {
			t.Fatalf("@Sue Super resolved to someone else:\n%s", out)
		}
	}
	e.Must("console:admin", `/appoint console:sue2 manager "SUE SUPER"`, "already the name of someone")
	// Names that a reference prefixes alike are a choice whose buttons
	// tell the people apart.
	e.Must("console:admin", `/appoint console:sue3 manager "Sue Superb" reports=@Sam`, "Sue Superb")
	rec = e.Send("console:admin", "/dismiss @Sue")
	var labels []string
	for _, row := range rec.Replies[0].Buttons {
		for _, b := range row {
			labels = append(labels, b.Label)
		}
	}
	if len(labels) < 2 || labels[0] == labels[1] || !strings.Contains(strings.Join(labels, "|"), "console:sue3") || !strings.Contains(strings.Join(labels, "|"), "reports to Sam Stoev") {
		t.Errorf("choice labels: %q", labels)
	}
}

// A handover moves the client's open deals with it; won deals stay with
// whoever won them.
func TestHandoverMovesOpenDeals(t *testing.T) {
	e := newEnv(t)
	e.Team()
	e.Must("console:maria", "/client add Maria Co", "Saved")
	e.Must("console:maria", "/deal add Maria Co: pumps amount=1000 stage=proposal", "D-1")
	e.Must("console:maria", "/deal add Maria Co: valves amount=200 stage=lead", "D-2")
	e.Must("console:maria", "/deal won D-2", "D-2")
	e.Must("console:admin", "/dismiss @Maria", "no longer has access")
	e.Must("console:admin", "/handover @Maria @Ivan", "1 client moved")
	e.Must("console:ivan", "/pipeline", "€1,000.00")
	e.Must("console:admin", "/pipeline @Maria", "—")
	e.MustNot("console:admin", "/pipeline @Maria", "€1,000.00")
}
