package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"accountbot/bot"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// apiError is a refusal from the Bot API.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string {
	return fmt.Sprintf("telegram: %d %s", e.Code, e.Description)
}

// getUpdates asks for the updates from offset on, waiting up to timeout for
// some to come. Asking with offset confirms every update before it.
func (a *Adapter) getUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration) ([]*models.Update, error) {
	body, err := json.Marshal(map[string]any{
		"offset": offset, "limit": limit, "timeout": int(timeout / time.Second), "allowed_updates": allowedUpdates,
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.apiURL+"/bot"+a.cfg.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, redact(err, a.cfg.Token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.pollClient.Do(req)
	if err != nil {
		return nil, redact(err, a.cfg.Token)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var env struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		ErrorCode   int             `json:"error_code"`
		Description string          `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: HTTP %d with a body that is not JSON", resp.StatusCode)
	}
	if !env.OK {
		code := env.ErrorCode
		if code == 0 {
			code = resp.StatusCode
		}
		return nil, &apiError{Code: code, Description: env.Description, RetryAfter: env.Parameters.RetryAfter}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(env.Result, &raws); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: %w", err)
	}
	ups := make([]*models.Update, 0, len(raws))
	for _, r := range raws {
		u, err := decodeUpdate(r)
		if err != nil {
			return nil, fmt.Errorf("telegram: getUpdates: %w", err)
		}
		ups = append(ups, u)
	}
	return ups, nil
}

// tracker knows which updates are taken and which are finished, and so the
// offset that may be confirmed: the first update not finished.
type tracker struct {
	mu      sync.Mutex
	maxSeen int64
	// pending are taken and not finished; an update that could not be
	// finished (shutdown) stays here, so the offset never passes it.
	pending  map[int64]bool
	progress chan struct{}
}

func newTracker(offset int64) *tracker {
	return &tracker{maxSeen: offset - 1, pending: map[int64]bool{}, progress: make(chan struct{}, 1)}
}

// take reports whether id is new, and marks it taken.
func (t *tracker) take(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id <= t.maxSeen {
		return false
	}
	t.maxSeen = id
	t.pending[id] = true
	return true
}

// finished records the end of a job.
func (t *tracker) finished(j *job) {
	t.mu.Lock()
	if j.ok {
		delete(t.pending, j.upd.ID)
	}
	t.mu.Unlock()
	select {
	case t.progress <- struct{}{}:
	default:
	}
}

// offset is the first update id not finished, or the next one to come.
func (t *tracker) offset() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	off := t.maxSeen + 1
	for id := range t.pending {
		if id < off {
			off = id
		}
	}
	return max(off, 0)
}

func (t *tracker) inHand() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// runPolling removes any webhook and serves getUpdates until ctx is done.
// leaseName is the polling lease in a shared store.
const leaseName = "telegram/poll"

func (a *Adapter) runPolling(ctx context.Context) error {
	if _, err := a.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil && ctx.Err() == nil {
		// getUpdates answers 409 while a webhook is set; the loop tries
		// again then.
		a.log.Warn("telegram: deleteWebhook failed", "err", redact(err, a.cfg.Token))
	}
	ls, ok := a.store.(Leaser)
	if !ok || !ls.Shared() {
		// One process holds the store (Badger): nobody to share with.
		return a.poll(ctx, ctx)
	}
	for ctx.Err() == nil {
		if !a.awaitLease(ctx, ls) {
			break
		}
		held, lost := a.holdLease(ctx, ls)
		err := a.poll(ctx, held)
		lost()
		if err != nil {
			return err
		}
	}
	a.closing.Store(true)
	a.finish()
	return nil
}

// awaitLease waits until this process holds the polling lease; false when
// ctx ends first.
func (a *Adapter) awaitLease(ctx context.Context, ls Leaser) bool {
	logged := false
	for {
		ok, err := ls.Lease(ctx, leaseName, a.holder, a.leaseTTL)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("telegram: taking the polling lease", "err", err)
		}
		if ok {
			if logged {
				a.log.Info("telegram: this replica polls now")
			}
			return true
		}
		if !logged {
			a.log.Info("telegram: another replica polls; standing by")
			logged = true
		}
		if bot.Sleep(ctx, a.leaseRenew) != nil {
			return false
		}
	}
}

// holdLease renews the lease until the returned context ends: when ctx
// ends, when a renewal finds the lease taken or cannot renew it before it
// runs out, or when release is called (which also gives it up).
func (a *Adapter) holdLease(ctx context.Context, ls Leaser) (held context.Context, release func()) {
	held, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := time.Now()
		for bot.Sleep(held, a.leaseRenew) == nil {
			ok, err := ls.Lease(held, leaseName, a.holder, a.leaseTTL)
			if ok {
				last = time.Now()
				continue
			}
			// Without a renewal, stop while the lease still runs (the
			// next check may come a renewal period late): another
			// replica takes it only once it has run out.
			if err == nil || time.Since(last) >= a.leaseTTL-2*a.leaseRenew {
				a.log.Warn("telegram: lost the polling lease; standing by", "err", err)
				cancel()
				return
			}
		}
	}()
	return held, func() {
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		if err := ls.ReleaseLease(rctx, leaseName, a.holder); err != nil {
			a.log.Warn("telegram: giving up the polling lease", "err", err)
		}
	}
}

// poll runs the getUpdates loop while held lasts (held is ctx without a
// lease). It starts from the offset saved in the store, where a replica
// that polled before left it, and saves it again when it stops. Only at
// the end of ctx does it finish the work in hand and confirm the offset
// to Telegram; a replica that lost the lease leaves that to the new poller.
func (a *Adapter) poll(ctx, held context.Context) error {
	offset, err := a.store.Cursor(ctx, cursorName)
	if err != nil {
		return fmt.Errorf("telegram: reading the saved offset: %w", err)
	}
	tr := newTracker(offset)
	a.disp.setOnDone(tr.finished)
	a.markReady()
	saved := offset
	backoff := a.backoffMin
	for held.Err() == nil {
		if tr.inHand() >= maxInFlight {
			a.waitProgress(held, tr, time.Second)
			continue
		}
		off := tr.offset()
		if off != saved {
			if err := a.store.SetCursor(ctx, cursorName, off); err == nil {
				saved = off
			}
		}
		ups, err := a.getUpdates(held, off, 100, a.pollTimeout)
		if err != nil {
			if held.Err() != nil {
				break
			}
			var ae *apiError
			if errors.As(err, &ae) {
				switch ae.Code {
				case http.StatusUnauthorized, http.StatusNotFound:
					a.finish()
					return fmt.Errorf("telegram: getUpdates: the Bot API refused the token (%s)", ae.Description)
				case http.StatusConflict:
					a.log.Warn("telegram: getUpdates conflict: a webhook is set or another instance polls; removing the webhook", "err", ae.Description)
					_, _ = a.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
				case http.StatusTooManyRequests:
					_ = bot.Sleep(ctx, time.Duration(max(ae.RetryAfter, 1))*time.Second)
					continue
				}
			}
			a.log.Warn("telegram: getUpdates failed; retrying", "in", backoff, "err", err)
			_ = bot.Sleep(ctx, backoff)
			backoff = min(2*backoff, a.backoffMax)
			continue
		}
		backoff = a.backoffMin
		fresh := 0
		for _, u := range ups {
			if u == nil || !tr.take(u.ID) {
				continue
			}
			fresh++
			a.disp.submit(u)
		}
		if len(ups) > 0 && fresh == 0 {
			// Only updates in hand came back (they are not confirmed
			// yet): wait for one to finish instead of asking again at once.
			a.waitProgress(ctx, tr, time.Second)
		}
	}
	if ctx.Err() == nil {
		// The lease is lost: save what is finished for the next poller.
		if off := tr.offset(); off != saved {
			if err := a.store.SetCursor(ctx, cursorName, off); err != nil {
				a.log.Warn("telegram: saving the offset", "err", err)
			}
		}
		return nil
	}
	a.closing.Store(true)
	a.finish()
	off := tr.offset()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if off != saved {
		if err := a.store.SetCursor(sctx, cursorName, off); err != nil {
			a.log.Warn("telegram: saving the offset", "err", err)
		}
	}
	// Confirm to Telegram too; what it returns stays unconfirmed.
	if _, err := a.getUpdates(sctx, off, 1, 0); err != nil {
		a.log.Warn("telegram: confirming the offset at shutdown", "err", err)
	}
	a.log.Info("telegram: stopped", "offset", off)
	return nil
}

func (a *Adapter) waitProgress(ctx context.Context, tr *tracker, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-tr.progress:
	case <-t.C:
	}
}
