package storetest

import (
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

// Many claimers of the same digest at once: exactly one gets each identity.
func testDigestClaimIsExclusive(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	now := time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC)
	ids := []string{"telegram:1", "slack:U1"}
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got []string
			if _, err := s.UpdateDigestDelivery(ctx, 7, 7, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), func(d *crm.DigestDelivery) error {
				got, _ = d.Claim(ids, now)
				return nil
			}); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			for _, id := range got {
				claims[id]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if claims["telegram:1"] != 1 || claims["slack:U1"] != 1 {
		t.Fatalf("claims %v, want one each", claims)
	}
	// Recording the outcome: one delivered, one refused and retried later.
	if _, err := s.UpdateDigestDelivery(ctx, 7, 7, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), func(d *crm.DigestDelivery) error {
		d.Finish("telegram:1", true, now)
		d.Finish("slack:U1", false, now)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d, err := s.DigestDelivery(ctx, 7, 7, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := d.Claim(ids, now.Add(time.Minute)); len(again) != 0 {
		t.Fatalf("claimed again before the retry time: %v", again)
	}
	if again, _ := d.Claim(ids, now.Add(10*time.Minute)); len(again) != 1 || again[0] != "slack:U1" {
		t.Fatalf("retry claims %v, want slack:U1 only", again)
	}
}

func testSnapshotsAreWrittenOnce(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	at := time.Date(2026, 11, 26, 0, 0, 30, 0, time.UTC)
	rows := []crm.SnapshotRow{{PersonID: 1, Bucket: "lead/EUR", Count: 1}, {PersonID: 2, Bucket: "lead/EUR", Count: 2}}
	if ok, err := s.PutSnapshot(ctx, "pipeline", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), at, rows); err != nil || !ok {
		t.Fatalf("first: %v %v", ok, err)
	}
	if ok, err := s.PutSnapshot(ctx, "pipeline", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), at, rows[:1]); err != nil || ok {
		t.Fatalf("second: %v %v", ok, err)
	}
	got, taken, err := s.SnapshotRows(ctx, "pipeline", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), []uint64{2, 3})
	if err != nil || !taken || len(got) != 1 || got[0].Count != 2 {
		t.Fatalf("rows %+v taken %v err %v", got, taken, err)
	}
	all, _, _ := s.SnapshotRows(ctx, "pipeline", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), nil)
	if len(all) != 2 {
		t.Fatalf("all rows: %+v", all)
	}
	// An empty snapshot is still a snapshot (nobody had deals that day).
	if ok, _ := s.PutSnapshot(ctx, "pipeline", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), at, nil); !ok {
		t.Fatal("empty snapshot not stored")
	}
	if _, taken, _ := s.SnapshotRows(ctx, "pipeline", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), nil); !taken {
		t.Fatal("empty snapshot not found")
	}
}
