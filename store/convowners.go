package store

import (
	"context"
	"encoding/binary"

	"accountbot/crm"
)

// Keys of the conversations by their client's owner, which a digest's
// activity figures read instead of seeking into every recently touched
// client's conversations (whose records, spread over the store's largest
// kind, a head's digest would otherwise pull into memory):
//
//	cva/<owner><at><client><id>   (empty)
//	meta/conversations/owners     the index is complete (version)
//
// Kept in the conversation's transaction, moved with its client to a new
// owner (putClient), erased with the client; a store written before it
// existed (or loaded by the Seeder) is indexed once, on first use.

var convOwnersMarker = []byte("meta/conversations/owners")

const convOwnersVersion = 1

func convOwnerKey(owner uint64, at []byte, client uint64, id []byte) []byte {
	return key("cva/", owner, at, client, id)
}

// eachConvKey calls fn with the time and id parts of each of the client's
// conversation keys.
func (tx *Tx) eachConvKey(client uint64, fn func(at, id []byte) error) error {
	return tx.scan(key("v/", client), false, false, func(k []byte, _ Item) (bool, error) {
		if len(k) != 2+8+8+8 {
			return true, nil
		}
		return true, fn(k[10:18], k[18:26])
	})
}

// convOwnersFollowClient moves the index entries of the client's
// conversations to its new owner, in the client's transaction.
func (tx *Tx) convOwnersFollowClient(old, c *crm.Client) error {
	if old == nil || old.OwnerID == c.OwnerID {
		return nil
	}
	return tx.eachConvKey(c.ID, func(at, id []byte) error {
		if err := tx.del(convOwnerKey(old.OwnerID, at, c.ID, id)); err != nil {
			return err
		}
		return tx.set(convOwnerKey(c.OwnerID, at, c.ID, id), nil)
	})
}

// eraseConvOwners lists the index entries of the client's conversations.
func eraseConvOwners(tx *Tx, id uint64) ([][]byte, int, error) {
	c, err := tx.client(id)
	if err != nil {
		return nil, 0, err
	}
	var keys [][]byte
	err = tx.eachConvKey(id, func(at, cid []byte) error {
		keys = append(keys, convOwnerKey(c.OwnerID, at, id, cid))
		return nil
	})
	return keys, 0, err
}

// ensureConvOwners indexes every client's conversations once, when the
// index is not known to be complete.
func (s *Store) ensureConvOwners(ctx context.Context) error {
	return s.backfillClients(ctx, convOwnersMarker, convOwnersVersion, 100, func(tx *Tx, c *crm.Client) error {
		return tx.eachConvKey(c.ID, func(at, id []byte) error {
			return tx.set(convOwnerKey(c.OwnerID, at, c.ID, id), nil)
		})
	})
}

// convActivity counts owner's conversations in [from, to) (Unix
// nanoseconds, as conversation keys hold them) and the clients they are
// about, from the index.
func (tx *Tx) convActivity(owner uint64, from, to uint64) (conversations, touched int, err error) {
	prefix := key("cva/", owner)
	it := tx.iter(prefix, false, false)
	defer it.close()
	// The index is by time: a client's conversations of the period are
	// not next to one another.
	clients := map[uint64]bool{}
	for it.seek(key("cva/", owner, from)); it.valid(); it.next() {
		k := it.item().Key()
		if len(k) != len(prefix)+24 {
			continue
		}
		if binary.BigEndian.Uint64(k[len(prefix):]) >= to {
			break
		}
		conversations++
		clients[binary.BigEndian.Uint64(k[len(prefix)+8:])] = true
	}
	return conversations, len(clients), nil
}
