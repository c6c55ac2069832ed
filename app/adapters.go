package app

import (
	"context"
	"net/http"
)

// buildAdapters starts the chat adapters that the configuration enables;
// each registers its HTTP routes (webhooks) on mux when it has any.
func buildAdapters(ctx context.Context, s *services, mux *http.ServeMux) ([]adapter, error) {
	var out []adapter
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
