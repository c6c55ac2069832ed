package dates

import (
	"sync"
	"time"
)

// ManualClock reads the time it was last set to, so that a test (or a
// replay) decides when time passes. With a step, every reading moves it
// on by the step afterwards, for code that must see time advance between
// two readings. It is safe for concurrent use: jobs read it while a test
// moves it.
type ManualClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// NewManualClock returns a clock that reads t until it is moved.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time, then moves it on by the step (if any).
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock on by d (back, when d is negative).
func (c *ManualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// SetStep makes every later reading move the clock on by d; zero stops it.
func (c *ManualClock) SetStep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step = d
}
