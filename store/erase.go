package store

import (
	"context"
	"encoding/binary"
	"errors"

	"accountbot/crm"
)

// Erasure ("the right to be forgotten") must leave nothing of a client in
// any file of the data directory, not only hide it. A Badger delete only
// writes a tombstone: the old values stay in the write-ahead log and in
// SSTables until compactions happen to reach them. So EraseClient uses
// DB.DropPrefix, which rewrites the memtables and every table holding the
// given keys without them (old versions and tombstones included). Values
// never go to the value log (ValueThreshold in Open), whose newest file
// Badger never rewrites.
//
// DropPrefix only drops prefixes that still have a live key, so the keys are
// dropped while they are live, with every write of this process held back
// (writeMu) from the moment they are listed until they are gone. A marker
// written first, in the same transaction as the erasure counter, lets Open
// finish an erasure that a crash interrupted.

// Keys of erasure:
//
//	meta/erasing/<client>   an erasure in progress (JSON erasePlan)
//	meta/erased/client      how many clients were erased (uint64)
var (
	keyErasing      = []byte("meta/erasing/")
	keyErasedClient = []byte("meta/erased/client")
)

// clientEraser lists, in tx, every key of one kind of record about a
// client: the keys themselves or prefixes that hold only that client's
// records, with how many records they are.
type clientEraser struct {
	kind string
	find func(tx *Tx, clientID uint64) (keys [][]byte, count int, err error)
}

// clientErasers is the erasure hook list: every kind of record that belongs
// to a client. A new record kind that refers to a client (claims, deals,
// promises, plans…) adds its eraser here, with its per-client index and its
// history ("h/<kind>/<id>"), or its data survives /client forget.
func clientErasers() []clientEraser {
	return []clientEraser{
		{"client", eraseClientRecord},
		{"history", eraseClientHistory},
		{"ownernames", eraseOwnerNames},
		{"conversations", eraseConversations},
		{"convowners", eraseConvOwners},
		{"tasks", eraseTasks},
		{"claims", eraseClaims},
		{"deals", eraseDeals},
		{"drafts", eraseAssistantRecords},
		// Last: the derived copies (tokens, drafts, attachments…) of
		// every kind, through one index (derived.go).
		{"derived", eraseDerived},
		{"planning", planningClientKeys},
		{"segments", eraseSegments},
		{"attachments", eraseAttachments},
		{"health", eraseHealth},
		{"mail", eraseMailIndex},
	}
}

// erasePlan is what an erasure drops, written before it starts.
type erasePlan struct {
	ClientID uint64         `json:"client_id"`
	Keys     [][]byte       `json:"keys"`
	Counts   map[string]int `json:"counts"`
}

// EraseClient removes the client and everything recorded about it, adds
// one to the anonymous count of erased clients, and cleans the files so
// that none of it can be read back from the data directory. Writes wait
// while it runs.
func (s *Store) EraseClient(ctx context.Context, id uint64) (*crm.Erasure, error) {
	if crm.ReadOnly(ctx) {
		return nil, crm.ErrReadOnly
	}
	if err := s.checkWritable(); err != nil {
		return nil, err
	}
	if err := crm.Settle(ctx); err != nil {
		return nil, err // never on an unconfirmed guess (engine_pg_guess.go)
	}
	s.dropSnapshot(ctx) // the request's next read sees the erasure
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	plan, err := s.planErasure(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.dropKeys(plan.Keys); err != nil {
		return nil, mapErr(err)
	}
	delete(plan.Counts, "client")
	return &crm.Erasure{ClientID: id, Counts: plan.Counts}, nil
}

// planErasure lists what erasing the client drops and, in the same
// transaction, writes the plan as a marker and counts the erasure. From
// its commit on, the erasure is decided: Open finishes it after a crash.
func (s *Store) planErasure(ctx context.Context, id uint64) (*erasePlan, error) {
	var plan erasePlan
	err := s.eng.update(func(txn kvTxn) error {
		tx := &Tx{kv: txn, s: s, ctx: ctx}
		plan = erasePlan{ClientID: id, Counts: map[string]int{}}
		for _, e := range clientErasers() {
			keys, n, err := e.find(tx, id)
			if err != nil {
				return err
			}
			plan.Keys = append(plan.Keys, keys...)
			if n > 0 {
				plan.Counts[e.kind] = n
			}
		}
		marker := key(keyErasing, id)
		plan.Keys = append(plan.Keys, marker)
		if err := tx.put(marker, &plan); err != nil {
			return err
		}
		n, err := tx.counter(keyErasedClient)
		if err != nil {
			return err
		}
		if err := tx.set(keyErasedClient, u64(n+1)); err != nil {
			return err
		}
		return tx.flushDeltas()
	})
	if err != nil {
		return nil, mapErr(err)
	}
	return &plan, nil
}

// ErasedClients returns how many clients were erased, for reports.
func (s *Store) ErasedClients(ctx context.Context) (uint64, error) {
	var n uint64
	err := s.view(ctx, func(tx *Tx) (err error) {
		n, err = tx.counter(keyErasedClient)
		return err
	})
	return n, err
}

func (tx *Tx) counter(k []byte) (uint64, error) {
	v, _, err := tx.value(k)
	if err != nil || len(v) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// dropKeys drops every version of the keys (and of any key they prefix)
// from the engine's files (see engine.dropPrefix).
func (s *Store) dropKeys(keys [][]byte) error { return s.eng.dropPrefix(keys...) }

// resumeErasures finishes erasures that a crash interrupted: their marker
// is still there, so their keys may be too.
func (s *Store) resumeErasures() error {
	if s.opts.ReadOnly || s.checkWritable() != nil {
		return nil // finished at the next start that may write
	}
	var plans []erasePlan
	err := s.eng.view(func(txn kvTxn) error {
		tx := &Tx{kv: txn, s: s, ctx: context.Background()}
		return tx.scan(keyErasing, false, true, func(_ []byte, item Item) (bool, error) {
			p, err := decode[erasePlan](item)
			if err != nil {
				return false, err
			}
			plans = append(plans, *p)
			return true, nil
		})
	})
	if err != nil {
		return err
	}
	for _, p := range plans {
		s.log.Warn("finishing an interrupted erasure", "client", p.ClientID)
		if err := s.dropKeys(p.Keys); err != nil {
			return err
		}
	}
	return nil
}

// eraseClientRecord lists the client and its name and owner index
// entries.
func eraseClientRecord(tx *Tx, id uint64) ([][]byte, int, error) {
	c, err := tx.client(id)
	if err != nil {
		return nil, 0, err
	}
	if err := tx.addClientCount(c.OwnerID, -1); err != nil {
		return nil, 0, err
	}
	for k := range c.Custom {
		if err := tx.addCustomCount(k, -1); err != nil {
			return nil, 0, err
		}
	}
	if err := tx.staleCount(c.OwnerID, staleTimesOf(c), -1); err != nil {
		return nil, 0, err
	}
	return append([][]byte{clientKey(id), nameKey(c), ownerKey(c.OwnerID, id)}, staleKeys(c)...), 1, nil
}

// eraseClientHistory lists the history of the client's fields. Index
// entries of former names are deleted (not live), so DropPrefix would pass
// them by and leave the old names in the files: they are written again
// here, to be dropped with the rest.
func eraseClientHistory(tx *Tx, id uint64) ([][]byte, int, error) {
	keys := [][]byte{key("h/client/", id)}
	c, err := tx.client(id)
	if err != nil {
		return nil, 0, err
	}
	seen := map[string]bool{crm.NormalizeName(c.Name): true}
	n := 0
	err = tx.scan(key("h/client/", id), false, true, func(_ []byte, item Item) (bool, error) {
		n++
		ch, err := decode[crm.Change](item)
		if err != nil {
			return false, err
		}
		if ch.Field != "name" && ch.Field != "created" {
			return true, nil
		}
		for _, name := range []string{ch.Old, ch.New} {
			norm := crm.NormalizeName(name)
			if norm == "" || seen[norm] {
				continue
			}
			seen[norm] = true
			k := key("cn/", norm, byte(nameSep), id)
			if err := tx.set(k, nil); err != nil {
				return false, err
			}
			keys = append(keys, k)
		}
		return true, nil
	})
	return keys, n, err
}

// eraseConversations lists the client's conversations: one prefix.
func eraseConversations(tx *Tx, id uint64) ([][]byte, int, error) {
	n := 0
	err := tx.scan(key("v/", id), false, false, func([]byte, Item) (bool, error) {
		n++
		return true, nil
	})
	return [][]byte{key("v/", id)}, n, err
}

// eraseTasks lists the client's tasks and their index entries.
func eraseTasks(tx *Tx, id uint64) ([][]byte, int, error) {
	keys := [][]byte{key("tc/", id)}
	n := 0
	err := tx.scan(key("tc/", id), false, false, func(k []byte, _ Item) (bool, error) {
		var t crm.Task
		if err := tx.get(key("t/", tailID(k)), &t); err != nil {
			if errors.Is(err, errNotFound) {
				return true, nil
			}
			return false, err
		}
		n++
		keys = append(keys, key("t/", t.ID))
		for _, e := range taskIndexEntries(&t) {
			keys = append(keys, e.k)
		}
		if !t.RingAt.IsZero() && !t.Open() {
			// A closed task's entry, should one have outlived its close.
			keys = append(keys, ringKey(t.RingAt, t.ID))
		}
		return true, nil
	})
	return keys, n, err
}
