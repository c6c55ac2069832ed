package app

import (
	"context"
	"net/http"
)

// buildAdapters starts the chat adapters that the configuration enables;
// each registers its HTTP routes (webhooks) on mux when it has any.
func buildAdapters(ctx context.Context, s *services, mux *http.ServeMux) ([]adapter, error) {
	var out []adapter
	return out, nil
}
