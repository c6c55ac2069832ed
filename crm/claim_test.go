package crm

import (
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func claimIn(status ClaimStatus) Claim {
	c := NewClaim(7, 2, Actor{PersonID: 2}, t0, "late delivery", "", SeverityHigh, "delivery", t0.Add(time.Hour), t0.Add(48*time.Hour))
	c.ID = 12
	c.Status = status
	return c
}

// event returns a valid event of kind, so that only the status decides.
func event(kind ClaimStepKind) ClaimEvent {
	e := ClaimEvent{Kind: kind, At: t0.Add(time.Hour), By: Actor{PersonID: 3, OnBehalfOf: 2}, Text: "some text"}
	switch kind {
	case StepResolve:
		e.Cause, e.Action = "late supplier", ActionCorrective
	case StepAssign:
		e.Person = 9
	case StepSatisfied:
		e.Score = 4
	case StepReopen:
		e.AckDue, e.ResolveDue = t0.Add(100*time.Hour), t0.Add(200*time.Hour)
	case StepEscalated:
		e.Person = 5
		e.By = Actor{}
	}
	return e
}

func TestClaimTransitions(t *testing.T) {
	all := []ClaimStepKind{StepAck, StepInvestigate, StepNote, StepAssign, StepRespond, StepResolve, StepReject, StepReopen, StepSatisfied, StepEscalated}
	// Written out by hand (not derived from the implementation's table).
	allowed := map[ClaimStatus]map[ClaimStepKind]ClaimStatus{
		ClaimNew:           {StepAck: ClaimAcknowledged, StepInvestigate: ClaimInvestigating, StepRespond: ClaimResponded, StepResolve: ClaimResolved, StepReject: ClaimRejected, StepAssign: ClaimNew, StepNote: ClaimNew, StepEscalated: ClaimNew},
		ClaimAcknowledged:  {StepInvestigate: ClaimInvestigating, StepRespond: ClaimResponded, StepResolve: ClaimResolved, StepReject: ClaimRejected, StepAssign: ClaimAcknowledged, StepNote: ClaimAcknowledged, StepEscalated: ClaimAcknowledged},
		ClaimInvestigating: {StepRespond: ClaimResponded, StepResolve: ClaimResolved, StepReject: ClaimRejected, StepAssign: ClaimInvestigating, StepNote: ClaimInvestigating, StepEscalated: ClaimInvestigating},
		ClaimResponded:     {StepInvestigate: ClaimInvestigating, StepRespond: ClaimResponded, StepResolve: ClaimResolved, StepReject: ClaimRejected, StepAssign: ClaimResponded, StepSatisfied: ClaimResponded, StepNote: ClaimResponded, StepEscalated: ClaimResponded},
		ClaimResolved:      {StepReopen: ClaimReopened, StepSatisfied: ClaimResolved, StepNote: ClaimResolved},
		ClaimRejected:      {StepReopen: ClaimReopened, StepSatisfied: ClaimRejected, StepNote: ClaimRejected},
		ClaimReopened:      {StepAck: ClaimAcknowledged, StepInvestigate: ClaimInvestigating, StepRespond: ClaimResponded, StepResolve: ClaimResolved, StepReject: ClaimRejected, StepAssign: ClaimReopened, StepNote: ClaimReopened, StepEscalated: ClaimReopened},
	}
	for _, st := range ClaimStatuses {
		for _, k := range all {
			t.Run(string(st)+"/"+string(k), func(t *testing.T) {
				c := claimIn(st)
				before := c.Clone()
				got, err := ApplyClaimEvent(c, event(k))
				want, ok := allowed[st][k]
				if !ok {
					if ErrorCode(err) != ECONFLICT {
						t.Fatalf("%s from %s: err = %v, want a conflict", k, st, err)
					}
					if !reflect.DeepEqual(got, before) {
						t.Errorf("a refused step changed the claim: %+v", got)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s from %s: %v", k, st, err)
				}
				if got.Status != want {
					t.Errorf("%s from %s: status %s, want %s", k, st, got.Status, want)
				}
				if len(got.Timeline) != len(before.Timeline)+1 {
					t.Fatalf("timeline has %d steps, want %d", len(got.Timeline), len(before.Timeline)+1)
				}
				last := got.Timeline[len(got.Timeline)-1]
				if last.Kind != k || !last.At.Equal(t0.Add(time.Hour)) {
					t.Errorf("last step = %+v", last)
				}
				if k != StepEscalated && (last.By != 3 || last.OnBehalfOf != 2) {
					t.Errorf("step actor = %d for %d, want 3 for 2", last.By, last.OnBehalfOf)
				}
				if !reflect.DeepEqual(c, before) {
					t.Errorf("the input claim was changed")
				}
			})
		}
	}
}

func TestClaimRulesChangeNothing(t *testing.T) {
	tests := []struct {
		name   string
		status ClaimStatus
		event  ClaimEvent
		code   string
		key    string
	}{
		{"resolve without cause", ClaimInvestigating, ClaimEvent{Kind: StepResolve, At: t0, Text: "fixed"}, EINVALID, "claim.cause_required"},
		{"resolve with blank cause", ClaimInvestigating, ClaimEvent{Kind: StepResolve, At: t0, Text: "fixed", Cause: "  "}, EINVALID, "claim.cause_required"},
		{"resolve a rejected claim", ClaimRejected, ClaimEvent{Kind: StepResolve, At: t0, Cause: "x"}, ECONFLICT, "claim.bad_transition"},
		{"resolve with a bad action", ClaimNew, ClaimEvent{Kind: StepResolve, At: t0, Cause: "x", Action: "maybe"}, EINVALID, "claim.bad_action"},
		{"reject without reason", ClaimNew, ClaimEvent{Kind: StepReject, At: t0}, EINVALID, "claim.reject_usage"},
		{"reopen without reason", ClaimResolved, ClaimEvent{Kind: StepReopen, At: t0}, EINVALID, "claim.reopen_usage"},
		{"reopen an open claim", ClaimInvestigating, ClaimEvent{Kind: StepReopen, At: t0, Text: "again"}, ECONFLICT, "claim.bad_transition"},
		{"ack twice", ClaimAcknowledged, ClaimEvent{Kind: StepAck, At: t0}, ECONFLICT, "claim.bad_transition"},
		{"note without text", ClaimNew, ClaimEvent{Kind: StepNote, At: t0}, EINVALID, "claim.note_usage"},
		{"respond without text", ClaimNew, ClaimEvent{Kind: StepRespond, At: t0}, EINVALID, "claim.respond_usage"},
		{"score 0", ClaimResolved, ClaimEvent{Kind: StepSatisfied, At: t0, Score: 0}, EINVALID, "claim.bad_score"},
		{"score 6", ClaimResolved, ClaimEvent{Kind: StepSatisfied, At: t0, Score: 6}, EINVALID, "claim.bad_score"},
		{"score an open claim", ClaimNew, ClaimEvent{Kind: StepSatisfied, At: t0, Score: 5}, ECONFLICT, "claim.bad_transition"},
		{"assign nobody", ClaimNew, ClaimEvent{Kind: StepAssign, At: t0}, EINVALID, "claim.assign_usage"},
		{"unknown step", ClaimNew, ClaimEvent{Kind: "fly", At: t0}, EINVALID, "claim.bad_step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := claimIn(tt.status)
			before := c.Clone()
			got, err := ApplyClaimEvent(c, tt.event)
			var ce *Error
			if err == nil || ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
			ce = err.(*Error)
			if ce.Key != tt.key {
				t.Errorf("key = %s, want %s", ce.Key, tt.key)
			}
			if !reflect.DeepEqual(got, before) || !reflect.DeepEqual(c, before) {
				t.Errorf("claim changed on error")
			}
		})
	}
}

func TestClaimLifecycleFields(t *testing.T) {
	c := claimIn(ClaimNew)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	must := func(c Claim, e ClaimEvent) Claim {
		t.Helper()
		n, err := ApplyClaimEvent(c, e)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	c = must(c, ClaimEvent{Kind: StepNote, At: at(1), Text: "called the warehouse"})
	if !c.AckedAt.IsZero() {
		t.Error("a note acknowledged the claim")
	}
	c = must(c, ClaimEvent{Kind: StepRespond, At: at(2), Text: "we replace it"})
	if !c.AckedAt.Equal(at(2)) || !c.RespondedAt.Equal(at(2)) || c.Response != "we replace it" {
		t.Errorf("respond: acked %v responded %v %q", c.AckedAt, c.RespondedAt, c.Response)
	}
	c = must(c, ClaimEvent{Kind: StepResolve, At: at(3), Text: "replaced", Cause: "late supplier"})
	if c.Action != ActionNone || c.Cause != "late supplier" || !c.ClosedAt.Equal(at(3)) || !c.ResolvedAt.Equal(at(3)) {
		t.Errorf("resolve: %+v", c)
	}
	c = must(c, ClaimEvent{Kind: StepSatisfied, At: at(4), Score: 2})
	if c.Satisfaction != 2 {
		t.Errorf("satisfaction %d", c.Satisfaction)
	}
	c = must(c, ClaimEvent{Kind: StepReopen, At: at(5), Text: "broken again", AckDue: at(9), ResolveDue: at(90)})
	if c.Status != ClaimReopened || !c.ClosedAt.IsZero() || !c.ResolvedAt.IsZero() || c.Satisfaction != 0 || !c.AckDue.Equal(at(9)) || !c.ResolveDue.Equal(at(90)) {
		t.Errorf("reopen: %+v", c)
	}
	if !c.AckedAt.Equal(at(2)) {
		t.Error("reopen lost the first acknowledgement time")
	}
	if !c.Status.AwaitsAck() {
		t.Error("a reopened claim does not wait for acknowledgement")
	}
	c = must(c, ClaimEvent{Kind: StepEscalated, At: at(91), Person: 5})
	if !c.EscalatedDue.Equal(at(90)) {
		t.Errorf("escalated due = %v", c.EscalatedDue)
	}
	if _, err := ApplyClaimEvent(c, ClaimEvent{Kind: StepEscalated, At: at(92), Person: 5}); ErrorCode(err) != ECONFLICT {
		t.Errorf("the same breach escalated twice: %v", err)
	}
	c = must(c, ClaimEvent{Kind: StepReject, At: at(93), Text: "not our product"})
	if c.RejectReason != "not our product" || c.Status != ClaimRejected || c.Status.Open() {
		t.Errorf("reject: %+v", c)
	}
	kinds := []ClaimStepKind{}
	for _, s := range c.Timeline {
		kinds = append(kinds, s.Kind)
	}
	want := []ClaimStepKind{StepReceived, StepNote, StepRespond, StepResolve, StepSatisfied, StepReopen, StepEscalated, StepReject}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("timeline %v, want %v", kinds, want)
	}
}

func TestClaimOverdue(t *testing.T) {
	c := claimIn(ClaimNew) // ack due t0+1h, resolve due t0+48h
	tests := []struct {
		status       ClaimStatus
		at           time.Duration
		ack, resolve bool
	}{
		{ClaimNew, 30 * time.Minute, false, false},
		{ClaimNew, time.Hour, false, false}, // exactly at the deadline is in time
		{ClaimNew, 2 * time.Hour, true, false},
		{ClaimAcknowledged, 2 * time.Hour, false, false},
		{ClaimReopened, 2 * time.Hour, true, false},
		{ClaimInvestigating, 49 * time.Hour, false, true},
		{ClaimResolved, 49 * time.Hour, false, false},
		{ClaimRejected, 100 * time.Hour, false, false},
	}
	for _, tt := range tests {
		c.Status = tt.status
		now := t0.Add(tt.at)
		s := c.Summary()
		if c.AckOverdue(now) != tt.ack || c.ResolveOverdue(now) != tt.resolve || s.AckOverdue(now) != tt.ack || s.ResolveOverdue(now) != tt.resolve {
			t.Errorf("%s at +%v: ack %v resolve %v, want %v %v", tt.status, tt.at, c.AckOverdue(now), c.ResolveOverdue(now), tt.ack, tt.resolve)
		}
	}
}

func TestParseClaimWords(t *testing.T) {
	for in, want := range map[string]uint64{"C-12": 12, "c12": 12, "К-3": 3, "к3": 3, "#7": 7, "12": 12} {
		if got, ok := ParseClaimRef(in); !ok || got != want {
			t.Errorf("ParseClaimRef(%q) = %d %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "C-", "C-0", "D-3", "abc"} {
		if _, ok := ParseClaimRef(in); ok {
			t.Errorf("ParseClaimRef(%q) accepted", in)
		}
	}
	for in, want := range map[string]Severity{"High": SeverityHigh, "критична": SeverityCritical, "ниска": SeverityLow, "средна": SeverityMedium} {
		if got, ok := ParseSeverity(in); !ok || got != want {
			t.Errorf("ParseSeverity(%q) = %q", in, got)
		}
	}
	if _, ok := ParseSeverity("huge"); ok {
		t.Error("ParseSeverity accepted huge")
	}
	for in, want := range map[string]string{"Delivery": "delivery", "качество": "quality", "фактура": "invoice", "  Packaging  ": "packaging"} {
		if got, ok := ParseCategory(in); !ok || got != want {
			t.Errorf("ParseCategory(%q) = %q", in, got)
		}
	}
	for in, want := range map[string]CorrectiveAction{"corrective": ActionCorrective, "превантивно": ActionPreventive, "няма": ActionNone} {
		if got, ok := ParseCorrectiveAction(in); !ok || got != want {
			t.Errorf("ParseCorrectiveAction(%q) = %q", in, got)
		}
	}
}
