package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

// testStale specifies StaleClients: which clients are stale, their order,
// the total and the Oldest cut, over several owners at once.
func testStale(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	now := t0.AddDate(0, 6, 0)
	tb, rb := now.AddDate(0, 0, -30), now.AddDate(0, 0, -90)
	mk := func(name string, owner uint64, touch, reviewed time.Time) *crm.Client {
		t.Helper()
		c := &crm.Client{Name: name, OwnerID: owner, CreatedAt: now.AddDate(-1, 0, 0), LastTouch: touch, ReviewedAt: reviewed}
		if err := st.CreateClient(ctx, c, crm.Actor{}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	mk("fresh", 1, now, now)
	a := mk("untouched 60", 1, now.AddDate(0, 0, -60), now)
	b := mk("never touched", 1, time.Time{}, now.AddDate(0, 0, -50))
	c := mk("unreviewed", 2, now, now.AddDate(0, 0, -100))
	d := mk("untouched 40", 2, now.AddDate(0, 0, -40), now)
	mk("someone else's", 3, time.Time{}, time.Time{})
	names := func(cs []*crm.Client) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return fmt.Sprint(out)
	}
	q := crm.StaleQuery{Owners: []uint64{2, 1}, TouchBefore: tb, ReviewBefore: rb}
	got, err := st.StaleClients(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// Owner by owner in the order asked, by id within an owner.
	want := names([]*crm.Client{c, d, a, b})
	if got.Total != 4 || names(got.Clients) != want {
		t.Errorf("stale %d %s, want 4 %s", got.Total, names(got.Clients), want)
	}
	q.Oldest = 2
	if got, _ = st.StaleClients(ctx, q); got.Total != 4 || names(got.Clients) != names([]*crm.Client{b, a}) {
		t.Errorf("oldest 2: %d %s", got.Total, names(got.Clients))
	}
	if got, _ = st.StaleClients(ctx, crm.StaleQuery{TouchBefore: tb, ReviewBefore: rb}); got.Total != 0 || len(got.Clients) != 0 {
		t.Errorf("no owners: %+v", got)
	}
	cs, err := st.ClientsByOwner(ctx, []uint64{2, 1})
	if err != nil || names(cs) != "[unreviewed untouched 40 fresh never touched untouched 60]" {
		t.Errorf("clients by owner: %s %v", names(cs), err)
	}
}

// testOpenTasksOf specifies OpenTasks over several assignees: assignee by
// assignee in the order asked, soonest first within one, open ones only.
func testOpenTasksOf(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	for i, tk := range []struct {
		who uint64
		day int
	}{{1, 3}, {2, 2}, {1, 1}, {2, 5}, {3, 1}, {1, 20}} {
		if err := st.CreateTask(ctx, &crm.Task{ClientID: c.ID, AssigneeID: tk.who, Text: fmt.Sprint("task ", i), Due: t0.AddDate(0, 0, tk.day), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.OpenTasks(ctx, []uint64{2, 1}, t0.AddDate(0, 0, 10))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, tk := range got {
		texts = append(texts, tk.Text)
	}
	if fmt.Sprint(texts) != "[task 1 task 3 task 2 task 0]" {
		t.Errorf("open tasks %v", texts)
	}
}

// testClaimQueries specifies ClaimsOf over several people (each claim
// once, by id), ClaimsReceived's filters and EscalateClaims' route.
func testClaimQueries(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	mk := func(owner, assignee uint64, cat string, at time.Time) *crm.Claim {
		t.Helper()
		cl := &crm.Claim{ClientID: c.ID, OwnerID: owner, AssigneeID: assignee, ReporterID: owner, Text: "x", Severity: "high", Category: cat,
			Status: crm.ClaimNew, CreatedAt: at, AckDue: at.Add(time.Hour), ResolveDue: at.Add(2 * time.Hour)}
		if err := st.CreateClaim(ctx, cl); err != nil {
			t.Fatal(err)
		}
		return cl
	}
	a := mk(1, 2, "quality", t0)
	b := mk(2, 0, "delivery", t0.Add(time.Minute))
	x := mk(3, 0, "quality", t0.Add(2*time.Minute))
	ids := func(sums []crm.ClaimSummary) string {
		var out []uint64
		for _, s := range sums {
			out = append(out, s.ID)
		}
		return fmt.Sprint(out)
	}
	if sums, err := st.ClaimsOf(ctx, []uint64{2, 1}, true); err != nil || ids(sums) != fmt.Sprint([]uint64{a.ID, b.ID}) {
		t.Errorf("claims of 2 and 1: %s %v", ids(sums), err)
	}
	if sums, _ := st.ClaimsOf(ctx, []uint64{1}, false); len(sums) != 0 {
		t.Errorf("closed claims of 1: %s", ids(sums))
	}
	received := func(q crm.ClaimsReceivedQuery) string {
		var out []uint64
		if err := st.ClaimsReceived(ctx, q, func(cl *crm.Claim) bool { out = append(out, cl.ID); return true }); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out)
	}
	all := crm.ClaimsReceivedQuery{From: t0, To: t0.Add(time.Hour)}
	if got := received(all); got != fmt.Sprint([]uint64{a.ID, b.ID, x.ID}) {
		t.Errorf("received %s", got)
	}
	byPerson := all
	byPerson.People = []uint64{2}
	if got := received(byPerson); got != fmt.Sprint([]uint64{a.ID, b.ID}) {
		t.Errorf("received, owned by or assigned to 2: %s", got)
	}
	byPerson.Category = "quality"
	if got := received(byPerson); got != fmt.Sprint([]uint64{a.ID}) {
		t.Errorf("received, of 2, quality: %s", got)
	}
	if got := received(crm.ClaimsReceivedQuery{From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}); got != fmt.Sprint([]uint64{b.ID}) {
		t.Errorf("received in [+1m, +2m): %s", got)
	}
	route := crm.EscalationRoute{ByOwner: map[uint64]uint64{1: 10, 2: 0}, Otherwise: 30}
	pending, err := st.EscalateClaims(ctx, t0.Add(3*time.Hour), 10, route)
	if err != nil {
		t.Fatal(err)
	}
	to := map[uint64]uint64{}
	for _, e := range pending {
		to[e.ClaimID] = e.To
	}
	if len(to) != 2 || to[a.ID] != 10 || to[x.ID] != 30 {
		t.Errorf("escalations %+v", pending)
	}
	for _, id := range []uint64{a.ID, b.ID, x.ID} {
		if cl, _ := st.Claim(ctx, id); cl.EscalatedDue.IsZero() {
			t.Errorf("claim %d: breach not marked escalated", id)
		}
	}
	if again, _ := st.EscalateClaims(ctx, t0.Add(4*time.Hour), 10, route); len(again) != 2 {
		t.Errorf("pending again: %+v", again)
	}
}

// testDeliveryRules specifies the idempotency rule every write shares: the
// first write committed under a delivery key records it, later writes of
// the same request still write, a redelivery writes nothing, and neither
// a failed write, a read nor a write without the key records it.
func testDeliveryRules(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	logTalk := func(dctx context.Context, text string) error {
		return st.LogConversation(dctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: text, At: t0}, nil)
	}
	// A read and a failed write record nothing.
	first := crm.WithDeliveryKey(ctx, "test:delivery:1")
	if _, err := st.Client(first, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.LogConversation(first, &crm.Conversation{ClientID: 999, AuthorID: 1, Text: "nobody", At: t0}, nil); err == nil {
		t.Fatal("a talk with an unknown client was logged")
	}
	// Bookkeeping without the key records nothing either.
	if err := st.CreateTask(crm.WithoutDeliveryKey(first), &crm.Task{AssigneeID: 1, Text: "bookkeeping", Due: t0}); err != nil {
		t.Fatal(err)
	}
	if err := logTalk(first, "one"); err != nil {
		t.Fatalf("the delivery's first write after a read, a failure and bookkeeping: %v", err)
	}
	// The same request writes again: that is not a redelivery.
	if _, err := st.UpdateClient(first, c.ID, crm.Actor{PersonID: 1}, t0, func(x *crm.Client) error { x.City = "Plovdiv"; return nil }); err != nil {
		t.Errorf("the request's second write: %v", err)
	}
	// A redelivery (a new request with the same key) writes nothing.
	again := crm.WithDeliveryKey(ctx, "test:delivery:1")
	if err := logTalk(again, "two"); !errors.Is(err, crm.ErrDuplicate) {
		t.Errorf("redelivery: %v, want crm.ErrDuplicate", err)
	}
	if err := st.CreateTask(again, &crm.Task{AssigneeID: 1, Text: "again", Due: t0}); !errors.Is(err, crm.ErrDuplicate) {
		t.Errorf("redelivery, another kind of write: %v, want crm.ErrDuplicate", err)
	}
	if err := logTalk(crm.WithDeliveryKey(ctx, "test:delivery:2"), "three"); err != nil {
		t.Errorf("another delivery: %v", err)
	}
	convs, _ := st.Conversations(ctx, c.ID, 0)
	if len(convs) != 2 {
		t.Errorf("%d conversations, want 2 (one per delivery)", len(convs))
	}
	if got, _ := st.Client(ctx, c.ID); got.City != "Plovdiv" {
		t.Errorf("city %q: the request's second write was lost", got.City)
	}
}

// testSegmentClients specifies SegmentClients: the clients of the owners
// asked (never another's), their open and won deals (no lost one) and
// their claims in the period, the same whether few or many owners are
// asked (the store reads them differently).
func testSegmentClients(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	a := addClient(t, st, "Acme", 1)
	b := addClient(t, st, "Beta", 2)
	addClient(t, st, "Other", 3)
	for _, d := range []struct {
		client uint64
		stage  crm.Stage
		amount string
	}{{a.ID, crm.StageLead, "100"}, {a.ID, crm.StageWon, "200"}, {a.ID, crm.StageLost, "300"}, {b.ID, crm.StageProposal, "50"}} {
		deal := &crm.Deal{ClientID: d.client, OwnerID: 1, Title: "d", Amount: decimal.RequireFromString(d.amount), Currency: "EUR", Stage: d.stage, CreatedAt: t0, ExpectedClose: t0.AddDate(0, 1, 0)}
		if !d.stage.Open() {
			deal.ClosedAt = t0.Add(time.Hour)
		}
		if err := st.CreateDeal(ctx, deal, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, at := range []time.Time{t0, t0.Add(time.Hour), t0.AddDate(-2, 0, 0)} {
		cl := crm.NewClaim(a.ID, 1, crm.Actor{PersonID: 1}, at, "late", "", crm.SeverityLow, "delivery", at.Add(time.Hour), at.Add(2*time.Hour))
		if err := st.CreateClaim(ctx, &cl); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(owners []uint64) string {
		var out []string
		if err := st.SegmentClients(ctx, owners, crm.SegmentPeriodsAt(t0), func(sc *crm.SegmentClient) bool {
			var deals []string
			for _, d := range sc.Deals {
				deals = append(deals, string(d.Stage)+" "+d.Amount.String())
			}
			sort.Strings(deals)
			out = append(out, fmt.Sprintf("%d: %v claims %d", sc.Row.ClientID, deals, sc.Claims))
			return true
		}); err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return fmt.Sprint(out)
	}
	want := fmt.Sprint([]string{fmt.Sprintf("%d: [lead 100 won 200] claims 2", a.ID), fmt.Sprintf("%d: [proposal 50] claims 0", b.ID)})
	if got := seen([]uint64{1, 2}); got != want {
		t.Errorf("few owners:\n%s\nwant\n%s", got, want)
	}
	many := []uint64{1, 2}
	for id := uint64(100); len(many) < 40; id++ {
		many = append(many, id)
	}
	if got := seen(many); got != want {
		t.Errorf("many owners:\n%s\nwant\n%s", got, want)
	}
}

// testSegmentReport specifies SegmentReport: the same figures whether the
// owners hold every client (read from the maintained figures) or not
// (counted client by client), for every field, after writes that move
// clients between groups, win and reopen deals and raise claims; and the
// periods counted by whole days.
func testSegmentReport(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	a := addClient(t, st, "Acme", 1)
	b := addClient(t, st, "Beta", 2)
	c := addClient(t, st, "Gamma", 3)
	edit := func(id uint64, f func(c *crm.Client)) {
		t.Helper()
		if _, err := st.UpdateClient(ctx, id, crm.Actor{PersonID: 1}, t0, func(c *crm.Client) error {
			f(c)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	edit(a.ID, func(c *crm.Client) { c.Segment, c.Need = "Retail", "pumps, valves" })
	edit(b.ID, func(c *crm.Client) { c.Segment, c.Need, c.Status = "retail ", "Pumps", "client" })
	edit(c.ID, func(c *crm.Client) { c.Segment = "Wholesale" })
	edit(c.ID, func(c *crm.Client) { c.Segment = "Export" }) // leaves Wholesale
	for _, d := range []struct {
		client uint64
		stage  crm.Stage
		amount string
		closed time.Time
	}{
		{a.ID, crm.StageWon, "200", t0.AddDate(0, -2, 0)},
		{a.ID, crm.StageWon, "70", t0.AddDate(-1, -3, 0)},
		{a.ID, crm.StageLead, "100", time.Time{}},
		{c.ID, crm.StageWon, "30", t0.AddDate(-1, 0, 0)}, // the last day of "before"
		{c.ID, crm.StageWon, "40", t0.AddDate(-1, 0, 1)}, // the first day of "now"
		{b.ID, crm.StageLost, "999", t0.AddDate(0, -1, 0)},
	} {
		deal := &crm.Deal{ClientID: d.client, OwnerID: 1, Title: "d", Amount: decimal.RequireFromString(d.amount), Currency: "EUR", Stage: d.stage, CreatedAt: t0.AddDate(-2, 0, 0), ExpectedClose: t0.AddDate(0, 1, 0), ClosedAt: d.closed}
		if err := st.CreateDeal(ctx, deal, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// Claims today and five months ago are in "now"; two years ago is not.
	for _, at := range []time.Time{t0, t0.AddDate(0, -5, 0), t0.AddDate(-2, 0, 0)} {
		for _, id := range []uint64{a.ID, b.ID} {
			cl := crm.NewClaim(id, 1, crm.Actor{PersonID: 1}, at, "late", "", crm.SeverityLow, "delivery", at.Add(time.Hour), at.Add(2*time.Hour))
			if err := st.CreateClaim(ctx, &cl); err != nil {
				t.Fatal(err)
			}
		}
	}
	report := func(owners []uint64, by string) string {
		t.Helper()
		rep, err := st.SegmentReport(ctx, crm.SegmentQuery{Owners: owners, By: by, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		return rep.String()
	}
	// Owners 1, 2 and 3 hold every client: once the figures are built
	// (in the background on the first analysis of a store without them),
	// the report is read from the figures kept with the writes.
	if err := st.BuildSegmentFigures(ctx); err != nil {
		t.Fatal(err)
	}
	everyone := []uint64{1, 2, 3}
	kept := map[string]string{}
	for _, by := range crm.SegmentFields {
		kept[by] = report(everyone, by)
	}
	for by, lines := range map[string][]string{
		"segment": {
			`all 3/0 new 3/0 won map[EUR:240]/map[EUR:100] open map[EUR:100] claims 4`,
			`"eksport" "Export" 1/0 new 1/0 won map[EUR:40]/map[EUR:30] open map[] claims 0`,
			`"retail" "Retail" 2/0 new 2/0 won map[EUR:200]/map[EUR:70] open map[EUR:100] claims 4`,
		},
		"need": {
			`"" "" 1/0 new 1/0 won map[EUR:40]/map[EUR:30] open map[] claims 0`,
			`"pumps" "Pumps" 2/0 new 2/0 won map[EUR:200]/map[EUR:70] open map[EUR:100] claims 4`,
			`"valves" "valves" 1/0 new 1/0 won map[EUR:200]/map[EUR:70] open map[EUR:100] claims 2`,
		},
	} {
		for _, line := range lines {
			if !strings.Contains(kept[by], line) {
				t.Errorf("segments by %s:\n%s\nlacks\n%s", by, kept[by], line)
			}
		}
	}
	if strings.Contains(kept["segment"], "wholesale") {
		t.Errorf("a group no one is in any more is still there:\n%s", kept["segment"])
	}
	// A client of a fourth owner makes the same three owners a part of
	// the company: their report is counted client by client and must
	// equal the kept one to the last figure.
	addClient(t, st, "Delta", 4)
	for _, by := range crm.SegmentFields {
		if got := report(everyone, by); got != kept[by] {
			t.Errorf("segments by %s, counted:\n%s\nkept:\n%s", by, got, kept[by])
		}
	}
	if got := report([]uint64{1, 2, 3, 4}, "segment"); !strings.Contains(got, `all 3/1 new 4/0`) || !strings.Contains(got, `"" "" 0/1 new 1/0`) {
		t.Errorf("segments by segment with the fourth owner:\n%s", got)
	}
}

// testDigestDays specifies that digest records are keyed by calendar date:
// midnight of one date in two time zones names one record; a snapshot is
// stored once per kind and date.
func testDigestDays(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	sofia := time.FixedZone("EET", 2*3600)
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, sofia)
	if _, err := st.UpdateDigestDelivery(ctx, 7, 8, day, func(d *crm.DigestDelivery) error {
		d.Claim([]string{"telegram:1"}, t0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var seen *crm.DigestDelivery
	if _, err := st.UpdateDigestDelivery(ctx, 7, 8, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), func(d *crm.DigestDelivery) error {
		n := len(d.Sends)
		seen = &crm.DigestDelivery{Sends: make(map[string]*crm.DigestSend, n)}
		for k, v := range d.Sends {
			seen.Sends[k] = v
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if seen == nil || len(seen.Sends) != 1 {
		t.Errorf("the same date in another zone: %+v", seen)
	}
	rows := []crm.SnapshotRow{{PersonID: 7, Bucket: "a"}, {PersonID: 8, Bucket: "b"}}
	if ok, err := st.PutSnapshot(ctx, "pipeline", day, t0, rows); err != nil || !ok {
		t.Fatalf("first snapshot: %v %v", ok, err)
	}
	if ok, _ := st.PutSnapshot(ctx, "pipeline", day.In(time.UTC).Add(12*time.Hour), t0, rows[:1]); ok {
		t.Error("a second snapshot of the same date was stored")
	}
	if ok, _ := st.HasSnapshot(ctx, "pipeline", day.AddDate(0, 0, 1)); ok {
		t.Error("the next date has a snapshot")
	}
	got, taken, err := st.SnapshotRows(ctx, "pipeline", day, []uint64{8})
	if err != nil || !taken || len(got) != 1 || got[0].Bucket != "b" {
		t.Errorf("rows of 8: %+v %v %v", got, taken, err)
	}
}

// testDealPeriods specifies the deal queries by period: ClosedTotals over
// days and months of any span (one total per owner, stage and currency),
// ClosingTotals and OpenDealsClosing by close month.
func testDealPeriods(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	mk := func(stage crm.Stage, amount string, at time.Time) {
		t.Helper()
		d := &crm.Deal{ClientID: c.ID, OwnerID: 1, Title: "d", Amount: decimal.RequireFromString(amount), Currency: "EUR", Stage: stage, CreatedAt: t0, ExpectedClose: at}
		if !stage.Open() {
			d.ClosedAt = at
		}
		if err := st.CreateDeal(ctx, d, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	mk(crm.StageWon, "1", day(2026, 1, 30).Add(10*time.Hour))
	mk(crm.StageWon, "2", day(2026, 2, 10).Add(10*time.Hour))
	mk(crm.StageWon, "4", day(2026, 3, 31).Add(10*time.Hour))
	mk(crm.StageLost, "8", day(2026, 4, 1).Add(10*time.Hour))
	mk(crm.StageWon, "16", day(2026, 4, 2).Add(10*time.Hour))
	closed := func(from, to time.Time) string {
		t.Helper()
		ts, err := st.ClosedTotals(ctx, crm.ClosedQuery{Owners: []uint64{1, 2}, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range ts {
			out = append(out, fmt.Sprintf("%s %d %s", x.Stage, x.Count, x.Sum))
		}
		return fmt.Sprint(out)
	}
	for _, c := range []struct {
		from, to time.Time
		want     string
	}{
		{day(2026, 1, 30), day(2026, 4, 2), "[won 3 7 lost 1 8]"},  // days, a whole month, days
		{day(2026, 2, 1), day(2026, 4, 1), "[won 2 6]"},            // whole months only
		{day(2026, 2, 11), day(2026, 3, 31), "[]"},                 // days within months
		{day(2026, 3, 31), day(2026, 4, 3), "[won 2 20 lost 1 8]"}, // across a month's end
	} {
		if got := closed(c.from, c.to); got != c.want {
			t.Errorf("closed [%s, %s): %s, want %s", c.from.Format(time.DateOnly), c.to.Format(time.DateOnly), got, c.want)
		}
	}
	mk(crm.StageLead, "100", day(2026, 5, 20))
	mk(crm.StageProposal, "200", day(2026, 7, 1))
	mk(crm.StageLead, "400", time.Time{})
	ts, err := st.ClosingTotals(ctx, crm.ClosingQuery{Owners: []uint64{1}, To: day(2026, 6, 15)})
	if err != nil || len(ts) != 1 || ts[0].Month != 202605 || ts[0].Count != 1 {
		t.Errorf("closing up to June: %+v %v", ts, err)
	}
	var titles []string
	if err := st.OpenDealsClosing(ctx, crm.ClosingQuery{Owners: []uint64{1}, From: day(2026, 6, 30), To: day(2026, 7, 1)}, func(d *crm.Deal) bool {
		titles = append(titles, d.Amount.String())
		return true
	}); err != nil || fmt.Sprint(titles) != "[200]" {
		t.Errorf("closing June to July: %v %v", titles, err)
	}
}

// testPlanningOf specifies the planning queries over several people:
// meetings, promises, renewals and contact plans come person by person in
// the order asked; an outcome question is not sent once a conversation
// with the client was logged after the meeting began.
func testPlanningOf(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	a := addClient(t, st, "Acme", 1)
	b := addClient(t, st, "Beta", 2)
	for _, c := range []*crm.Client{b, a} {
		m := &crm.Meeting{ClientID: c.ID, PersonID: c.OwnerID, At: t0.Add(time.Hour), CreatedAt: t0}
		if err := st.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := st.CreatePromise(ctx, &crm.Promise{ClientID: c.ID, OwnerID: c.OwnerID, Text: "p", Due: t0.AddDate(0, 0, 3), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateRenewal(ctx, &crm.Renewal{ClientID: c.ID, OwnerID: c.OwnerID, Date: t0.AddDate(0, 1, 0), Amount: decimal.NewFromInt(10), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetContactPlan(ctx, &crm.ContactPlan{ClientID: c.ID, Every: crm.Cadence{Days: 7}, SetAt: t0}, crm.Actor{PersonID: c.OwnerID}); err != nil {
			t.Fatal(err)
		}
	}
	order := fmt.Sprint([]uint64{b.ID, a.ID}) // people 2, 1
	var got []uint64
	ms, err := st.MeetingsOf(ctx, []uint64{2, 1}, t0, t0.AddDate(0, 0, 1))
	for _, m := range ms {
		got = append(got, m.ClientID)
	}
	if err != nil || fmt.Sprint(got) != order {
		t.Errorf("meetings of 2, 1: %v %v", got, err)
	}
	got = nil
	ps, err := st.OpenPromises(ctx, []uint64{2, 1}, t0.AddDate(0, 1, 0))
	for _, p := range ps {
		got = append(got, p.ClientID)
	}
	if err != nil || fmt.Sprint(got) != order {
		t.Errorf("promises of 2, 1: %v %v", got, err)
	}
	got = nil
	rs, err := st.OpenRenewals(ctx, []uint64{2, 1}, t0.AddDate(0, 2, 0))
	for _, r := range rs {
		got = append(got, r.ClientID)
	}
	if err != nil || fmt.Sprint(got) != order {
		t.Errorf("renewals of 2, 1: %v %v", got, err)
	}
	got = nil
	if err := st.PlannedClients(ctx, []uint64{2, 1}, func(p *crm.ContactPlan, c *crm.Client) bool {
		got = append(got, c.ID)
		return true
	}); err != nil || fmt.Sprint(got) != order {
		t.Errorf("plans of 2, 1: %v %v", got, err)
	}
	// Acme's outcome is logged after its meeting began, Beta's is not.
	if err := st.LogConversation(ctx, &crm.Conversation{ClientID: a.ID, AuthorID: 1, Text: "went well", At: t0.Add(2 * time.Hour)}, nil); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(5 * time.Hour)
	notices, err := st.DecideMeetingNotices(ctx, crm.MeetingNoticeQuery{Now: now, RemindUntil: now, AskUntil: now.Add(-time.Hour), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var asks []uint64
	for _, n := range notices {
		if n.Kind == "ask" {
			m, _ := st.Meeting(ctx, n.MeetingID)
			asks = append(asks, m.ClientID)
		}
	}
	if fmt.Sprint(asks) != fmt.Sprint([]uint64{b.ID}) {
		t.Errorf("outcome questions for clients %v, want only Beta's (%d)", asks, b.ID)
	}
}
