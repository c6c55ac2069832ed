package store

import (
	"context"
	"errors"
	"sync"

	"accountbot/crm"
)

// On an engine where a transaction costs a round trip to a server
// (PostgreSQL), the reads of one request share one read transaction: the
// request's first read opens it, and the others reuse it and what it has
// read (engine_pg_cache.go), until the request writes (the next read then
// opens a new one, which sees the write) or ends (crm.WithRequestScope).
// That is one snapshot for all the reads of a request, as one view would
// be; a request's card, /today or list is then a few questions instead of
// one transaction per family that adds to it. Badger's transactions cost
// nothing to open, so it shares none.

// snapshotHolder is an engine that can keep a read transaction open for
// a request.
type snapshotHolder interface {
	// hold opens a read transaction for a request, or reports false when
	// the engine would rather not (too many held already).
	hold() (heldView, bool)
}

// heldView is a read transaction kept open for several views.
type heldView interface {
	// run runs fn in the transaction and returns fn's answer; fit is
	// false when the transaction can serve no more (a statement failed).
	run(fn func(kvTxn) error) (fit bool, err error)
	// end ends the transaction and gives its connection back.
	end()
}

// snapshotKey is the store's key in a request scope.
type snapshotKey struct{ s *Store }

// requestSnapshot is a held read transaction and the lock that keeps its
// views one at a time.
type requestSnapshot struct {
	mu     sync.Mutex
	view   heldView
	broken bool
	ended  bool // the transaction ended (its connection is given back)
}

// sharedView runs fn in the request's shared read transaction and reports
// whether it did; false means the caller runs its own (no scope, an
// engine that shares none, the transaction busy with another of the
// request's views, or no longer fit).
func (s *Store) sharedView(ctx context.Context, fn func(txn kvTxn) error) (done bool, err error) {
	h, ok := s.eng.(snapshotHolder)
	sc := crm.RequestScopeOf(ctx)
	if !ok || sc == nil {
		return false, nil
	}
	v, ok := sc.Value(snapshotKey{s}, func() (any, func(), bool) {
		hv, ok := h.hold()
		if !ok {
			return nil, nil, false
		}
		rs := &requestSnapshot{view: hv}
		return rs, func() {
			rs.mu.Lock()
			defer rs.mu.Unlock()
			rs.view.end()
			rs.broken, rs.ended = true, true
		}, true
	})
	if !ok {
		return false, nil
	}
	rs := v.(*requestSnapshot)
	// A view already running (one of the request's goroutines, or a view
	// inside a view) keeps it: this one reads on its own.
	if !rs.mu.TryLock() {
		return false, nil
	}
	defer rs.mu.Unlock()
	if rs.broken {
		return false, nil
	}
	fit, err := rs.view.run(fn)
	if !fit {
		rs.broken = true
	}
	if errors.Is(err, errHeldLost) {
		return false, nil // nothing of it ran: the view reads on its own
	}
	if errors.Is(err, errGuessed) {
		sc.MarkStale()
	}
	return true, err
}

// mayGuess reports whether a view of the request may start from a guess
// (engine_pg_guess.go): the request must allow one
// (crm.RequestScope.MayGuess) and hold a read transaction, where the view
// is running. A view that then guesses calls guessed.
func (s *Store) mayGuess(ctx context.Context) bool {
	sc := crm.RequestScopeOf(ctx)
	if sc == nil {
		return false
	}
	if _, ok := sc.Value(snapshotKey{s}, func() (any, func(), bool) { return nil, nil, false }); !ok {
		return false
	}
	return sc.MayGuess()
}

// guessed makes the request's Settle confirm the guess g made in the
// request's held transaction.
func (s *Store) guessed(ctx context.Context, g guesser) {
	sc := crm.RequestScopeOf(ctx)
	v, ok := sc.Value(snapshotKey{s}, func() (any, func(), bool) { return nil, nil, false })
	if !ok {
		sc.MarkStale() // cannot happen: the view runs in it
		return
	}
	rs := v.(*requestSnapshot)
	sc.OnSettle(func() error { return s.settleGuess(rs, g) })
}

// settleGuess confirms g's guess in the request's held transaction rs.
// A guess decided already needs nothing (a request's reads confirm it with
// their first round trip); one still open is confirmed with a round trip
// of its own, unless a view of the request is running in the transaction
// (then, as once the transaction has ended, nothing more can be sent on
// it, and the guess counts as wrong: the request is answered again).
func (s *Store) settleGuess(rs *requestSnapshot, g guesser) error {
	if done, err := g.guessState(); done {
		return mapErr(err)
	}
	if !rs.mu.TryLock() {
		return mapErr(errGuessed)
	}
	defer rs.mu.Unlock()
	if rs.ended {
		return mapErr(g.settle(false))
	}
	var err error
	if _, runErr := rs.view.run(func(txn kvTxn) error {
		if any(txn) != any(g) {
			err = errGuessed
			return nil
		}
		err = g.settle(true)
		return nil
	}); runErr != nil && err == nil {
		err = runErr
	}
	return mapErr(err)
}

// dropSnapshot ends the request's shared read transaction before a write,
// so that the request's next read sees what it wrote.
func (s *Store) dropSnapshot(ctx context.Context) {
	if sc := crm.RequestScopeOf(ctx); sc != nil {
		sc.Drop(snapshotKey{s})
	}
}
