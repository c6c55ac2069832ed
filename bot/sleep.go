package bot

import (
	"context"
	"time"
)

// Sleep waits d or until ctx is done, whichever comes first: nil after d,
// ctx's error when it is done first (or already, when d <= 0). Adapters
// pace and back off with it.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
