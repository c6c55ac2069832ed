package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/big"
	"sort"
	"time"

	"accountbot/crm"
	"accountbot/money"

	"github.com/shopspring/decimal"
)

// Keys of deals, their indexes and running totals. Every one of them is
// written in the same transaction as the deal, so they never disagree, and
// every per-person query reads only that person's keys: it costs the same
// however many deals other people have.
//
//	dd/<id>                                 the deal (JSON)
//	ddc/<client><id>                        deals by client
//	ddo/<owner><id>                         deals by owner
//	dds/<owner><amount><stage><id>          open deals by owner and amount; value: summary
//	ddm/<owner><yyyymm><id>                 open deals with a close date, by owner and month; value: summary
//	ddx/<owner><closed at><id>              won and lost deals by owner and closing time; value: summary
//	ddt/<owner>o<stage><currency>           running totals of open deals
//	ddt/<owner>c<yyyymm><stage><currency>   running totals of deals closed in a month
//	ddt/<owner>d<yyyymmdd><stage><currency> running totals of deals closed on a day
//	ddf/<owner><yyyymm><currency>           running totals of open deals by expected close month
//
// A summary (see dealcodec.go) is the deal without its stage history but
// for the entry of its current stage (so StageSince still works). Months
// are calendar months of the time as stored, in the zone of whoever set
// it.
const (
	pDeal      = "dd/"
	pDealCli   = "ddc/"
	pDealOwn   = "ddo/"
	pDealAmt   = "dds/"
	pDealMonth = "ddm/"
	pDealShut  = "ddx/"
	pDealTotal = "ddt/"
	pDealFcast = "ddf/"
)

func dealKey(id uint64) []byte { return key(pDeal, id) }

func stageByte(s crm.Stage) byte { return byte(s.Index() + 1) }

func stageOf(b byte) crm.Stage {
	if int(b) >= 1 && int(b) <= len(crm.Stages) {
		return crm.Stages[b-1]
	}
	return ""
}

func dealAmtKey(d *crm.Deal) []byte {
	return key(pDealAmt, d.OwnerID, money.SortKey(d.Amount), stageByte(d.Stage), d.ID)
}

// dealTotalKeys are the running totals d counts in: its open stage, or
// its closing month and day.
func dealTotalKeys(d *crm.Deal) [][]byte {
	if d.Open() {
		ks := [][]byte{key(pDealTotal, d.OwnerID, byte('o'), stageByte(d.Stage), d.Currency)}
		if !d.ExpectedClose.IsZero() {
			ks = append(ks, key(pDealFcast, d.OwnerID, uint64(crm.MonthOf(d.ExpectedClose)), d.Currency))
		}
		return ks
	}
	return [][]byte{
		key(pDealTotal, d.OwnerID, byte('c'), uint64(crm.MonthOf(d.ClosedAt)), stageByte(d.Stage), d.Currency),
		key(pDealTotal, d.OwnerID, byte('d'), uint64(crm.DayOf(d.ClosedAt)), stageByte(d.Stage), d.Currency),
	}
}

// totalVal is a running total: how many deals, their sum and weighted
// sum. It is stored in binary (count, then each sum as its exponent and
// the bytes of its coefficient), read by the thousand for /pipeline all.
type totalVal struct {
	N    int
	S, W decimal.Decimal
}

func (t totalVal) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(t.N))
	for _, d := range []decimal.Decimal{t.S, t.W} {
		c := d.Coefficient()
		b = binary.AppendVarint(b, int64(d.Exponent()))
		b = append(b, byte(c.Sign()+1))
		cb := c.Bytes()
		b = binary.AppendUvarint(b, uint64(len(cb)))
		b = append(b, cb...)
	}
	return b
}

func decodeTotal(b []byte) (totalVal, error) {
	r := &summaryReader{b: b}
	var t totalVal
	t.N = int(r.uvarint())
	for _, d := range []*decimal.Decimal{&t.S, &t.W} {
		exp := r.varint()
		sign := r.byte()
		n := r.uvarint()
		if r.err != nil || n > uint64(len(r.b)) {
			return t, errBadDealSummary
		}
		c := new(big.Int).SetBytes(r.b[:n])
		r.b = r.b[n:]
		if sign == 0 {
			c.Neg(c)
		}
		*d = decimal.NewFromBigInt(c, int32(exp))
	}
	return t, r.err
}

// addTotal adds (sign +1) or removes (sign -1) d's contribution to its
// running totals.
func (tx *Tx) addTotal(d *crm.Deal, sign int) error {
	for _, k := range dealTotalKeys(d) {
		if err := tx.addTo(k, d, sign); err != nil {
			return err
		}
	}
	return nil
}

// addTo adds or removes d's amount and weighted amount at the running
// total k, deleting it when it counts no deal any more.
func (tx *Tx) addTo(k []byte, d *crm.Deal, sign int) error {
	var t totalVal
	item, err := tx.item(k)
	switch {
	case err == nil:
		if err := item.Value(func(b []byte) (err error) { t, err = decodeTotal(b); return err }); err != nil {
			return err
		}
	case !errors.Is(err, errNotFound):
		return err
	}
	if sign > 0 {
		t.N++
		t.S = t.S.Add(d.Amount)
		t.W = t.W.Add(d.Weighted())
	} else {
		t.N--
		t.S = t.S.Sub(d.Amount)
		t.W = t.W.Sub(d.Weighted())
	}
	if t.N <= 0 {
		return tx.del(k)
	}
	return tx.set(k, t.encode())
}

// dealIndexEntries are d's index entries with their values: by client
// and owner, and by amount and close month while open or by closing time
// once closed. Derived from the deals table on PostgreSQL.
func dealIndexEntries(d *crm.Deal) []kvEntry {
	es := []kvEntry{{key(pDealCli, d.ClientID, d.ID), nil}, {key(pDealOwn, d.OwnerID, d.ID), nil}}
	sum := encodeDealSummary(d)
	if d.Open() {
		es = append(es, kvEntry{dealAmtKey(d), sum})
		if !d.ExpectedClose.IsZero() {
			es = append(es, kvEntry{key(pDealMonth, d.OwnerID, uint64(crm.MonthOf(d.ExpectedClose)), d.ID), sum})
		}
	} else {
		es = append(es, kvEntry{key(pDealShut, d.OwnerID, d.ClosedAt, d.ID), sum})
	}
	return es
}

// unindexDeal removes every index entry and total contribution of d.
func (tx *Tx) unindexDeal(d *crm.Deal) error {
	if err := tx.delEntries(dealIndexEntries(d)); err != nil {
		return err
	}
	return tx.addTotal(d, -1)
}

// indexDeal writes every index entry and total contribution of d.
func (tx *Tx) indexDeal(d *crm.Deal) error {
	if err := tx.setEntries(dealIndexEntries(d)); err != nil {
		return err
	}
	return tx.addTotal(d, +1)
}

// putDeal stores d and moves its indexes and totals from old (nil for a
// new deal).
func (tx *Tx) putDeal(old, d *crm.Deal) error {
	if old != nil {
		if err := tx.unindexDeal(old); err != nil {
			return err
		}
	}
	if err := tx.indexDeal(d); err != nil {
		return err
	}
	if err := tx.wonFollowDeal(old, d); err != nil {
		return err
	}
	if err := tx.healthDirty(d.ClientID); err != nil {
		return err
	}
	tx.segmentsDealMoved(old, d)
	return tx.put(dealKey(d.ID), d)
}

func (tx *Tx) deal(id uint64) (*crm.Deal, error) {
	var d crm.Deal
	if err := tx.get(dealKey(id), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// createDeal gives d the next id and stores it with its "created" history
// entry.
func (tx *Tx) createDeal(d *crm.Deal, by crm.Actor) error {
	id, err := tx.nextID("deal")
	if err != nil {
		return err
	}
	d.ID = id
	if !d.Open() && d.ClosedAt.IsZero() {
		d.ClosedAt = d.CreatedAt
	}
	if err := tx.putDeal(nil, d); err != nil {
		return err
	}
	return tx.addChange(crm.Change{Kind: "deal", RecordID: id, At: d.CreatedAt, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
		FieldChange: crm.FieldChange{Field: "created", New: d.Title}})
}

// CreateDeal stores a new deal, giving it its id.
func (s *Store) CreateDeal(ctx context.Context, d *crm.Deal, by crm.Actor) error {
	return s.update(ctx, func(tx *Tx) error { return tx.createDeal(d, by) })
}

// ImportDeals stores many new deals as given (stage history, closing time
// and all), a few hundred per transaction, for imports and generated data.
// Each deal gets its id and its "created" history entry.
func (s *Store) ImportDeals(ctx context.Context, deals []*crm.Deal, by crm.Actor) error {
	const batch = 200
	for i := 0; i < len(deals); i += batch {
		part := deals[i:min(i+batch, len(deals))]
		if err := s.update(ctx, func(tx *Tx) error {
			for _, d := range part {
				if err := tx.createDeal(d, by); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// Deal returns the deal with id.
func (s *Store) Deal(ctx context.Context, id uint64) (*crm.Deal, error) {
	var d *crm.Deal
	err := s.view(ctx, func(tx *Tx) (err error) {
		d, err = tx.deal(id)
		return err
	})
	return d, err
}

// UpdateDeal applies fn to the deal and stores it, its indexes and totals
// with one history entry per changed field, all in one transaction. fn may
// return an error to change nothing.
func (s *Store) UpdateDeal(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Deal) error) (*crm.Deal, error) {
	var out *crm.Deal
	err := s.update(ctx, func(tx *Tx) error {
		old, err := tx.deal(id)
		if err != nil {
			return err
		}
		d := old.Clone()
		if err := fn(d); err != nil {
			return err
		}
		d.ID = id
		for _, ch := range crm.Diff(old.Fields(), d.Fields()) {
			if err := tx.addChange(crm.Change{Kind: "deal", RecordID: id, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
				return err
			}
		}
		out = d
		return tx.putDeal(old, d)
	})
	return out, err
}

// dealsByIndex loads the deals whose ids end the keys under prefix.
func (tx *Tx) dealsByIndex(prefix []byte) ([]*crm.Deal, error) {
	var out []*crm.Deal
	err := tx.scan(prefix, false, false, func(k []byte, _ Item) (bool, error) {
		d, err := tx.deal(tailID(k))
		if err != nil {
			return false, err
		}
		out = append(out, d)
		return true, nil
	})
	return out, err
}

// ClientDeals returns the client's deals, by id.
func (s *Store) ClientDeals(ctx context.Context, clientID uint64) ([]*crm.Deal, error) {
	var out []*crm.Deal
	err := s.view(ctx, func(tx *Tx) (err error) {
		tx.aboutClient(clientID)
		out, err = tx.dealsByIndex(key(pDealCli, clientID))
		return err
	})
	return out, err
}

// OwnerDeals returns every deal of owner, open and closed, by id.
func (s *Store) OwnerDeals(ctx context.Context, owner uint64) ([]*crm.Deal, error) {
	var out []*crm.Deal
	err := s.view(ctx, func(tx *Tx) (err error) {
		out, err = tx.dealsByIndex(key(pDealOwn, owner))
		return err
	})
	return out, err
}

// keyRange is the keys k with lo <= k < hi.
type keyRange struct{ lo, hi []byte }

// ownerRange is every key of prefix<owner>.
func ownerRange(prefix string, owner uint64, parts ...any) keyRange {
	lo := key(append([]any{prefix, owner}, parts...)...)
	return keyRange{lo: lo, hi: prefixEnd(lo)}
}

// prefixEnd returns the first key after every key that starts with p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no end
}

// errStopScan ends scanRanges early without an error.
var errStopScan = errors.New("stop")

// scanRanges walks several key ranges under one prefix with a single
// iterator, in key order (each range from its top when reverse). Seeking
// one iterator is much cheaper than opening one per range, which matters
// when a query covers a range per person for 200 people. fn returns false
// to go on with the next range, or errStopScan to stop altogether.
func (tx *Tx) scanRanges(prefix []byte, reverse, values bool, ranges []keyRange, fn func(i int, k []byte, item Item) (bool, error)) error {
	// An engine that pays a round trip per read reads every range at once
	// and gives each its own iterator; Badger walks one over the prefix.
	var its []kvIterator
	if rs, ok := tx.kv.(rangeScanner); ok && len(ranges) > 0 {
		its = rs.rangeIters(prefix, ranges, reverse)
	}
	var whole kvIterator
	defer func() {
		if whole != nil {
			whole.close()
		}
		for _, it := range its {
			it.close()
		}
	}()
	for i, r := range ranges {
		var it kvIterator
		if its != nil {
			it = its[i]
		} else {
			if whole == nil {
				whole = tx.kv.iterator(iterOptions{prefix: prefix, reverse: reverse, values: values, prefetch: 8})
			}
			it = whole
		}
		if reverse {
			it.seek(r.hi)
		} else {
			it.seek(r.lo)
		}
		for ; it.valid(); it.next() {
			k := it.item().Key()
			if reverse {
				if bytes.Compare(k, r.hi) >= 0 {
					continue
				}
				if bytes.Compare(k, r.lo) < 0 {
					break
				}
			} else if bytes.Compare(k, r.hi) >= 0 {
				break
			}
			more, err := fn(i, k, it.item())
			if errors.Is(err, errStopScan) {
				return nil
			}
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// rangeScanner is an engine transaction that reads several key ranges
// under one prefix at once, returning an iterator for each (nil when it
// cannot for this prefix).
type rangeScanner interface {
	rangeIters(prefix []byte, ranges []keyRange, reverse bool) []kvIterator
}

// OpenTotals returns the running totals of the owners' open deals, by
// stage and currency. It reads the totals only, never the deals.
func (s *Store) OpenTotals(ctx context.Context, owners []uint64) ([]crm.StageTotal, error) {
	return s.readTotals(ctx, openRanges(owners))
}

// ClosedTotals returns the totals of the deals q picks, one per owner,
// stage and currency (Month and Day 0). It reads running totals only: by
// month for the whole months of the period, by day for the days before
// and after them.
func (s *Store) ClosedTotals(ctx context.Context, q crm.ClosedQuery) ([]crm.StageTotal, error) {
	type sumKey struct {
		owner    uint64
		stage    crm.Stage
		currency string
	}
	sums := map[sumKey]*crm.StageTotal{}
	add := func(ts []crm.StageTotal) {
		for _, t := range ts {
			k := sumKey{t.OwnerID, t.Stage, t.Currency}
			if x := sums[k]; x != nil {
				x.Count += t.Count
				x.Sum = x.Sum.Add(t.Sum)
				x.Weighted = x.Weighted.Add(t.Weighted)
				continue
			}
			t.Month, t.Day = 0, 0
			sums[k] = &t
		}
	}
	for _, sp := range closedSpans(q.From, q.To) {
		ts, err := s.closedTotals(ctx, q.Owners, sp.byDay, sp.from, sp.to)
		if err != nil {
			return nil, err
		}
		add(ts)
	}
	out := make([]crm.StageTotal, 0, len(sums))
	for _, t := range sums {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.OwnerID != b.OwnerID {
			return a.OwnerID < b.OwnerID
		}
		if a.Stage != b.Stage {
			return a.Stage.Index() < b.Stage.Index()
		}
		return a.Currency < b.Currency
	})
	return out, nil
}

// closedSpan is a run of closing days (byDay, yyyymmdd) or months
// (yyyymm), both ends included.
type closedSpan struct {
	byDay    bool
	from, to int
}

// closedSpans are the spans of running totals that [from, to) is read
// from: the whole months by month, the days before and after them by day.
func closedSpans(from, to time.Time) []closedSpan {
	var out []closedSpan
	days := func(a, b time.Time) { // [a, b)
		if a.Before(b) {
			out = append(out, closedSpan{true, crm.DayOf(a), crm.DayOf(b.AddDate(0, 0, -1))})
		}
	}
	firstFull := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, from.Location())
	if !firstFull.Equal(from) {
		firstFull = firstFull.AddDate(0, 1, 0)
	}
	lastFull := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, to.Location())
	if !firstFull.Before(lastFull) {
		days(from, to)
		return out
	}
	days(from, firstFull)
	out = append(out, closedSpan{false, crm.MonthOf(firstFull), crm.MonthOf(lastFull.AddDate(0, 0, -1))})
	days(lastFull, to)
	return out
}

// closedRanges are the ddt/ ranges of the owners' running totals of span.
func closedRanges(owners []uint64, sp closedSpan) []keyRange {
	kind := byte('c')
	if sp.byDay {
		kind = 'd'
	}
	ranges := make([]keyRange, 0, len(owners))
	for _, o := range owners {
		ranges = append(ranges, keyRange{lo: key(pDealTotal, o, kind, uint64(sp.from)), hi: key(pDealTotal, o, kind, uint64(sp.to)+1)})
	}
	return ranges
}

// closedTotals returns the running totals of the owners' won and lost
// deals by closing month (from and to are yyyymm) or, with byDay, by
// closing day (yyyymmdd), both ends included. Month or Day tells which.
func (s *Store) closedTotals(ctx context.Context, owners []uint64, byDay bool, from, to int) ([]crm.StageTotal, error) {
	return s.readTotals(ctx, closedRanges(owners, closedSpan{byDay, from, to}))
}

// openRanges are the ddt/ ranges of the owners' open totals.
func openRanges(owners []uint64) []keyRange {
	ranges := make([]keyRange, 0, len(owners))
	for _, o := range owners {
		ranges = append(ranges, ownerRange(pDealTotal, o, byte('o')))
	}
	return ranges
}

// ReadPipelineAhead says that the owners' pipeline is about to be read:
// their open totals (OpenTotals), the totals of the deals closed in q
// (ClosedTotals) and their open deals by amount (LargestOpenDeals). Within
// a request (crm.WithRequestScope), on an engine that pays a round trip
// per read, they are read at once, and those reads are answered from the
// request's transaction. It changes no answer, and does nothing on Badger
// or outside a request.
func (s *Store) ReadPipelineAhead(ctx context.Context, q crm.ClosedQuery) error {
	if crm.RequestScopeOf(ctx) == nil {
		return nil
	}
	return s.view(ctx, func(tx *Tx) error {
		rr, ok := tx.kv.(rangeReader)
		if ra, held := tx.kv.(readAheader); !ok || !held || !ra.keeps() {
			return nil // Badger, or a view of its own (no request transaction free)
		}
		ranges := openRanges(q.Owners)
		for _, sp := range closedSpans(q.From, q.To) {
			ranges = append(ranges, closedRanges(q.Owners, sp)...)
		}
		groups := make([][]byte, 0, len(q.Owners))
		for _, o := range q.Owners {
			groups = append(groups, key(pDealAmt, o))
		}
		rr.readAheadRanges([]byte(pDealTotal), ranges, groups)
		return nil
	})
}

// readTotals reads the running totals in ranges of ddt/ keys.
func (s *Store) readTotals(ctx context.Context, ranges []keyRange) ([]crm.StageTotal, error) {
	var out []crm.StageTotal
	base := len(key(pDealTotal, uint64(0))) + 1 // after the 'o', 'c' or 'd'
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scanRanges([]byte(pDealTotal), false, false, ranges, func(_ int, k []byte, item Item) (bool, error) {
			if len(k) < base+2 {
				return true, nil
			}
			st := crm.StageTotal{OwnerID: tailUint(k[base-9 : base-1])}
			switch k[base-1] {
			case 'o':
				st.Stage, st.Currency = stageOf(k[base]), string(k[base+1:])
			case 'c', 'd':
				if len(k) < base+10 {
					return true, nil
				}
				when := int(tailUint(k[base : base+8]))
				if k[base-1] == 'c' {
					st.Month = when
				} else {
					st.Day = when
				}
				st.Stage, st.Currency = stageOf(k[base+8]), string(k[base+9:])
			}
			if err := readTotal(item, &st); err != nil {
				return false, err
			}
			out = append(out, st)
			return true, nil
		})
	})
	return out, err
}

// readTotal fills st's count and sums from a running total's value.
func readTotal(item Item, st *crm.StageTotal) error {
	return item.Value(func(b []byte) error {
		t, err := decodeTotal(b)
		st.Count, st.Sum, st.Weighted = t.N, t.S, t.W
		return err
	})
}

// closingMonths returns q's months as yyyymm.
func closingMonths(q crm.ClosingQuery) (from, to int) {
	return max(crm.MonthOf(q.From), 1), crm.MonthOf(q.To)
}

// ClosingTotals returns the running totals of the open deals q picks, one
// per owner, close month (Month, yyyymm) and currency; Stage is empty.
func (s *Store) ClosingTotals(ctx context.Context, q crm.ClosingQuery) ([]crm.StageTotal, error) {
	owners := q.Owners
	fromMonth, toMonth := closingMonths(q)
	var out []crm.StageTotal
	ranges := make([]keyRange, 0, len(owners))
	for _, o := range owners {
		ranges = append(ranges, keyRange{lo: key(pDealFcast, o, uint64(fromMonth)), hi: key(pDealFcast, o, uint64(toMonth+1))})
	}
	base := len(key(pDealFcast, uint64(0)))
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scanRanges([]byte(pDealFcast), false, false, ranges, func(_ int, k []byte, item Item) (bool, error) {
			if len(k) < base+8 {
				return true, nil
			}
			st := crm.StageTotal{OwnerID: tailUint(k[base-8 : base]), Month: int(tailUint(k[base : base+8])), Currency: string(k[base+8:])}
			if err := readTotal(item, &st); err != nil {
				return false, err
			}
			out = append(out, st)
			return true, nil
		})
	})
	return out, err
}

// itemSummary decodes the deal summary in an index entry's value.
func itemSummary(item Item) (d *crm.Deal, err error) {
	err = item.Value(func(b []byte) error {
		d, err = decodeDealSummary(b)
		return err
	})
	return d, err
}

func tailUint(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// LargestOpenDeals returns the owners' open deals with the largest amounts
// (compared as numbers, whatever the currency), at most limit, largest
// first; only deals in stage when it is not "". Per owner it reads the
// amount index from the top, so it stops after limit deals of each.
func (s *Store) LargestOpenDeals(ctx context.Context, owners []uint64, stage crm.Stage, limit int) ([]*crm.Deal, error) {
	type cand struct {
		amt, id uint64
	}
	var cands []cand
	var out []*crm.Deal
	ranges := make([]keyRange, 0, len(owners))
	for _, o := range owners {
		ranges = append(ranges, ownerRange(pDealAmt, o))
	}
	base := len(key(pDealAmt, uint64(0)))
	err := s.view(ctx, func(tx *Tx) error {
		n := 0
		last := -1
		if err := tx.scanRanges([]byte(pDealAmt), true, false, ranges, func(i int, k []byte, _ Item) (bool, error) {
			if i != last {
				n, last = 0, i
			}
			if len(k) != base+17 || (stage != "" && stageOf(k[base+8]) != stage) {
				return true, nil
			}
			cands = append(cands, cand{amt: tailUint(k[base : base+8]), id: tailID(k)})
			n++
			return n < limit, nil
		}); err != nil {
			return err
		}
		sort.Slice(cands, func(i, j int) bool {
			if cands[i].amt != cands[j].amt {
				return cands[i].amt > cands[j].amt
			}
			return cands[i].id < cands[j].id
		})
		if len(cands) > limit {
			cands = cands[:limit]
		}
		for _, c := range cands {
			d, err := tx.deal(c.id)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// eachSummary calls fn with the summary in every entry of the ranges
// until fn returns false.
func (s *Store) eachSummary(ctx context.Context, prefix string, reverse bool, ranges []keyRange, fn func(*crm.Deal) bool) error {
	return s.view(ctx, func(tx *Tx) error {
		return tx.scanRanges([]byte(prefix), reverse, true, ranges, func(_ int, _ []byte, item Item) (bool, error) {
			d, err := itemSummary(item)
			if err != nil {
				return false, err
			}
			if !fn(d) {
				return false, errStopScan
			}
			return true, nil
		})
	})
}

// EachOpenDeal calls fn with a summary of every open deal of the owners
// (owner by owner, largest first) until fn returns false.
func (s *Store) EachOpenDeal(ctx context.Context, owners []uint64, fn func(*crm.Deal) bool) error {
	ranges := make([]keyRange, 0, len(owners))
	for _, o := range owners {
		ranges = append(ranges, ownerRange(pDealAmt, o))
	}
	return s.eachSummary(ctx, pDealAmt, true, ranges, fn)
}

// OpenDealsClosing calls fn with a summary of every open deal q picks,
// owner by owner and by close month, until fn returns false.
func (s *Store) OpenDealsClosing(ctx context.Context, q crm.ClosingQuery, fn func(*crm.Deal) bool) error {
	owners := q.Owners
	fromMonth, toMonth := closingMonths(q)
	ranges := make([]keyRange, 0, len(owners))
	for _, o := range owners {
		ranges = append(ranges, keyRange{lo: key(pDealMonth, o, uint64(fromMonth)), hi: key(pDealMonth, o, uint64(toMonth+1))})
	}
	return s.eachSummary(ctx, pDealMonth, false, ranges, fn)
}

// ClosedDeals calls fn with a summary of every deal of the owners won or
// lost at or after from and before to (a zero time leaves that side open),
// oldest first per owner, until fn returns false.
func (s *Store) ClosedDeals(ctx context.Context, owners []uint64, from, to time.Time, fn func(*crm.Deal) bool) error {
	ranges := make([]keyRange, 0, len(owners))
	for _, o := range owners {
		r := ownerRange(pDealShut, o)
		if !from.IsZero() {
			r.lo = key(pDealShut, o, from)
		}
		if !to.IsZero() {
			r.hi = key(pDealShut, o, to)
		}
		ranges = append(ranges, r)
	}
	return s.eachSummary(ctx, pDealShut, false, ranges, fn)
}

// dealsFollowOwner moves the client's open deals to its new owner, with
// their indexes and running totals, in the client's own transaction, so a
// handover leaves no open deal with someone who no longer has the client.
// Won and lost deals stay with whoever closed them: the result is theirs.
func (tx *Tx) dealsFollowOwner(old, c *crm.Client) error {
	if old == nil || old.OwnerID == c.OwnerID {
		return nil
	}
	var ids []uint64
	if err := tx.scan(key(pDealCli, c.ID), false, false, func(k []byte, _ Item) (bool, error) {
		ids = append(ids, tailID(k))
		return true, nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		d, err := tx.deal(id)
		if err != nil {
			return err
		}
		if !d.Open() || d.OwnerID != old.OwnerID {
			continue
		}
		moved := d.Clone()
		moved.OwnerID = c.OwnerID
		if err := tx.putDeal(d, moved); err != nil {
			return err
		}
	}
	return nil
}
