package storetest

import (
	"context"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

var claimT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func addClaimClient(t *testing.T, s *store.Store, name string, owner uint64) *crm.Client {
	t.Helper()
	c := &crm.Client{Name: name, OwnerID: owner, CreatedAt: claimT0, ReviewedAt: claimT0}
	if err := s.CreateClient(context.Background(), c, crm.Actor{PersonID: owner}); err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestClaim(cl *crm.Client, by uint64, at time.Time) *crm.Claim {
	c := crm.NewClaim(cl.ID, cl.OwnerID, crm.Actor{PersonID: by}, at, "broken pallet", "", crm.SeverityHigh, "delivery", at.Add(time.Hour), at.Add(10*time.Hour))
	return &c
}

func testClaimIDsNeverReused(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := open()
	cl := addClaimClient(t, s, "Acme", 1)
	for i := 0; i < 2; i++ {
		if err := s.CreateClaim(ctx, newTestClaim(cl, 1, claimT0)); err != nil {
			t.Fatal(err)
		}
	}
	// A claim of a missing client fails and takes no id.
	bad := newTestClaim(cl, 1, claimT0)
	bad.ClientID = 999
	if err := s.CreateClaim(ctx, bad); !crm.IsNotFound(err) {
		t.Fatalf("claim of a missing client: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = opened(t, open)
	c := newTestClaim(cl, 1, claimT0)
	if err := s.CreateClaim(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.ID != 3 {
		t.Errorf("after a restart the next claim is %d, want 3", c.ID)
	}
}

func testClaimIndexesFollowChanges(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	cl := addClaimClient(t, s, "Acme", 1)
	c := newTestClaim(cl, 1, claimT0)
	if err := s.CreateClaim(ctx, c); err != nil {
		t.Fatal(err)
	}
	openOf := func(person uint64) []uint64 {
		t.Helper()
		sums, err := s.ClaimsOf(ctx, []uint64{person}, true)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, x := range sums {
			ids = append(ids, x.ID)
		}
		return ids
	}
	if got := openOf(1); len(got) != 1 || got[0] != c.ID {
		t.Fatalf("owner's openOf claims = %v", got)
	}
	sums, _ := s.ClaimsOf(ctx, []uint64{1}, true)
	if sums[0].Severity != crm.SeverityHigh || sums[0].Category != "delivery" || !sums[0].ResolveDue.Equal(c.ResolveDue) || sums[0].ClientID != cl.ID {
		t.Errorf("summary = %+v", sums[0])
	}
	// Assigned: the assignee sees it too.
	if _, err := s.UpdateClaim(ctx, c.ID, func(x crm.Claim) (crm.Claim, error) {
		return crm.ApplyClaimEvent(x, crm.ClaimEvent{Kind: crm.StepAssign, At: claimT0, By: crm.Actor{PersonID: 1}, Person: 5})
	}); err != nil {
		t.Fatal(err)
	}
	if got := openOf(5); len(got) != 1 {
		t.Errorf("assignee's openOf claims = %v", got)
	}
	// A refused step changes nothing.
	if _, err := s.UpdateClaim(ctx, c.ID, func(x crm.Claim) (crm.Claim, error) {
		return crm.ApplyClaimEvent(x, crm.ClaimEvent{Kind: crm.StepResolve, At: claimT0})
	}); crm.ErrorCode(err) != crm.EINVALID {
		t.Fatalf("resolve without cause: %v", err)
	}
	// The client moves to person 2: so do its claims.
	if _, err := s.UpdateClient(ctx, cl.ID, crm.Actor{PersonID: 1}, claimT0, func(x *crm.Client) error { x.OwnerID = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := openOf(1); len(got) != 0 {
		t.Errorf("old owner still has %v", got)
	}
	if got := openOf(2); len(got) != 1 {
		t.Errorf("new owner has %v", got)
	}
	// Resolved: no longer openOf, but among the closed ones.
	if _, err := s.UpdateClaim(ctx, c.ID, func(x crm.Claim) (crm.Claim, error) {
		return crm.ApplyClaimEvent(x, crm.ClaimEvent{Kind: crm.StepResolve, At: claimT0.Add(time.Hour), By: crm.Actor{PersonID: 3, OnBehalfOf: 2}, Cause: "loading"})
	}); err != nil {
		t.Fatal(err)
	}
	if got := openOf(2); len(got) != 0 {
		t.Errorf("resolved claim still openOf: %v", got)
	}
	closed, _ := s.ClaimsOf(ctx, []uint64{2}, false)
	if len(closed) != 1 || closed[0].Status != crm.ClaimResolved {
		t.Errorf("closed = %+v", closed)
	}
	hist, err := s.History(ctx, "claim", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sawStatus, sawCause bool
	for _, h := range hist {
		if h.Field == "status" && h.New == "resolved" && h.By == 3 && h.OnBehalfOf == 2 {
			sawStatus = true
		}
		if h.Field == "cause" && h.New == "loading" {
			sawCause = true
		}
	}
	if !sawStatus || !sawCause || hist[0].Field != "created" {
		t.Errorf("history = %+v", hist)
	}
	var received int
	if err := s.ClaimsReceived(ctx, crm.ClaimsReceivedQuery{From: claimT0, To: claimT0.Add(time.Second)}, func(*crm.Claim) bool { received++; return true }); err != nil || received != 1 {
		t.Errorf("received in range = %d, %v", received, err)
	}
	if err := s.ClaimsReceived(ctx, crm.ClaimsReceivedQuery{From: claimT0.Add(time.Second), To: claimT0.Add(time.Hour)}, func(*crm.Claim) bool { received++; return true }); err != nil || received != 1 {
		t.Errorf("received out of range = %d, %v", received, err)
	}
}

func testEscalateClaimsOnce(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	cl := addClaimClient(t, s, "Acme", 1)
	c := newTestClaim(cl, 1, claimT0) // resolve due at +10h
	if err := s.CreateClaim(ctx, c); err != nil {
		t.Fatal(err)
	}
	pick := crm.EscalationRoute{Otherwise: 9}
	if p, err := s.EscalateClaims(ctx, claimT0.Add(10*time.Hour), 100, pick); err != nil || len(p) != 0 {
		t.Fatalf("at the deadline: %v %v", p, err)
	}
	p, err := s.EscalateClaims(ctx, claimT0.Add(11*time.Hour), 100, pick)
	if err != nil || len(p) != 1 || p[0].To != 9 || p[0].ClaimID != c.ID {
		t.Fatalf("after the deadline: %+v %v", p, err)
	}
	// Undelivered: still pending, but not decided again.
	if err := s.FinishEscalation(ctx, c.ID, false, 3); err != nil {
		t.Fatal(err)
	}
	p, _ = s.EscalateClaims(ctx, claimT0.Add(12*time.Hour), 100, pick)
	if len(p) != 1 || p[0].Attempts != 1 {
		t.Fatalf("pending after a failed delivery: %+v", p)
	}
	if err := s.FinishEscalation(ctx, c.ID, true, 3); err != nil {
		t.Fatal(err)
	}
	if p, _ = s.EscalateClaims(ctx, claimT0.Add(13*time.Hour), 100, pick); len(p) != 0 {
		t.Fatalf("escalated again: %+v", p)
	}
	got, _ := s.Claim(ctx, c.ID)
	n := 0
	for _, st := range got.Timeline {
		if st.Kind == crm.StepEscalated {
			n++
		}
	}
	if n != 1 || !got.EscalatedDue.Equal(c.ResolveDue) {
		t.Errorf("escalation steps %d, marker %v", n, got.EscalatedDue)
	}
}
