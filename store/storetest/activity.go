package storetest

import (
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

func testOpenTasksByDue(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for i, d := range []int{3, -1, 0, 1} {
		tk := &crm.Task{AssigneeID: 5, Text: string(rune('a' + i)), Due: base.AddDate(0, 0, d)}
		if err := s.CreateTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.OpenTasks(ctx, []uint64{5}, base.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != "b" || got[1].Text != "c" {
		t.Fatalf("open tasks %+v", got)
	}
	if _, err := s.UpdateTask(ctx, got[0].ID, func(t *crm.Task) error { t.DoneAt = base; return nil }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.OpenTasks(ctx, []uint64{5}, base.AddDate(0, 0, 1))
	if len(got) != 1 || got[0].Text != "c" {
		t.Fatalf("done task still open: %+v", got)
	}
}

func testOwnerActivity(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var clients []*crm.Client
	for i, owner := range []uint64{1, 1, 1, 2} {
		c := &crm.Client{Name: string(rune('a' + i)), OwnerID: owner, CreatedAt: base, ReviewedAt: base}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: owner}); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	logAt := func(c *crm.Client, at time.Time) {
		t.Helper()
		if err := s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: c.OwnerID, Text: "x", At: at}, nil); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	logAt(clients[0], day(21, 9))  // before the period
	logAt(clients[0], day(25, 9))  // in
	logAt(clients[0], day(25, 17)) // in
	logAt(clients[1], day(25, 23)) // in
	logAt(clients[1], day(26, 0))  // at the end: out
	logAt(clients[3], day(25, 12)) // another owner's
	got, err := s.OwnerActivity(ctx, 1, day(25, 0), day(26, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := crm.OwnerActivity{Clients: 3, LastTouch: day(26, 0), Conversations: 3, Touched: 2}
	if !got.LastTouch.Equal(want.LastTouch) || got.Clients != want.Clients || got.Conversations != want.Conversations || got.Touched != want.Touched {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	none, err := s.OwnerActivity(ctx, 9, day(25, 0), day(26, 0))
	if err != nil || none.Clients != 0 || !none.LastTouch.IsZero() {
		t.Fatalf("nobody's activity: %+v %v", none, err)
	}
}

// Concurrent writers to the same counters and clients must neither lose a
// record nor hand out an id twice.
func testConcurrentLogsLoseNothing(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		if err := s.CreateClient(ctx, &crm.Client{Name: string(rune('a' + i)), OwnerID: 1}, crm.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	const workers, each = 32, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[uint64]bool{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				v := &crm.Conversation{ClientID: uint64(1 + (w+i)%5), Text: "x", At: now}
				if err := s.LogConversation(ctx, v, nil); err != nil {
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
		}(w)
	}
	wg.Wait()
	total := 0
	for c := uint64(1); c <= 5; c++ {
		convs, err := s.Conversations(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		total += len(convs)
	}
	if total != workers*each {
		t.Errorf("stored %d of %d", total, workers*each)
	}
}
