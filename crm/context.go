package crm

import (
	"context"
	"sync"
	"sync/atomic"
)

type deliveryKeyCtx struct{}

type delivery struct {
	key     string
	claimed atomic.Bool
}

// DeliveryClaim tracks whether a delivery's key was already recorded by an
// earlier write of the same request.
type DeliveryClaim interface {
	Claimed() bool
	Claim()
}

func (d *delivery) Claimed() bool { return d.claimed.Load() }
func (d *delivery) Claim()        { d.claimed.Store(true) }

// WithDeliveryKey marks ctx as handling the platform delivery key (for
// example "telegram/update/123" or "slack/event/Ev123"). The store records
// the key with the first write the request commits, in the same
// transaction, so that a redelivery can never write twice: its writes
// return ErrDuplicate. This is a rule of every store port (stated with
// them in handlers/service.go) and of the contract suite
// (store/storetest.RunDeliveries): a read, a failed write or a write under
// WithoutDeliveryKey records nothing, and later writes of the same request
// still write.
func WithDeliveryKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, deliveryKeyCtx{}, &delivery{key: key})
}

// DeliveryKey returns the delivery key of ctx and its claim, or "" and nil.
func DeliveryKey(ctx context.Context) (string, DeliveryClaim) {
	d, _ := ctx.Value(deliveryKeyCtx{}).(*delivery)
	if d == nil {
		return "", nil
	}
	return d.key, d
}

type readOnlyCtx struct{}

// WithReadOnly marks ctx as a read-only request: the store refuses every
// write made under it with ErrReadOnly. A model's tools (/ask) run under
// it, so that no command they reach can write, whatever its arguments.
func WithReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyCtx{}, true)
}

// ReadOnly reports whether ctx is a read-only request.
func ReadOnly(ctx context.Context) bool {
	ro, _ := ctx.Value(readOnlyCtx{}).(bool)
	return ro
}

type clientTrailCtx struct{}

// clientTrail is the set of clients one request resolved.
type clientTrail struct {
	mu  sync.Mutex
	ids map[uint64]bool
}

// WithClientTrail gives ctx a trail of the clients the request works on
// (see TouchClient). A store indexes every derived copy it writes under
// ctx (button tokens, drafts, proposals, attachments) by the clients on
// the trail, so that erasing a client erases every copy of its data
// through one index, whatever kind of record holds it. A ctx that has a
// trail keeps it.
func WithClientTrail(ctx context.Context) context.Context {
	if _, ok := ctx.Value(clientTrailCtx{}).(*clientTrail); ok {
		return ctx
	}
	return context.WithValue(ctx, clientTrailCtx{}, &clientTrail{ids: map[uint64]bool{}})
}

// TouchClient puts clients on ctx's trail (none without a trail): the
// request shows or copies their data.
func TouchClient(ctx context.Context, ids ...uint64) {
	t, _ := ctx.Value(clientTrailCtx{}).(*clientTrail)
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if id != 0 {
			t.ids[id] = true
		}
	}
}

// TouchedClients returns the clients on ctx's trail, in no order.
func TouchedClients(ctx context.Context) []uint64 {
	t, _ := ctx.Value(clientTrailCtx{}).(*clientTrail)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]uint64, 0, len(t.ids))
	for id := range t.ids {
		out = append(out, id)
	}
	return out
}

type requestScopeCtx struct{}

// RequestScope holds what a store keeps for the length of one request
// (on PostgreSQL, the read transaction the request's reads share). The
// store puts values in it; End releases them.
type RequestScope struct {
	mu     sync.Mutex
	ended  bool
	vals   map[any]any
	enders map[any]func()
	// A store may start the request from a guess of what it reads first
	// (on PostgreSQL, the sender and the team as it saw them last) and
	// confirm it later; settlers confirm it, stale says it was wrong.
	guessed, noGuess, stale bool
	settlers                []func() error
}

// WithRequestScope gives ctx a scope for one request and returns the
// function that ends it (once the request is answered). A ctx that has a
// scope keeps it, and its end is the outer request's: the returned
// function then does nothing.
func WithRequestScope(ctx context.Context) (context.Context, func()) {
	if _, ok := ctx.Value(requestScopeCtx{}).(*RequestScope); ok {
		return ctx, func() {}
	}
	sc := &RequestScope{vals: map[any]any{}, enders: map[any]func(){}}
	return context.WithValue(ctx, requestScopeCtx{}, sc), sc.End
}

// RequestScopeOf returns ctx's request scope, or nil.
func RequestScopeOf(ctx context.Context) *RequestScope {
	sc, _ := ctx.Value(requestScopeCtx{}).(*RequestScope)
	return sc
}

// Value returns the value kept under k, making it with mk (and noting
// its end) when there is none; ok is false once the scope has ended or
// when mk fails (the caller then works without it).
func (sc *RequestScope) Value(k any, mk func() (v any, end func(), ok bool)) (any, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.ended {
		return nil, false
	}
	if v, ok := sc.vals[k]; ok {
		return v, true
	}
	v, end, ok := mk()
	if !ok {
		return nil, false
	}
	sc.vals[k], sc.enders[k] = v, end
	return v, true
}

// Drop ends the value kept under k, if any: the next Value makes a new one.
func (sc *RequestScope) Drop(k any) {
	sc.mu.Lock()
	end := sc.enders[k]
	delete(sc.vals, k)
	delete(sc.enders, k)
	sc.mu.Unlock()
	if end != nil {
		end()
	}
}

// MayGuess reports whether a store may start the request from a guess
// (see RequestScope), and takes the chance: it is true at most once per
// scope, and never after ForbidGuesses. A store that guesses must confirm
// the guess in Settle.
func (sc *RequestScope) MayGuess() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.noGuess || sc.guessed || sc.ended {
		return false
	}
	sc.guessed = true
	return true
}

// ForbidGuesses makes the request read everything it reads (a request
// answered again after a wrong guess).
func (sc *RequestScope) ForbidGuesses() {
	sc.mu.Lock()
	sc.noGuess = true
	sc.mu.Unlock()
}

// OnSettle adds fn to what Settle runs: it confirms a store's guess,
// returning an error when it cannot.
func (sc *RequestScope) OnSettle(fn func() error) {
	sc.mu.Lock()
	sc.settlers = append(sc.settlers, fn)
	sc.mu.Unlock()
}

// Settle confirms every guess the request started from, before anything
// leaves the process on its behalf: a reply, a write, a message or a
// call to a model. An error means the request must not go on: it is
// marked stale (a guess was wrong or could not be confirmed) and is
// answered again from the start.
func (sc *RequestScope) Settle() error {
	sc.mu.Lock()
	fns := sc.settlers
	sc.settlers = nil
	sc.mu.Unlock()
	for n, fn := range fns {
		if err := fn(); err != nil {
			sc.mu.Lock()
			sc.stale = true
			sc.settlers = append(fns[n:], sc.settlers...)
			sc.mu.Unlock()
			return err
		}
	}
	return nil
}

// MarkStale says a guess of the request was wrong: what it read after
// it is not to be trusted, and the request is answered again.
func (sc *RequestScope) MarkStale() {
	sc.mu.Lock()
	sc.stale = true
	sc.mu.Unlock()
}

// Stale reports whether MarkStale was called, or Settle failed.
func (sc *RequestScope) Stale() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.stale
}

// Settle confirms the guesses of ctx's request (RequestScope.Settle); nil
// without a scope.
func Settle(ctx context.Context) error {
	if sc := RequestScopeOf(ctx); sc != nil {
		return sc.Settle()
	}
	return nil
}

// End ends every value kept and the scope: later Values make none.
func (sc *RequestScope) End() {
	sc.mu.Lock()
	enders := sc.enders
	sc.ended, sc.vals, sc.enders = true, nil, nil
	sc.mu.Unlock()
	for _, end := range enders {
		end()
	}
}
