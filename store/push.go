package store

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"accountbot/crm"
)

// Keys of what the bot sends by itself:
//
//	tr/<ring at><task id>      reminders waiting to ring, by time (no value)
//	once/<kind>/<key>          a scheduled message claimed for sending (expires)
//	lk/<code>                  a one-time code that links an identity (expires)
//
// The ring index holds only reminders that have not rung, so a scheduler
// tick reads exactly the entries due: one seek, and nothing when nothing is
// due.

func ringKey(at time.Time, id uint64) []byte { return key("tr/", at, id) }

// DueReminders returns up to limit reminders whose ring time is at or before
// until, soonest first (0: no limit). It reads only the index entries it
// returns.
func (s *Store) DueReminders(ctx context.Context, until time.Time, limit int) ([]crm.DueReminder, error) {
	var out []crm.DueReminder
	end := uint64(until.UnixNano())
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("tr/"), false, false, func(k []byte, _ Item) (bool, error) {
			if len(k) != 3+16 {
				return true, nil
			}
			at := binary.BigEndian.Uint64(k[3:11])
			if at > end {
				return false, nil
			}
			out = append(out, crm.DueReminder{TaskID: tailID(k), RingAt: time.Unix(0, int64(at))})
			return limit == 0 || len(out) < limit, nil
		})
	})
	return out, err
}

// ClaimReminders takes the due reminders out of the ring index and marks
// them rung at now, in one transaction, and returns those it claimed: a
// reminder still open and still due to ring at the time its entry says.
// One done, moved, or claimed by another tick or replica (which then sends
// it) is left out, and its stale entry dropped. Whoever gets a task sends
// it.
func (s *Store) ClaimReminders(ctx context.Context, due []crm.DueReminder, now time.Time) ([]*crm.Task, error) {
	var out []*crm.Task
	err := s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		out = out[:0]
		for _, d := range due {
			var old crm.Task
			if err := tx.get(key("t/", d.TaskID), &old); err != nil {
				if errors.Is(err, errNotFound) {
					if err := tx.del(ringKey(d.RingAt, d.TaskID)); err != nil {
						return err
					}
					continue
				}
				return err
			}
			if !old.Open() || !old.RingAt.Equal(d.RingAt) {
				if err := tx.del(ringKey(d.RingAt, d.TaskID)); err != nil {
					return err
				}
				continue
			}
			t := old
			t.RingAt, t.RungAt = time.Time{}, now
			if err := tx.putTask(&old, &t); err != nil {
				return err
			}
			out = append(out, &t)
		}
		return nil
	})
	return out, err
}

// ClaimOnce records that the scheduled message kind/k is being sent and
// reports whether this caller made the record (true: send it; false:
// someone already did). The record expires after a month.
func (s *Store) ClaimOnce(ctx context.Context, kind, k string) (bool, error) {
	claimed := false
	err := s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		claimed = false
		ok, err := tx.has(key("once/", kind, "/", k))
		if err != nil || ok {
			return err
		}
		claimed = true
		return tx.putTTL(key("once/", kind, "/", k), true)
	})
	return claimed && err == nil, err
}

// CreateLinkCode stores a code that links another identity to a person.
func (s *Store) CreateLinkCode(ctx context.Context, lc *crm.LinkCode) error {
	return s.update(ctx, func(tx *Tx) error { return tx.putTTL(key("lk/", lc.Code), lc) })
}

// LinkIdentity joins identity to the person who made code, in one
// transaction: the code works once and only before it expires, and an
// identity that someone holds already is a conflict.
func (s *Store) LinkIdentity(ctx context.Context, code, identity string, now time.Time) (*crm.Person, error) {
	defer s.forgetPeople()
	var out *crm.Person
	err := s.update(ctx, func(tx *Tx) error {
		var lc crm.LinkCode
		if err := tx.get(key("lk/", code), &lc); err != nil {
			if errors.Is(err, errNotFound) {
				return crm.Errorf(crm.ENOTFOUND, "link.bad_code")
			}
			return err
		}
		if lc.UsedBy != "" || !now.Before(lc.ExpiresAt) {
			return crm.Errorf(crm.ENOTFOUND, "link.bad_code")
		}
		if taken, err := tx.has(key("pi/", identity)); err != nil {
			return err
		} else if taken {
			return crm.Errorf(crm.ECONFLICT, "error.identity_taken", "identity", identity)
		}
		p, err := tx.person(lc.PersonID)
		if err != nil {
			if errors.Is(err, errNotFound) {
				return crm.Errorf(crm.ENOTFOUND, "link.bad_code")
			}
			return err
		}
		if !p.Active() {
			return crm.Errorf(crm.ENOTFOUND, "link.bad_code")
		}
		p.Identities = append(p.Identities, identity)
		if err := tx.set(key("pi/", identity), u64(p.ID)); err != nil {
			return err
		}
		if err := tx.put(key("p/", p.ID), p); err != nil {
			return err
		}
		lc.UsedBy = identity
		out = p
		return tx.putTTL(key("lk/", code), &lc)
	})
	return out, err
}
