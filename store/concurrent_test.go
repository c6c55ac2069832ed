package store

import (
	"sync"
	"testing"
	"time"

	"accountbot/crm"
)

// Concurrent writers to the same counters and clients must neither lose a
// record nor hand out an id twice.
func TestConcurrentLogsLoseNothing(t *testing.T) {
	for _, mem := range []bool{true, false} {
		opts := Options{InMemory: mem}
		if !mem {
			opts.Dir = t.TempDir()
		}
		s, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
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
			t.Errorf("in-memory=%v: stored %d of %d", mem, total, workers*each)
		}
		s.Close()
	}
}
