package dates

import (
	"sync"
	"testing"
	"time"
)

func TestManualClock(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := NewManualClock(t0)
	if got := c.Now(); !got.Equal(t0) || !c.Now().Equal(t0) {
		t.Fatalf("a new clock reads %v, want %v twice", got, t0)
	}
	c.Add(time.Hour)
	if got := c.Now(); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("after Add: %v", got)
	}
	c.Set(t0)
	c.SetStep(time.Minute)
	if a, b := c.Now(), c.Now(); !a.Equal(t0) || !b.Equal(t0.Add(time.Minute)) {
		t.Errorf("stepping clock read %v then %v", a, b)
	}
	// Readers and a mover at once (run with -race).
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Now(); c.Add(time.Second) }()
	}
	wg.Wait()
}
