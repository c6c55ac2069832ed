package storetest

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

func testAudienceFollowsClient(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	c := &crm.Client{Name: "Acme", Segment: "retail", Need: "pumps", Source: "Agra 2027", OwnerID: 1, CreatedAt: planT0, ReviewedAt: planT0}
	if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	rows := audienceOf(t, s)
	if r := rows[c.ID]; r.Segment != "retail" || r.OwnerID != 1 || !r.CreatedAt.Equal(planT0) || r.Source != "Agra 2027" {
		t.Fatalf("row after create: %+v", r)
	}
	if _, err := s.UpdateClient(ctx, c.ID, crm.Actor{PersonID: 1}, planT0, func(c *crm.Client) error {
		c.Segment, c.Level, c.Source, c.OwnerID = "wholesale", "key", "Web", 2
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := audienceOf(t, s)[c.ID]
	if r.Segment != "wholesale" || r.Level != "key" || r.OwnerID != 2 || r.Need != "pumps" {
		t.Errorf("row after edit: %+v", r)
	}
	for owner, want := range map[uint64]int{1: 0, 2: 1} {
		n := 0
		if err := s.AudienceOf(ctx, []uint64{owner}, func(r crm.AudienceRow) bool { n++; return r.ClientID == c.ID }); err != nil || n != want {
			t.Errorf("AudienceOf(%d): %d rows, want %d (%v)", owner, n, want, err)
		}
	}
	// A logged conversation changes the client but not its row.
	if err := s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 2, Text: "hi", At: planT0}, nil); err != nil {
		t.Fatal(err)
	}
	if r2 := audienceOf(t, s)[c.ID]; r2 != r {
		t.Errorf("row changed by a conversation: %+v", r2)
	}
}

func testPlanAndPromisesFollowOwner(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	c := addDataClient(t, s, "Acme", 1)
	if _, err := s.SetContactPlan(ctx, &crm.ContactPlan{ClientID: c.ID, Every: crm.Cadence{Days: 14}, SetAt: planT0}, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	p := &crm.Promise{ClientID: c.ID, Text: "visit", Due: planT0.AddDate(0, 0, 3), CreatedAt: planT0}
	if err := s.CreatePromise(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.OwnerID != 1 {
		t.Fatalf("promise %+v", p)
	}
	planned := func(owner uint64) int {
		n := 0
		if err := s.PlannedClients(ctx, []uint64{owner}, func(*crm.ContactPlan, *crm.Client) bool { n++; return true }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	openOf := func(owner uint64) int {
		ps, err := s.OpenPromises(ctx, []uint64{owner}, planT0.AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	if planned(1) != 1 || openOf(1) != 1 {
		t.Fatal("plan or promise not indexed for the owner")
	}
	if _, err := s.UpdateClient(ctx, c.ID, crm.Actor{PersonID: 1}, planT0, func(c *crm.Client) error { c.OwnerID = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	if planned(1) != 0 || openOf(1) != 0 || planned(2) != 1 || openOf(2) != 1 {
		t.Errorf("after reassigning: owner 1 has %d plans, %d promises; owner 2 %d, %d", planned(1), openOf(1), planned(2), openOf(2))
	}
	// Keeping a promise takes it off the openOf list; the history has it.
	if _, err := s.UpdatePromise(ctx, p.ID, crm.Actor{PersonID: 2}, planT0, func(p *crm.Promise) error { p.DoneAt = planT0; return nil }); err != nil {
		t.Fatal(err)
	}
	if openOf(2) != 0 {
		t.Error("a kept promise is still openOf")
	}
	if h, _ := s.History(ctx, "promise", p.ID); len(h) != 2 || h[1].Field != "done" {
		t.Errorf("promise history: %+v", h)
	}
	// Stopping the plan removes it.
	if _, err := s.SetContactPlan(ctx, &crm.ContactPlan{ClientID: c.ID, SetAt: planT0}, crm.Actor{PersonID: 2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ContactPlan(ctx, c.ID); got != nil || planned(2) != 0 {
		t.Errorf("plan after stopping: %+v", got)
	}
}

func testMeetingNoticesDecidedOnce(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	c := addDataClient(t, s, "Acme", 1)
	soon := &crm.Meeting{ClientID: c.ID, PersonID: 1, At: planT0.Add(30 * time.Minute), CreatedAt: planT0}
	later := &crm.Meeting{ClientID: c.ID, PersonID: 1, At: planT0.Add(5 * time.Hour), CreatedAt: planT0}
	for _, m := range []*crm.Meeting{soon, later} {
		if err := s.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	decide := func(now time.Time) []crm.MeetingNotice {
		t.Helper()
		n, err := s.DecideMeetingNotices(ctx, crm.MeetingNoticeQuery{Now: now, RemindUntil: now.Add(time.Hour), AskUntil: now.Add(-time.Hour), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	got := decide(planT0)
	if len(got) != 1 || got[0].Kind != "remind" || got[0].MeetingID != soon.ID {
		t.Fatalf("first tick: %+v", got)
	}
	// Undelivered, it waits; the meeting is not decided again.
	if err := s.FinishMeetingNotice(ctx, got[0], false, 3); err != nil {
		t.Fatal(err)
	}
	if again := decide(planT0.Add(time.Minute)); len(again) != 1 || again[0].Attempts != 1 {
		t.Fatalf("second tick: %+v", again)
	}
	if err := s.FinishMeetingNotice(ctx, got[0], true, 3); err != nil {
		t.Fatal(err)
	}
	if none := decide(planT0.Add(2 * time.Minute)); len(none) != 0 {
		t.Fatalf("after delivery: %+v", none)
	}
	// Two hours later: the first meeting's question is due.
	asks := decide(planT0.Add(90*time.Minute + time.Minute))
	if len(asks) != 1 || asks[0].Kind != "ask" || asks[0].MeetingID != soon.ID {
		t.Fatalf("question: %+v", asks)
	}
	m, _ := s.Meeting(ctx, soon.ID)
	if m.RemindedAt.IsZero() || m.AskedAt.IsZero() {
		t.Errorf("meeting not marked: %+v", m)
	}
	// A meeting found only after it started gets no reminder.
	if err := s.FinishMeetingNotice(ctx, asks[0], true, 3); err != nil {
		t.Fatal(err)
	}
	if late := decide(planT0.Add(5*time.Hour + time.Minute)); len(late) != 0 {
		t.Errorf("a reminder after the start: %+v", late)
	}
	if m, _ := s.Meeting(ctx, later.ID); m.RemindedAt.IsZero() {
		t.Error("the late reminder was not marked decided")
	}
}

func testCampaignLeads(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	camp := &crm.Campaign{Name: "Agra 2027", Kind: crm.CampaignFair, Date: planT0, CreatedBy: 1, CreatedAt: planT0}
	if err := s.CreateCampaign(ctx, camp); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCampaign(ctx, &crm.Campaign{Name: "agra  2027", Kind: crm.CampaignFair}); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("a second campaign of the same name: %v", err)
	}
	a := addDataClient(t, s, "Acme", 1)
	b := &crm.Client{Name: "Beta", Source: "AGRA 2027", OwnerID: 2, CreatedAt: planT0.AddDate(0, 0, 1)}
	if err := s.CreateClient(ctx, b, crm.Actor{PersonID: 2}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		added, err := s.AddLead(ctx, &crm.Lead{CampaignID: camp.ID, ClientID: a.ID, At: planT0, By: 1}, crm.Actor{PersonID: 1})
		if err != nil || added != want {
			t.Fatalf("AddLead #%d: %v %v", i, added, err)
		}
	}
	if got, _ := s.Client(ctx, a.ID); got.Source != "Agra 2027" {
		t.Errorf("the lead's source is %q", got.Source)
	}
	leads, err := s.CampaignLeads(ctx, camp)
	if err != nil || len(leads) != 2 {
		t.Fatalf("leads: %+v %v", leads, err)
	}
	if got, err := s.CampaignByName(ctx, "AGRA 2027"); err != nil || got.ID != camp.ID {
		t.Errorf("by name: %+v %v", got, err)
	}
}

func testDealSumsMatchDeals(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	deals := []*crm.Deal{
		newDeal(1, 10, "100.50", crm.StageLead, "EUR"), newDeal(1, 10, "200", crm.StageWon, "EUR"),
		newDeal(2, 11, "300", crm.StageLost, "USD"), newDeal(2, 12, "12345678.99", crm.StageProposal, "BGN"),
	}
	deals[1].ClosedAt, deals[2].ClosedAt, deals[2].Competitor = t0.Add(time.Hour), t0.Add(2*time.Hour), "Metro"
	if err := s.ImportDeals(ctx, deals, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	var sums []string
	if err := s.EachDealSum(ctx, func(d *crm.DealSum) bool {
		sums = append(sums, d.Amount.String()+" "+d.Currency+" "+string(d.Stage)+" "+itoa(d.ClientID)+" "+d.ClosedAt.Format(time.RFC3339))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	var facts []string
	for _, client := range []uint64{10, 11, 12} {
		of, err := s.DealFactsOf(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range of {
			facts = append(facts, d.Amount.String()+" "+d.Currency+" "+d.Stage+" "+itoa(d.ClientID)+" "+d.ClosedAt.Format(time.RFC3339))
		}
	}
	sort.Strings(sums)
	sort.Strings(facts)
	if len(sums) != 4 || strings.Join(sums, "|") != strings.Join(facts, "|") {
		t.Errorf("sums %v\nfacts %v", sums, facts)
	}
	total := decimal.Zero
	for _, f := range sums {
		total = total.Add(decimal.RequireFromString(strings.Fields(f)[0]))
	}
	if !total.Equal(decimal.RequireFromString("12346279.49")) {
		t.Errorf("total %s", total)
	}
	of, err := s.DealFactsOf(ctx, 10)
	if err != nil || len(of) != 2 || of[1].Stage != "won" {
		t.Errorf("facts of client 10: %+v %v", of, err)
	}
}
