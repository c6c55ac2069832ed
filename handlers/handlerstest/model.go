package handlerstest

import (
	"testing"

	"accountbot/handlers"
	"accountbot/internal/chattest"
	"accountbot/store"
)

// Pair is the environment of the model tests (chattest.Pair), at
// chattest.ModelNow in chattest.ModelTZ.
type Pair struct {
	*Env
	chattest.Pair
}

// NewPair builds the Pair over a store opened with st (in memory when
// zero) and a service with opts (handlers.WithModel with chattest.Model
// for a model).
func NewPair(t testing.TB, st store.Options, opts ...handlers.Option) *Pair {
	t.Helper()
	e := New(t, chattest.Options{Now: chattest.ModelNow, TZ: chattest.ModelTZ, Store: st}, opts...)
	return &Pair{Env: e, Pair: e.AddPair()}
}
