package store

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"accountbot/crm"
)

// Keys of adapter bookkeeping:
//
//	dlv/<delivery key>   a platform delivery that was handled (TTL); the
//	                     same key that update records for crm.WithDeliveryKey
//	cur/<name>           an adapter's confirmed position (Telegram's offset)
//	tok/<token>          a value too long for the platform, kept under a
//	                     short token (Telegram's 64-byte callback data; TTL)
//
// Every method here writes with crm.WithoutDeliveryKey: bookkeeping never
// claims the delivery key of the message being handled.

// Delivered reports whether the delivery key was recorded, by a write of
// the delivery's own effect or by MarkDelivered.
func (s *Store) Delivered(ctx context.Context, deliveryKey string) (bool, error) {
	var ok bool
	err := s.view(ctx, func(tx *Tx) (err error) {
		ok, err = tx.has(key("dlv/", deliveryKey))
		return err
	})
	return ok, err
}

// MarkDelivered records that the delivery was handled, for ttl, unless it
// is recorded already.
func (s *Store) MarkDelivered(ctx context.Context, deliveryKey string, ttl time.Duration) error {
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		k := key("dlv/", deliveryKey)
		if ok, err := tx.has(k); err != nil || ok {
			return err
		}
		return tx.setTTL(k, nil, ttl)
	})
}

// Cursor returns the position saved under name, 0 when none is.
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *Tx) error {
		item, err := tx.item(key("cur/", name))
		if errors.Is(err, errNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			if len(b) == 8 {
				n = int64(binary.BigEndian.Uint64(b))
			}
			return nil
		})
	})
	return n, err
}

// SetCursor saves the position under name.
func (s *Store) SetCursor(ctx context.Context, name string, pos int64) error {
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		return tx.set(key("cur/", name), u64(uint64(pos)))
	})
}

// PutToken keeps value under token for ttl.
func (s *Store) PutToken(ctx context.Context, token, value string, ttl time.Duration) error {
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		k := key("tok/", token)
		if err := tx.derived(k, ttl); err != nil {
			return err
		}
		return tx.setTTL(k, []byte(value), ttl)
	})
}

// Token returns the value kept under token, or crm.ErrNotFound when it is
// unknown or expired.
func (s *Store) Token(ctx context.Context, token string) (string, error) {
	var v string
	err := s.view(ctx, func(tx *Tx) error {
		item, err := tx.item(key("tok/", token))
		if err != nil {
			return err
		}
		b, err := item.ValueCopy(nil)
		v = string(b)
		return err
	})
	return v, err
}

// MarkUnreachable flags the person holding identity as unreachable (the
// platform refused delivery: they blocked the bot). The flag is cleared by
// the next message from them. An identity nobody holds is no error.
func (s *Store) MarkUnreachable(ctx context.Context, identity string) error {
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		v, found, err := tx.value(key("pi/", identity))
		if err != nil || !found {
			return err
		}
		p, err := tx.person(tailID(v))
		if err != nil || p.Unreachable {
			return err
		}
		p.Unreachable = true
		return tx.put(key("p/", p.ID), p)
	})
}
