package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

// Keys of the planning indexes kept beside clients and deals:
//
//	pla/<client>                       audience row (binary, see encodeAudience)
//	plsrc/<normalised source>\x00<client>  clients by source (campaign name)
//	meta/planning/audience             the audience index is complete (version)
//
// The audience row is what /segments, field choices and recommendations
// read of every client: a few dozen bytes, kept in the LSM tree, so that
// reading all 50,000 clients decodes no JSON. It is written in the
// client's own transaction (putClient), so it never disagrees with the
// client. Deals are read from the pipeline's summaries (EachDealSum).

var audienceMarker = []byte("meta/planning/audience")

// audienceVersion is the version byte of the rows and of the marker; a
// store without the marker (written before this index existed) is indexed
// once, on first use.
const audienceVersion = 1

func audienceKey(id uint64) []byte { return key("pla/", id) }

func sourceKey(source string, id uint64) []byte {
	return key("plsrc/", crm.NormalizeName(source), byte(nameSep), id)
}

func plAppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func plAppendTime(b []byte, t time.Time) []byte {
	var n int64
	if !t.IsZero() {
		n = t.UnixNano()
	}
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// reader decodes what the append functions wrote, interning strings.
type reader struct {
	b      []byte
	err    error
	intern map[string]string
}

func (r *reader) u64() uint64 {
	if len(r.b) < 8 {
		r.err = errors.New("short record")
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) time() time.Time {
	n := int64(r.u64())
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (r *reader) bytes() []byte {
	n, w := binary.Uvarint(r.b)
	if w <= 0 || uint64(len(r.b)-w) < n {
		r.err = errors.New("short record")
		r.b = nil
		return nil
	}
	s := r.b[w : w+int(n)]
	r.b = r.b[w+int(n):]
	return s
}

// str returns the next string; values seen before are shared, so that
// reading thousands of rows with few distinct field values allocates
// little.
func (r *reader) str() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	if r.intern == nil {
		return string(b)
	}
	if s, ok := r.intern[string(b)]; ok {
		return s
	}
	if len(r.intern) > 1<<16 {
		return string(b)
	}
	s := string(b)
	r.intern[s] = s
	return s
}

func encodeAudience(a *crm.AudienceRow) []byte {
	b := make([]byte, 0, 96)
	b = append(b, audienceVersion)
	b = binary.BigEndian.AppendUint64(b, a.OwnerID)
	b = plAppendTime(b, a.CreatedAt)
	for _, s := range []string{a.Status, a.Segment, a.Industry, a.Size, a.Need, a.Level, a.Focus, a.City, a.Source} {
		b = plAppendString(b, s)
	}
	return b
}

func decodeAudience(id uint64, v []byte, intern map[string]string) (crm.AudienceRow, error) {
	if len(v) == 0 || v[0] != audienceVersion {
		return crm.AudienceRow{}, fmt.Errorf("audience row of client %d: unknown version", id)
	}
	r := reader{b: v[1:], intern: intern}
	a := crm.AudienceRow{ClientID: id, OwnerID: r.u64(), CreatedAt: r.time()}
	for _, p := range []*string{&a.Status, &a.Segment, &a.Industry, &a.Size, &a.Need, &a.Level, &a.Focus, &a.City, &a.Source} {
		*p = r.str()
	}
	return a, r.err
}

// planningFollowClient keeps the planning indexes of a client in step
// with it, in the client's transaction: the audience row, the source
// index, and the owner of its plan and promises when the owner changes.
// old is nil for a new client.
func (tx *Tx) planningFollowClient(old, c *crm.Client) error {
	row := crm.AudienceOf(c)
	if old == nil || crm.AudienceOf(old) != row {
		if err := tx.set(audienceKey(c.ID), encodeAudience(&row)); err != nil {
			return err
		}
	}
	if old != nil && crm.NormalizeName(old.Source) != crm.NormalizeName(c.Source) && crm.NormalizeName(old.Source) != "" {
		if err := tx.del(sourceKey(old.Source, c.ID)); err != nil {
			return err
		}
	}
	if crm.NormalizeName(c.Source) != "" && (old == nil || crm.NormalizeName(old.Source) != crm.NormalizeName(c.Source)) {
		if err := tx.set(sourceKey(c.Source, c.ID), nil); err != nil {
			return err
		}
	}
	if old != nil && old.OwnerID != c.OwnerID {
		if err := tx.planFollowsOwner(c.ID, old.OwnerID, c.OwnerID); err != nil {
			return err
		}
		if err := tx.promisesFollowOwner(c.ID, c.OwnerID); err != nil {
			return err
		}
		if err := tx.notesFollowOwner(c.ID, old.OwnerID, c.OwnerID); err != nil {
			return err
		}
	}
	return nil
}

// planning adds a client's planning indexes to a bulk load.
func (sd *Seeder) planning(c *crm.Client) {
	row := crm.AudienceOf(c)
	sd.set(audienceKey(c.ID), encodeAudience(&row))
	if crm.NormalizeName(c.Source) != "" {
		sd.set(sourceKey(c.Source, c.ID), nil)
	}
	sd.set(audienceMarker, []byte{audienceVersion})
}

// ensureAudience indexes every client once in a store written before the
// audience index existed, a thousand clients per transaction (each reads
// the clients it indexes, so a concurrent change is never overwritten).
func (s *Store) ensureAudience(ctx context.Context) error {
	return s.backfillClients(ctx, audienceMarker, audienceVersion, 1000, func(tx *Tx, c *crm.Client) error {
		return tx.planningFollowClient(nil, c)
	})
}

// scanFromKey calls fn for each key with prefix from start on, in key
// order, with values. fn returns false to stop.
func (tx *Tx) scanFromKey(prefix, start []byte, fn func(key []byte, item Item) (bool, error)) error {
	it := tx.iter(prefix, false, true)
	defer it.close()
	for it.seek(start); it.valid(); it.next() {
		more, err := fn(it.item().Key(), it.item())
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Audience calls fn with the audience row of every client, in client id
// order, until fn returns false.
func (s *Store) Audience(ctx context.Context, fn func(crm.AudienceRow) bool) error {
	if err := s.ensureAudience(ctx); err != nil {
		return err
	}
	intern := map[string]string{}
	return s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("pla/"), false, false, func(k []byte, item Item) (bool, error) {
			var row crm.AudienceRow
			err := item.Value(func(v []byte) (err error) {
				row, err = decodeAudience(tailID(k), v, intern)
				return err
			})
			if err != nil {
				return false, err
			}
			return fn(row), nil
		})
	})
}

// AudienceOf calls fn with the audience row of every client of the
// owners, owner by owner, until fn returns false. It reads the owners'
// index and their rows only, so it costs what it returns.
func (s *Store) AudienceOf(ctx context.Context, owners []uint64, fn func(crm.AudienceRow) bool) error {
	if err := s.ensureAudience(ctx); err != nil {
		return err
	}
	intern := map[string]string{}
	return s.view(ctx, func(tx *Tx) error {
		// The owners' clients first (their groups at once), then all their
		// rows asked for at once: one statement each on PostgreSQL, not
		// one per owner or per client.
		groups := make([][]byte, len(owners))
		for i, o := range owners {
			groups[i] = key("co/", o)
		}
		tx.readAhead(nil, groups)
		var ids []uint64
		for _, g := range groups {
			if err := tx.scan(g, false, false, func(k []byte, _ Item) (bool, error) {
				ids = append(ids, tailID(k))
				return true, nil
			}); err != nil {
				return err
			}
		}
		ahead := make([][]byte, len(ids))
		for i, id := range ids {
			ahead[i] = audienceKey(id)
		}
		tx.readAhead(nil, ahead)
		for _, id := range ids {
			item, err := tx.item(audienceKey(id))
			if errors.Is(err, errNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			var row crm.AudienceRow
			if err := item.Value(func(v []byte) (err error) {
				row, err = decodeAudience(id, v, intern)
				return err
			}); err != nil {
				return err
			}
			if !fn(row) {
				return nil
			}
		}
		return nil
	})
}

// clientsBySource returns the ids of the clients whose source is source
// (compared as names: case and script do not matter), by id.
func (s *Store) clientsBySource(ctx context.Context, source string) ([]uint64, error) {
	if err := s.ensureAudience(ctx); err != nil {
		return nil, err
	}
	norm := crm.NormalizeName(source)
	if norm == "" {
		return nil, nil
	}
	var out []uint64
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan(key("plsrc/", norm, byte(nameSep)), false, false, func(k []byte, _ Item) (bool, error) {
			out = append(out, tailID(k))
			return true, nil
		})
	})
	return out, err
}

// DealFactsOf returns the facts of one client's deals, by deal id.
func (s *Store) DealFactsOf(ctx context.Context, clientID uint64) ([]crm.DealFact, error) {
	deals, err := s.ClientDeals(ctx, clientID)
	if err != nil {
		return nil, err
	}
	out := make([]crm.DealFact, len(deals))
	for i, d := range deals {
		out[i] = crm.FactOfDeal(d)
	}
	return out, nil
}

// EachDealSum calls fn with the amount, stage, client and closing time of
// every deal, open ones first, until fn returns false. It decodes only
// those fields of the pipeline's summaries, without allocating, for
// analyses over every deal (/segments); fn must not keep the pointer.
func (s *Store) EachDealSum(ctx context.Context, fn func(*crm.DealSum) bool) error {
	currencies := map[string]string{}
	var sum crm.DealSum
	return s.view(ctx, func(tx *Tx) error {
		for _, prefix := range []string{pDealAmt, pDealShut} {
			stop := false
			err := tx.scan([]byte(prefix), false, true, func(_ []byte, item Item) (bool, error) {
				err := item.Value(func(b []byte) error { return decodeDealSum(b, &sum, currencies) })
				if err != nil {
					return false, err
				}
				stop = !fn(&sum)
				return !stop, nil
			})
			if err != nil || stop {
				return err
			}
		}
		return nil
	})
}

// decodeDealSum reads the fields of crm.DealSum from a deal summary
// (layout in dealcodec.go), skipping the others.
func decodeDealSum(b []byte, d *crm.DealSum, currencies map[string]string) error {
	if len(b) == 0 || b[0] != dealSummaryVersion {
		return errBadDealSummary
	}
	r := &summaryReader{b: b[1:]}
	r.uvarint() // id
	d.ClientID = r.uvarint()
	r.uvarint() // owner
	r.uvarint() // created by
	r.skipString()
	exp := r.varint()
	coef := r.varint()
	d.Amount = decimal.New(coef, int32(exp))
	cur := r.bytes()
	c, ok := currencies[string(cur)]
	if !ok {
		c = string(cur)
		currencies[c] = c
	}
	d.Currency = c
	d.Stage = stageOf(r.byte())
	r.byte()     // probability
	r.skipTime() // expected close
	r.skipTime() // created
	d.ClosedAt = time.Time{}
	if r.byte() == 1 {
		sec, nsec := r.varint(), r.varint()
		r.varint() // zone offset
		d.ClosedAt = time.Unix(sec, nsec).UTC()
	}
	return r.err
}

// bytes returns the next string's bytes without copying them.
func (r *summaryReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadDealSummary
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *summaryReader) skipString() { r.bytes() }

func (r *summaryReader) skipTime() {
	if r.byte() == 1 {
		r.varint()
		r.varint()
		r.varint()
	}
}

// ClaimCounts returns how many claims each client raised from from to to,
// reading only the claims' time index and summaries.
func (s *Store) ClaimCounts(ctx context.Context, from, to time.Time) (map[uint64]int, error) {
	out := map[uint64]int{}
	end := key("cla/", to)
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scanFromKey([]byte("cla/"), key("cla/", from), func(k []byte, item Item) (bool, error) {
			if bytes.Compare(k, end) >= 0 {
				return false, nil
			}
			return true, item.Value(func(v []byte) error {
				sum, err := decodeSummary(v)
				if err == nil {
					out[sum.ClientID]++
				}
				return err
			})
		})
	})
	return out, err
}

// ClaimCountsOf is ClaimCounts for the clients of some owners: it reads
// the claims of those owners' clients (the owner index of claims, with
// summaries), so that it costs their claims, not everyone's.
func (s *Store) ClaimCountsOf(ctx context.Context, owners []uint64, from, to time.Time) (map[uint64]int, error) {
	out := map[uint64]int{}
	lo, hi := from.UnixNano(), to.UnixNano()
	err := s.view(ctx, func(tx *Tx) error {
		for _, o := range owners {
			if err := tx.scan(key("clw/", o), false, true, func(_ []byte, item Item) (bool, error) {
				return true, item.Value(func(v []byte) error {
					sum, err := decodeSummary(v)
					if err != nil {
						return err
					}
					if at := sum.CreatedAt.UnixNano(); at >= lo && at < hi {
						out[sum.ClientID]++
					}
					return nil
				})
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
