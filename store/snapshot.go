package store

import (
	"context"
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
			rs.broken = true
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
	return true, err
}

// dropSnapshot ends the request's shared read transaction before a write,
// so that the request's next read sees what it wrote.
func (s *Store) dropSnapshot(ctx context.Context) {
	if sc := crm.RequestScopeOf(ctx); sc != nil {
		sc.Drop(snapshotKey{s})
	}
}
