package handlers

import (
	"context"

	"accountbot/bot"
	"accountbot/handlers/core"
)

// request is a core.Request with the service that handles it, for the
// families still in this package (their own helpers are methods on it).
type request struct {
	*core.Request
	svc *Service
}

func (s *Service) newRequest(ctx context.Context, m *bot.Message) (*request, error) {
	cr, err := core.NewRequest(ctx, s.store, s.cat, m, s.clock.Now(), s.cfg.TZ)
	if err != nil {
		return nil, err
	}
	return &request{Request: cr, svc: s}, nil
}
