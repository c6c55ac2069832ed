package app

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"accountbot/bot"
)

// notifyRouter sends a notification through the adapter of the identity's
// platform. Adapters register themselves as they start.
type notifyRouter struct {
	mu sync.RWMutex
	by map[string]bot.Notifier
}

func newNotifyRouter() *notifyRouter { return &notifyRouter{by: map[string]bot.Notifier{}} }

// register makes n deliver to identities of platform.
func (r *notifyRouter) register(platform string, n bot.Notifier) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[platform] = n
}

// Notify delivers to identity through its platform's adapter.
func (r *notifyRouter) Notify(ctx context.Context, identity string, rep bot.Reply) error {
	platform, _, _ := strings.Cut(identity, ":")
	r.mu.RLock()
	n := r.by[platform]
	r.mu.RUnlock()
	if n == nil {
		return fmt.Errorf("no adapter for %s is running: %w", platform, bot.ErrNotRunning)
	}
	return n.Notify(ctx, identity, rep)
}

var _ bot.Notifier = (*notifyRouter)(nil)
