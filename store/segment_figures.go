package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

// The maintained segment figures, which a segment analysis of every
// client (the head's /segments) reads instead of every client, deal and
// claim:
//
//	sgc/<client>                    the client's facts (JSON segmentFacts)
//	sgn/<field>\x00<group>\x00      a group: its id, how many records have
//	                                each form of its value, buyers,
//	                                prospects (8-byte id, JSON segmentEntry)
//	sgt/<field>\x00<scale><code><kind><group id><currency>\x00
//	                                a count and a sum of the group's
//	                                records of one kind on one day or in
//	                                one month (uvarint count, decimal text)
//	meta/segments                   every client has its facts (version)
//
// <field> is one of crm.SegmentFields, or "*" for the one group of all
// clients; <group> is the normalised value (crm.NormalizeName). <scale> is
// 'd' (a day, crm.SegmentDay), 'm' (a month: year*12+month-1) or 'p' (no
// time, code 0), <code> its number (4 bytes, ordered), <kind> 'c'
// (created), 'w' (won deals, by closing day and currency), 'k' (claims of
// buyers, by day received) or 'o' (the open pipeline, scale 'p': the sum
// of the group's open deals in the currency, counting the clients that
// have some). Every dated fact is counted in its day's cell and its
// month's cell, so that a period of two years reads its whole months and
// the days of the months it cuts: a few dozen cells per group, whatever
// the number of clients.
//
// The facts are kept in the same transaction as every write that changes
// them (a client, a deal, a claim: Tx.segmentsDirty), at its end. A write
// of the client or a claim makes the client's facts again from its
// records; a write of deals alone moves the stored facts by each deal's
// old and new version (segmentFactsMoved), so that a busy client's deal
// costs the deal, not every deal and claim it has. Where the facts
// differ from the stored ones, the difference moves the cells: only the
// deals and claims that changed, or, when the client changes groups or
// kind, all of the old facts off and the new ones on. The cells are thus
// always the sum of the stored facts, whatever the order of writes, and
// a backfill (a store written before them, or loaded in bulk) only has to
// store every client's facts.
// Groups and cells are deleted when their count falls to zero. The cells
// carry group ids, not values: a value's text lives only in its group
// entry, which an erasure drops with the client when no one else has it.

var segmentsMarker = []byte("meta/segments")

const segmentsVersion = 1

// segmentAll is the field of the group of all clients.
const segmentAll = "*"

func segmentFactsKey(client uint64) []byte { return key("sgc/", client) }

func segmentGroupPrefix(field string) []byte { return key("sgn/", field, byte(nameSep)) }

// segmentGroupKey ends the group with a zero byte: an erasure drops its
// keys as prefixes, and the unset group "" (or "pump" beside "pumps")
// must not be a prefix of another group.
func segmentGroupKey(field, group string) []byte {
	return key(segmentGroupPrefix(field), group, byte(0))
}

func segmentCellPrefix(field string, scale byte) []byte {
	return key("sgt/", field, byte(nameSep), scale)
}

// segmentCode orders signed day and month numbers as bytes.
func segmentCode(n int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)^0x80000000) }

func segmentCodeOf(b []byte) int32 { return int32(binary.BigEndian.Uint32(b) ^ 0x80000000) }

func segmentCellKey(field string, scale byte, code int32, kind byte, group uint64, currency string) []byte {
	k := make([]byte, 0, len("sgt/")+len(field)+1+1+4+1+8+len(currency)+1)
	k = append(append(append(k, "sgt/"...), field...), nameSep, scale)
	k = binary.BigEndian.AppendUint32(k, uint32(code)^0x80000000)
	k = append(k, kind)
	k = binary.BigEndian.AppendUint64(k, group)
	return append(append(k, currency...), 0)
}

// segmentMonth is the month of a day: year*12 + month - 1.
func segmentMonth(day int32) int32 {
	y, m, _ := time.Unix(int64(day)*86400, 0).UTC().Date()
	return int32(y)*12 + int32(m) - 1
}

// monthFirstDay is the first day of a month of segmentMonth.
func monthFirstDay(month int32) int32 {
	y, m := month/12, month%12
	if m < 0 {
		y, m = y-1, m+12
	}
	return crm.SegmentDay(time.Date(int(y), time.Month(m+1), 1, 0, 0, 0, 0, time.UTC))
}

// segmentFacts is what the segment figures count of one client.
type segmentFacts struct {
	// Values are the client's forms in each of crm.SegmentFields, in
	// that order (crm.SegmentValues).
	Values [][]string `json:"v"`
	// Created is the day it was created (crm.SegmentDay).
	Created int32 `json:"c"`
	Buyer   bool  `json:"b,omitempty"`
	// Pipeline is the sum of its open deals by currency.
	Pipeline map[string]decimal.Decimal `json:"p,omitempty"`
	Won      []segmentWon               `json:"w,omitempty"`
	// Claims are the days its claims were received on, kept whether or
	// not it is a buyer (only a buyer's are counted).
	Claims []int32 `json:"k,omitempty"`
}

// segmentWon is one won deal.
type segmentWon struct {
	Day      int32           `json:"d"`
	Currency string          `json:"c"`
	Amount   decimal.Decimal `json:"a"`
}

// segmentEntry is a group's entry.
type segmentEntry struct {
	ID        uint64           `json:"-"`
	Forms     map[string]int64 `json:"f,omitempty"`
	Buyers    int64            `json:"b,omitempty"`
	Prospects int64            `json:"p,omitempty"`
}

// segmentDirt is what a transaction changed of one client's facts: the
// client or a claim (made again from the records), or only deals (the
// stored facts moved by each deal's old and new version).
type segmentDirt struct {
	full  bool
	moves [][2]*crm.Deal
}

// segmentsDirty notes that the client's segment facts may have changed;
// they are made again at the end of the transaction (flushSegments).
func (tx *Tx) segmentsDirty(client uint64) {
	if d := tx.segmentDirt(client); d != nil {
		d.full = true
	}
}

// segmentsDealMoved notes a deal written: old is its stored version (nil
// for a new deal). A deal moved to another client leaves the one and
// joins the other.
func (tx *Tx) segmentsDealMoved(old, d *crm.Deal) {
	if old != nil && old.ClientID != d.ClientID {
		if m := tx.segmentDirt(old.ClientID); m != nil {
			m.moves = append(m.moves, [2]*crm.Deal{old, nil})
		}
		old = nil
	}
	if m := tx.segmentDirt(d.ClientID); m != nil {
		m.moves = append(m.moves, [2]*crm.Deal{old, d})
	}
}

func (tx *Tx) segmentDirt(client uint64) *segmentDirt {
	if client == 0 {
		return nil
	}
	if tx.segDirty == nil {
		tx.segDirty = map[uint64]*segmentDirt{}
	}
	d := tx.segDirty[client]
	if d == nil {
		d = &segmentDirt{}
		tx.segDirty[client] = d
	}
	return d
}

// segmentFactsMoved makes the client's facts from its stored ones and the
// deals written in the transaction; false when they do not fit (a won
// deal the facts do not hold), for a full remaking instead.
func (tx *Tx) segmentFactsMoved(id uint64, stored *segmentFacts, moves [][2]*crm.Deal) (*segmentFacts, bool, error) {
	c, err := tx.client(id)
	if errors.Is(err, errNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	f := *stored
	f.Pipeline = nil
	for cur, amt := range stored.Pipeline {
		f.Pipeline = crm.AddAmount(f.Pipeline, cur, amt)
	}
	f.Won = slices.Clone(stored.Won)
	for _, mv := range moves {
		if d := mv[0]; d != nil {
			switch {
			case d.Stage.Open():
				f.Pipeline = crm.AddAmount(f.Pipeline, d.Currency, d.Amount.Neg())
			case d.Stage == crm.StageWon:
				day := crm.SegmentDay(d.ClosedAt)
				i := slices.IndexFunc(f.Won, func(w segmentWon) bool {
					return w.Day == day && w.Currency == d.Currency && w.Amount.Equal(d.Amount)
				})
				if i < 0 {
					return nil, false, nil
				}
				f.Won = slices.Delete(f.Won, i, i+1)
			}
		}
		if d := mv[1]; d != nil {
			switch {
			case d.Stage.Open():
				f.Pipeline = crm.AddAmount(f.Pipeline, d.Currency, d.Amount)
			case d.Stage == crm.StageWon:
				f.Won = append(f.Won, segmentWon{Day: crm.SegmentDay(d.ClosedAt), Currency: d.Currency, Amount: d.Amount})
			}
		}
	}
	f.Pipeline = crm.DropZeroAmounts(f.Pipeline)
	f.Buyer = crm.IsBuyer(c.Status, len(f.Won) > 0)
	sortWon(f.Won)
	return &f, true, nil
}

// sortWon puts won deals in one order, so that equal facts are equal
// bytes.
func sortWon(won []segmentWon) {
	sort.Slice(won, func(i, j int) bool {
		a, b := won[i], won[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Currency != b.Currency {
			return a.Currency < b.Currency
		}
		return a.Amount.LessThan(b.Amount)
	})
}

// segmentFactsOf makes the client's facts from its records, nil when the
// client is not there.
func (tx *Tx) segmentFactsOf(id uint64, walked *segmentWalk) (*segmentFacts, error) {
	c, err := tx.client(id)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	row := crm.AudienceOf(c)
	f := &segmentFacts{Created: crm.SegmentDay(c.CreatedAt)}
	for _, field := range crm.SegmentFields {
		f.Values = append(f.Values, crm.SegmentValues(&row, field))
	}
	var deals []*crm.Deal
	if walked != nil {
		for _, did := range walked.deals[id] {
			d, err := tx.deal(did)
			if err != nil {
				return nil, err
			}
			deals = append(deals, d)
		}
	} else if deals, err = tx.dealsByIndex(key(pDealCli, id)); err != nil {
		return nil, err
	}
	hasWon := false
	for _, d := range deals {
		switch {
		case d.Stage.Open():
			f.Pipeline = crm.AddAmount(f.Pipeline, d.Currency, d.Amount)
		case d.Stage == crm.StageWon:
			hasWon = true
			f.Won = append(f.Won, segmentWon{Day: crm.SegmentDay(d.ClosedAt), Currency: d.Currency, Amount: d.Amount})
		}
	}
	f.Buyer = crm.IsBuyer(c.Status, hasWon)
	var claims []uint64
	if walked != nil {
		claims = walked.claims[id]
	} else if err := tx.scan(key("clc/", id), false, false, func(k []byte, _ Item) (bool, error) {
		claims = append(claims, tailID(k))
		return true, nil
	}); err != nil {
		return nil, err
	}
	for _, cid := range claims {
		cl, err := tx.claim(cid)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		f.Claims = append(f.Claims, crm.SegmentDay(cl.CreatedAt))
	}
	f.Pipeline = crm.DropZeroAmounts(f.Pipeline)
	// A canonical order, so that equal facts are equal bytes.
	sortWon(f.Won)
	sort.Slice(f.Claims, func(i, j int) bool { return f.Claims[i] < f.Claims[j] })
	return f, nil
}

// segmentWalk is the deal and claim ids of a batch of clients, read by
// walkSegmentGroups.
type segmentWalk struct {
	deals, claims map[uint64][]uint64
}

// walkSegmentGroups reads the ids of the clients' deals (pDealCli) and
// claims (clc/), ids sorted, with one iterator per index.
func (tx *Tx) walkSegmentGroups(ids []uint64) (*segmentWalk, error) {
	w := &segmentWalk{deals: map[uint64][]uint64{}, claims: map[uint64][]uint64{}}
	for _, g := range []struct {
		prefix string
		out    map[uint64][]uint64
	}{{pDealCli, w.deals}, {"clc/", w.claims}} {
		it := tx.iter([]byte(g.prefix), false, false)
		for _, id := range ids {
			p := key(g.prefix, id)
			for it.seek(p); it.valid(); it.next() {
				k := it.item().Key()
				if !bytes.HasPrefix(k, p) {
					break
				}
				g.out[id] = append(g.out[id], tailID(k))
			}
		}
		it.close()
	}
	return w, nil
}

// segmentChange is what a set of facts adds to (sign +1) or takes off
// (-1) the groups and cells, summed over the clients of a transaction
// before anything is read or written.
type segmentChange struct {
	groups map[string]*groupDelta // by group key
	cells  map[cellRef]*cellDelta
}

type groupDelta struct {
	field, group      string
	forms             map[string]int64
	buyers, prospects int64
}

// zero tells whether the delta leaves its group as it is.
func (d *groupDelta) zero() bool {
	if d.buyers != 0 || d.prospects != 0 {
		return false
	}
	for _, n := range d.forms {
		if n != 0 {
			return false
		}
	}
	return true
}

// cellRef names a cell by its group's key, before the group's id is
// known.
type cellRef struct {
	groupKey string
	field    string
	scale    byte
	code     int32
	kind     byte
	currency string
}

type cellDelta struct {
	count int64
	sum   decimal.Decimal
}

func newSegmentChange() *segmentChange {
	return &segmentChange{groups: map[string]*groupDelta{}, cells: map[cellRef]*cellDelta{}}
}

// factsDelta is what one client's facts change in each of its groups:
// the group's membership and forms (member: +1, -1 or 0) and the cells,
// each with the count and sum it adds.
type factsDelta struct {
	member int64
	buyer  bool
	cells  []cellChange
}

// cellChange is a change to the cells of a kind: on a day (and its
// month), or for the open pipeline ('o', one cell per group and
// currency, counting the group's clients with open deals in it).
type cellChange struct {
	day      int32
	kind     byte
	currency string
	count    int64
	sum      decimal.Decimal
}

// deltaOf is all of the facts, times sign.
func deltaOf(f *segmentFacts, sign int64) *factsDelta {
	n := decimal.NewFromInt(sign)
	d := &factsDelta{member: sign, buyer: f.Buyer}
	for cur, amt := range f.Pipeline {
		d.cells = append(d.cells, cellChange{kind: 'o', currency: cur, count: sign, sum: amt.Mul(n)})
	}
	d.cells = append(d.cells, cellChange{day: f.Created, kind: 'c', count: sign})
	for _, w := range f.Won {
		d.cells = append(d.cells, cellChange{day: w.Day, kind: 'w', currency: w.Currency, count: sign, sum: w.Amount.Mul(n)})
	}
	if f.Buyer {
		for _, day := range f.Claims {
			d.cells = append(d.cells, cellChange{day: day, kind: 'k', count: sign})
		}
	}
	return d
}

// add adds the facts, times sign.
func (ch *segmentChange) add(f *segmentFacts, sign int64) {
	if f == nil {
		return
	}
	ch.addGroups(f, deltaOf(f, sign))
}

// addDiff adds what changes from old to f. When the client stays in the
// same groups as the same kind of record (a deal won or reopened, a claim
// raised), only the deals and claims that differ move cells: a busy
// client's write costs its change, not its history.
func (ch *segmentChange) addDiff(old, f *segmentFacts) {
	if old == nil || f == nil || old.Buyer != f.Buyer || old.Created != f.Created || !slices.EqualFunc(old.Values, f.Values, slices.Equal[[]string]) {
		ch.add(old, -1)
		ch.add(f, +1)
		return
	}
	d := &factsDelta{buyer: f.Buyer}
	for cur := range mergedKeys(old.Pipeline, f.Pipeline) {
		a, had := old.Pipeline[cur]
		b, has := f.Pipeline[cur]
		if count := boolInt(has) - boolInt(had); count != 0 || !a.Equal(b) {
			d.cells = append(d.cells, cellChange{kind: 'o', currency: cur, count: count, sum: b.Sub(a)})
		}
	}
	type wonKey struct {
		day      int32
		currency string
		amount   string
	}
	won := map[wonKey]int64{}
	amounts := map[wonKey]decimal.Decimal{}
	for sign, list := range map[int64][]segmentWon{-1: old.Won, +1: f.Won} {
		for _, w := range list {
			k := wonKey{w.Day, w.Currency, w.Amount.String()}
			won[k] += sign
			amounts[k] = w.Amount
		}
	}
	for k, n := range won {
		if n != 0 {
			d.cells = append(d.cells, cellChange{day: k.day, kind: 'w', currency: k.currency, count: n, sum: amounts[k].Mul(decimal.NewFromInt(n))})
		}
	}
	if f.Buyer {
		claims := map[int32]int64{}
		for _, day := range old.Claims {
			claims[day]--
		}
		for _, day := range f.Claims {
			claims[day]++
		}
		for day, n := range claims {
			if n != 0 {
				d.cells = append(d.cells, cellChange{day: day, kind: 'k', count: n})
			}
		}
	}
	ch.addGroups(f, d)
}

// addGroups adds the delta to the group of all clients and to each group
// of the facts' values.
func (ch *segmentChange) addGroups(f *segmentFacts, d *factsDelta) {
	ch.addGroup(segmentAll, "", "", d)
	for i, field := range crm.SegmentFields {
		if i >= len(f.Values) {
			break
		}
		for _, v := range f.Values[i] {
			ch.addGroup(field, crm.NormalizeName(v), v, d)
		}
	}
}

func (ch *segmentChange) addGroup(field, group, form string, d *factsDelta) {
	gk := string(segmentGroupKey(field, group))
	g := ch.groups[gk]
	if g == nil {
		g = &groupDelta{field: field, group: group, forms: map[string]int64{}}
		ch.groups[gk] = g
	}
	if d.member != 0 {
		g.forms[form] += d.member
		if d.buyer {
			g.buyers += d.member
		} else {
			g.prospects += d.member
		}
	}
	for _, cc := range d.cells {
		at := [2]struct {
			scale byte
			code  int32
		}{{'d', cc.day}, {'m', segmentMonth(cc.day)}}
		scales := at[:]
		if cc.kind == 'o' {
			scales = scales[:1]
			scales[0].scale, scales[0].code = 'p', 0
		}
		for _, sc := range scales {
			r := cellRef{groupKey: gk, field: field, scale: sc.scale, code: sc.code, kind: cc.kind, currency: cc.currency}
			c := ch.cells[r]
			if c == nil {
				c = &cellDelta{}
				ch.cells[r] = c
			}
			c.count += cc.count
			c.sum = c.sum.Add(cc.sum)
		}
	}
}

// mergedKeys are the keys of a and b.
func mergedKeys(a, b map[string]decimal.Decimal) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// flushSegments makes the facts of the transaction's dirty clients again
// and moves the figures by the difference (see the keys above).
func (tx *Tx) flushSegments() error {
	if len(tx.segDirty) == 0 {
		return nil
	}
	ids := make([]uint64, 0, len(tx.segDirty))
	for id := range tx.segDirty {
		ids = append(ids, id)
	}
	dirt := tx.segDirty
	tx.segDirty = nil
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > 1 {
		// Many clients at once (a build, an import): what each one's facts
		// are made from is asked for at once, one round trip on
		// PostgreSQL instead of several per client.
		keys := make([][]byte, 0, 2*len(ids))
		prefixes := make([][]byte, 0, 2*len(ids))
		for _, id := range ids {
			keys = append(keys, segmentFactsKey(id), clientKey(id))
			prefixes = append(prefixes, key(pDealCli, id), key("clc/", id))
		}
		tx.readAhead(keys, prefixes)
	}
	var walked *segmentWalk
	if _, ok := tx.kv.(readAheader); !ok && len(ids) > 1 {
		// Badger: every iterator of a write transaction sorts all its
		// pending writes, so that two walks per client made an import of
		// thousands of clients quadratic (a 5,000-row import took 10 s);
		// one walk per index with a seek per client instead.
		var err error
		if walked, err = tx.walkSegmentGroups(ids); err != nil {
			return err
		}
	}
	ch := newSegmentChange()
	for _, id := range ids {
		old, oldBytes, err := tx.storedSegmentFacts(id)
		if err != nil {
			return err
		}
		var f *segmentFacts
		moved := false
		if d := dirt[id]; !d.full && old != nil {
			if f, moved, err = tx.segmentFactsMoved(id, old, d.moves); err != nil {
				return err
			}
		}
		if !moved {
			if f, err = tx.segmentFactsOf(id, walked); err != nil {
				return err
			}
		}
		if f == nil {
			if old != nil {
				ch.add(old, -1)
				if err := tx.del(segmentFactsKey(id)); err != nil {
					return err
				}
			}
			continue
		}
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if bytes.Equal(b, oldBytes) {
			continue
		}
		ch.addDiff(old, f)
		if err := tx.set(segmentFactsKey(id), b); err != nil {
			return err
		}
	}
	_, err := tx.applySegmentChange(ch, false)
	return err
}

// storedSegmentFacts reads a client's stored facts (nil when there are
// none, or only an erasure's empty value).
func (tx *Tx) storedSegmentFacts(id uint64) (*segmentFacts, []byte, error) {
	v, found, err := tx.value(segmentFactsKey(id))
	if err != nil || !found || len(v) == 0 {
		return nil, nil, err
	}
	var f segmentFacts
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, nil, err
	}
	return &f, v, nil
}

// applySegmentChange writes a change to the groups and cells. A group or
// cell that falls to zero is deleted, or, when erasing is set, written
// again empty and returned, for the erasure to drop every version of it.
func (tx *Tx) applySegmentChange(ch *segmentChange, erasing bool) ([][]byte, error) {
	var emptied [][]byte
	gone := func(k []byte) error {
		if erasing {
			emptied = append(emptied, k)
			return tx.set(k, nil)
		}
		return tx.del(k)
	}
	gkeys := make([]string, 0, len(ch.groups))
	for k := range ch.groups {
		gkeys = append(gkeys, k)
	}
	sort.Strings(gkeys)
	// The groups, and below the cells, are read at once (one round trip
	// on PostgreSQL, where each was one).
	ahead := make([][]byte, len(gkeys))
	for i, gk := range gkeys {
		ahead[i] = []byte(gk)
	}
	tx.prefetch(ahead)
	ids := map[string]uint64{}
	for _, gk := range gkeys {
		d := ch.groups[gk]
		if d.zero() {
			// The client stayed in the group as what it was (a deal
			// won, a claim raised): only the cells change, and they
			// need the group's id alone.
			id, err := tx.segmentGroupID([]byte(gk))
			if err != nil {
				return nil, err
			}
			if id != 0 {
				ids[gk] = id
				continue
			}
		}
		e, err := tx.segmentEntry([]byte(gk))
		if err != nil {
			return nil, err
		}
		if e == nil {
			id, err := tx.nextID("segment-group")
			if err != nil {
				return nil, err
			}
			e = &segmentEntry{ID: id}
		}
		ids[gk] = e.ID
		for f, n := range d.forms {
			if n == 0 {
				continue
			}
			if e.Forms == nil {
				e.Forms = map[string]int64{}
			}
			if e.Forms[f] += n; e.Forms[f] <= 0 {
				delete(e.Forms, f)
			}
		}
		e.Buyers += d.buyers
		e.Prospects += d.prospects
		if e.Buyers+e.Prospects <= 0 {
			if err := gone([]byte(gk)); err != nil {
				return nil, err
			}
			continue
		}
		v, err := encodeSegmentEntry(e)
		if err != nil {
			return nil, err
		}
		if err := tx.set([]byte(gk), v); err != nil {
			return nil, err
		}
	}
	type keyed struct {
		k []byte
		d *cellDelta
	}
	cells := make([]keyed, 0, len(ch.cells))
	for r, d := range ch.cells {
		if d.count != 0 || !d.sum.IsZero() {
			cells = append(cells, keyed{r.key(ids), d})
		}
	}
	sort.Slice(cells, func(i, j int) bool { return bytes.Compare(cells[i].k, cells[j].k) < 0 })
	ahead = ahead[:0]
	for _, c := range cells {
		ahead = append(ahead, c.k)
	}
	tx.prefetch(ahead)
	for _, c := range cells {
		d, k := c.d, c.k
		count, sum, err := tx.segmentCell(k)
		if err != nil {
			return nil, err
		}
		count += d.count
		sum = sum.Add(d.sum)
		if count <= 0 {
			if err := gone(k); err != nil {
				return nil, err
			}
			continue
		}
		if err := tx.set(k, encodeSegmentCell(count, sum)); err != nil {
			return nil, err
		}
	}
	return emptied, nil
}

func (r cellRef) key(ids map[string]uint64) []byte {
	return segmentCellKey(r.field, r.scale, r.code, r.kind, ids[r.groupKey], r.currency)
}

// A group entry is its id (8 bytes) and the JSON of the rest, so that a
// write that only needs the id (to name cells) decodes nothing.
func encodeSegmentEntry(e *segmentEntry) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint64(nil, e.ID), b...), nil
}

func decodeSegmentEntry(v []byte) (*segmentEntry, error) {
	if len(v) < 8 {
		return nil, errors.New("segment figures: bad group entry")
	}
	var e segmentEntry
	if err := json.Unmarshal(v[8:], &e); err != nil {
		return nil, err
	}
	e.ID = binary.BigEndian.Uint64(v)
	return &e, nil
}

// segmentEntry reads a group's entry (nil when there is none).
func (tx *Tx) segmentEntry(k []byte) (*segmentEntry, error) {
	v, found, err := tx.value(k)
	if err != nil || !found || len(v) == 0 {
		return nil, err
	}
	return decodeSegmentEntry(v)
}

// segmentGroupID reads a group's id (0 when there is no group).
func (tx *Tx) segmentGroupID(k []byte) (uint64, error) {
	v, found, err := tx.value(k)
	if err != nil || !found || len(v) < 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// segmentCell reads a cell (zero when there is none).
func (tx *Tx) segmentCell(k []byte) (int64, decimal.Decimal, error) {
	v, found, err := tx.value(k)
	if err != nil || !found {
		return 0, decimal.Zero, err
	}
	return decodeSegmentCell(v)
}

func encodeSegmentCell(count int64, sum decimal.Decimal) []byte {
	b := binary.AppendUvarint(nil, uint64(count))
	if !sum.IsZero() {
		b = append(b, sum.String()...)
	}
	return b
}

func decodeSegmentCell(v []byte) (int64, decimal.Decimal, error) {
	if len(v) == 0 {
		return 0, decimal.Zero, nil // written again by an erasure, to be dropped
	}
	n, w := binary.Uvarint(v)
	if w <= 0 {
		return 0, decimal.Zero, errors.New("segment figures: bad cell")
	}
	if w == len(v) {
		return int64(n), decimal.Zero, nil
	}
	sum, err := decimal.NewFromString(string(v[w:]))
	return int64(n), sum, err
}

// ensureSegments stores every client's facts once in a store written
// before the figures existed (or loaded in bulk), 250 clients per
// transaction.
func (s *Store) ensureSegments(ctx context.Context) error {
	return s.backfillClients(ctx, segmentsMarker, segmentsVersion, 250, func(tx *Tx, c *crm.Client) error {
		tx.segmentsDirty(c.ID)
		return nil
	})
}

// keptSegmentReport reads the analysis of every client grouped by the
// field by from the maintained figures, which must be built: the field's groups, and the cells
// of the two periods (whole months, and days where a period cuts a
// month).
func (s *Store) keptSegmentReport(ctx context.Context, by string, p crm.SegmentPeriods) (*crm.SegmentReport, error) {
	rep := &crm.SegmentReport{}
	err := s.view(ctx, func(tx *Tx) error {
		all, err := tx.segmentGroups(segmentAll, p)
		if err != nil {
			return err
		}
		for _, g := range all {
			rep.All = g.SegmentFigures
			rep.All.DropZero()
		}
		groups, err := tx.segmentGroups(by, p)
		if err != nil {
			return err
		}
		for _, g := range groups {
			g.DropZero()
			rep.Groups = append(rep.Groups, g)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(rep.Groups, func(i, j int) bool { return rep.Groups[i].Key < rep.Groups[j].Key })
	return rep, nil
}

// segmentGroups reads the groups of one field with their figures for the
// periods, by group id.
func (tx *Tx) segmentGroups(field string, p crm.SegmentPeriods) (map[uint64]*crm.SegmentGroup, error) {
	out := map[uint64]*crm.SegmentGroup{}
	prefix := segmentGroupPrefix(field)
	if err := tx.scan(prefix, false, true, func(k []byte, item Item) (bool, error) {
		var e *segmentEntry
		if err := item.Value(func(v []byte) (err error) {
			if len(v) > 0 {
				e, err = decodeSegmentEntry(v)
			}
			return err
		}); err != nil || e == nil {
			return err == nil, err
		}
		forms := make(map[string]int, len(e.Forms))
		for f, n := range e.Forms {
			forms[f] = int(n)
		}
		g := &crm.SegmentGroup{Key: string(k[len(prefix) : len(k)-1]), Label: crm.SegmentLabel(forms)}
		g.Clients, g.Prospects = int(e.Buyers), int(e.Prospects)
		out[e.ID] = g
		return true, nil
	}); err != nil {
		return nil, err
	}
	add := func(day int32, period int, kind byte, group uint64, currency string, count int64, sum decimal.Decimal) {
		g := out[group]
		if g == nil {
			return
		}
		switch kind {
		case 'c':
			if period == crm.PeriodNow {
				g.NewNow += int(count)
			} else if period == crm.PeriodBefore {
				g.NewBefore += int(count)
			}
		case 'w':
			if period == crm.PeriodNow {
				g.WonNow = crm.AddAmount(g.WonNow, currency, sum)
			} else if period == crm.PeriodBefore {
				g.WonBefore = crm.AddAmount(g.WonBefore, currency, sum)
			}
		case 'k':
			if period == crm.PeriodNow {
				g.Claims += int(count)
			}
		}
	}
	// The open pipeline: one cell per group and currency.
	if err := tx.segmentCells(field, 'p', 0, 0, func(_ int32, kind byte, group uint64, currency string, _ int64, sum decimal.Decimal) {
		if g := out[group]; g != nil && kind == 'o' {
			g.Pipeline = crm.AddAmount(g.Pipeline, currency, sum)
		}
	}); err != nil {
		return nil, err
	}
	// The days of the two periods and the days after them (records dated
	// later count as new: crm.SegmentPeriods.CreatedIn).
	first, last := p.TwoYearsAgo+1, p.Today
	for _, span := range [][2]int32{{first, p.YearAgo}, {p.YearAgo + 1, last}} {
		if err := tx.segmentSpan(field, span[0], span[1], p, add); err != nil {
			return nil, err
		}
	}
	if err := tx.segmentCells(field, 'd', last+1, 1<<31-1, func(day int32, kind byte, group uint64, currency string, count int64, sum decimal.Decimal) {
		if kind == 'c' {
			add(day, p.CreatedIn(day), kind, group, currency, count, sum)
		}
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// segmentSpan reads the cells of the days from..to (one period): the
// months wholly inside it, and the days of the months it cuts.
func (tx *Tx) segmentSpan(field string, from, to int32, p crm.SegmentPeriods, add func(int32, int, byte, uint64, string, int64, decimal.Decimal)) error {
	if from > to {
		return nil
	}
	period := p.Of(from)
	each := func(day int32, kind byte, group uint64, currency string, count int64, sum decimal.Decimal) {
		add(day, period, kind, group, currency, count, sum)
	}
	// Whole months: the first that starts at or after from, to the last
	// that ends at or before to.
	m1 := segmentMonth(from)
	if monthFirstDay(m1) != from {
		m1++
	}
	m2 := segmentMonth(to)
	if monthFirstDay(m2+1) != to+1 {
		m2--
	}
	if m1 > m2 {
		return tx.segmentCells(field, 'd', from, to, each)
	}
	if err := tx.segmentCells(field, 'd', from, monthFirstDay(m1)-1, each); err != nil {
		return err
	}
	if err := tx.segmentCells(field, 'm', m1, m2, each); err != nil {
		return err
	}
	return tx.segmentCells(field, 'd', monthFirstDay(m2+1), to, each)
}

// segmentCells calls fn with every cell of the field at the scale with a
// code from lo to hi.
func (tx *Tx) segmentCells(field string, scale byte, lo, hi int32, fn func(code int32, kind byte, group uint64, currency string, count int64, sum decimal.Decimal)) error {
	if lo > hi {
		return nil
	}
	prefix := segmentCellPrefix(field, scale)
	return tx.scanFromKey(prefix, key(prefix, segmentCode(lo)), func(k []byte, item Item) (bool, error) {
		rest := k[len(prefix):]
		if len(rest) < 4+1+8+1 {
			return true, nil
		}
		code := segmentCodeOf(rest[:4])
		if code > hi {
			return false, nil
		}
		kind, group, currency := rest[4], binary.BigEndian.Uint64(rest[5:13]), string(rest[13:len(rest)-1])
		return true, item.Value(func(v []byte) error {
			count, sum, err := decodeSegmentCell(v)
			if err != nil || count == 0 {
				return err
			}
			fn(code, kind, group, currency, count, sum)
			return nil
		})
	})
}

// eraseSegments takes the client's facts off the figures, in the
// erasure's transaction, and lists its facts, the groups and cells that
// fall to zero with it, and the groups of the values its history shows it
// had that no one has now, written again so that the erasure drops every
// version of them.
func eraseSegments(tx *Tx, id uint64) ([][]byte, int, error) {
	f, _, err := tx.storedSegmentFacts(id)
	if err != nil {
		return nil, 0, err
	}
	var keys [][]byte
	if f != nil {
		ch := newSegmentChange()
		ch.add(f, -1)
		emptied, err := tx.applySegmentChange(ch, true)
		if err != nil {
			return nil, 0, err
		}
		keys = append(keys, emptied...)
		if err := tx.set(segmentFactsKey(id), nil); err != nil {
			return nil, 0, err
		}
		keys = append(keys, segmentFactsKey(id))
	}
	fields := map[string]bool{}
	for _, f := range crm.SegmentFields {
		fields[f] = true
	}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[string(k)] = true
	}
	if err := tx.scan(key("h/client/", id), false, true, func(_ []byte, item Item) (bool, error) {
		ch, err := decode[crm.Change](item)
		if err != nil || !fields[ch.Field] {
			return err == nil, err
		}
		for _, v := range []string{ch.Old, ch.New} {
			values := []string{v}
			if ch.Field == "need" {
				values = crm.SplitValues(v)
			}
			for _, v := range values {
				k := segmentGroupKey(ch.Field, crm.NormalizeName(v))
				if seen[string(k)] {
					continue
				}
				seen[string(k)] = true
				if _, found, err := tx.value(k); err != nil || found {
					if err != nil {
						return false, err
					}
					continue // someone else has it: a live group
				}
				if err := tx.set(k, nil); err != nil {
					return false, err
				}
				keys = append(keys, k)
			}
		}
		return true, nil
	}); err != nil {
		return nil, 0, err
	}
	return keys, 0, nil
}

// segmentFieldsChanged tells whether a client's write changes what its
// segment facts hold of the client itself (its deals and claims mark it
// in their own writes): a /log, which only moves the last touch, does not.
func segmentFieldsChanged(old, c *crm.Client) bool {
	if old == nil {
		return true
	}
	a, b := crm.AudienceOf(old), crm.AudienceOf(c)
	a.OwnerID, b.OwnerID = 0, 0
	return a != b
}
