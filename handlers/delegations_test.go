package handlers_test

import (
	"strings"
	"testing"
	"time"
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
	e.must("console:maria", "/client Maria Co history", "Ivan Ivanov for Maria Petrova", "city: Sofia → Varna")
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
