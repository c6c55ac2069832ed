package store

import (
	"context"
	"errors"
	"time"

	"accountbot/crm"
)

// Keys of the competitor notes by the owner of the client they came from,
// which /competitors counts instead of reading every note and its client:
//
//	plxo/<owner><at><id>        a note; owner is its client's owner, 0 for a
//	                            note without a client (everyone's); value: the
//	                            competitor's key
//	meta/planning/noteowners    the index is complete (version)
//
// An entry is written with its note, moved in the client's transaction
// when the client changes owner, and erased with the client. A store
// written before the index existed is indexed once, on first use.

var noteOwnersMarker = []byte("meta/planning/noteowners")

const noteOwnersVersion = 1

func noteOwnerKey(owner uint64, at time.Time, id uint64) []byte {
	return key("plxo/", owner, at, id)
}

// noteOwnerKeyOf is the index key of the note stored at nk (plxn/<key>\x00<at><id>)
// for owner.
func noteOwnerKeyOf(owner uint64, nk []byte) ([]byte, string, bool) {
	if len(nk) < 5+1+16 {
		return nil, "", false
	}
	compKey := string(nk[5 : len(nk)-17])
	return key("plxo/", owner, nk[len(nk)-16:]), compKey, true
}

// notesFollowOwner moves the index entries of the notes sourced from a
// client to its new owner, in the client's transaction.
func (tx *Tx) notesFollowOwner(client, from, to uint64) error {
	var nks [][]byte
	if err := tx.scan(key("plxc/", client), false, true, func(_ []byte, item Item) (bool, error) {
		nk, err := item.ValueCopy(nil)
		nks = append(nks, nk)
		return err == nil, err
	}); err != nil {
		return err
	}
	for _, nk := range nks {
		oldK, comp, ok := noteOwnerKeyOf(from, nk)
		if !ok {
			continue
		}
		newK, _, _ := noteOwnerKeyOf(to, nk)
		if err := tx.del(oldK); err != nil {
			return err
		}
		if err := tx.set(newK, []byte(comp)); err != nil {
			return err
		}
	}
	return nil
}

// ensureNoteOwners indexes every note once in a store written before the
// index existed, a thousand notes per transaction.
func (s *Store) ensureNoteOwners(ctx context.Context) error {
	return s.backfill(ctx, noteOwnersMarker, noteOwnersVersion, []byte("plxn/"), 1000, nil, func(tx *Tx) func([]byte, Item) error {
		return func(k []byte, item Item) error {
			note, err := decode[crm.CompetitorNote](item)
			if err != nil {
				return err
			}
			var owner uint64
			if note.ClientID != 0 {
				c, err := tx.client(note.ClientID)
				if errors.Is(err, errNotFound) {
					return nil
				}
				if err != nil {
					return err
				}
				owner = c.OwnerID
			}
			if ik, comp, ok := noteOwnerKeyOf(owner, k); ok {
				return tx.set(ik, []byte(comp))
			}
			return nil
		}
	})
}

// CompetitorNoteCounts returns, by competitor key, how many notes since
// since came from clients of the owners or from no client (everyone's
// notes). It reads the owners' entries of the notes' owner index in the
// window, and the unsourced ones: what it costs is the owners' notes.
func (s *Store) CompetitorNoteCounts(ctx context.Context, owners []uint64, since time.Time) (map[string]int, error) {
	if err := s.ensureNoteOwners(ctx); err != nil {
		return nil, err
	}
	out := map[string]int{}
	ranges := noteRanges(owners, since)
	err := s.view(ctx, func(tx *Tx) error {
		out = map[string]int{}
		return tx.scanRanges([]byte("plxo/"), false, true, ranges, func(_ int, _ []byte, item Item) (bool, error) {
			return true, item.Value(func(v []byte) error {
				out[string(v)]++
				return nil
			})
		})
	})
	return out, err
}

// noteRanges are the ranges of the notes' owner index that
// CompetitorNoteCounts reads: the unsourced notes (owner 0) and each
// owner's, since since.
func noteRanges(owners []uint64, since time.Time) []keyRange {
	ranges := make([]keyRange, 0, len(owners)+1)
	for _, o := range append([]uint64{0}, owners...) {
		r := ownerRange("plxo/", o)
		if !since.IsZero() {
			r.lo = key("plxo/", o, since)
		}
		ranges = append(ranges, r)
	}
	return ranges
}

// ReadCompetitorsAhead says /competitors is about to read the owners'
// deals closed since since (ClosedDeals), the competitors (Competitors)
// and the owners' notes since since (CompetitorNoteCounts): on an engine
// that pays a round trip per read, they are read at once into the
// request's transaction (one round trip instead of three). It changes no
// answer, and does nothing on Badger or outside a request.
func (s *Store) ReadCompetitorsAhead(ctx context.Context, owners []uint64, since time.Time) error {
	if crm.RequestScopeOf(ctx) == nil {
		return nil
	}
	if err := s.ensureNoteOwners(ctx); err != nil {
		return err
	}
	return s.view(ctx, func(tx *Tx) error {
		rr, ok := tx.kv.(rangeReader)
		if ra, held := tx.kv.(readAheader); !ok || !held || !ra.keeps() {
			return nil // Badger, or a view of its own (no request transaction free)
		}
		prefixes := [][]byte{[]byte("plx/")}
		for _, o := range owners {
			prefixes = append(prefixes, key(pDealShut, o))
		}
		rr.readAheadRanges([]byte("plxo/"), noteRanges(owners, since), prefixes)
		return nil
	})
}
