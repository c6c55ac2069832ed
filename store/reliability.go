package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"accountbot/crm"
)

// Keys of payments and the reliability weights:
//
//	ply/<client><at><id>            a payment of one invoice (JSON)
//	meta/reliability/weights        the weights (JSON), the defaults when absent

var reliabilityWeightsKey = []byte("meta/reliability/weights")

// AddPayment records how a client paid one invoice.
func (s *Store) AddPayment(ctx context.Context, p *crm.Payment) error {
	return s.update(ctx, func(tx *Tx) error {
		if _, err := tx.client(p.ClientID); err != nil {
			return err
		}
		id, err := tx.nextID("payment")
		if err != nil {
			return err
		}
		p.ID = id
		if err := tx.healthDirty(p.ClientID); err != nil {
			return err
		}
		return tx.put(key("ply/", p.ClientID, p.At, id), p)
	})
}

// Payments returns a client's payments, oldest first.
func (s *Store) Payments(ctx context.Context, client uint64) ([]crm.Payment, error) {
	var out []crm.Payment
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(client)
		return tx.scan(key("ply/", client), false, true, func(_ []byte, item Item) (bool, error) {
			p, err := decode[crm.Payment](item)
			if err != nil {
				return false, err
			}
			out = append(out, *p)
			return true, nil
		})
	})
	return out, err
}

// ReliabilityWeights returns the weights of the reliability model: the
// saved ones over the defaults.
func (s *Store) ReliabilityWeights(ctx context.Context) (crm.ReliabilityWeights, error) {
	var w map[string]int
	err := s.view(ctx, func(tx *Tx) (err error) {
		w, err = tx.weights(reliabilityWeightsKey, crm.DefaultReliabilityWeights())
		return err
	})
	return w, err
}

// SaveReliabilityWeights stores the weights with one history entry (kind
// "reliability_weights") per changed weight.
func (s *Store) SaveReliabilityWeights(ctx context.Context, w crm.ReliabilityWeights, by crm.Actor, at time.Time) error {
	return s.update(ctx, func(tx *Tx) error {
		return tx.saveWeights(reliabilityWeightsKey, "reliability_weights", crm.DefaultReliabilityWeights(), crm.ReliabilityFactors, w, by, at)
	})
}

// weights reads the weights saved at key over defaults; a saved factor
// this build does not know is left out.
func (tx *Tx) weights(key []byte, defaults map[string]int) (map[string]int, error) {
	var saved map[string]int
	if err := tx.get(key, &saved); err != nil && !errors.Is(err, errNotFound) {
		return nil, err
	}
	for k, v := range saved {
		if _, ok := defaults[k]; ok {
			defaults[k] = v
		}
	}
	return defaults, nil
}

// saveWeights stores w at key, with one history entry of kind per factor
// whose weight changed, in the caller's transaction.
func (tx *Tx) saveWeights(key []byte, kind string, defaults map[string]int, factors []string, w map[string]int, by crm.Actor, at time.Time) error {
	old, err := tx.weights(key, defaults)
	if err != nil {
		return err
	}
	for _, f := range factors {
		if old[f] != w[f] {
			if err := tx.addChange(crm.Change{Kind: kind, RecordID: 1, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
				FieldChange: crm.FieldChange{Field: f, Old: strconv.Itoa(old[f]), New: strconv.Itoa(w[f])}}); err != nil {
				return err
			}
		}
	}
	return tx.put(key, w)
}
