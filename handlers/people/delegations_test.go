package people_test

import (
	"strings"
	"testing"
	"time"
)

func TestDelegationGivesAndRevertsRights(t *testing.T) {
	e := newEnv(t)
	e.Team() // Sam supervises Maria; Ivan is outside the team.
	e.Must("console:maria", "/client add Maria Co city=Sofia", "Saved")
	e.Must("console:maria", "/remind Maria Co: call the buyer by 2026-12-02", "T-1")

	// Maria names Ivan for next week (Mon 30 Nov – Fri 4 Dec).
	e.Must("console:maria", "/delegate @Ivan from 2026-11-30 to 2026-12-04: leave", "delegation 1", "Ivan Ivanov stands in for Maria Petrova", "2026-11-30", "2026-12-04")
	e.Must("console:ivan", "/client Maria Co", "No client of yours")
	e.Must("console:ivan", "/delegations", "coming: Ivan Ivanov for Maria Petrova")

	// During the absence Ivan holds Maria's rights and gets her agenda.
	e.Clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, e.TZ))
	e.Must("console:ivan", "/client Maria Co", "Sofia")
	e.Must("console:ivan", "/today", "T-1", "call the buyer", "for Maria Petrova")
	e.Must("console:ivan", "/client edit Maria Co city=Varna", "Saved")
	e.Must("console:maria", "/client Maria Co history", "Ivan Ivanov for Maria Petrova", "City: Sofia → Varna")
	// A deputy cannot appoint, dismiss or delegate further.
	e.Must("console:ivan", "/appoint console:x manager", "not available for your role")
	e.Must("console:ivan", "/delegate @Sam from today to tomorrow for @Maria", "only for yourself")

	// After the end everything reverts by itself.
	e.Clock.Set(time.Date(2026, 12, 5, 9, 0, 0, 0, e.TZ))
	e.Must("console:ivan", "/client Maria Co", "No client of yours")
	e.Must("console:ivan", "/delegations", "No current or coming")
}

func TestDelegationByOthersAndEnding(t *testing.T) {
	e := newEnv(t)
	e.Team()
	e.Must("console:maria", "/client add Maria Co", "Saved")
	// Sam, her supervisor, names Ivan for Maria, starting today.
	e.Must("console:sam", "/delegate @Ivan from today to +7d for @Maria: sick", "Saved")
	e.Must("console:ivan", "/client Maria Co", "Maria Co")
	// Ivan cannot end what he holds as a deputy; Sam can.
	e.Must("console:ivan", "/delegation end 1", "No delegation 1")
	e.Must("console:sam", "/delegation end 1", "has ended")
	e.Must("console:ivan", "/client Maria Co", "No client of yours")
	// A manager cannot name stand-ins for others.
	e.Must("console:ivan", "/delegate @Sam from today to tomorrow for @Maria", "only for yourself")
}

func TestDelegationRefusals(t *testing.T) {
	e := newEnv(t)
	e.Team()
	tests := []struct{ in, want string }{
		{"/delegate @Maria from today to tomorrow", "cannot stand in for themselves"},
		{"/delegate @Ivan from 2026-12-10 to 2026-12-01", "is before the start"},
		{"/delegate @Ivan from 2026-11-01 to 2026-11-10", "already over"},
		{"/delegate @Ivan from someday to tomorrow", `"someday" is not a date`},
		{"/delegate @Ivan", "Usage: /delegate"},
		{"/delegate @Nobody from today to tomorrow", "Nobody matches"},
	}
	for _, tt := range tests {
		e.Must("console:maria", tt.in, tt.want)
	}
	e.Must("console:maria", "/delegate @Ivan from 2026-12-01 to 2026-12-10", "Saved")
	e.Must("console:maria", "/delegate @Sam from 2026-12-05 to 2026-12-20", "overlaps delegation 1")
	e.Must("console:admin", "/dismiss @Sam", "no longer has access")
	got := e.Must("console:maria", "/delegate @Sam from 2026-12-15 to 2026-12-20", "dismissed")
	if strings.Contains(got, "Saved") {
		t.Fatal("delegated to a dismissed person")
	}
}

// TestDeputyIsNotAValidNewOwner: acting for an absent person does not make
// the deputy a valid owner or assignee of their records, and what a deputy
// creates for the absent person belongs to that person.
func TestDeputyIsNotAValidNewOwner(t *testing.T) {
	e := newEnv(t)
	e.Team()
	e.Must("console:maria", "/client add Maria Co", "Saved")
	e.Must("console:maria", "/deal add Maria Co: Pumps amount=100", "D-1")
	e.Must("console:maria", "/claim Maria Co: late delivery", "C-1")
	e.Must("console:maria", "/delegate @Ivan from today to +3d: leave", "Saved")

	for _, cmd := range []string{
		"/client reassign Maria Co @Ivan",
		"/client reassign Maria Co console:ivan",
		"/deal edit D-1 owner=@Ivan",
		"/claim assign C-1 @Ivan",
	} {
		e.Must("console:ivan", cmd, "may not give yourself")
	}
	// Nor to someone outside the absent person's rights.
	e.Must("console:ivan", "/client reassign Maria Co @Sam", "only to Maria Petrova or their team")

	e.Must("console:ivan", "/remind Maria Co: call the buyer by tomorrow", "T-")
	e.Must("console:ivan", "/meeting Maria Co 2026-11-27 11:00: demo", "Saved")
	e.Must("console:ivan", "/deal add Maria Co: Valves amount=50", "D-2")
	// After the window, Ivan keeps nothing of hers.
	e.Clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, e.TZ))
	e.MustNot("console:ivan", "/today", "call the buyer", "demo")
	e.MustNot("console:ivan", "/pipeline", "Pumps", "Valves")
	e.Must("console:ivan", "/client Maria Co", "No client of yours")
	e.Must("console:ivan", "/claim C-1", "No claim C-1")
	e.Must("console:maria", "/today", "call the buyer")
	e.Must("console:maria", "/pipeline", "100", "50")
}

// TestSupervisorsDeputyCannotTakeTheTeam: a deputy of a supervisor from
// another team cannot hand the team's clients to himself.
func TestSupervisorsDeputyCannotTakeTheTeam(t *testing.T) {
	e := newEnv(t)
	e.Team()
	e.Must("console:maria", "/client add Maria Co", "Saved")
	e.Must("console:sam", "/delegate @Ivan from today to +3d: leave", "Saved")
	e.Must("console:ivan", "/handover @Maria @Ivan", "may not give yourself")
	e.Must("console:ivan", "/client reassign Maria Co @Ivan", "may not give yourself")
	// Within the absent supervisor's team a handover is allowed.
	e.Must("console:ivan", "/handover @Maria @Sam", "Sam Stoev")
	e.Must("console:sam", "/client Maria Co", "Sam Stoev")
}

// TestSupervisorDoesNotReachOtherTeamsClaimsThroughAssignee: a claim of
// another team assigned to one of Sam's reports is Maria's to work on, but
// gives Sam no view of it.
func TestSupervisorDoesNotReachOtherTeamsClaimsThroughAssignee(t *testing.T) {
	e := newEnv(t)
	e.Team()
	e.Must("console:ivan", "/client add Ivan Co", "Saved")
	e.Must("console:ivan", "/claim Ivan Co: SECRET-IVAN broken seals", "C-1")
	e.Must("console:ivan", "/claim assign C-1 @Maria", "Maria Petrova")
	e.Must("console:maria", "/claim C-1", "SECRET-IVAN")
	e.Must("console:maria", "/claims", "C-1")
	e.Must("console:sam", "/claim C-1", "No claim C-1")
	e.Must("console:sam", "/claim note C-1: hello", "No claim C-1")
	e.MustNot("console:sam", "/claims", "C-1", "SECRET-IVAN")
	e.MustNot("console:sam", "/claims team", "C-1", "SECRET-IVAN")
	e.MustNot("console:sam", "/claims @Maria", "C-1", "SECRET-IVAN")
	e.MustNot("console:sam", "/claims all", "C-1", "SECRET-IVAN")
	e.MustNot("console:sam", "/claims report", "Ivan Co")
	e.MustNot("console:sam", "/digest", "Ivan Co", "SECRET-IVAN", "C-1")
	e.Must("console:admin", "/claim C-1", "SECRET-IVAN")
}

// TestDelegationWeekdayRangeFromTheStart: "from monday to friday" typed on
// a Tuesday is next week's Monday to Friday (the Friday counts from the
// Monday), not an end before the start.
func TestDelegationWeekdayRangeFromTheStart(t *testing.T) {
	e := newEnv(t)
	e.Team()
	// Tuesday 1 December 2026.
	e.Clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, e.TZ))
	e.Must("console:admin", "/delegate @Ivan from monday to friday for @Maria", "2026-12-07", "2026-12-11")
}
