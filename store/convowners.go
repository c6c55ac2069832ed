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

// convActivity counts each owner's conversations in [from, to) (Unix
// nanoseconds, as conversation keys hold them) and the clients they are
// about, from the index: one walk over every owner's range.
func (tx *Tx) convActivity(owners []uint64, from, to uint64) (conversations, touched []int, err error) {
	ranges := make([]keyRange, len(owners))
	for i, o := range owners {
		ranges[i] = keyRange{lo: key("cva/", o, from), hi: key("cva/", o, to)}
	}
	conversations, touched = make([]int, len(owners)), make([]int, len(owners))
	// The index is by time: a client's conversations of the period are
	// not next to one another.
	clients := make([]map[uint64]bool, len(owners))
	const entryLen = len("cva/") + 32 // owner, time, client, id
	err = tx.scanRanges([]byte("cva/"), false, false, ranges, func(i int, k []byte, _ Item) (bool, error) {
		if len(k) != entryLen {
			return true, nil
		}
		if clients[i] == nil {
			clients[i] = map[uint64]bool{}
		}
		conversations[i]++
		clients[i][binary.BigEndian.Uint64(k[len("cva/")+16:])] = true
		return true, nil
	})
	for i := range owners {
		touched[i] = len(clients[i])
	}
	return conversations, touched, err
}
