package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var ctx = context.Background()

func opened(t *testing.T, open func() *store.Store) *store.Store {
	st := open()
	t.Cleanup(func() { st.Close() })
	return st
}

func addClient(t *testing.T, st *store.Store, name string, owner uint64) *crm.Client {
	t.Helper()
	c := &crm.Client{Name: name, OwnerID: owner, City: "Sofia", CreatedAt: t0}
	if err := st.CreateClient(ctx, c, crm.Actor{PersonID: owner}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return c
}

func testClients(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	a := addClient(t, st, "Acme Ltd", 1)
	b := addClient(t, st, "Beta", 2)
	if a.ID == 0 || b.ID == a.ID {
		t.Fatalf("ids %d %d", a.ID, b.ID)
	}
	if err := st.CreateClient(ctx, &crm.Client{Name: "acme ltd", OwnerID: 1}, crm.Actor{PersonID: 1}); err == nil {
		t.Error("a second client of the same name was created")
	}
	got, err := st.UpdateClient(ctx, a.ID, crm.Actor{PersonID: 1}, t0.Add(time.Hour), func(c *crm.Client) error {
		c.Name, c.OwnerID = "Acme Group", 2
		return nil
	})
	if err != nil || got.Name != "Acme Group" {
		t.Fatalf("update: %+v %v", got, err)
	}
	if cs, _ := st.FindClients(ctx, "acme", 10); len(cs) != 1 || cs[0].ID != a.ID {
		t.Errorf("find by the new name: %v", cs)
	}
	if cs, _ := st.FindClients(ctx, "acme ltd", 10); len(cs) != 0 {
		t.Errorf("the old name still finds: %v", cs)
	}
	if cs, _ := st.ClientsByOwner(ctx, []uint64{1}); len(cs) != 0 {
		t.Errorf("former owner still has %v", cs)
	}
	if cs, _ := st.ClientsByOwner(ctx, []uint64{2}); len(cs) != 2 {
		t.Errorf("owner 2 has %d clients, want 2", len(cs))
	}
	h, err := st.History(ctx, "client", a.ID)
	if err != nil || len(h) < 3 {
		t.Errorf("history %v %v", h, err)
	}
	if _, err := st.Client(ctx, 999); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("missing client: %v", err)
	}
}

func testConversations(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	for i, at := range []time.Time{t0.Add(2 * time.Hour), t0, t0.Add(time.Hour)} {
		v := &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: fmt.Sprintf("talk %d", i), At: at}
		if err := st.LogConversation(ctx, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	convs, err := st.Conversations(ctx, c.ID, 0)
	if err != nil || len(convs) != 3 {
		t.Fatalf("%d conversations, %v", len(convs), err)
	}
	for i, want := range []string{"talk 0", "talk 2", "talk 1"} { // newest first
		if convs[i].Text != want {
			t.Errorf("conversation %d: %q, want %q", i, convs[i].Text, want)
		}
	}
	if convs, _ := st.Conversations(ctx, c.ID, 2); len(convs) != 2 {
		t.Errorf("limit 2: %d", len(convs))
	}
	var since []string
	st.ConversationsSince(ctx, c.ID, t0.Add(time.Hour), func(v *crm.Conversation) bool {
		since = append(since, v.Text)
		return true
	})
	if fmt.Sprint(since) != "[talk 2 talk 0]" {
		t.Errorf("since, oldest first: %v", since)
	}
	if got, _ := st.Client(ctx, c.ID); !got.LastTouch.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("last touch %v", got.LastTouch)
	}
}

func testTasks(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	for i, due := range []time.Time{t0.AddDate(0, 0, 3), t0.AddDate(0, 0, 1), t0.AddDate(0, 0, 2)} {
		if err := st.CreateTask(ctx, &crm.Task{ClientID: c.ID, AssigneeID: 1, Text: fmt.Sprint("task ", i), Due: due, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	open1, err := st.OpenTasks(ctx, []uint64{1}, t0.AddDate(0, 0, 10))
	if err != nil || len(open1) != 3 || open1[0].Text != "task 1" || open1[2].Text != "task 0" {
		t.Fatalf("open tasks by due: %v %v", open1, err)
	}
	if _, err := st.UpdateTask(ctx, open1[0].ID, func(tk *crm.Task) error { tk.DoneAt = t0; return nil }); err != nil {
		t.Fatal(err)
	}
	if left, _ := st.OpenTasks(ctx, []uint64{1}, t0.AddDate(0, 0, 10)); len(left) != 2 {
		t.Errorf("%d open after one done", len(left))
	}
	if all, _ := st.ClientTasks(ctx, c.ID, false); len(all) != 3 {
		t.Errorf("%d client tasks", len(all))
	}
}

func testDeals(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	for i, amt := range []string{"100", "2500.50", "40"} {
		d := &crm.Deal{ClientID: c.ID, OwnerID: 1, Title: fmt.Sprint("deal ", i), Amount: decimal.RequireFromString(amt),
			Currency: "EUR", Stage: crm.StageLead, CreatedAt: t0, ExpectedClose: t0.AddDate(0, 1, 0)}
		if err := st.CreateDeal(ctx, d, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	largest, err := st.LargestOpenDeals(ctx, []uint64{1}, "", 2)
	if err != nil || len(largest) != 2 || largest[0].Title != "deal 1" || largest[1].Title != "deal 0" {
		t.Fatalf("largest: %v %v", largest, err)
	}
	if _, err := st.UpdateDeal(ctx, largest[0].ID, crm.Actor{PersonID: 1}, t0.Add(time.Hour), func(d *crm.Deal) error {
		d.Stage, d.ClosedAt = crm.StageWon, t0.Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	totals, err := st.OpenTotals(ctx, []uint64{1})
	sum := decimal.Zero
	for _, tt := range totals {
		sum = sum.Add(tt.Sum)
	}
	if err != nil || !sum.Equal(decimal.RequireFromString("140")) {
		t.Errorf("open totals %v (%v), want 140", sum, err)
	}
	if ds, _ := st.ClientDeals(ctx, c.ID); len(ds) != 3 {
		t.Errorf("%d client deals", len(ds))
	}
}

func testClaims(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	cl := &crm.Claim{ClientID: c.ID, OwnerID: 1, ReporterID: 1, Text: "broken", Severity: "high", Category: "quality",
		Status: crm.ClaimNew, CreatedAt: t0, AckDue: t0.Add(4 * time.Hour), ResolveDue: t0.AddDate(0, 0, 5)}
	if err := st.CreateClaim(ctx, cl); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateClaim(ctx, cl.ID, func(x crm.Claim) (crm.Claim, error) {
		x.Status, x.AckedAt = crm.ClaimAcknowledged, t0.Add(time.Hour)
		return x, nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Claim(ctx, cl.ID)
	if err != nil || got.Status != crm.ClaimAcknowledged {
		t.Fatalf("claim %+v %v", got, err)
	}
	if cs, _ := st.ClientClaims(ctx, c.ID); len(cs) != 1 {
		t.Errorf("%d client claims", len(cs))
	}
	var recv []uint64
	st.ClaimsReceived(ctx, crm.ClaimsReceivedQuery{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}, func(x *crm.Claim) bool {
		recv = append(recv, x.ID)
		return true
	})
	if len(recv) != 1 {
		t.Errorf("claims received %v", recv)
	}
}

func testDeliveryKeys(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Acme", 1)
	for i := range 3 {
		dctx := crm.WithDeliveryKey(ctx, "telegram:update:42")
		err := st.LogConversation(dctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: "once", At: t0}, nil)
		if i == 0 && err != nil {
			t.Fatal(err)
		}
		if i > 0 && !errors.Is(err, crm.ErrDuplicate) {
			t.Errorf("delivery %d: %v, want a duplicate", i+1, err)
		}
	}
	if convs, _ := st.Conversations(ctx, c.ID, 0); len(convs) != 1 {
		t.Errorf("%d conversations from one delivery", len(convs))
	}
	if err := st.MarkDelivered(ctx, "slack:event:E1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Delivered(ctx, "slack:event:E1"); !d {
		t.Error("a marked delivery is not delivered")
	}
	if d, _ := st.Delivered(ctx, "slack:event:E2"); d {
		t.Error("an unmarked delivery is delivered")
	}
	if err := st.PutToken(ctx, "tok1", "/done T-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Token(ctx, "tok1"); err != nil || v != "/done T-1" {
		t.Errorf("token %q %v", v, err)
	}
}

// testConcurrent has many writers log to the same few clients at once, so
// that their transactions conflict: every write must land, once.
func testConcurrent(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	var clients []uint64
	for i := range 3 {
		clients = append(clients, addClient(t, st, fmt.Sprint("client ", i), 1).ID)
	}
	const workers, each = 16, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[uint64]bool{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				v := &crm.Conversation{ClientID: clients[(w+i)%3], AuthorID: 1, Text: "x", At: t0.Add(time.Duration(w*each+i) * time.Second)}
				if err := st.LogConversation(ctx, v, nil); err != nil {
					t.Error(err)
					return
				}
				if _, err := st.UpdateClient(ctx, clients[0], crm.Actor{PersonID: 1}, t0, func(c *crm.Client) error {
					c.Rating = fmt.Sprint(w*each + i)
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if ids[v.ID] {
					t.Errorf("id %d handed out twice", v.ID)
				}
				ids[v.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, c := range clients {
		convs, _ := st.Conversations(ctx, c, 0)
		total += len(convs)
	}
	if total != workers*each {
		t.Errorf("stored %d of %d conversations", total, workers*each)
	}
	h, _ := st.History(ctx, "client", clients[0])
	n := 0
	for _, ch := range h {
		if ch.Field == "rating" {
			n++
		}
	}
	if n != workers*each {
		t.Errorf("%d rating changes in the history, want %d", n, workers*each)
	}
}

func testIDsAfterReopen(t *testing.T, open func() *store.Store) {
	st := open()
	a := addClient(t, st, "A", 1)
	v := &crm.Conversation{ClientID: a.ID, AuthorID: 1, Text: "x", At: t0}
	if err := st.LogConversation(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = opened(t, open)
	b := addClient(t, st, "B", 1)
	w := &crm.Conversation{ClientID: b.ID, AuthorID: 1, Text: "y", At: t0}
	if err := st.LogConversation(ctx, w, nil); err != nil {
		t.Fatal(err)
	}
	if b.ID <= a.ID || w.ID <= v.ID {
		t.Errorf("after reopen: client %d after %d, conversation %d after %d", b.ID, a.ID, w.ID, v.ID)
	}
	if got, err := st.Client(ctx, a.ID); err != nil || got.Name != "A" {
		t.Errorf("client kept across reopen: %+v %v", got, err)
	}
}

// testErasure erases a client with records of every kind and then looks
// for its words in a plain backup, which holds every key and value.
func testErasure(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	keep := addClient(t, st, "Keeper", 1)
	gone := addClient(t, st, "Gonecorp MARKER-ERASE-NAME", 1)
	if _, err := st.UpdateClient(ctx, gone.ID, crm.Actor{PersonID: 1}, t0, func(c *crm.Client) error {
		c.Name = "Gonecorp MARKER-ERASE-RENAMED"
		c.Phone = "MARKER-ERASE-PHONE"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []uint64{keep.ID, gone.ID} {
		text := "kept talk"
		if c == gone.ID {
			text = "MARKER-ERASE-TALK"
		}
		if err := st.LogConversation(ctx, &crm.Conversation{ClientID: c, AuthorID: 1, Text: text, At: t0},
			&crm.Task{ClientID: c, AssigneeID: 1, Text: text + " task", Due: t0.AddDate(0, 0, 1), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateDeal(ctx, &crm.Deal{ClientID: gone.ID, OwnerID: 1, Title: "MARKER-ERASE-DEAL", Amount: decimal.NewFromInt(5),
		Currency: "EUR", Stage: crm.StageLead, CreatedAt: t0}, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateClaim(ctx, &crm.Claim{ClientID: gone.ID, OwnerID: 1, ReporterID: 1, Text: "MARKER-ERASE-CLAIM", Severity: "low",
		Category: "quality", Status: crm.ClaimNew, CreatedAt: t0, AckDue: t0.Add(time.Hour), ResolveDue: t0.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EraseClient(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := st.Backup(&buf, nil, t0); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("MARKER-ERASE")) {
		i := bytes.Index(buf.Bytes(), []byte("MARKER-ERASE"))
		t.Errorf("erased words remain: %q", buf.Bytes()[max(0, i-60):min(buf.Len(), i+40)])
	}
	if !bytes.Contains(buf.Bytes(), []byte("kept talk")) {
		t.Error("the other client's conversation is gone too")
	}
	if _, err := st.Client(ctx, gone.ID); !errors.Is(err, crm.ErrNotFound) {
		t.Errorf("erased client: %v", err)
	}
	if n, _ := st.ErasedClients(ctx); n != 1 {
		t.Errorf("erased count %d", n)
	}
}

// testLeases: one holder at a time; a released or run-out lease goes to
// the next one.
func testLeases(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	for _, step := range []struct {
		holder string
		ttl    time.Duration
		want   bool
	}{
		{"a", time.Minute, true},
		{"b", time.Minute, false},
		{"a", time.Minute, true}, // renewal
	} {
		if got, err := st.Lease(ctx, "poll", step.holder, step.ttl); err != nil || got != step.want {
			t.Fatalf("%s takes the lease: %v %v, want %v", step.holder, got, err, step.want)
		}
	}
	if err := st.ReleaseLease(ctx, "poll", "b"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Lease(ctx, "poll", "b", time.Minute); got {
		t.Error("a release by someone else freed the lease")
	}
	if err := st.ReleaseLease(ctx, "poll", "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Lease(ctx, "poll", "b", time.Millisecond); !got {
		t.Error("a released lease was not free")
	}
	time.Sleep(5 * time.Millisecond) // leases run on the real clock, by design
	if got, _ := st.Lease(ctx, "poll", "a", time.Minute); !got {
		t.Error("a lease that ran out was not free")
	}
}

// testRequestScope specifies the reads of one request (crm.WithRequestScope,
// which an engine may serve from one read transaction): every read after
// the request's own write sees it — an update, a new record, an erasure —
// however many reads came before, and reads still work after the scope
// ends.
func testRequestScope(t *testing.T, open func() *store.Store) {
	st := opened(t, open)
	c := addClient(t, st, "Scope Ltd", 1)
	rctx, end := crm.WithRequestScope(ctx)
	// Ended before the store closes (cleanups run last first) even when
	// the test fails: a held read transaction keeps a connection.
	t.Cleanup(end)
	read := func(want string) {
		t.Helper()
		got, err := st.Client(rctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.City != want {
			t.Fatalf("city %q, want %q", got.City, want)
		}
	}
	read("Sofia")
	read("Sofia")
	if _, err := st.UpdateClient(rctx, c.ID, crm.Actor{PersonID: 1}, t0, func(c *crm.Client) error { c.City = "Varna"; return nil }); err != nil {
		t.Fatal(err)
	}
	read("Varna")
	other := &crm.Client{Name: "Second Ltd", OwnerID: 1, CreatedAt: t0}
	if err := st.CreateClient(rctx, other, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	if cs, err := st.ClientsByOwner(rctx, []uint64{1}); err != nil || len(cs) != 2 {
		t.Fatalf("after a create in the request: %d clients, %v", len(cs), err)
	}
	before, err := st.ErasedClients(rctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EraseClient(rctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := st.ErasedClients(rctx); err != nil || n != before+1 {
		t.Fatalf("erased clients after an erasure in the request: %d (before %d), %v", n, before, err)
	}
	if _, err := st.Client(rctx, other.ID); !errors.Is(err, crm.ErrNotFound) {
		t.Fatalf("the erased client is still read in the request: %v", err)
	}
	end()
	read("Varna")
	end() // twice is harmless
}
