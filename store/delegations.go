package store

import (
	"context"

	"accountbot/crm"
)

// Delegations returns every delegation, by id. There are few: one per
// absence.
func (s *Store) Delegations(ctx context.Context) ([]*crm.Delegation, error) {
	var out []*crm.Delegation
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("dl/"), false, true, func(_ []byte, item Item) (bool, error) {
			d, err := decode[crm.Delegation](item)
			out = append(out, d)
			return err == nil, err
		})
	})
	return out, err
}

// SaveDelegation creates (ID 0) or replaces a delegation.
func (s *Store) SaveDelegation(ctx context.Context, d *crm.Delegation) error {
	return s.update(ctx, func(tx *Tx) error {
		if d.ID == 0 {
			id, err := tx.nextID("delegation")
			if err != nil {
				return err
			}
			d.ID = id
		}
		return tx.put(key("dl/", d.ID), d)
	})
}
