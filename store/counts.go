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
//	meta/clients/counts    the counts are complete (version)
//
// They are kept in the same transaction as the client's write (putClient:
// a new client, a new owner) and as the erasure's plan. A store written
// before they existed, or loaded by the Seeder, is counted once, on first
// use, from the owner index.

var countsMarker = []byte("meta/clients/counts")

const countsVersion = 1

func ownerCountKey(owner uint64) []byte { return key("coc/", owner) }

// addClientCount adds delta to owner's client count, deleting a count
// that drops to zero.
func (tx *Tx) addClientCount(owner uint64, delta int) error {
	n, err := tx.counter(ownerCountKey(owner))
	if err != nil {
		return err
	}
	v := int64(n) + int64(delta)
	if v <= 0 {
		return tx.del(ownerCountKey(owner))
	}
	return tx.set(ownerCountKey(owner), u64(uint64(v)))
}

// countsFollowClient moves the client's count from old's owner to c's
// (old is nil for a new client), in the client's transaction.
func (tx *Tx) countsFollowClient(old, c *crm.Client) error {
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
	done := false
	if err := s.view(ctx, func(tx *Tx) error {
		ok, err := tx.has(countsMarker)
		done = ok
		return err
	}); err != nil || done {
		return err
	}
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		if ok, err := tx.has(countsMarker); err != nil || ok {
			return err
		}
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
		for owner, n := range counts {
			if err := tx.set(ownerCountKey(owner), u64(n)); err != nil {
				return err
			}
		}
		return tx.set(countsMarker, []byte{countsVersion})
	})
}

// forgetCounts marks the counts incomplete, after a bulk load that wrote
// clients without them.
func (s *Store) forgetCounts() error {
	return s.update(crm.WithoutDeliveryKey(context.Background()), func(tx *Tx) error {
		err := tx.del(countsMarker)
		if errors.Is(err, errNotFound) {
			return nil
		}
		return err
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

// counterOf reads a count from an item (0 when malformed).
func (tx *Tx) counterOf(item Item) (uint64, error) {
	var n uint64
	err := item.Value(func(v []byte) error {
		if len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return n, err
}
