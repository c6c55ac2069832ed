package store

import (
	"context"
	"time"

	"accountbot/crm"
)

// Keys of promises:
//
//	plp/<id>                       the promise (JSON)
//	plpc/<client><id>              promises by client
//	plpo/<owner><due><id>          open promises by the client's owner and due day
//
// A promise's owner is its client's owner and follows the client when it
// is reassigned (promisesFollowOwner, in the client's transaction).

func promiseKey(id uint64) []byte { return key("plp/", id) }

func promiseOpenKey(p *crm.Promise) []byte { return key("plpo/", p.OwnerID, p.Due, p.ID) }

func (tx *Tx) putPromise(old, p *crm.Promise) error {
	if old != nil && old.Open() {
		if err := tx.del(promiseOpenKey(old)); err != nil {
			return err
		}
	}
	if p.Open() {
		if err := tx.set(promiseOpenKey(p), nil); err != nil {
			return err
		}
	}
	if old == nil {
		if err := tx.set(key("plpc/", p.ClientID, p.ID), nil); err != nil {
			return err
		}
	}
	if err := tx.healthDirty(p.ClientID); err != nil {
		return err
	}
	return tx.put(promiseKey(p.ID), p)
}

// CreatePromise stores a new promise of an existing client, giving it the
// next promise id (P-3; ids are never reused) and its history entry.
func (s *Store) CreatePromise(ctx context.Context, p *crm.Promise) error {
	return s.update(ctx, func(tx *Tx) error {
		c, err := tx.client(p.ClientID)
		if err != nil {
			return err
		}
		id, err := tx.nextID("promise")
		if err != nil {
			return err
		}
		p.ID, p.OwnerID = id, c.OwnerID
		if err := tx.putPromise(nil, p); err != nil {
			return err
		}
		return tx.addChange(crm.Change{Kind: "promise", RecordID: id, At: p.CreatedAt, By: p.CreatedBy, OnBehalfOf: p.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "created", New: p.Text}})
	})
}

// Promise returns the promise with id.
func (s *Store) Promise(ctx context.Context, id uint64) (*crm.Promise, error) {
	var p crm.Promise
	if err := s.view(ctx, func(tx *Tx) error { return tx.get(promiseKey(id), &p) }); err != nil {
		return nil, err
	}
	return &p, nil
}

// UpdatePromise applies fn to the promise and stores it with its indexes
// and one history entry per changed field.
func (s *Store) UpdatePromise(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Promise) error) (*crm.Promise, error) {
	var out *crm.Promise
	err := s.update(ctx, func(tx *Tx) error {
		var old crm.Promise
		if err := tx.get(promiseKey(id), &old); err != nil {
			return err
		}
		p := old
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.ClientID, p.OwnerID = old.ID, old.ClientID, old.OwnerID
		for _, ch := range crm.Diff(promiseFields(&old), promiseFields(&p)) {
			if err := tx.addChange(crm.Change{Kind: "promise", RecordID: id, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
				return err
			}
		}
		out = &p
		return tx.putPromise(&old, &p)
	})
	return out, err
}

func promiseFields(p *crm.Promise) map[string]string {
	m := map[string]string{"text": p.Text, "due": p.Due.Format("2006-01-02"), "contract": p.Contract}
	if !p.DoneAt.IsZero() {
		m["done"] = p.DoneAt.UTC().Format(time.RFC3339)
	}
	if p.FromClient {
		m["from_client"] = "yes"
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

// ClientPromises returns every promise of a client, by id.
func (s *Store) ClientPromises(ctx context.Context, client uint64) ([]crm.Promise, error) {
	var out []crm.Promise
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(client)
		return tx.scan(key("plpc/", client), false, false, func(k []byte, _ Item) (bool, error) {
			var p crm.Promise
			if err := tx.get(promiseKey(tailID(k)), &p); err != nil {
				return false, err
			}
			out = append(out, p)
			return true, nil
		})
	})
	return out, err
}

// OpenPromises returns the open promises of the owners' clients due
// before before, owner by owner in the order given and soonest first
// within one, read in one transaction.
func (s *Store) OpenPromises(ctx context.Context, owners []uint64, before time.Time) ([]crm.Promise, error) {
	var out []crm.Promise
	ranges := make([]keyRange, 0, len(owners))
	for _, owner := range owners {
		ranges = append(ranges, keyRange{lo: key("plpo/", owner), hi: key("plpo/", owner, before)})
	}
	err := s.view(ctx, func(tx *Tx) error {
		out = out[:0]
		// The ids first, then the promises, all asked at once.
		var keys [][]byte
		if err := tx.scanRanges([]byte("plpo/"), false, false, ranges, func(_ int, k []byte, _ Item) (bool, error) {
			keys = append(keys, promiseKey(tailID(k)))
			return true, nil
		}); err != nil {
			return err
		}
		tx.prefetch(keys)
		for _, k := range keys {
			var p crm.Promise
			if err := tx.get(k, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// promisesFollowOwner gives a reassigned client's promises its new owner.
func (tx *Tx) promisesFollowOwner(client, owner uint64) error {
	var ids []uint64
	if err := tx.scan(key("plpc/", client), false, false, func(k []byte, _ Item) (bool, error) {
		ids = append(ids, tailID(k))
		return true, nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		var old crm.Promise
		if err := tx.get(promiseKey(id), &old); err != nil {
			return err
		}
		p := old
		p.OwnerID = owner
		// The client's history records the change of owner.
		if err := tx.putPromise(&old, &p); err != nil {
			return err
		}
	}
	return nil
}
