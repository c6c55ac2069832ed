// Package handlerstest builds the shared chat test environment
// (internal/chattest) over a whole handlers.Service, for the tests outside
// package handlers and for the family packages' tests. Tests inside
// package handlers build the same environment with their own three-line
// constructor (they cannot import this package).
package handlerstest

import (
	"testing"
	"time"

	"accountbot/handlers"
	"accountbot/internal/chattest"
	"accountbot/store"
)

// Env is the chat test environment over a handlers.Service.
type Env = chattest.Env[*handlers.Service]

// Config is the configuration tests run with: the defaults in tz, with the
// heads console:admin and telegram:1.
func Config(tz *time.Location) handlers.Config {
	cfg := handlers.DefaultConfig()
	cfg.TZ = tz
	cfg.Heads = []string{"console:admin", "telegram:1"}
	return cfg
}

// Build returns the function that makes a handlers.Service of an
// environment's parts: its store, catalog, clock, logger, the notifier
// when the options ask for it, Config in its time zone, then opts.
func Build(opts ...handlers.Option) func(chattest.Deps) (*handlers.Service, error) {
	return func(d chattest.Deps) (*handlers.Service, error) {
		o := []handlers.Option{handlers.WithClock(d.Clock), handlers.WithConfig(Config(d.TZ)), handlers.WithLogger(d.Logger)}
		if d.Notify {
			o = append(o, handlers.WithNotifier(d.Notes))
		}
		return handlers.New(d.Store, d.Catalog, append(o, opts...)...)
	}
}

// New returns an environment over a new service; opts are added to the
// service's own (a later WithConfig replaces Config).
func New(t testing.TB, o chattest.Options, opts ...handlers.Option) *Env {
	t.Helper()
	return chattest.New(t, o, Build(opts...))
}

// Bench returns the environment of a benchmark over st (its company,
// already seeded), with the clock at now in UTC; opts are added to the
// service's own.
func Bench(t testing.TB, st *store.Store, now time.Time, opts ...handlers.Option) *Env {
	t.Helper()
	return New(t, chattest.Options{Reuse: st, TZ: time.UTC, Now: now}, opts...)
}
