package store

import (
	"context"
	"encoding/json"

	"accountbot/crm"
)

// A client's card, /next and the lists that show one client read that
// client's records family by family, each in its own view: its tasks,
// conversations, deals, claims, contact plan, promises, payments,
// attachments and health, one after the other. Badger reads each in
// memory; on PostgreSQL each is a round trip to the server, a dozen for
// one card. So the second read about one client in a transaction (the
// first, or a search that finds just that client, may be all the request
// wants of it: a /log's look at the client) reads the rest of them ahead
// in one round trip, and the reads that follow are answered from the
// transaction's cache (engine_pg_cache.go). What they return is the same:
// the read-ahead only fills the cache from the same snapshot. A client
// with more conversations (or other records of one kind) than the
// read-ahead takes has them read by their own walk, as before.

// readAheader is an engine transaction that can read several keys and
// prefixes in one round trip (PostgreSQL).
type readAheader interface {
	readAhead(keys, prefixes [][]byte)
	// touch counts the reads about k in the transaction, this one
	// included.
	touch(k []byte) int
	// peek returns the value of k when the transaction has read it
	// already (nil and false otherwise: it asks nothing).
	peek(k []byte) ([]byte, bool)
	// keeps reports whether what the transaction reads outlives the
	// view (a request's held transaction, snapshot.go): a read-ahead for
	// the request's later views is worth it only then.
	keeps() bool
}

// rangeReader is an engine transaction that can read kv ranges ahead,
// with whole groups and prefixes, in one round trip (PostgreSQL).
type rangeReader interface {
	readAheadRanges(prefix []byte, ranges []keyRange, prefixes [][]byte)
}

// lastReader is an engine transaction that reads the last entry of each
// of several kv ranges in one round trip (PostgreSQL). ok is false when
// it cannot for these ranges; the caller then walks them.
type lastReader interface {
	lastIn(prefix []byte, ranges []keyRange) (items []*simpleItem, ok bool, err error)
}

// lastIn calls fn with the last entry of each range under prefix that has
// one, in the order of ranges: on PostgreSQL every range's in one round
// trip, on Badger a reverse walk of each.
func (tx *Tx) lastIn(prefix []byte, ranges []keyRange, fn func(i int, k []byte, item Item) error) error {
	if lr, ok := tx.kv.(lastReader); ok {
		items, ok, err := lr.lastIn(prefix, ranges)
		if err != nil {
			return err
		}
		if ok {
			for i, it := range items {
				if it == nil {
					continue
				}
				if err := fn(i, it.k, it); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return tx.scanRanges(prefix, true, true, ranges, func(i int, k []byte, item Item) (bool, error) {
		return false, fn(i, k, item)
	})
}

// aboutClient is called by each read of a client's own records.
func (tx *Tx) aboutClient(id uint64) {
	ra, ok := tx.kv.(readAheader)
	if !ok || ra.touch(clientKey(id)) != 2 {
		return
	}
	keys, prefixes := clientRecords(id)
	ra.readAhead(keys, append(prefixes, peersOf(ra, id)...))
}

// peersOf is the won deals of the client's segment that its owner's
// clients made (plw/: the peers /next and the card count), when the
// client was read already: a manager's own client's peers are read with
// its records, and a wider scope reads the other owners' as before.
func peersOf(ra readAheader, id uint64) [][]byte {
	v, ok := ra.peek(clientKey(id))
	if !ok {
		return nil
	}
	var c struct {
		Segment string `json:"segment"`
		OwnerID uint64 `json:"owner_id"`
	}
	if json.Unmarshal(v, &c) != nil || c.OwnerID == 0 || crm.NormalizeName(c.Segment) == "" {
		return nil
	}
	return [][]byte{key(wonPrefix(c.Segment), c.OwnerID)}
}

// aboutClientHealth reads ahead, at once, what a recomputation of the
// client's health reads (healthFacts, the weights, its summary and
// marker): the client, its contact plan, deals, claims, promises,
// payments and satisfaction scores. Not its conversations, tasks or
// attachments, which the score does not use: after every /log a
// recomputation follows, and those are most of the client's rows. When
// the client's records were read ahead already, it reads nothing.
func (tx *Tx) aboutClientHealth(id uint64) {
	ra, ok := tx.kv.(readAheader)
	if !ok {
		return
	}
	switch ra.touch(clientKey(id)) {
	case 1:
		ra.touch(clientKey(id)) // read ahead here: aboutClient need not
	case 2: // aboutClient would read ahead now
	default:
		return // read ahead already (a card): the rest is read as needed
	}
	ra.readAhead([][]byte{clientKey(id), planKey(id), healthKey(id), healthDirtyKey(id), healthWeightsKey},
		[][]byte{key(pDealCli, id), key("clc/", id), key("plpc/", id), key("ply/", id), key("hsat/", id)})
}

// ReadNextAhead says the advice rules are about to read client id (/next:
// its contact plan, claims, promises and deals, and its owner's won deals
// in its segment), so that an engine that pays a round trip per read
// reads just those at once in the request's transaction, instead of the
// client's whole card (conversations, tasks, payments, attachments,
// health) on the rules' second read. It changes no answer: a read of the
// rest of the card afterwards reads what it needs. It does nothing on
// Badger, outside a request, or once the client's records were read.
func (s *Store) ReadNextAhead(ctx context.Context, id uint64) error {
	if crm.RequestScopeOf(ctx) == nil {
		return nil
	}
	return s.view(ctx, func(tx *Tx) error {
		ra, ok := tx.kv.(readAheader)
		if !ok || !ra.keeps() {
			return nil // Badger, or a view of its own (no request transaction free)
		}
		// The card's read-ahead comes on the second read about the client
		// (aboutClient; the first is usually the request finding it): up
		// to that one this reads ahead instead, and takes its turn.
		switch ra.touch(clientKey(id)) {
		case 1:
			ra.touch(clientKey(id))
		case 2:
		default:
			return nil // the card was read ahead already
		}
		ra.readAhead([][]byte{planKey(id), wonMarker},
			append([][]byte{key(pDealCli, id), key("clc/", id), key("plpc/", id)}, peersOf(ra, id)...))
		return nil
	})
}

// clientRecords are the keys and prefixes of a client's own records, as
// its card and /next read them.
func clientRecords(id uint64) (keys, prefixes [][]byte) {
	return [][]byte{planKey(id), healthKey(id), healthDirtyKey(id), reliabilityWeightsKey, wonMarker},
		[][]byte{key("v/", id), key("tc/", id), key(pDealCli, id), key("clc/", id), key("plpc/", id), key("ply/", id), key("ac/", id), key("hsat/", id)}
}

// indexMarkers are the markers of the maintained indexes (buildOnce,
// backfill) that a request's lists look for before they read the index.
// A request reads them ahead with its sender (PersonByIdentity); a marker
// left out of the list costs its reads one round trip, nothing more.
var indexMarkers = [][]byte{audienceMarker, leadCountsMarker, noteOwnersMarker, convOwnersMarker,
	countsMarker, customMarker, ownerNamesMarker, wonMarker, staleMarker}

// readAhead says the transaction is about to read these keys and walk
// these whole prefixes: an engine that pays a round trip per read reads
// them all at once (readAheader), Badger ignores it. It changes how the
// reads that follow are served, never what they return.
func (tx *Tx) readAhead(keys, prefixes [][]byte) {
	if ra, ok := tx.kv.(readAheader); ok {
		ra.readAhead(keys, prefixes)
	}
}

// clientsReader is an engine transaction that can read, with groups or
// parts of derived indexes, the clients their records name in the same
// round trip (PostgreSQL: a list and the client names it shows).
type clientsReader interface {
	readAheadWithClients(prefixes [][]byte)
}

// readAheadWithClients reads the prefixes ahead as readAhead does and,
// where the engine can, the clients that their records name with them.
func (tx *Tx) readAheadWithClients(prefixes [][]byte) {
	if cr, ok := tx.kv.(clientsReader); ok {
		cr.readAheadWithClients(prefixes)
		return
	}
	tx.readAhead(nil, prefixes)
}

// firstReader is an engine transaction that can read keys and the first
// entries of several groups of an index in one round trip (PostgreSQL).
type firstReader interface {
	readFirst(keys, prefixes [][]byte, n int)
}

// pageFirster is an engine transaction that reads the page of several
// groups at once (readFirst on PostgreSQL) and can give it back.
type pageFirster interface {
	// firstsPage returns the entries of the groups that prefixes name
	// which are among the first n of them all in list order, with the
	// ties of the n-th, in no order, when readFirst read that page.
	firstsPage(prefixes [][]byte, n int) ([]kvEntry, bool)
}

// readFirst says the transaction is about to read these keys and walk
// about the first n keys under each of these prefixes: an engine that
// pays a round trip per read reads them at once, Badger ignores it. Like
// readAhead it changes how the reads that follow are served, never what
// they return.
func (tx *Tx) readFirst(keys, prefixes [][]byte, n int) {
	if fr, ok := tx.kv.(firstReader); ok {
		fr.readFirst(keys, prefixes, n)
	}
}
