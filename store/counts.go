package store

import (
	"context"
	"encoding/binary"
	"errors"

	"accountbot/crm"
)

// Keys of the maintained per-owner client counts, which /team and the
// titles of client lists read instead of counting every client:
//
//	coc/<owner>            how many clients owner has (8 bytes)
//	meta/clients/total     how many clients there are (8 bytes)
//	meta/clients/counts    the counts are complete (version)
//
// They are kept in the same transaction as the client's write (putClient:
// a new client, a new owner) and as the erasure's plan. A store written
// before they existed, or loaded by the Seeder, is counted once, on first
// use, from the owner index.

var countsMarker = []byte("meta/clients/counts")

// countsVersion 2 added the total.
const (
	countsVersion = 2
	customVersion = 1
)

func ownerCountKey(owner uint64) []byte { return key("coc/", owner) }

// clientTotalKey holds how many clients the store holds (8 bytes), kept
// with the per-owner counts: a page of a list reads it to choose how to
// read the page.
var clientTotalKey = []byte("meta/clients/total")

// addClientCount adds delta to owner's client count (and to the total).
func (tx *Tx) addClientCount(owner uint64, delta int) error {
	if err := tx.addDelta(clientTotalKey, delta); err != nil {
		return err
	}
	return tx.addDelta(ownerCountKey(owner), delta)
}

// addDelta notes a change of the count at k, written at the end of the
// transaction (flushDeltas).
func (tx *Tx) addDelta(k []byte, delta int) error {
	if tx.deltas == nil {
		tx.deltas = map[string]int64{}
	}
	tx.deltas[string(k)] += int64(delta)
	return nil
}

// flushDeltas adds the transaction's count changes to the stored counts,
// deleting a count that drops to zero.
func (tx *Tx) flushDeltas() error {
	for k, d := range tx.deltas {
		if d == 0 {
			continue
		}
		n, err := tx.counter([]byte(k))
		if err != nil {
			return err
		}
		v := int64(n) + d
		if v <= 0 {
			err = tx.del([]byte(k))
		} else {
			err = tx.set([]byte(k), u64(uint64(v)))
		}
		if err != nil {
			return err
		}
	}
	tx.deltas = nil
	return nil
}

// countsFollowClient moves the client's count from old's owner to c's
// and its custom fields' counts (old is nil for a new client), in the
// client's transaction.
func (tx *Tx) countsFollowClient(old, c *crm.Client) error {
	if err := tx.customFollowClient(old, c); err != nil {
		return err
	}
	if old != nil && old.OwnerID == c.OwnerID {
		return nil
	}
	if old != nil {
		if err := tx.addClientCount(old.OwnerID, -1); err != nil {
			return err
		}
	}
	return tx.addClientCount(c.OwnerID, +1)
}

// ensureCounts counts every owner's clients from the owner index, in one
// transaction, when the counts are not known to be complete.
func (s *Store) ensureCounts(ctx context.Context) error {
	return s.buildOnce(ctx, countsMarker, countsVersion, func(tx *Tx) error {
		counts := map[uint64]uint64{}
		if err := tx.scan([]byte("co/"), false, false, func(k []byte, _ Item) (bool, error) {
			if len(k) == 3+16 {
				counts[binary.BigEndian.Uint64(k[3:11])]++
			}
			return true, nil
		}); err != nil {
			return err
		}
		var stale [][]byte
		if err := tx.scan([]byte("coc/"), false, false, func(k []byte, _ Item) (bool, error) {
			if len(k) == 4+8 && counts[tailID(k)] == 0 {
				stale = append(stale, append([]byte(nil), k...))
			}
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range stale {
			if err := tx.del(k); err != nil {
				return err
			}
		}
		var total uint64
		for owner, n := range counts {
			if err := tx.set(ownerCountKey(owner), u64(n)); err != nil {
				return err
			}
			total += n
		}
		return tx.set(clientTotalKey, u64(total))
	})
}

// forgetCounts marks the counts incomplete, after a bulk load that wrote
// clients without them.
func (s *Store) forgetCounts() error {
	return s.update(crm.WithoutDeliveryKey(context.Background()), func(tx *Tx) error {
		for _, k := range [][]byte{countsMarker, customMarker, staleMarker, ownerNamesMarker, convOwnersMarker, leadCountsMarker, segmentsMarker} {
			if err := tx.del(k); err != nil && !errors.Is(err, errNotFound) {
				return err
			}
		}
		return nil
	})
}

// CountClients returns how many clients each owner has, from the
// maintained counts: as many reads as there are owners.
func (s *Store) CountClients(ctx context.Context) (map[uint64]int, error) {
	if err := s.ensureCounts(ctx); err != nil {
		return nil, err
	}
	out := map[uint64]int{}
	err := s.view(ctx, func(tx *Tx) error {
		tx.readAhead(nil, [][]byte{[]byte("coc/")}) // one count per person: read whole
		return tx.scan([]byte("coc/"), false, true, func(k []byte, item Item) (bool, error) {
			if len(k) != 4+8 {
				return true, nil
			}
			return true, item.Value(func(v []byte) error {
				if len(v) == 8 {
					out[tailID(k)] = int(binary.BigEndian.Uint64(v))
				}
				return nil
			})
		})
	})
	return out, err
}

// Keys of the maintained names of the custom fields in use, which a full
// client export reads for its header instead of reading every client
// twice:
//
//	ccf/<field>            how many clients have the custom field (8 bytes)
//	meta/clients/custom    the counts are complete (version)
//
// Kept with the counts above, in the client's and the erasure's
// transactions; counted once, on first use, from every client otherwise.

var customMarker = []byte("meta/clients/custom")

func customKey(field string) []byte { return key("ccf/", field) }

// addCustomCount adds delta to the count of clients with field.
func (tx *Tx) addCustomCount(field string, delta int) error {
	return tx.addDelta(customKey(field), delta)
}

// customFollowClient moves the client's custom fields' counts from old
// (nil for a new client) to c.
func (tx *Tx) customFollowClient(old, c *crm.Client) error {
	if old != nil {
		for k := range old.Custom {
			if _, ok := c.Custom[k]; !ok {
				if err := tx.addCustomCount(k, -1); err != nil {
					return err
				}
			}
		}
	}
	for k := range c.Custom {
		if old != nil {
			if _, ok := old.Custom[k]; ok {
				continue
			}
		}
		if err := tx.addCustomCount(k, +1); err != nil {
			return err
		}
	}
	return nil
}

// ensureCustom counts the custom fields of every client once, when the
// counts are not known to be complete.
func (s *Store) ensureCustom(ctx context.Context) error {
	done := false
	if err := s.view(ctx, func(tx *Tx) error {
		ok, err := tx.has(customMarker)
		done = ok
		return err
	}); err != nil || done {
		return err
	}
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		if ok, err := tx.has(customMarker); err != nil || ok {
			return err
		}
		counts := map[string]uint64{}
		if err := tx.scan([]byte("c/"), false, true, func(_ []byte, item Item) (bool, error) {
			c, err := decode[crm.Client](item)
			if err != nil {
				return false, err
			}
			for k := range c.Custom {
				counts[k]++
			}
			return true, nil
		}); err != nil {
			return err
		}
		var old [][]byte
		if err := tx.scan([]byte("ccf/"), false, false, func(k []byte, _ Item) (bool, error) {
			old = append(old, append([]byte(nil), k...))
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range old {
			if err := tx.del(k); err != nil {
				return err
			}
		}
		for f, n := range counts {
			if err := tx.set(customKey(f), u64(n)); err != nil {
				return err
			}
		}
		return tx.set(customMarker, []byte{customVersion})
	})
}

// CustomFields returns the names of the custom fields that some client
// has, sorted, from the maintained counts.
func (s *Store) CustomFields(ctx context.Context) ([]string, error) {
	if err := s.ensureCustom(ctx); err != nil {
		return nil, err
	}
	var out []string
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("ccf/"), false, false, func(k []byte, _ Item) (bool, error) {
			out = append(out, string(k[4:]))
			return true, nil
		})
	})
	return out, err
}

// marked reports, in a read of its own, whether the marker k is stored
// with version v.
func (s *Store) marked(ctx context.Context, k []byte, v byte) (ok bool, err error) {
	err = s.view(ctx, func(tx *Tx) error {
		ok, err = tx.markerAt(k, v)
		return err
	})
	return ok, err
}

// buildOnce runs build in one transaction that also stores the marker k
// with version v, unless the marker is there already: looked for first in
// a read, so that the usual call writes nothing, and again in the
// transaction, so that two callers racing build it once.
func (s *Store) buildOnce(ctx context.Context, k []byte, v byte, build func(tx *Tx) error) error {
	if done, err := s.marked(ctx, k, v); err != nil || done {
		return err
	}
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		if ok, err := tx.markerAt(k, v); err != nil || ok {
			return err
		}
		if err := build(tx); err != nil {
			return err
		}
		return tx.set(k, []byte{v})
	})
}

// markerAt reports whether the marker k is stored with version v.
func (tx *Tx) markerAt(k []byte, v byte) (bool, error) {
	item, err := tx.item(k)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ok := false
	err = item.Value(func(b []byte) error {
		ok = len(b) == 1 && b[0] == v
		return nil
	})
	return ok, err
}
