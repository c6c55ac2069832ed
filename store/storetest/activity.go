package storetest

import (
	"slices"
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
	// Both owners, and one with nothing, in one call.
	all, err := s.OwnerActivity(ctx, crm.ActivityQuery{Owners: []uint64{1, 2, 9}, From: day(25, 0), To: day(26, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("activity of %d owners, want 3: %+v", len(all), all)
	}
	got := all[1]
	want := crm.OwnerActivity{Clients: 3, LastTouch: day(26, 0), Conversations: 3, Touched: 2}
	if !got.LastTouch.Equal(want.LastTouch) || got.Clients != want.Clients || got.Conversations != want.Conversations || got.Touched != want.Touched {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if other := all[2]; other.Clients != 1 || other.Conversations != 1 || other.Touched != 1 {
		t.Errorf("the other owner's activity: %+v", other)
	}
	if none := all[9]; none.Clients != 0 || !none.LastTouch.IsZero() || none.Conversations != 0 {
		t.Fatalf("nobody's activity: %+v", none)
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

// testReminders specifies the ring index: DueReminders lists the open
// tasks whose reminder is due, soonest first, up to a limit; a reminder
// moved or done is not due at its old time; ClaimReminders hands
// each due reminder to exactly one of the callers racing for it, and a
// claimed reminder is due no more.
func testReminders(t *testing.T, open func() *store.Store) {
	s := open()
	base := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var tasks []*crm.Task
	for i, m := range []int{30, 10, 20, 40, 50} {
		tk := &crm.Task{AssigneeID: 5, Text: string(rune('a' + i)), Due: base, At: base.Add(time.Duration(m) * time.Minute)}
		tk.RingAt = tk.At
		if err := s.CreateTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, tk)
	}
	ids := func(ds []crm.DueReminder) []uint64 {
		var out []uint64
		for _, d := range ds {
			out = append(out, d.TaskID)
		}
		return out
	}
	due, err := s.DueReminders(ctx, base.Add(30*time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{tasks[1].ID, tasks[2].ID, tasks[0].ID}; !slices.Equal(ids(due), want) {
		t.Fatalf("due at :30 = %v, want %v (soonest first, the one at :30 included)", ids(due), want)
	}
	if !due[0].RingAt.Equal(tasks[1].RingAt) {
		t.Errorf("ring time %v, want %v", due[0].RingAt, tasks[1].RingAt)
	}
	if due, _ := s.DueReminders(ctx, base.Add(time.Hour), 2); !slices.Equal(ids(due), []uint64{tasks[1].ID, tasks[2].ID}) {
		t.Errorf("limit 2: %v", ids(due))
	}
	// Moved later, and done: neither is due at its old time.
	if _, err := s.UpdateTask(ctx, tasks[1].ID, func(tk *crm.Task) error { tk.RingAt = base.Add(2 * time.Hour); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTask(ctx, tasks[2].ID, func(tk *crm.Task) error { tk.DoneAt = base; return nil }); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueReminders(ctx, base.Add(time.Hour), 0); !slices.Equal(ids(due), []uint64{tasks[0].ID, tasks[3].ID, tasks[4].ID}) {
		t.Errorf("after a move and a close: %v", ids(due))
	}
	// A claim of an entry read before its task moved gets nothing.
	stale := []crm.DueReminder{{TaskID: tasks[1].ID, RingAt: tasks[1].RingAt}}
	if got, err := s.ClaimReminders(ctx, stale, base.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("claim of a moved reminder: %v %v", got, err)
	}
	// Eight callers race for the three due reminders: each is claimed once.
	due, _ = s.DueReminders(ctx, base.Add(time.Hour), 0)
	var mu sync.Mutex
	claimed := map[uint64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.ClaimReminders(ctx, due, base.Add(time.Hour))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, tk := range got {
				claimed[tk.ID]++
				if !tk.RingAt.IsZero() || !tk.RungAt.Equal(base.Add(time.Hour)) {
					t.Errorf("claimed task %d: ring %v rung %v", tk.ID, tk.RingAt, tk.RungAt)
				}
			}
		}()
	}
	wg.Wait()
	if len(claimed) != 3 {
		t.Errorf("claimed %v, want the three due once each", claimed)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("task %d claimed %d times", id, n)
		}
	}
	if due, _ := s.DueReminders(ctx, base.Add(3*time.Hour), 0); !slices.Equal(ids(due), []uint64{tasks[1].ID}) {
		t.Errorf("after the claims, due: %v (only the moved one)", ids(due))
	}
	tk, err := s.Task(ctx, tasks[0].ID)
	if err != nil || !tk.Open() || !tk.RingAt.IsZero() {
		t.Errorf("a rung task stays open without a ring time: %+v %v", tk, err)
	}
}
