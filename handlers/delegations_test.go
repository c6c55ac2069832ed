package handlers_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/store"
)

func TestDelegationGivesAndRevertsRights(t *testing.T) {
	e := newEnv(t)
	e.team() // Sam supervises Maria; Ivan is outside the team.
	e.must("console:maria", "/client add Maria Co city=Sofia", "Saved")
	e.must("console:maria", "/remind Maria Co: call the buyer by 2026-12-02", "T-1")

	// Maria names Ivan for next week (Mon 30 Nov – Fri 4 Dec).
	e.must("console:maria", "/delegate @Ivan from 2026-11-30 to 2026-12-04: leave", "delegation 1", "Ivan Ivanov stands in for Maria Petrova", "2026-11-30", "2026-12-04")
	e.must("console:ivan", "/client Maria Co", "No client of yours")
	e.must("console:ivan", "/delegations", "coming: Ivan Ivanov for Maria Petrova")

	// During the absence Ivan holds Maria's rights and gets her agenda.
	e.clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, e.tz))
	e.must("console:ivan", "/client Maria Co", "Sofia")
	e.must("console:ivan", "/today", "T-1", "call the buyer", "for Maria Petrova")
	e.must("console:ivan", "/client edit Maria Co city=Varna", "Saved")
	e.must("console:maria", "/client Maria Co history", "Ivan Ivanov for Maria Petrova", "City: Sofia → Varna")
	// A deputy cannot appoint, dismiss or delegate further.
	e.must("console:ivan", "/appoint console:x manager", "not available for your role")
	e.must("console:ivan", "/delegate @Sam from today to tomorrow for @Maria", "only for yourself")

	// After the end everything reverts by itself.
	e.clock.Set(time.Date(2026, 12, 5, 9, 0, 0, 0, e.tz))
	e.must("console:ivan", "/client Maria Co", "No client of yours")
	e.must("console:ivan", "/delegations", "No current or coming")
}

func TestDelegationByOthersAndEnding(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:maria", "/client add Maria Co", "Saved")
	// Sam, her supervisor, names Ivan for Maria, starting today.
	e.must("console:sam", "/delegate @Ivan from today to +7d for @Maria: sick", "Saved")
	e.must("console:ivan", "/client Maria Co", "Maria Co")
	// Ivan cannot end what he holds as a deputy; Sam can.
	e.must("console:ivan", "/delegation end 1", "No delegation 1")
	e.must("console:sam", "/delegation end 1", "has ended")
	e.must("console:ivan", "/client Maria Co", "No client of yours")
	// A manager cannot name stand-ins for others.
	e.must("console:ivan", "/delegate @Sam from today to tomorrow for @Maria", "only for yourself")
}

func TestDelegationRefusals(t *testing.T) {
	e := newEnv(t)
	e.team()
	tests := []struct{ in, want string }{
		{"/delegate @Maria from today to tomorrow", "cannot stand in for themselves"},
		{"/delegate @Ivan from 2026-12-10 to 2026-12-01", "is before the start"},
		{"/delegate @Ivan from 2026-11-01 to 2026-11-10", "already over"},
		{"/delegate @Ivan from someday to tomorrow", `"someday" is not a date`},
		{"/delegate @Ivan", "Usage: /delegate"},
		{"/delegate @Nobody from today to tomorrow", "Nobody matches"},
	}
	for _, tt := range tests {
		e.must("console:maria", tt.in, tt.want)
	}
	e.must("console:maria", "/delegate @Ivan from 2026-12-01 to 2026-12-10", "Saved")
	e.must("console:maria", "/delegate @Sam from 2026-12-05 to 2026-12-20", "overlaps delegation 1")
	e.must("console:admin", "/dismiss @Sam", "no longer has access")
	got := e.must("console:maria", "/delegate @Sam from 2026-12-15 to 2026-12-20", "dismissed")
	if strings.Contains(got, "Saved") {
		t.Fatal("delegated to a dismissed person")
	}
}

// TestDeputyIsNotAValidNewOwner: acting for an absent person does not make
// the deputy a valid owner or assignee of their records, and what a deputy
// creates for the absent person belongs to that person.
func TestDeputyIsNotAValidNewOwner(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:maria", "/client add Maria Co", "Saved")
	e.must("console:maria", "/deal add Maria Co: Pumps amount=100", "D-1")
	e.must("console:maria", "/claim Maria Co: late delivery", "C-1")
	e.must("console:maria", "/delegate @Ivan from today to +3d: leave", "Saved")

	for _, cmd := range []string{
		"/client reassign Maria Co @Ivan",
		"/client reassign Maria Co console:ivan",
		"/deal edit D-1 owner=@Ivan",
		"/claim assign C-1 @Ivan",
	} {
		e.must("console:ivan", cmd, "may not give yourself")
	}
	// Nor to someone outside the absent person's rights.
	e.must("console:ivan", "/client reassign Maria Co @Sam", "only to Maria Petrova or their team")

	e.must("console:ivan", "/remind Maria Co: call the buyer by tomorrow", "T-")
	e.must("console:ivan", "/meeting Maria Co 2026-11-27 11:00: demo", "Saved")
	e.must("console:ivan", "/deal add Maria Co: Valves amount=50", "D-2")
	// After the window, Ivan keeps nothing of hers.
	e.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, e.tz))
	e.mustNot("console:ivan", "/today", "call the buyer", "demo")
	e.mustNot("console:ivan", "/pipeline", "Pumps", "Valves")
	e.must("console:ivan", "/client Maria Co", "No client of yours")
	e.must("console:ivan", "/claim C-1", "No claim C-1")
	e.must("console:maria", "/today", "call the buyer")
	e.must("console:maria", "/pipeline", "100", "50")
}

// TestSupervisorsDeputyCannotTakeTheTeam: a deputy of a supervisor from
// another team cannot hand the team's clients to himself.
func TestSupervisorsDeputyCannotTakeTheTeam(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:maria", "/client add Maria Co", "Saved")
	e.must("console:sam", "/delegate @Ivan from today to +3d: leave", "Saved")
	e.must("console:ivan", "/handover @Maria @Ivan", "may not give yourself")
	e.must("console:ivan", "/client reassign Maria Co @Ivan", "may not give yourself")
	// Within the absent supervisor's team a handover is allowed.
	e.must("console:ivan", "/handover @Maria @Sam", "Sam Stoev")
	e.must("console:sam", "/client Maria Co", "Sam Stoev")
}

// TestSupervisorDoesNotReachOtherTeamsClaimsThroughAssignee: a claim of
// another team assigned to one of Sam's reports is Maria's to work on, but
// gives Sam no view of it.
func TestSupervisorDoesNotReachOtherTeamsClaimsThroughAssignee(t *testing.T) {
	e := newEnv(t)
	e.team()
	e.must("console:ivan", "/client add Ivan Co", "Saved")
	e.must("console:ivan", "/claim Ivan Co: SECRET-IVAN broken seals", "C-1")
	e.must("console:ivan", "/claim assign C-1 @Maria", "Maria Petrova")
	e.must("console:maria", "/claim C-1", "SECRET-IVAN")
	e.must("console:maria", "/claims", "C-1")
	e.must("console:sam", "/claim C-1", "No claim C-1")
	e.must("console:sam", "/claim note C-1: hello", "No claim C-1")
	e.mustNot("console:sam", "/claims", "C-1", "SECRET-IVAN")
	e.mustNot("console:sam", "/claims team", "C-1", "SECRET-IVAN")
	e.mustNot("console:sam", "/claims @Maria", "C-1", "SECRET-IVAN")
	e.mustNot("console:sam", "/claims all", "C-1", "SECRET-IVAN")
	e.mustNot("console:sam", "/claims report", "Ivan Co")
	e.mustNot("console:sam", "/digest", "Ivan Co", "SECRET-IVAN", "C-1")
	e.must("console:admin", "/claim C-1", "SECRET-IVAN")
}

// tokenWriter stores every button of every reply as a long-button token,
// as the Telegram adapter does, with the context of the reply.
type tokenWriter struct {
	st  *store.Store
	n   int
	ids []string
}

func (w *tokenWriter) Reply(ctx context.Context, r bot.Reply) error {
	for _, row := range r.Buttons {
		for _, b := range row {
			w.n++
			id := "t" + strconv.Itoa(w.n)
			if err := w.st.PutToken(ctx, id, b.Label+" "+b.Data+" "+r.Text, time.Hour); err != nil {
				return err
			}
			w.ids = append(w.ids, id)
		}
	}
	return nil
}

// TestForgetDropsButtonTokens: the buttons of a reply about a client, kept
// as tokens by an adapter, are erased with the client.
func TestForgetDropsButtonTokens(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Zorbatron city=Sofia", "Saved")
	e.must("console:admin", "/log Zorbatron: SECRET-PLAN discussed next: call by 2026-12-01", "Saved")
	w := &tokenWriter{st: e.st}
	m := &bot.Message{Platform: "console", ChatID: "c", Identity: "console:admin", Text: "/client Zorbatron", Private: true}
	if err := e.svc.ServeChat(context.Background(), w, m); err != nil {
		t.Fatal(err)
	}
	if len(w.ids) == 0 {
		t.Fatal("the card has no buttons")
	}
	rec := e.send("console:admin", "/client forget Zorbatron")
	e.must("console:admin", rec.Replies[0].Buttons[0][0].Data, "Erased for good")
	for _, id := range w.ids {
		if v, err := e.st.Token(context.Background(), id); err == nil {
			t.Errorf("token %s survived the erasure: %q", id, v)
		}
	}
}
