package store

import (
	"context"
	"errors"
	"time"

	"accountbot/crm"
)

// A lease lets one of several processes sharing the store do a thing that
// only one may do at a time (poll Telegram's getUpdates): the holder
// renews it before it runs out; when the holder dies, it runs out and
// another process takes it. Leases use the machine's real time, not the
// handlers' clock (ACCOUNTBOT_NOW), which differs between replicas
// started at different moments.
//
//	lease/<name>   JSON lease

type lease struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// Shared reports whether other processes may use the same store at once
// (PostgreSQL); a Badger directory is one process's, so no lease is
// needed there.
func (s *Store) Shared() bool { return s.shared }

// Lease takes or renews the lease name for holder for ttl from now, and
// reports whether holder holds it: false while another holder's lease
// runs.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	held := false
	err := s.update(ctx, func(tx *Tx) error {
		held = false
		k := key("lease/", name)
		var l lease
		err := tx.get(k, &l)
		if err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		now := time.Now()
		if err == nil && l.Holder != holder && now.Before(l.Until) {
			return nil
		}
		held = true
		return tx.put(k, lease{Holder: holder, Until: now.Add(ttl)})
	})
	return held, err
}

// ReleaseLease gives the lease up at once, if holder holds it, so that
// another process need not wait for it to run out.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.update(ctx, func(tx *Tx) error {
		k := key("lease/", name)
		var l lease
		if err := tx.get(k, &l); err != nil {
			if errors.Is(err, errNotFound) {
				return nil
			}
			return err
		}
		if l.Holder != holder {
			return nil
		}
		return tx.del(k)
	})
}

// SharedValue returns the value kept under name for every process of the
// store, keeping value there first when there is none: of several
// processes starting together with different values, all get the one that
// committed first (the Telegram webhook secret that replicas generate
// when none is configured).
//
//	shv/<name>   the value
func (s *Store) SharedValue(ctx context.Context, name, value string) (string, error) {
	var out string
	err := s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		k := key("shv/", name)
		b, found, err := tx.value(k)
		if err != nil || found {
			out = string(b)
			return err
		}
		out = value
		return tx.set(k, []byte(value))
	})
	return out, err
}
