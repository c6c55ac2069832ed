package telegram

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// readyWait bounds how long a webhook request waits for the adapter to start.
const readyWait = 30 * time.Second

// secretHeader carries the webhook secret on every request from Telegram.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// runWebhook registers the webhook (which also ends any long polling) and
// serves until ctx is done; requests come through ServeHTTP.
func (a *Adapter) runWebhook(ctx context.Context) error {
	secret, err := a.webhookSecret(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram: the webhook secret of the replicas: %w", err)
	}
	err = a.call(ctx, 0, "setWebhook", 0, func(ctx context.Context) error {
		_, err := a.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL: a.cfg.WebhookURL, SecretToken: secret, AllowedUpdates: allowedUpdates,
		})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram: setWebhook %s: %w", a.cfg.WebhookURL, redact(err, a.cfg.Token))
	}
	<-ctx.Done()
	a.closing.Store(true)
	a.finish()
	a.log.Info("telegram: stopped")
	return nil
}

// ServeHTTP receives one update from Telegram's webhook. The secret is
// checked before anything else is read: a wrong or missing one gets 401 and
// nothing is processed. The answer is 200 only once the update is handled,
// so that Telegram delivers it again if the bot stops first.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secret, err := a.webhookSecret(r.Context())
	if err != nil {
		a.log.Error("telegram: reading the webhook secret of the replicas", "err", err)
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	if !secretOK(r.Header.Get(secretHeader), secret) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if a.closing.Load() {
		// Shutting down: Telegram tries again later.
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	// The HTTP server listens before the bot has asked Telegram who it is;
	// an update arriving in that moment waits for it rather than bouncing.
	select {
	case <-a.ready:
	case <-r.Context().Done():
		return
	case <-time.After(readyWait):
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	upd, err := decodeUpdate(body)
	if err != nil {
		http.Error(w, "not an update", http.StatusBadRequest)
		return
	}
	j := a.disp.submit(upd)
	select {
	case <-j.done:
	case <-r.Context().Done():
		return
	case <-time.After(10 * time.Minute):
		http.Error(w, "still working", http.StatusServiceUnavailable)
		return
	}
	if !j.ok {
		http.Error(w, "not handled", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// secretOK compares in constant time; hashing first makes the time
// independent of the lengths too.
func secretOK(got, secret string) bool {
	if secret == "" || got == "" {
		return false
	}
	x, y := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// webhookSecret is the secret Telegram sends with every webhook request:
// TELEGRAM_WEBHOOK_SECRET, else one generated at start. On a store that
// replicas share, a generated secret is agreed through the store (the
// first replica's), once: each replica registers the webhook at start,
// and with secrets of their own only the last one's requests would pass.
func (a *Adapter) webhookSecret(ctx context.Context) (string, error) {
	a.secretMu.Lock()
	defer a.secretMu.Unlock()
	if a.secretAgreed || a.cfg.WebhookSecret != "" {
		return a.secret, nil
	}
	if ls, ok := a.store.(Leaser); ok && ls.Shared() {
		if sv, ok := a.store.(SharedValuer); ok {
			v, err := sv.SharedValue(ctx, webhookSecretName, a.secret)
			if err != nil {
				return "", err
			}
			a.secret = v
		}
	}
	a.secretAgreed = true
	return a.secret, nil
}

// webhookSecretName names the generated webhook secret in a shared store.
const webhookSecretName = "telegram/webhook-secret"

var _ http.Handler = (*Adapter)(nil)
