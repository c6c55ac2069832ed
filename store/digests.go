package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"accountbot/crm"
)

// Keys of digests and daily snapshots:
//
//	dgs/<person>                     digest schedule (JSON)
//	dgd/<reader><subject><day>       delivery record (JSON), expires
//	snd/<kind>/<day>                 marker: that day's snapshot is taken
//	snp/<kind>/<day>/<person>        one person's snapshot rows (JSON)
//
// Days are "2006-01-02" strings, so they sort by date.

// deliveryTTL is how long a delivery record is kept: it only matters on
// its own day, and a little longer for time zones and for looking back.
const deliveryTTL = 8 * 24 * time.Hour

// dayKey is how a calendar day is written in keys: the date of day as its
// own time zone has it, so that midnight of a date in any zone names that
// date.
func dayKey(day time.Time) string { return day.Format("2006-01-02") }

// snapshotTTL is how long daily snapshots are kept.
const snapshotTTL = 400 * 24 * time.Hour

// DigestSchedules returns every stored schedule, by person. People who
// never changed theirs have none.
func (s *Store) DigestSchedules(ctx context.Context) (map[uint64]*crm.DigestSchedule, error) {
	out := map[uint64]*crm.DigestSchedule{}
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("dgs/"), false, true, func(_ []byte, item Item) (bool, error) {
			d, err := decode[crm.DigestSchedule](item)
			if err != nil {
				return false, err
			}
			out[d.PersonID] = d
			return true, nil
		})
	})
	return out, err
}

// SaveDigestSchedule stores a person's schedule.
func (s *Store) SaveDigestSchedule(ctx context.Context, d *crm.DigestSchedule) error {
	return s.update(ctx, func(tx *Tx) error { return tx.put(key("dgs/", d.PersonID), d) })
}

// UpdateDigestDelivery applies fn to the delivery record of the digest of
// subject for reader on the date of day (an empty one the first time) and stores the result in the same
// transaction. Two callers that read the same record cannot both commit:
// the later one is retried and sees the earlier one's claim, so a digest
// is claimed for sending once.
func (s *Store) UpdateDigestDelivery(ctx context.Context, reader, subject uint64, date time.Time, fn func(*crm.DigestDelivery) error) (*crm.DigestDelivery, error) {
	day := dayKey(date)
	var out *crm.DigestDelivery
	k := key("dgd/", reader, subject, day)
	err := s.update(ctx, func(tx *Tx) error {
		d := &crm.DigestDelivery{ReaderID: reader, SubjectID: subject, Day: day}
		if err := tx.get(k, d); err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		before, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
		out = d
		after, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if string(before) == string(after) {
			return nil // nothing changed: no write, nothing to sync
		}
		return tx.setTTL(k, after, deliveryTTL)
	})
	return out, err
}

// DigestDelivery returns the delivery record of one digest, or
// crm.ErrNotFound.
func (s *Store) DigestDelivery(ctx context.Context, reader, subject uint64, date time.Time) (*crm.DigestDelivery, error) {
	day := dayKey(date)
	var d crm.DigestDelivery
	if err := s.view(ctx, func(tx *Tx) error { return tx.get(key("dgd/", reader, subject, day), &d) }); err != nil {
		return nil, err
	}
	return &d, nil
}

// activityByIndex lets tests compare the two ways OwnerActivity reads.
var activityByIndex = true

// OwnerActivity sums up, for each of q.Owners, the conversations on the
// owner's clients: their number, the latest, and how many were logged in
// [q.From, q.To). All owners are read in one transaction. For each owner
// it reads the maintained client count, the end of the index by last
// touch (stale.go) and the owner's conversations of the period by time
// (convowners.go): its cost follows the owners' work of the period, not
// the size of the store or of their books. Before those indexes are
// complete (a read-only request cannot complete them), it reads each
// owner index (which holds each client's last touch) and then the
// conversation keys of the clients touched since q.From.
func (s *Store) OwnerActivity(ctx context.Context, q crm.ActivityQuery) (map[uint64]crm.OwnerActivity, error) {
	indexed, err := s.activityIndexed(ctx)
	if err != nil {
		return nil, err
	}
	var out map[uint64]crm.OwnerActivity
	err = s.view(ctx, func(tx *Tx) error {
		out = make(map[uint64]crm.OwnerActivity, len(q.Owners))
		if indexed {
			return tx.ownersActivityIndexed(q.Owners, q.From, q.To, out)
		}
		for _, owner := range q.Owners {
			a, err := tx.ownerActivityScan(owner, q.From, q.To)
			if err != nil {
				return err
			}
			out[owner] = a
		}
		return nil
	})
	return out, err
}

// ownersActivityIndexed reads the owners' activity from the maintained
// indexes into out (OwnerActivity): their client counts at once, the
// conversations of the period by one walk over every owner's range
// (scanRanges), and their last touches from the top of each owner's
// csl/ entries, all owners' at once (lastIn).
func (tx *Tx) ownersActivityIndexed(owners []uint64, from, to time.Time, out map[uint64]crm.OwnerActivity) error {
	keys := make([][]byte, len(owners))
	tops := make([]keyRange, len(owners))
	for i, o := range owners {
		keys[i], tops[i] = ownerCountKey(o), ownerRange("csl/", o)
	}
	tx.prefetch(keys)
	convs, touched, err := tx.convActivity(owners, uint64(from.UnixNano()), uint64(to.UnixNano()))
	if err != nil {
		return err
	}
	lasts := make([]int64, len(owners))
	if err := tx.lastIn([]byte("csl/"), tops, func(i int, _ []byte, item Item) error {
		lasts[i], err = lastTouchOf(item)
		return err
	}); err != nil {
		return err
	}
	for i, o := range owners {
		n, err := tx.counter(ownerCountKey(o))
		if err != nil {
			return err
		}
		if lasts[i] == 0 {
			// The top entry is a client never touched (it sorts by its
			// review): the last touch is further down.
			if err := tx.scan(key("csl/", o), true, true, func(_ []byte, item Item) (bool, error) {
				lasts[i], err = lastTouchOf(item)
				return lasts[i] == 0, err
			}); err != nil {
				return err
			}
		}
		a := crm.OwnerActivity{Clients: int(n), Conversations: convs[i], Touched: touched[i]}
		if lasts[i] > 0 {
			a.LastTouch = time.Unix(lasts[i], 0)
		}
		out[o] = a
	}
	return nil
}

// lastTouchOf is the touch in a csl/ entry (zero for a client never
// touched).
func lastTouchOf(item Item) (last int64, err error) {
	err = item.Value(func(v []byte) error {
		if len(v) == 16 {
			last = int64(binary.BigEndian.Uint64(v[8:]))
		}
		return nil
	})
	return last, err
}

// ownerActivityScan reads one owner's activity from the owner index and
// the conversations of the clients touched since from (OwnerActivity,
// before the indexes are complete).
func (tx *Tx) ownerActivityScan(owner uint64, from, to time.Time) (crm.OwnerActivity, error) {
	var out crm.OwnerActivity
	fromUnix := from.Unix()
	var recent []uint64
	var last int64
	err := tx.eachOwnerEntry(owner, func(id uint64, e ownerEntry) (bool, error) {
		out.Clients++
		if e.touch > last {
			last = e.touch
		}
		if e.touch != 0 && e.touch >= fromUnix {
			recent = append(recent, id)
		}
		return true, nil
	})
	if last > 0 {
		out.LastTouch = time.Unix(last, 0)
	}
	if err != nil || len(recent) == 0 {
		return out, err
	}
	it := tx.iter([]byte("v/"), false, false)
	defer it.close()
	toNano := uint64(to.UnixNano())
	for _, c := range recent {
		prefix := key("v/", c)
		n := 0
		for it.seek(key("v/", c, from)); it.valid() && bytes.HasPrefix(it.item().Key(), prefix); it.next() {
			k := it.item().Key()
			if len(k) < len(prefix)+8 || binary.BigEndian.Uint64(k[len(prefix):]) >= toNano {
				break
			}
			n++
		}
		if n > 0 {
			out.Touched++
			out.Conversations += n
		}
	}
	return out, nil
}

// PutSnapshot stores the day's snapshot of kind unless one is already
// stored, and reports whether it stored it. The rows and the marker are
// written in one transaction, so a snapshot is whole or absent.
func (s *Store) PutSnapshot(ctx context.Context, kind string, date time.Time, at time.Time, rows []crm.SnapshotRow) (bool, error) {
	day := dayKey(date)
	stored := false
	err := s.update(ctx, func(tx *Tx) error {
		stored = false
		marker := key("snd/", kind, "/", day)
		if ok, err := tx.has(marker); err != nil || ok {
			return err
		}
		byPerson := map[uint64][]crm.SnapshotRow{}
		for _, r := range rows {
			byPerson[r.PersonID] = append(byPerson[r.PersonID], r)
		}
		for p, rs := range byPerson {
			b, err := json.Marshal(rs)
			if err != nil {
				return err
			}
			if err := tx.setTTL(key("snp/", kind, "/", day, "/", p), b, snapshotTTL); err != nil {
				return err
			}
		}
		if err := tx.setTTL(marker, u64(uint64(at.Unix())), snapshotTTL); err != nil {
			return err
		}
		stored = true
		return nil
	})
	return stored, err
}

// HasSnapshot reports whether the day's snapshot of kind is stored.
func (s *Store) HasSnapshot(ctx context.Context, kind string, date time.Time) (bool, error) {
	day := dayKey(date)
	var ok bool
	err := s.view(ctx, func(tx *Tx) (err error) {
		ok, err = tx.has(key("snd/", kind, "/", day))
		return err
	})
	return ok, err
}

// SnapshotRows returns the rows of the day's snapshot of kind for the
// given people (everyone when people is nil), and whether that day's
// snapshot was taken at all.
func (s *Store) SnapshotRows(ctx context.Context, kind string, date time.Time, people []uint64) ([]crm.SnapshotRow, bool, error) {
	day := dayKey(date)
	var out []crm.SnapshotRow
	taken := false
	err := s.view(ctx, func(tx *Tx) error {
		var err error
		if taken, err = tx.has(key("snd/", kind, "/", day)); err != nil || !taken {
			return err
		}
		read := func(item Item) error {
			return item.Value(func(b []byte) error {
				var rs []crm.SnapshotRow
				if err := json.Unmarshal(b, &rs); err != nil {
					return err
				}
				out = append(out, rs...)
				return nil
			})
		}
		if people == nil {
			return tx.scan(key("snp/", kind, "/", day, "/"), false, true, func(_ []byte, item Item) (bool, error) {
				return true, read(item)
			})
		}
		for _, p := range people {
			item, err := tx.item(key("snp/", kind, "/", day, "/", p))
			if errors.Is(err, errNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := read(item); err != nil {
				return err
			}
		}
		return nil
	})
	return out, taken, err
}

// activityIndexed reports whether OwnerActivity may read the maintained
// counts and indexes, completing them first unless the request is
// read-only.
func (s *Store) activityIndexed(ctx context.Context) (bool, error) {
	if !activityByIndex {
		return false, nil
	}
	if !crm.ReadOnly(ctx) {
		for _, ensure := range []func(context.Context) error{s.ensureCounts, s.ensureStale, s.ensureConvOwners} {
			if err := ensure(ctx); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	ok := true
	err := s.view(ctx, func(tx *Tx) error {
		for _, m := range []struct {
			k []byte
			v byte
		}{{countsMarker, countsVersion}, {staleMarker, staleVersion}, {convOwnersMarker, convOwnersVersion}} {
			at, err := tx.markerAt(m.k, m.v)
			if err != nil {
				return err
			}
			ok = ok && at
		}
		return nil
	})
	return ok, err
}
