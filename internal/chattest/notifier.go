package chattest

import (
	"context"
	"errors"
	"strings"
	"sync"

	"accountbot/bot"
)

// Note is one message the bot sent by itself (a reminder, a digest, an
// escalation).
type Note struct {
	Identity string
	Reply    bot.Reply
}

// ErrRefused is what a failing Notifier returns.
var ErrRefused = errors.New("platform refused")

// Notifier records what the bot sends by itself. It can fail a person's
// next deliveries (Fail), or all of them (FailAll), or treat a person's
// platform as not running (Away).
type Notifier struct {
	mu      sync.Mutex
	sent    []Note
	fail    map[string]int
	away    map[string]bool
	failAll bool
}

// Notify records r for identity, or fails as the test asked.
func (n *Notifier) Notify(_ context.Context, identity string, r bot.Reply) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.away[identity] {
		return bot.ErrNotRunning
	}
	if n.failAll {
		return ErrRefused
	}
	if n.fail[identity] > 0 {
		n.fail[identity]--
		return ErrRefused
	}
	n.sent = append(n.sent, Note{identity, r})
	return nil
}

// Fail makes the next k deliveries to identity fail.
func (n *Notifier) Fail(identity string, k int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail == nil {
		n.fail = map[string]int{}
	}
	n.fail[identity] = k
}

// FailAll makes every delivery fail (on) or succeed again (off).
func (n *Notifier) FailAll(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.failAll = on
}

// Away makes identity's platform not running (on) or running again.
func (n *Notifier) Away(identity string, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.away == nil {
		n.away = map[string]bool{}
	}
	n.away[identity] = on
}

// All returns every note delivered so far, in order.
func (n *Notifier) All() []Note {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Note(nil), n.sent...)
}

// To returns the notes delivered to identity, in order.
func (n *Notifier) To(identity string) []Note {
	var out []Note
	for _, s := range n.All() {
		if s.Identity == identity {
			out = append(out, s)
		}
	}
	return out
}

// Replies returns the replies delivered to identity, in order.
func (n *Notifier) Replies(identity string) []bot.Reply {
	var out []bot.Reply
	for _, s := range n.To(identity) {
		out = append(out, s.Reply)
	}
	return out
}

// Reset forgets what was delivered.
func (n *Notifier) Reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = nil
}

// IsDigest reports whether r is a scheduled digest (it carries /digest
// buttons), for tests that look at the other notes of the same jobs.
func IsDigest(r bot.Reply) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, "/digest") {
				return true
			}
		}
	}
	return false
}
