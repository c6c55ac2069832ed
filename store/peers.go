package store

import (
	"context"
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
	"time"

	"accountbot/crm"
)

// Keys of the maintained aggregate "products won per segment", which
// cross-selling advice (the card, /next) reads instead of every client's
// deals:
//
//	plw/<segment>\x00<owner><client><deal>  a won deal of a client of the segment
//	                                        (normalised segment, the client's owner);
//	                                        value: closed at, product key, product label
//	meta/planning/won                       the index is complete (version)
//
// It is kept in the same transactions as the writes that change it: the
// deal's (won, reopened, lost, edited), the client's (a new segment or
// owner moves its entries) and the erasure's. A store written before it
// existed is indexed once, on first use.

var wonMarker = []byte("meta/planning/won")

const wonVersion = 1

func wonPrefix(segment string) []byte {
	return key("plw/", crm.NormalizeName(segment), byte(nameSep))
}

func wonKey(segment string, owner, client, deal uint64) []byte {
	return key(wonPrefix(segment), owner, client, deal)
}

func encodeWon(d *crm.Deal) []byte {
	b := make([]byte, 0, 48)
	b = append(b, wonVersion)
	b = plAppendTime(b, d.ClosedAt)
	b = plAppendString(b, crm.ProductKey(d.Title))
	return plAppendString(b, crm.ProductLabel(d.Title))
}

// wonEntry is one decoded entry of the index.
type wonEntry struct {
	owner, client uint64
	closed        time.Time
	product       string
	label         string
}

func decodeWon(k, v []byte, prefixLen int, intern map[string]string) (wonEntry, error) {
	if len(k) != prefixLen+24 || len(v) == 0 || v[0] != wonVersion {
		return wonEntry{}, errors.New("won-deal index: bad entry")
	}
	r := reader{b: v[1:], intern: intern}
	e := wonEntry{owner: binary.BigEndian.Uint64(k[prefixLen:]), client: binary.BigEndian.Uint64(k[prefixLen+8:])}
	e.closed = r.time()
	e.product = r.str()
	e.label = r.str()
	return e, r.err
}

// wonDealKey is d's key in the index for client c, or nil when d is not
// a won deal or c has no segment.
func wonDealKey(c *crm.Client, d *crm.Deal) []byte {
	if c == nil || d.Stage != crm.StageWon || crm.NormalizeName(c.Segment) == "" {
		return nil
	}
	return wonKey(c.Segment, c.OwnerID, c.ID, d.ID)
}

// wonFollowDeal moves d's entry from old (nil for a new deal), in the
// deal's transaction. It reads the client only when either is won.
func (tx *Tx) wonFollowDeal(old, d *crm.Deal) error {
	if (old == nil || old.Stage != crm.StageWon) && d.Stage != crm.StageWon {
		return nil
	}
	c, err := tx.client(d.ClientID)
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if old != nil {
		if k := wonDealKey(c, old); k != nil {
			if err := tx.del(k); err != nil {
				return err
			}
		}
	}
	if k := wonDealKey(c, d); k != nil {
		return tx.set(k, encodeWon(d))
	}
	return nil
}

// wonFollowClient moves the entries of the client's won deals when its
// segment or owner changes, in the client's transaction.
func (tx *Tx) wonFollowClient(old, c *crm.Client) error {
	if old == nil || (old.OwnerID == c.OwnerID && crm.NormalizeName(old.Segment) == crm.NormalizeName(c.Segment)) {
		return nil
	}
	deals, err := tx.wonDealsOf(c.ID)
	if err != nil {
		return err
	}
	for _, d := range deals {
		if k := wonDealKey(old, d); k != nil {
			if err := tx.del(k); err != nil {
				return err
			}
		}
		if k := wonDealKey(c, d); k != nil {
			if err := tx.set(k, encodeWon(d)); err != nil {
				return err
			}
		}
	}
	return nil
}

// wonDealsOf returns the won deals of a client.
func (tx *Tx) wonDealsOf(client uint64) ([]*crm.Deal, error) {
	var out []*crm.Deal
	var ids []uint64
	if err := tx.scan(key(pDealCli, client), false, false, func(k []byte, _ Item) (bool, error) {
		ids = append(ids, tailID(k))
		return true, nil
	}); err != nil {
		return nil, err
	}
	for _, id := range ids {
		d, err := tx.deal(id)
		if err != nil {
			return nil, err
		}
		if d.Stage == crm.StageWon {
			out = append(out, d)
		}
	}
	return out, nil
}

// ensureWon indexes every won deal once in a store written before the
// index existed, a thousand deals per transaction.
func (s *Store) ensureWon(ctx context.Context) error {
	return s.backfill(ctx, wonMarker, wonVersion, []byte(pDealShut), 1000, s.ensureAudience, func(tx *Tx) func([]byte, Item) error {
		clients := map[uint64]*crm.Client{}
		return func(_ []byte, item Item) error {
			d, err := itemSummary(item)
			if err != nil || d.Stage != crm.StageWon {
				return err
			}
			c, ok := clients[d.ClientID]
			if !ok {
				c, err = tx.client(d.ClientID)
				if err != nil && !errors.Is(err, errNotFound) {
					return err
				}
				clients[d.ClientID] = c
			}
			if k := wonDealKey(c, d); k != nil {
				return tx.set(k, encodeWon(d))
			}
			return nil
		}
	})
}

// PeerPurchases returns what the clients of a segment owned by the
// query's owners (but its Except client) bought in won deals closed at
// or after Since: how many of them bought anything, and each product with
// its number of buyers, most bought first. It reads the segment's entries
// of the "products won per segment" index, owner by owner for a few
// owners, in one pass for many: what it reads is bounded by the won deals
// of the segment that the caller sees, never by every client or deal.
func (s *Store) PeerPurchases(ctx context.Context, q crm.PeerQuery) (crm.PeerPurchases, error) {
	var out crm.PeerPurchases
	if crm.NormalizeName(q.Segment) == "" {
		return out, nil
	}
	if err := s.ensureWon(ctx); err != nil {
		return out, err
	}
	prefix := wonPrefix(q.Segment)
	buyers := map[string]map[uint64]bool{}
	labels := map[string]string{}
	labelAt := map[string]time.Time{}
	bought := map[uint64]bool{}
	intern := map[string]string{}
	add := func(k []byte, item Item) (bool, error) {
		var e wonEntry
		empty := false
		err := item.Value(func(v []byte) (err error) {
			if empty = len(v) == 0; empty {
				return nil // written again by an erasure, to be dropped
			}
			e, err = decodeWon(k, v, len(prefix), intern)
			return err
		})
		if err != nil || empty {
			return !empty || err == nil, err
		}
		if e.client == q.Except || e.closed.Before(q.Since) {
			return true, nil
		}
		bought[e.client] = true
		if e.product == "" {
			return true, nil
		}
		if buyers[e.product] == nil {
			buyers[e.product] = map[uint64]bool{}
		}
		buyers[e.product][e.client] = true
		// A product is named as in its latest purchase (the smaller label
		// on a tie), whatever order the entries are read in.
		if at, ok := labelAt[e.product]; !ok || e.closed.After(at) || e.closed.Equal(at) && e.label < labels[e.product] {
			labels[e.product], labelAt[e.product] = e.label, e.closed
		}
		return true, nil
	}
	err := s.view(ctx, func(tx *Tx) error {
		if q.AllOwners || len(q.Owners) > 16 {
			var visible map[uint64]bool
			if !q.AllOwners {
				visible = make(map[uint64]bool, len(q.Owners))
				for _, o := range q.Owners {
					visible[o] = true
				}
			}
			return tx.scan(prefix, false, true, func(k []byte, item Item) (bool, error) {
				if visible != nil && (len(k) < len(prefix)+8 || !visible[binary.BigEndian.Uint64(k[len(prefix):])]) {
					return true, nil
				}
				return add(k, item)
			})
		}
		ranges := make([]keyRange, 0, len(q.Owners))
		for _, o := range q.Owners {
			lo := key(prefix, o)
			ranges = append(ranges, keyRange{lo: lo, hi: prefixEnd(lo)})
		}
		return tx.scanRanges(prefix, false, true, ranges, func(_ int, k []byte, item Item) (bool, error) {
			return add(k, item)
		})
	})
	if err != nil {
		return out, err
	}
	out.Peers = len(bought)
	for k, b := range buyers {
		out.Products = append(out.Products, crm.PeerProduct{Key: k, Label: labels[k], Buyers: len(b)})
	}
	sortPeerProducts(out.Products)
	return out, nil
}

// sortPeerProducts orders products most bought first, then by key.
func sortPeerProducts(ps []crm.PeerProduct) {
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Buyers != b.Buyers {
			return a.Buyers > b.Buyers
		}
		return a.Key < b.Key
	})
}

// formerWonKeys lists the won-deal index keys the client's deals may have
// had under its former segments and owners (from its history), writing
// each again: a deleted entry is passed by when its prefix is dropped, and
// would leave the deal's product in the data files after an erasure.
func (tx *Tx) formerWonKeys(c *crm.Client, deals []*crm.Deal) ([][]byte, error) {
	if c == nil || len(deals) == 0 {
		return nil, nil
	}
	segs := map[string]bool{crm.NormalizeName(c.Segment): true}
	owners := map[uint64]bool{c.OwnerID: true}
	if err := tx.scan(key("h/client/", c.ID), false, true, func(_ []byte, item Item) (bool, error) {
		ch, err := decode[crm.Change](item)
		if err != nil {
			return false, err
		}
		for _, v := range []string{ch.Old, ch.New} {
			switch ch.Field {
			case "segment":
				segs[crm.NormalizeName(v)] = true
			case "owner":
				if id, err := strconv.ParseUint(v, 10, 64); err == nil {
					owners[id] = true
				}
			}
		}
		return true, nil
	}); err != nil {
		return nil, err
	}
	var keys [][]byte
	for seg := range segs {
		if seg == "" {
			continue
		}
		for o := range owners {
			for _, d := range deals {
				k := key(wonPrefix(seg), o, c.ID, d.ID)
				if seg == crm.NormalizeName(c.Segment) && o == c.OwnerID {
					continue // the live key, listed with the deal
				}
				if err := tx.set(k, nil); err != nil {
					return nil, err
				}
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}
