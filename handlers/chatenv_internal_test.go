package handlers

import (
	"accountbot/internal/chattest"
)

// chatEnv is the shared chat test environment (internal/chattest) over a
// Service, for the tests inside the package (which cannot import
// handlers/handlerstest).
type chatEnv = chattest.Env[*Service]

// buildService returns the function that makes a Service of an
// environment's parts, as handlerstest.Build does outside the package:
// DefaultConfig in the environment's time zone, changed by cfg (when not
// nil), over the store wrap makes of the environment's (itself when nil),
// with the notifier when the options ask for it, then opts.
func buildService(cfg func(*Config), wrap func(Store) Store, opts ...Option) func(chattest.Deps) (*Service, error) {
	return func(d chattest.Deps) (*Service, error) {
		c := DefaultConfig()
		c.TZ = d.TZ
		if cfg != nil {
			cfg(&c)
		}
		var st Store = d.Store
		if wrap != nil {
			st = wrap(st)
		}
		o := []Option{WithClock(d.Clock), WithConfig(c), WithLogger(d.Logger)}
		if d.Notify {
			o = append(o, WithNotifier(d.Notes))
		}
		return New(st, d.Catalog, append(o, opts...)...)
	}
}
