package app

import (
	"context"
	"net/http"

	"accountbot/bot/telegram"
)

// buildAdapters starts the chat adapters that the configuration enables;
// each registers its HTTP routes (webhooks) on mux when it has any.
func buildAdapters(ctx context.Context, s *services, mux *http.ServeMux) ([]adapter, error) {
	var out []adapter
	if s.cfg.TelegramToken != "" {
		a, err := telegram.New(telegram.Config{
			Token: s.cfg.TelegramToken, APIURL: s.cfg.TelegramAPIURL, Lang: s.cfg.Lang,
			WebhookURL: s.cfg.TelegramWebhookURL, WebhookSecret: s.cfg.TelegramWebhookSecret,
		}, s.handler, s.store, telegram.WithLogger(s.log), telegram.WithCatalog(s.cat), telegram.WithCommands(s.handler), telegram.WithSendObserver(s.metrics))
		if err != nil {
			return nil, err
		}
		s.notify.register("telegram", a)
		if p := a.WebhookPath(); p != "" {
			mux.Handle("POST "+p, a)
		}
		out = append(out, a)
	}
	if s.cfg.SlackBotToken != "" {
		a, err := newSlack(s)
		if err != nil {
			return nil, err
		}
		a.Register(mux)
		s.notify.register("slack", a)
		out = append(out, a)
	}
	return out, nil
}
