package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"accountbot/crm"
	"accountbot/money"

	badger "github.com/dgraph-io/badger/v4"
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
//
// A summary is the deal without its stage history but for the entry of
// its current stage (so StageSince still works). Months are calendar
// months of the time as stored, in the zone of whoever set it.
const (
	pDeal      = "dd/"
	pDealCli   = "ddc/"
	pDealOwn   = "ddo/"
	pDealAmt   = "dds/"
	pDealMonth = "ddm/"
	pDealShut  = "ddx/"
	pDealTotal = "ddt/"
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

func dealTotalKey(d *crm.Deal) []byte {
	if d.Open() {
		return key(pDealTotal, d.OwnerID, byte('o'), stageByte(d.Stage), d.Currency)
	}
	return key(pDealTotal, d.OwnerID, byte('c'), uint64(crm.MonthOf(d.ClosedAt)), stageByte(d.Stage), d.Currency)
}

// summary returns the deal with only its current stage's history entry,
// for index values.
func summary(d *crm.Deal) *crm.Deal {
	s := *d
	s.History = nil
	if n := len(d.History); n > 0 {
		s.History = d.History[n-1:]
	}
	return &s
}

// totalVal is a running total.
type totalVal struct {
	N int             `json:"n"`
	S decimal.Decimal `json:"s"`
	W decimal.Decimal `json:"w"`
}

// addTotal adds (sign +1) or removes (sign -1) d's contribution to its
// running total.
func (tx *Tx) addTotal(d *crm.Deal, sign int) error {
	k := dealTotalKey(d)
	var t totalVal
	if err := tx.get(k, &t); err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
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
	return tx.put(k, t)
}

// unindexDeal removes every index entry and total contribution of d.
func (tx *Tx) unindexDeal(d *crm.Deal) error {
	for _, k := range [][]byte{key(pDealCli, d.ClientID, d.ID), key(pDealOwn, d.OwnerID, d.ID)} {
		if err := tx.del(k); err != nil {
			return err
		}
	}
	if d.Open() {
		if err := tx.del(dealAmtKey(d)); err != nil {
			return err
		}
		if !d.ExpectedClose.IsZero() {
			if err := tx.del(key(pDealMonth, d.OwnerID, uint64(crm.MonthOf(d.ExpectedClose)), d.ID)); err != nil {
				return err
			}
		}
	} else if err := tx.del(key(pDealShut, d.OwnerID, d.ClosedAt, d.ID)); err != nil {
		return err
	}
	return tx.addTotal(d, -1)
}

// indexDeal writes every index entry and total contribution of d.
func (tx *Tx) indexDeal(d *crm.Deal) error {
	for _, k := range [][]byte{key(pDealCli, d.ClientID, d.ID), key(pDealOwn, d.OwnerID, d.ID)} {
		if err := tx.set(k, nil); err != nil {
			return err
		}
	}
	sum, err := json.Marshal(summary(d))
	if err != nil {
		return err
	}
	if d.Open() {
		if err := tx.set(dealAmtKey(d), sum); err != nil {
			return err
		}
		if !d.ExpectedClose.IsZero() {
			if err := tx.set(key(pDealMonth, d.OwnerID, uint64(crm.MonthOf(d.ExpectedClose)), d.ID), sum); err != nil {
				return err
			}
		}
	} else if err := tx.set(key(pDealShut, d.OwnerID, d.ClosedAt, d.ID), sum); err != nil {
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
	err := tx.scan(prefix, false, false, func(k []byte, _ *badger.Item) (bool, error) {
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

// DealTotals returns the running totals of the owners: every open stage,
// and won and lost for the closing months fromMonth to toMonth (yyyymm,
// both included). It reads the totals only, never the deals.
func (s *Store) DealTotals(ctx context.Context, owners []uint64, fromMonth, toMonth int) ([]crm.StageTotal, error) {
	var out []crm.StageTotal
	err := s.view(ctx, func(tx *Tx) error {
		for _, o := range owners {
			base := len(key(pDealTotal, o)) + 1 // after the 'o' or 'c'
			open := key(pDealTotal, o, byte('o'))
			if err := tx.scan(open, false, true, func(k []byte, item *badger.Item) (bool, error) {
				if len(k) < base+2 {
					return true, nil
				}
				st := crm.StageTotal{OwnerID: o, Stage: stageOf(k[base]), Currency: string(k[base+1:])}
				if err := readTotal(item, &st); err != nil {
					return false, err
				}
				out = append(out, st)
				return true, nil
			}); err != nil {
				return err
			}
			if fromMonth > toMonth {
				continue
			}
			closed := key(pDealTotal, o, byte('c'))
			if err := tx.scanFrom(closed, key(pDealTotal, o, byte('c'), uint64(fromMonth)), func(k []byte, item *badger.Item) (bool, error) {
				if len(k) < base+10 {
					return true, nil
				}
				m := int(tailUint(k[base : base+8]))
				if m > toMonth {
					return false, nil
				}
				st := crm.StageTotal{OwnerID: o, Stage: stageOf(k[base+8]), Currency: string(k[base+9:]), Month: m}
				if err := readTotal(item, &st); err != nil {
					return false, err
				}
				out = append(out, st)
				return true, nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// readTotal fills st's count and sums from a running total's value.
func readTotal(item *badger.Item, st *crm.StageTotal) error {
	var t totalVal
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &t) }); err != nil {
		return err
	}
	st.Count, st.Sum, st.Weighted = t.N, t.S, t.W
	return nil
}

// scanFrom calls fn for each key with prefix from start on, in key order,
// with values. fn returns false to stop.
func (tx *Tx) scanFrom(prefix, start []byte, fn func(key []byte, item *badger.Item) (bool, error)) error {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = prefix
	opt.PrefetchValues = false
	it := tx.txn.NewIterator(opt)
	defer it.Close()
	for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
		more, err := fn(it.Item().Key(), it.Item())
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return nil
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
	err := s.view(ctx, func(tx *Tx) error {
		for _, o := range owners {
			n := 0
			base := len(key(pDealAmt, o))
			if err := tx.scan(key(pDealAmt, o), true, false, func(k []byte, _ *badger.Item) (bool, error) {
				if len(k) != base+17 {
					return true, nil
				}
				if stage != "" && stageOf(k[base+8]) != stage {
					return true, nil
				}
				cands = append(cands, cand{amt: tailUint(k[base : base+8]), id: tailID(k)})
				n++
				return n < limit, nil
			}); err != nil {
				return err
			}
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

// EachOpenDeal calls fn with a summary of every open deal of the owners
// (owner by owner, largest first) until fn returns false.
func (s *Store) EachOpenDeal(ctx context.Context, owners []uint64, fn func(*crm.Deal) bool) error {
	return s.view(ctx, func(tx *Tx) error {
		for _, o := range owners {
			stop := false
			if err := tx.scan(key(pDealAmt, o), true, true, func(_ []byte, item *badger.Item) (bool, error) {
				d, err := decode[crm.Deal](item)
				if err != nil {
					return false, err
				}
				stop = !fn(d)
				return !stop, nil
			}); err != nil || stop {
				return err
			}
		}
		return nil
	})
}

// OpenDealsClosing calls fn with a summary of every open deal of the owners
// expected to close in the months fromMonth to toMonth (yyyymm, both
// included), until fn returns false. Deals without a close date are not
// included.
func (s *Store) OpenDealsClosing(ctx context.Context, owners []uint64, fromMonth, toMonth int, fn func(*crm.Deal) bool) error {
	return s.view(ctx, func(tx *Tx) error {
		for _, o := range owners {
			prefix := key(pDealMonth, o)
			base := len(prefix)
			stop := false
			if err := tx.scanValues(prefix, key(pDealMonth, o, uint64(fromMonth)), func(k []byte, item *badger.Item) (bool, error) {
				if len(k) != base+16 || int(tailUint(k[base:base+8])) > toMonth {
					return false, nil
				}
				d, err := decode[crm.Deal](item)
				if err != nil {
					return false, err
				}
				stop = !fn(d)
				return !stop, nil
			}); err != nil || stop {
				return err
			}
		}
		return nil
	})
}

// ClosedDeals calls fn with a summary of every deal of the owners won or
// lost at or after from and before to (a zero time leaves that side open),
// oldest first per owner, until fn returns false.
func (s *Store) ClosedDeals(ctx context.Context, owners []uint64, from, to time.Time, fn func(*crm.Deal) bool) error {
	return s.view(ctx, func(tx *Tx) error {
		for _, o := range owners {
			prefix := key(pDealShut, o)
			start := prefix
			if !from.IsZero() {
				start = key(pDealShut, o, from)
			}
			end := key(pDealShut, o, to)
			stop := false
			if err := tx.scanValues(prefix, start, func(k []byte, item *badger.Item) (bool, error) {
				if !to.IsZero() && bytes.Compare(k, end) >= 0 {
					return false, nil
				}
				d, err := decode[crm.Deal](item)
				if err != nil {
					return false, err
				}
				stop = !fn(d)
				return !stop, nil
			}); err != nil || stop {
				return err
			}
		}
		return nil
	})
}

// scanValues is scanFrom with values prefetched, for index entries that
// carry summaries.
func (tx *Tx) scanValues(prefix, start []byte, fn func(key []byte, item *badger.Item) (bool, error)) error {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = prefix
	opt.PrefetchValues = true
	opt.PrefetchSize = 16
	it := tx.txn.NewIterator(opt)
	defer it.Close()
	for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
		more, err := fn(it.Item().Key(), it.Item())
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return nil
}
