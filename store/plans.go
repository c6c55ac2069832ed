package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"accountbot/crm"
)

// Keys of contact plans, relationship plan notes and meetings:
//
//	plc/<client>                 contact plan (JSON)
//	plco/<owner><client>         contact plans by the client's owner (value: plan JSON)
//	pln/<client><id>             relationship plan note (JSON)
//	plm/<id>                     meeting (JSON)
//	plmo/<person><at><id>        meetings by the person who meets
//	plmc/<client><id>            meetings by client
//	plmr/<at><id>                meetings whose reminder is not decided yet
//	plmq/<at><id>                meetings whose outcome question is not decided yet
//	plmx/<kind><id>              a reminder or question decided but not delivered (JSON attempts)
//	meta/planning/settings       meeting settings (JSON)

var planningSettingsKey = []byte("meta/planning/settings")

func planKey(client uint64) []byte             { return key("plc/", client) }
func planOwnerKey(owner, client uint64) []byte { return key("plco/", owner, client) }

// SetContactPlan stores (or replaces) the contact plan of a client; a plan
// with a zero cadence removes it. It returns the plan it replaced, if any.
func (s *Store) SetContactPlan(ctx context.Context, p *crm.ContactPlan, by crm.Actor) (*crm.ContactPlan, error) {
	var old *crm.ContactPlan
	err := s.update(ctx, func(tx *Tx) error {
		c, err := tx.client(p.ClientID)
		if err != nil {
			return err
		}
		var prev crm.ContactPlan
		switch err := tx.get(planKey(c.ID), &prev); {
		case err == nil:
			old = &prev
		case !errors.Is(err, errNotFound):
			return err
		}
		ch := crm.FieldChange{Field: "contact_plan", New: planText(p)}
		if old != nil {
			ch.Old = planText(old)
		}
		if err := tx.addChange(crm.Change{Kind: "client", RecordID: c.ID, At: p.SetAt, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
			return err
		}
		if err := tx.healthDirty(c.ID); err != nil {
			return err
		}
		if p.Every.IsZero() {
			if err := tx.del(planKey(c.ID)); err != nil {
				return err
			}
			return tx.del(planOwnerKey(c.OwnerID, c.ID))
		}
		if err := tx.put(planKey(c.ID), p); err != nil {
			return err
		}
		return tx.put(planOwnerKey(c.OwnerID, c.ID), p)
	})
	return old, err
}

// planText is a plan as the history shows it: "every 14d #call until 2027-06-30".
func planText(p *crm.ContactPlan) string {
	if p == nil || p.Every.IsZero() {
		return ""
	}
	s := "every "
	if p.Every.Months > 0 {
		s += itoa(uint64(p.Every.Months)) + "m"
	} else {
		s += itoa(uint64(p.Every.Days)) + "d"
	}
	if p.Channel != "" {
		s += " #" + p.Channel
	}
	if !p.Until.IsZero() {
		s += " until " + p.Until.Format("2006-01-02")
	}
	return s
}

// ContactPlan returns the client's contact plan, or nil.
func (s *Store) ContactPlan(ctx context.Context, client uint64) (*crm.ContactPlan, error) {
	var p crm.ContactPlan
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(client)
		return tx.get(planKey(client), &p)
	})
	if crm.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PlannedClients calls fn with each contact plan of the owners' clients
// and the client itself, owner by owner in the order given and by client
// id within one, until fn returns false.
func (s *Store) PlannedClients(ctx context.Context, owners []uint64, fn func(*crm.ContactPlan, *crm.Client) bool) error {
	ranges := make([]keyRange, len(owners))
	for i, o := range owners {
		ranges[i] = ownerRange("plco/", o)
	}
	return s.view(ctx, func(tx *Tx) error {
		// The plans first, then their clients, all asked at once.
		var plans []*crm.ContactPlan
		var keys [][]byte
		if err := tx.scanRanges([]byte("plco/"), false, true, ranges, func(_ int, k []byte, item Item) (bool, error) {
			p, err := decode[crm.ContactPlan](item)
			if err != nil {
				return false, err
			}
			plans, keys = append(plans, p), append(keys, clientKey(tailID(k)))
			return true, nil
		}); err != nil {
			return err
		}
		tx.prefetch(keys)
		for n, p := range plans {
			c, err := tx.client(tailID(keys[n]))
			if errors.Is(err, errNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !fn(p, c) {
				return nil
			}
		}
		return nil
	})
}

// planFollowsOwner moves a client's plan to its new owner's index.
func (tx *Tx) planFollowsOwner(client, from, to uint64) error {
	v, found, err := tx.value(planOwnerKey(from, client))
	if err != nil || !found {
		return err
	}
	if err := tx.del(planOwnerKey(from, client)); err != nil {
		return err
	}
	return tx.set(planOwnerKey(to, client), v)
}

// AddPlanNote stores a relationship plan note, giving it its id.
func (s *Store) AddPlanNote(ctx context.Context, n *crm.PlanNote) error {
	return s.update(ctx, func(tx *Tx) error {
		if _, err := tx.client(n.ClientID); err != nil {
			return err
		}
		id, err := tx.nextID("plan_note")
		if err != nil {
			return err
		}
		n.ID = id
		if err := tx.addChange(crm.Change{Kind: "client", RecordID: n.ClientID, At: n.At, By: n.By, OnBehalfOf: n.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "plan_" + string(n.Kind), New: n.Text}}); err != nil {
			return err
		}
		return tx.put(key("pln/", n.ClientID, id), n)
	})
}

// DropPlanNote removes one note of a client's plan; it is kept in the
// client's history.
func (s *Store) DropPlanNote(ctx context.Context, client, id uint64, by crm.Actor, at time.Time) (*crm.PlanNote, error) {
	var n crm.PlanNote
	err := s.update(ctx, func(tx *Tx) error {
		if err := tx.get(key("pln/", client, id), &n); err != nil {
			return err
		}
		if err := tx.addChange(crm.Change{Kind: "client", RecordID: client, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "plan_" + string(n.Kind), Old: n.Text}}); err != nil {
			return err
		}
		return tx.del(key("pln/", client, id))
	})
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// PlanNotes returns the notes of a client's plan, oldest first.
func (s *Store) PlanNotes(ctx context.Context, client uint64) ([]*crm.PlanNote, error) {
	var out []*crm.PlanNote
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan(key("pln/", client), false, true, func(_ []byte, item Item) (bool, error) {
			n, err := decode[crm.PlanNote](item)
			out = append(out, n)
			return err == nil, err
		})
	})
	return out, err
}

// meetingKeys are a meeting's index keys.
func meetingKeys(m *crm.Meeting) [][]byte {
	ks := [][]byte{key("plmo/", m.PersonID, m.At, m.ID), key("plmc/", m.ClientID, m.ID)}
	if m.CancelledAt.IsZero() {
		if m.RemindedAt.IsZero() {
			ks = append(ks, key("plmr/", m.At, m.ID))
		}
		if m.AskedAt.IsZero() {
			ks = append(ks, key("plmq/", m.At, m.ID))
		}
	}
	return ks
}

func (tx *Tx) putMeeting(old, m *crm.Meeting) error {
	if old != nil {
		for _, k := range meetingKeys(old) {
			if err := tx.del(k); err != nil {
				return err
			}
		}
	}
	for _, k := range meetingKeys(m) {
		if err := tx.set(k, nil); err != nil {
			return err
		}
	}
	return tx.put(key("plm/", m.ID), m)
}

// CreateMeeting stores a new meeting, giving it its id.
func (s *Store) CreateMeeting(ctx context.Context, m *crm.Meeting) error {
	return s.update(ctx, func(tx *Tx) error {
		if _, err := tx.client(m.ClientID); err != nil {
			return err
		}
		id, err := tx.nextID("meeting")
		if err != nil {
			return err
		}
		m.ID = id
		return tx.putMeeting(nil, m)
	})
}

// Meeting returns the meeting with id.
func (s *Store) Meeting(ctx context.Context, id uint64) (*crm.Meeting, error) {
	var m crm.Meeting
	if err := s.view(ctx, func(tx *Tx) error { return tx.get(key("plm/", id), &m) }); err != nil {
		return nil, err
	}
	return &m, nil
}

// UpdateMeeting applies fn to the meeting and stores it with its indexes.
func (s *Store) UpdateMeeting(ctx context.Context, id uint64, fn func(*crm.Meeting) error) (*crm.Meeting, error) {
	var out *crm.Meeting
	err := s.update(ctx, func(tx *Tx) error {
		var old crm.Meeting
		if err := tx.get(key("plm/", id), &old); err != nil {
			return err
		}
		m := old
		if err := fn(&m); err != nil {
			return err
		}
		m.ID = id
		out = &m
		return tx.putMeeting(&old, &m)
	})
	return out, err
}

// meetingsFrom returns the keys of person's meetings at or after from and
// before to, soonest first.
func (tx *Tx) meetingsFrom(person uint64, from, to time.Time) [][]byte {
	ids := tx.idsIn(key("plmo/", person), key("plmo/", person, from), key("plmo/", person, to))
	keys := make([][]byte, len(ids))
	for n, id := range ids {
		keys[n] = key("plm/", id)
	}
	return keys
}

// idsIn returns the ids that end the keys under prefix from from (nil: the
// first) up to before to, in key order: the records an index of them by
// date points to. (A failed read fails the transaction, which reports it.)
func (tx *Tx) idsIn(prefix, from, to []byte) []uint64 {
	if from == nil {
		from = prefix
	}
	var ids []uint64
	it := tx.iter(prefix, false, false)
	defer it.close()
	for it.seek(from); it.valid(); it.next() {
		k := it.item().Key()
		if bytes.Compare(k, to) >= 0 {
			break
		}
		ids = append(ids, tailID(k))
	}
	return ids
}

// MeetingsOf returns the meetings of people in [from, to), person by
// person in the order given and by time within one, read in one
// transaction.
func (s *Store) MeetingsOf(ctx context.Context, people []uint64, from, to time.Time) ([]*crm.Meeting, error) {
	var out []*crm.Meeting
	err := s.view(ctx, func(tx *Tx) error {
		out = out[:0]
		// The ids first, then the meetings, all asked at once.
		ranges := make([]keyRange, len(people))
		for i, p := range people {
			ranges[i] = keyRange{lo: key("plmo/", p, from), hi: key("plmo/", p, to)}
		}
		var keys [][]byte
		if err := tx.scanRanges([]byte("plmo/"), false, false, ranges, func(_ int, k []byte, _ Item) (bool, error) {
			keys = append(keys, key("plm/", tailID(k)))
			return true, nil
		}); err != nil {
			return err
		}
		tx.prefetch(keys)
		for _, k := range keys {
			var m crm.Meeting
			if err := tx.get(k, &m); err != nil {
				return err
			}
			out = append(out, &m)
		}
		return nil
	})
	return out, err
}

// ClientMeetings returns the meetings of a client, by id.
func (s *Store) ClientMeetings(ctx context.Context, client uint64) ([]*crm.Meeting, error) {
	var out []*crm.Meeting
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan(key("plmc/", client), false, false, func(k []byte, _ Item) (bool, error) {
			var m crm.Meeting
			if err := tx.get(key("plm/", tailID(k)), &m); err != nil {
				return false, err
			}
			out = append(out, &m)
			return true, nil
		})
	})
	return out, err
}

// DecideMeetingNotices decides, once each, the reminders due (meetings
// starting before q.RemindUntil) and the outcome questions due (meetings
// that started before q.AskUntil), at most q.Limit of each. A reminder of
// a meeting that already started is dropped, not sent; so is a question
// whose outcome is known (a conversation with the client was logged since
// the meeting began). Each decision marks the meeting and queues a notice
// in one transaction. It returns every notice waiting, new and earlier
// undelivered ones.
func (s *Store) DecideMeetingNotices(ctx context.Context, q crm.MeetingNoticeQuery) ([]crm.MeetingNotice, error) {
	now, remindUntil, askUntil, limit := q.Now, q.RemindUntil, q.AskUntil, q.Limit
	// Most ticks find nothing to do: look first, write only when needed.
	busy := false
	if err := s.view(ctx, func(tx *Tx) error {
		for _, r := range []struct {
			prefix []byte
			until  time.Time
		}{{[]byte("plmr/"), remindUntil}, {[]byte("plmq/"), askUntil}, {[]byte("plmx/"), time.Time{}}} {
			if err := tx.scan(r.prefix, false, false, func(k []byte, _ Item) (bool, error) {
				busy = busy || r.until.IsZero() || bytes.Compare(k, key(string(r.prefix), r.until)) < 0
				return false, nil
			}); err != nil || busy {
				return err
			}
		}
		return nil
	}); err != nil || !busy {
		return nil, err
	}
	var out []crm.MeetingNotice
	err := s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		out = out[:0]
		for _, kind := range []string{"remind", "ask"} {
			prefix, until := []byte("plmr/"), remindUntil
			if kind == "ask" {
				prefix, until = []byte("plmq/"), askUntil
			}
			end := key(string(prefix), until)
			var ids []uint64
			if err := tx.scan(prefix, false, false, func(k []byte, _ Item) (bool, error) {
				if bytes.Compare(k, end) >= 0 || len(ids) >= limit {
					return false, nil
				}
				ids = append(ids, tailID(k))
				return true, nil
			}); err != nil {
				return err
			}
			for _, id := range ids {
				var old crm.Meeting
				if err := tx.get(key("plm/", id), &old); err != nil {
					return err
				}
				m := old
				send := true
				if kind == "remind" {
					m.RemindedAt = now
					send = m.At.After(now)
				} else {
					m.AskedAt = now
					c, err := tx.client(m.ClientID)
					if err != nil && !errors.Is(err, errNotFound) {
						return err
					}
					send = c == nil || c.LastTouch.Before(m.At)
				}
				if err := tx.putMeeting(&old, &m); err != nil {
					return err
				}
				if send {
					if err := tx.put(key("plmx/", kind, id), &crm.MeetingNotice{Kind: kind, MeetingID: id}); err != nil {
						return err
					}
				}
			}
		}
		return tx.scan([]byte("plmx/"), false, true, func(_ []byte, item Item) (bool, error) {
			n, err := decode[crm.MeetingNotice](item)
			if err != nil {
				return false, err
			}
			out = append(out, *n)
			return true, nil
		})
	})
	return out, err
}

// FinishMeetingNotice records a delivery attempt: a delivered notice (or
// one that failed maxAttempts times) is removed, any other waits for the
// next run.
func (s *Store) FinishMeetingNotice(ctx context.Context, n crm.MeetingNotice, delivered bool, maxAttempts int) error {
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		k := key("plmx/", n.Kind, n.MeetingID)
		var cur crm.MeetingNotice
		if err := tx.get(k, &cur); err != nil {
			if errors.Is(err, errNotFound) {
				return nil
			}
			return err
		}
		cur.Attempts++
		if delivered || cur.Attempts >= maxAttempts {
			return tx.del(k)
		}
		return tx.put(k, &cur)
	})
}

// PlanningSettings returns the meeting settings, the defaults when none
// were saved.
func (s *Store) PlanningSettings(ctx context.Context) (crm.PlanningSettings, error) {
	ps := crm.DefaultPlanningSettings()
	err := s.view(ctx, func(tx *Tx) error {
		err := tx.get(planningSettingsKey, &ps)
		if errors.Is(err, errNotFound) {
			return nil
		}
		return err
	})
	return ps, err
}

// SavePlanningSettings stores the meeting settings.
func (s *Store) SavePlanningSettings(ctx context.Context, ps crm.PlanningSettings) error {
	return s.update(ctx, func(tx *Tx) error { return tx.put(planningSettingsKey, ps) })
}
