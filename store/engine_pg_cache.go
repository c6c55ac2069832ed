package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// A transaction on PostgreSQL pays a round trip to the server for every
// read, where Badger reads its keys in memory, and the record code above
// the seam reads freely: a list reads its records through an index and
// then gets each of them by key, a page of clients gets one owner index
// entry per client. So each transaction keeps what it read (pgTxnCache):
//
//   - every row a get returned, and every record row an index page read,
//     by its key (a missing key too), so that a later get of the same key
//     is answered from memory;
//   - the whole group of a derived index (a manager's clients in co/, a
//     client's deals in ddc/) once a page read it whole, or once two gets
//     asked for entries of the same group: the second get reads the group
//     in one statement and the gets after it read none.
//
// Only this transaction's reads fill it, and every write of the
// transaction removes what it changes (a row's key, the groups of its
// table), so that it never answers with another
// transaction's data nor with what this one overwrote. Within one
// transaction the snapshot does not move (REPEATABLE READ and
// SERIALIZABLE alike), so a second read of an unchanged row would have
// returned the same bytes: the cache changes how often the server is
// asked, not what the transaction sees, and a retried transaction starts
// with an empty one.

// pgCached is a value read by key: missing when the key was not there.
type pgCached struct {
	v       []byte
	missing bool
}

// pgGroupKey names one group of a derived index: the index and the value
// of its group column; or, with part set, one part of the group (the
// index's parts).
type pgGroupKey struct {
	x *pgIndex
	g int64
	// part is 0 for the whole group, 1+b for the entries whose byte
	// after the group is b.
	part int16
}

// whole is the group that g is a part of (g itself when it is whole).
func (g pgGroupKey) whole() pgGroupKey { g.part = 0; return g }

// partOf returns the part of a group that the key prefix p names: the
// group and the byte after it, of an index with parts that knows the
// byte.
func partOf(x *pgIndex, p []byte) (pgGroupKey, bool) {
	n := len(x.prefix) + 9
	if x.parts == nil || len(p) < n {
		return pgGroupKey{}, false
	}
	g, ok := groupOf(x, p)
	if !ok || x.parts(p[n-1]) == "" {
		return pgGroupKey{}, false
	}
	g.part = int16(p[n-1]) + 1
	return g, true
}

// groupWhere is the SQL condition of the rows of g besides its group
// column's: the index's filter and the part's.
func (g pgGroupKey) groupWhere() []string {
	var w []string
	if g.x.filter != "" {
		w = append(w, "("+g.x.filter+")")
	}
	if g.part > 0 {
		w = append(w, "("+g.x.parts(byte(g.part-1))+")")
	}
	return w
}

// pgTxnCache is what one transaction read.
type pgTxnCache struct {
	rows map[string]pgCached
	// groups are whole groups of derived indexes, their entries sorted.
	groups map[pgGroupKey][]kvEntry
	// tails counts the gets of single entries per group.
	tails map[pgGroupKey]int
	// scans are whole prefixes of kv or of one record table (a prefix no
	// other table or index shares), their items in key order: every
	// request walks the team (p/) and the delegations (dl/), and a walk
	// read once is answered from memory after it.
	scans map[string][]simpleItem
	// ranges are kv ranges read whole (readAheadRanges), by their ends.
	ranges map[pgRangeKey][]simpleItem
	// team is the version of the people table (table_versions), once
	// read (0: there is none); a write of a person forgets it.
	team      int64
	teamKnown bool
	// touched counts the reads about one subject (readAhead).
	touched map[string]int
	// firsts are the first entries of groups (readFirst), for the
	// groups not read whole.
	firsts map[pgGroupKey]pgFirst
	// pages are the pages of several groups read at once (pageRead).
	pages map[pgPageKey][]kvEntry
	// tailRows are the entries of records read ahead by key for an
	// index whose entries come from columns (sel), by index and record
	// key.
	tailRows map[pgTailKey][]kvEntry
}

// pgFirst is the first entries of a group in key order: every entry of
// the group up to upto is among them.
type pgFirst struct {
	ents []kvEntry
	upto []byte
}

// pgTailKey names the entries of one record in one index.
type pgTailKey struct {
	x   *pgIndex
	rec string
}

// tailEntry returns the entry k when the entries of its record (the id
// that ends k) were read ahead and make it.
func (c *pgTxnCache) tailEntry(x *pgIndex, k []byte) (kvEntry, bool) {
	if c.tailRows == nil || len(k) < len(x.prefix)+8 {
		return kvEntry{}, false
	}
	es, ok := c.tailRows[pgTailKey{x, string(key(x.table.prefix, tailID(k)))}]
	if !ok {
		return kvEntry{}, false
	}
	for _, e := range es {
		if bytes.Equal(e.k, k) {
			return e, true
		}
	}
	return kvEntry{}, false
}

// scan returns the cached items of the whole prefix p: those of p, or of
// a shorter prefix read whole that holds p.
func (c *pgTxnCache) scan(p []byte) ([]simpleItem, bool) {
	if its, ok := c.scans[string(p)]; ok {
		return its, true
	}
	for q, its := range c.scans {
		if strings.HasPrefix(string(p), q) {
			lo := sort.Search(len(its), func(n int) bool { return bytes.Compare(its[n].k, p) >= 0 })
			hi := lo
			for hi < len(its) && bytes.HasPrefix(its[hi].k, p) {
				hi++
			}
			return its[lo:hi], true
		}
	}
	return nil, false
}

// lastIn reads the last live entry of each kv range in one statement (an
// index walk down from each range's top); ranges under a table or an
// index, or without an end, are left to the caller's walks.
func (t *pgTxn) lastIn(prefix []byte, ranges []keyRange) ([]*simpleItem, bool, error) {
	if pgOwned(prefix) {
		return nil, false, nil
	}
	los, his := make([][]byte, len(ranges)), make([][]byte, len(ranges))
	for i, r := range ranges {
		if r.hi == nil || !bytes.HasPrefix(r.lo, prefix) {
			return nil, false, nil
		}
		los[i], his[i] = r.lo, r.hi
	}
	items := make([]*simpleItem, len(ranges))
	err := t.query(kvRangesSQL(`DESC LIMIT 1`),
		[]any{los, his}, func(rows pgx.Rows) error {
			for rows.Next() {
				n, it, err := scanRangeRow(rows)
				if err != nil {
					return err
				}
				if n >= 1 && int(n) <= len(items) {
					items[n-1] = &it
				}
			}
			return nil
		})
	return items, true, err
}

// kvRangesSQL is a statement of the live rows of each kv range
// [$1[i], $2[i]) (the i-th from 1 in the first column), each range
// walked on the key index in the order and up to the limit that tail says
// ("LIMIT $3", "DESC LIMIT 1").
func kvRangesSQL(tail string) string {
	return `SELECT r.i, k.key, k.value, k.expires_at FROM unnest($1::bytea[], $2::bytea[]) WITH ORDINALITY AS r(lo, hi, i)
		CROSS JOIN LATERAL (SELECT key, value, expires_at FROM kv WHERE key >= r.lo AND key < r.hi AND (expires_at IS NULL OR expires_at > now()) ORDER BY key ` + tail + `) k`
}

// scanRangeRow reads a row of kvRangesSQL: its range's number and item.
func scanRangeRow(rows pgx.Rows) (int64, simpleItem, error) {
	var n int64
	var it simpleItem
	var exp *time.Time
	if err := rows.Scan(&n, &it.k, &it.v, &exp); err != nil {
		return 0, it, err
	}
	if exp != nil {
		it.exp = uint64(exp.Unix())
	}
	return n, it, nil
}

// span returns the items in [lo, hi) when a prefix read whole holds that
// whole range (a range of dates under one owner's prefix, say).
func (c *pgTxnCache) span(lo, hi []byte) ([]simpleItem, bool) {
	if hi == nil {
		return nil, false
	}
	for q, its := range c.scans {
		if !strings.HasPrefix(string(lo), q) {
			continue
		}
		if end := prefixEnd([]byte(q)); end != nil && bytes.Compare(hi, end) > 0 {
			continue
		}
		a := sort.Search(len(its), func(n int) bool { return bytes.Compare(its[n].k, lo) >= 0 })
		b := sort.Search(len(its), func(n int) bool { return bytes.Compare(its[n].k, hi) >= 0 })
		return its[a:max(a, b)], true
	}
	return nil, false
}

// keepScan remembers every item under the prefix p, in key order, and
// each of them as a row read by key.
func (c *pgTxnCache) keepScan(p []byte, items []simpleItem) {
	if c.scans == nil {
		c.scans = map[string][]simpleItem{}
	}
	its := make([]simpleItem, len(items))
	for n, it := range items {
		its[n] = simpleItem{k: bytes.Clone(it.k), v: bytes.Clone(it.v), exp: it.exp}
		c.keep(its[n].k, its[n].v, false)
	}
	c.scans[string(p)] = its
}

// covered reports whether k is under a prefix read whole: every key there
// is in rows, so a key not in rows is not in the store.
func (c *pgTxnCache) covered(k []byte) bool {
	for p := range c.scans {
		if strings.HasPrefix(string(k), p) {
			return true
		}
	}
	return false
}

// row returns the cached value of key k.
func (c *pgTxnCache) row(k []byte) (pgCached, bool) {
	if c.rows == nil {
		return pgCached{}, false
	}
	v, ok := c.rows[string(k)]
	return v, ok
}

// keep remembers the value of k (nil v with missing for a key not there).
func (c *pgTxnCache) keep(k, v []byte, missing bool) {
	if c.rows == nil {
		c.rows = map[string]pgCached{}
	}
	c.rows[string(k)] = pgCached{v: v, missing: missing}
}

// wrote forgets what a write of key k may have changed: the row itself,
// and every cached group of the derived indexes over its table (the
// record's entries may have moved to other groups).
func (c *pgTxnCache) wrote(k []byte) {
	delete(c.rows, string(k))
	for r := range c.ranges {
		if string(k) >= r.lo && string(k) < r.hi {
			delete(c.ranges, r)
		}
	}
	if pgTableOf(k) == pgPeople {
		c.teamKnown = false
	}
	for p := range c.scans {
		if strings.HasPrefix(string(k), p) {
			delete(c.scans, p)
		}
	}
	tb := pgTableOf(k)
	if tb == nil {
		return
	}
	for g := range c.groups {
		if g.x.table == tb {
			delete(c.groups, g)
		}
	}
	for g := range c.firsts {
		if g.x.table == tb {
			delete(c.firsts, g)
		}
	}
	for pk := range c.pages {
		if pk.x.table == tb {
			delete(c.pages, pk)
		}
	}
	for r := range c.tailRows {
		if r.x.table == tb {
			delete(c.tailRows, r)
		}
	}
}

// group returns a cached whole group.
func (c *pgTxnCache) group(g pgGroupKey) ([]kvEntry, bool) {
	es, ok := c.groups[g]
	return es, ok
}

// groupOrPart returns the cached entries of g: a whole group, or a part
// of one read as such or within its whole group.
func (c *pgTxnCache) groupOrPart(g pgGroupKey) ([]kvEntry, bool) {
	if es, ok := c.groups[g]; ok || g.part == 0 {
		return es, ok
	}
	es, ok := c.groups[g.whole()]
	return es, ok // the walk or get that asks picks its part's entries
}

// keepGroup remembers the entries of a whole group.
func (c *pgTxnCache) keepGroup(g pgGroupKey, es []kvEntry) {
	if c.groups == nil {
		c.groups = map[pgGroupKey][]kvEntry{}
	}
	sortEntries(es, false)
	c.groups[g] = es
}

// groupOf returns the group of the derived entry k, for the indexes that
// group by an id (the group is then exactly the 8 bytes after the
// prefix); ok is false for the others.
func groupOf(x *pgIndex, k []byte) (pgGroupKey, bool) {
	if x.kind != groupID || len(k) < len(x.prefix)+8 || !bytes.HasPrefix(k, []byte(x.prefix)) {
		return pgGroupKey{}, false
	}
	n := pad8(k[len(x.prefix) : len(x.prefix)+8])
	if n > 1<<63-1 {
		return pgGroupKey{}, false
	}
	return pgGroupKey{x: x, g: int64(n)}, true
}

// findEntry looks k up in sorted entries.
func findEntry(es []kvEntry, k []byte) (kvEntry, bool) {
	i := sort.Search(len(es), func(i int) bool { return bytes.Compare(es[i].k, k) >= 0 })
	if i < len(es) && bytes.Equal(es[i].k, k) {
		return es[i], true
	}
	return kvEntry{}, false
}

// rowEntries turns one row of an index query into the index's entries;
// a value that is not a record has none (as on Badger, none were written).
func (x *pgIndex) rowEntries(r pgGroupRow) []kvEntry {
	if x.fromCols != nil {
		return x.fromCols(r.data, r.raw)
	}
	if r.ents != nil {
		if es, ok := decodeEntries(r.ents, x.prefix); ok {
			return es
		}
	}
	v := r.data
	if r.raw != nil {
		v = r.raw
	}
	es, err := x.entries(v)
	if err != nil {
		return nil
	}
	return es
}

// readGroup reads the whole group g of its index in one statement and
// keeps its entries.
func (t *pgTxn) readGroup(g pgGroupKey) ([]kvEntry, error) {
	var es []kvEntry
	err := t.queryAll([]pgRead{t.groupRead(g, &es)})
	return es, err
}

// groupRead is the statement that reads the whole group g and keeps its
// entries (and, when out is set, returns them there).
func (t *pgTxn) groupRead(g pgGroupKey, out *[]kvEntry) pgRead {
	x := g.x
	w := append([]string{x.group + " = $1"}, g.groupWhere()...)
	return t.indexRead(x, `SELECT `+x.cols()+`, key, `+x.group+` FROM `+x.table.name+` WHERE `+strings.Join(w, " AND "), []any{g.g}, func(rows []pgGroupRow) {
		var es []kvEntry
		for _, r := range rows {
			es = append(es, x.rowEntries(r)...)
		}
		t.cache.keepGroup(g, es)
		if out != nil {
			*out = es
		}
	})
}

// groupsRead is the statement that reads the whole groups gs of one
// index at once (group = ANY) and keeps each, the empty ones too; gs are
// all whole, or all the same part of their groups.
func (t *pgTxn) groupsRead(x *pgIndex, gs []pgGroupKey) pgRead {
	w := append([]string{x.group + " = ANY($1)"}, gs[0].groupWhere()...)
	ids := make([]int64, len(gs))
	for i, g := range gs {
		ids[i] = g.g
	}
	return t.indexRead(x, `SELECT `+x.cols()+`, key, `+x.group+` FROM `+x.table.name+` WHERE `+strings.Join(w, " AND "), []any{ids}, func(rows []pgGroupRow) {
		byGroup := make(map[int64][]kvEntry, len(gs))
		for _, r := range rows {
			if g, ok := r.g.(int64); ok {
				byGroup[g] = append(byGroup[g], x.rowEntries(r)...)
			}
		}
		for _, g := range gs {
			t.cache.keepGroup(g, byGroup[g.g])
		}
	})
}

// indexRows runs a query of an index's rows (its columns, the record's
// key and the group column) and keeps the records it read.
func (t *pgTxn) indexRows(x *pgIndex, q string, args ...any) ([]pgGroupRow, error) {
	var out []pgGroupRow
	err := t.queryAll([]pgRead{t.indexRead(x, q, args, func(rows []pgGroupRow) { out = rows })})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// indexRead is the statement q of an index's rows: it keeps the records
// it read and gives the rows to done.
func (t *pgTxn) indexRead(x *pgIndex, q string, args []any, done func([]pgGroupRow)) pgRead {
	return pgRead{q, args, func(rows pgx.Rows) error {
		var out []pgGroupRow
		for rows.Next() {
			var r pgGroupRow
			var err error
			switch x.kind {
			case groupName:
				var g string
				err = rows.Scan(&r.data, &r.raw, &r.ents, &r.key, &g)
				r.g = g
			case groupTime:
				var g time.Time
				err = rows.Scan(&r.data, &r.raw, &r.ents, &r.key, &g)
				r.g = g
			default:
				var g int64
				err = rows.Scan(&r.data, &r.raw, &r.ents, &r.key, &g)
				r.g = g
			}
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if x.readsRecords() {
			// The rows are whole records (data, raw), as a get returns them.
			for _, r := range out {
				v := r.data
				if r.raw != nil {
					v = r.raw
				}
				t.cache.keep(r.key, v, false)
			}
		}
		done(out)
		return nil
	}}
}

// prefetch reads the keys not read yet in one statement per table (and
// one for kv), all in one round trip, and keeps them, the missing ones as
// missing. Derived index entries are left to their gets. A failed
// statement fails the transaction, as the gets would have.
func (t *pgTxn) prefetch(keys [][]byte) {
	if t.err != nil || len(keys) < 2 {
		return
	}
	if reads := t.keyReads(keys); len(reads) > 0 {
		_ = t.queryAll(reads)
	}
}

// readAhead reads, in one round trip, the keys and the whole prefixes a
// transaction is about to read one after the other (a request's sender,
// the delegations; the records of a client its card shows), and the
// team's version when it was not read yet (every request asks for it), so
// that the gets and walks that follow are answered from memory. A prefix
// is one group of a derived index grouped by id, or kv's or one table's
// only: a prefix that several sources share, or that holds more than
// pgAheadMax keys, is left to its walk; several groups of one index are
// read by one statement (the deals of a team's clients). Like prefetch it changes how the
// reads that follow are served, never what they return.
func (t *pgTxn) readAhead(keys, prefixes [][]byte) {
	if t.err != nil {
		return
	}
	if reads := t.aheadReads(keys, prefixes, false); len(reads) > 0 {
		_ = t.queryAll(reads)
	}
}

// pgRangeKey is a kv range [lo, hi) read whole.
type pgRangeKey struct{ lo, hi string }

// readAheadRanges reads, in one round trip, what readAhead(nil, prefixes)
// reads and the kv ranges under prefix (each up to pgAheadMax rows; a
// longer one is left to its walk), for walks of exactly those ranges that
// follow (a pipeline's running totals). Like readAhead it changes how the
// reads that follow are served, never what they return.
func (t *pgTxn) readAheadRanges(prefix []byte, ranges []keyRange, prefixes [][]byte) {
	if t.err != nil {
		return
	}
	reads := t.aheadReads(nil, prefixes, false)
	if whole, ok := t.iterator(iterOptions{prefix: prefix}).(*pgIter); ok && whole.solo {
		for _, r := range ranges {
			rk := pgRangeKey{string(r.lo), string(r.hi)}
			if _, cached := t.cache.ranges[rk]; cached || r.hi == nil {
				continue
			}
			it := &pgIter{t: t, o: iterOptions{prefix: r.lo}, end: r.hi, table: whole.table, page: pgAheadMax}
			q, args := it.sql(r.lo, true)
			reads = append(reads, pgRead{q, args, func(rows pgx.Rows) error {
				if err := it.scanRows(rows); err != nil {
					return err
				}
				if len(it.rows) < pgAheadMax {
					if t.cache.ranges == nil {
						t.cache.ranges = map[pgRangeKey][]simpleItem{}
					}
					t.cache.ranges[rk] = it.rows
				}
				return nil
			}})
		}
	}
	if len(reads) > 0 {
		_ = t.queryAll(reads)
	}
}

// readAheadWithClients reads what readAhead(nil, prefixes) reads and,
// in the same round trip, the clients that the records of the groups (or
// parts) it reads name: a list and the names it shows (a person's open
// claims) in one round trip instead of two. Like readAhead it changes how
// the reads that follow are served, never what they return.
func (t *pgTxn) readAheadWithClients(prefixes [][]byte) {
	if t.err != nil {
		return
	}
	if reads := t.aheadReads(nil, prefixes, true); len(reads) > 0 {
		_ = t.queryAll(reads)
	}
}

// aheadReads are readAhead's statements; withClients adds those of
// readAheadWithClients.
func (t *pgTxn) aheadReads(keys, prefixes [][]byte, withClients bool) []pgRead {
	reads := t.keyReads(keys)
	type indexPart struct {
		x    *pgIndex
		part int16
	}
	groups := map[indexPart][]pgGroupKey{}
	var order []indexPart // as first asked: the statements' order
	var kvs []*pgIter     // walks of whole prefixes of the kv table
	for _, p := range prefixes {
		switch it := t.iterator(iterOptions{prefix: p}).(type) {
		case *pgIter:
			switch {
			case !it.solo:
			case it.table == "kv" && it.end != nil:
				kvs = append(kvs, it)
			default:
				reads = append(reads, t.prefixRead(it))
			}
		case *pgIdxIter:
			g, ok := groupOf(it.x, p)
			if ok && len(p) != len(it.x.prefix)+8 {
				g, ok = partOf(it.x, p)
				ok = ok && len(p) == len(it.x.prefix)+9
			}
			if !ok {
				continue // not one whole group, nor one part of one
			}
			ip := indexPart{it.x, g.part}
			if _, cached := t.cache.groupOrPart(g); !cached && !slices.Contains(groups[ip], g) {
				if groups[ip] == nil {
					order = append(order, ip)
				}
				groups[ip] = append(groups[ip], g)
			}
		}
	}
	reads = append(reads, t.kvPrefixesRead(kvs)...)
	// Several groups (or the same part of several) of one index are one
	// statement.
	for _, ip := range order {
		switch gs := groups[ip]; {
		case len(gs) == 1:
			reads = append(reads, t.groupRead(gs[0], nil))
		default:
			reads = append(reads, t.groupsRead(ip.x, gs))
		}
		if withClients && slices.Contains(ip.x.table.cols, "client_id") {
			reads = append(reads, t.clientsOfRead(ip.x, groups[ip]))
		}
	}
	if !t.cache.teamKnown {
		reads = append(reads, t.teamRead())
	}
	return reads
}

// clientsOfRead is the statement that reads the clients named by the
// records of the groups gs of the index x (all whole, or all the same
// part of their groups) and keeps them, as gets of their keys would.
// The records are found again by the same condition as groupsRead's, in
// the same snapshot: the two statements see the same rows.
func (t *pgTxn) clientsOfRead(x *pgIndex, gs []pgGroupKey) pgRead {
	ids := make([]int64, len(gs))
	for i, g := range gs {
		ids[i] = g.g
	}
	w := append([]string{x.group + " = ANY($1)"}, gs[0].groupWhere()...)
	q := `SELECT key, data_text, raw FROM clients WHERE id = ANY(ARRAY(SELECT client_id FROM ` + x.table.name + ` WHERE ` + strings.Join(w, " AND ") + `))`
	return pgRead{q, []any{ids}, func(rows pgx.Rows) error { return t.keepRecords(rows, nil) }}
}

// keepRecords keeps the rows of a statement that reads records (key,
// data_text, raw), as gets of their keys would, and marks each key read
// in found when it is not nil.
func (t *pgTxn) keepRecords(rows pgx.Rows, found map[string]bool) error {
	for rows.Next() {
		var k, v, raw []byte
		if err := rows.Scan(&k, &v, &raw); err != nil {
			return err
		}
		if raw != nil {
			v = raw
		}
		t.cache.keep(k, v, false)
		if found != nil {
			found[string(k)] = true
		}
	}
	return rows.Err()
}

// prefixRead is the read of up to pgAheadMax rows of the prefix that it
// walks alone, kept whole when there are fewer.
func (t *pgTxn) prefixRead(it *pgIter) pgRead {
	it.page = pgAheadMax
	q, args := it.sql(it.o.prefix, true)
	return pgRead{q, args, func(rows pgx.Rows) error {
		if err := it.scanRows(rows); err != nil {
			return err
		}
		if len(it.rows) < it.page {
			t.cache.keepScan(it.o.prefix, it.rows)
		}
		return nil
	}}
}

// kvPrefixesRead is the read of up to pgAheadMax rows of each of the kv
// table's prefixes ps, all in one statement (an index walk of each, as
// lastIn's); each prefix with fewer rows is kept whole. A read of one
// client's records walks four or five of them (its promises, payments,
// satisfaction scores, …), mostly empty, and a statement costs more than
// the walk.
func (t *pgTxn) kvPrefixesRead(its []*pgIter) []pgRead {
	switch len(its) {
	case 0:
		return nil
	case 1:
		return []pgRead{t.prefixRead(its[0])}
	}
	ps, his := make([][]byte, len(its)), make([][]byte, len(its))
	for i, it := range its {
		ps[i], his[i] = it.o.prefix, it.end
	}
	return []pgRead{{kvRangesSQL(`LIMIT $3`), []any{ps, his, pgAheadMax}, func(rows pgx.Rows) error {
		got := make([][]simpleItem, len(ps))
		for rows.Next() {
			n, it, err := scanRangeRow(rows)
			if err != nil {
				return err
			}
			if n < 1 || int(n) > len(ps) {
				return fmt.Errorf("kv prefixes read: row of range %d of %d", n, len(ps))
			}
			got[n-1] = append(got[n-1], it)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i, its := range got {
			if len(its) >= pgAheadMax {
				continue // more than a read ahead keeps: walked as needed
			}
			// The rows of a range come in key order with the plan the
			// statement has (a nested loop over the ranges), which SQL
			// does not promise.
			slices.SortFunc(its, func(a, b simpleItem) int { return bytes.Compare(a.k, b.k) })
			t.cache.keepScan(ps[i], its)
		}
		return nil
	}}}
}

// readFirst reads, in one round trip, the keys (as readAhead does) and
// the first n entries (in key order) of each prefix that is one group of
// a derived index with an SQL order (pgIndex.order), for walks that will
// take about that many of each (a page of a team's clients by name): the
// walks then take them from memory, and one that goes past them reads the
// rest of its group. A group with fewer entries is kept whole. The
// entries of the index's companion (the clients' briefs beside their
// names) are kept too, for the gets of them. For several groups of an
// index with a tie column only the page is read, the first n-1 entries
// of all of them together and their ties, with their companion's
// (pageRead, firstsPage). Like readAhead it changes how the reads that
// follow are served, never what they return.
func (t *pgTxn) readFirst(keys, prefixes [][]byte, n int) {
	if t.err != nil || n <= 0 {
		return
	}
	reads := t.keyReads(keys)
	groups := map[*pgIndex][]pgGroupKey{}
	var order []*pgIndex
	pfx := map[pgGroupKey][]byte{}
	for _, p := range prefixes {
		x := pgIndexOf(p)
		if x == nil || x.order == "" {
			continue
		}
		g, ok := groupOf(x, p)
		if !ok || len(p) != len(x.prefix)+8 {
			continue
		}
		if _, cached := t.cache.group(g); cached {
			continue
		}
		if _, cached := t.cache.firsts[g]; cached || slices.Contains(groups[x], g) {
			continue
		}
		if groups[x] == nil {
			order = append(order, x)
		}
		groups[x] = append(groups[x], g)
		pfx[g] = p
	}
	for _, x := range order {
		reads = append(reads, t.firstsRead(x, groups[x], pfx, n))
	}
	if len(reads) > 0 {
		_ = t.queryAll(reads)
	}
}

// firstsRead is the read of the first n entries of each of the groups gs
// of index x (under the prefixes pfx), in one statement: a walk of the
// index's SQL order within each group (a team's first names: one
// statement, not one per owner).
func (t *pgTxn) firstsRead(x *pgIndex, gs []pgGroupKey, pfx map[pgGroupKey][]byte, n int) pgRead {
	w := x.group + " = g.v"
	if x.filter != "" {
		w += " AND (" + x.filter + ")"
	}
	cols := x.cols() + `, key, ` + x.group
	y := x.companion
	if y != nil {
		cols += `, ` + y.sel
	}
	vs := make([]int64, len(gs))
	for i, g := range gs {
		vs[i] = g.g
	}
	if y != nil && x.firsts != "" && x.tie != "" && len(gs) > 1 {
		// Several groups: most of their first rows are not on the
		// page. For one (a manager's page) every row but the last is,
		// and one walk of the table reads them cheaper.
		return t.pageRead(x, gs, vs, n)
	}
	q := `SELECT r.* FROM unnest($1::bigint[]) AS g(v) CROSS JOIN LATERAL (SELECT ` + cols + ` FROM ` + x.table.name +
		` WHERE ` + w + ` ORDER BY ` + x.order + ` LIMIT $2) r`
	return pgRead{q, []any{vs, n}, func(rows pgx.Rows) error {
		es := make(map[int64][]kvEntry, len(gs))
		got := make(map[int64]int, len(gs))
		for rows.Next() {
			var r pgGroupRow
			var gv int64
			var ya, yb []byte
			dest := []any{&r.data, &r.raw, &r.ents, &r.key, &gv}
			if y != nil {
				dest = append(dest, &ya, &yb)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			r.g = gv
			got[gv]++
			if x.readsRecords() {
				v := r.data
				if r.raw != nil {
					v = r.raw
				}
				t.cache.keep(r.key, v, false)
			}
			es[gv] = append(es[gv], x.rowEntries(r)...)
			if y != nil {
				if t.cache.tailRows == nil {
					t.cache.tailRows = map[pgTailKey][]kvEntry{}
				}
				t.cache.tailRows[pgTailKey{y, string(r.key)}] = y.fromCols(ya, yb)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		t.keepFirsts(gs, pfx, es, got, n)
		return nil
	}}
}

// pageRead is firstsRead of an index with firsts and a tie column, for
// several groups (a page of a team's clients by name): the entries of the
// page itself, the first n-1 entries of all the groups together in list
// order and every other entry with the tie value of the last of them
// (what the merge of the groups' walks keeps, pageByOwners), with their
// companion's entries (the briefs). The statement finds the page's last
// tie value from the first n-1 of each group on the SQL index alone, then
// reads each group's rows up to it by a range of that index: a team of
// nine owners' page of thirty sends thirty rows, not nine times
// thirty-one (migration 14 dropped the narrower index by owner alone,
// which the planner took instead, with a filter of every row).
func (t *pgTxn) pageRead(x *pgIndex, gs []pgGroupKey, vs []int64, n int) pgRead {
	y := x.companion
	w := ""
	if x.filter != "" {
		w = " AND (" + x.filter + ")"
	}
	page := max(n-1, 1)
	// The second part counts each group's first rows: a group with fewer
	// than the page's length, all on the page, is whole.
	q := `WITH f AS MATERIALIZED (SELECT g.v, r.tie FROM unnest($1::bigint[]) AS g(v) CROSS JOIN LATERAL (SELECT ` + x.tie + ` AS tie FROM ` + x.table.name +
		` WHERE ` + x.group + ` = g.v` + w + ` ORDER BY ` + x.order + ` LIMIT $2) r),
		t AS MATERIALIZED (SELECT max(tie) AS m FROM (SELECT tie FROM f ORDER BY tie LIMIT $2) s)
		SELECT 1, r.* FROM unnest($1::bigint[]) AS g(v) CROSS JOIN t CROSS JOIN LATERAL (SELECT ` + x.group + `, id, ` + x.tie + `, ` + x.firsts + `, ` + y.sel +
		` FROM ` + x.table.name + ` WHERE ` + x.group + ` = g.v` + w + ` AND ` + x.tie + ` <= t.m) r
		UNION ALL SELECT 2, v, count(*), NULL, NULL, NULL, NULL FROM f GROUP BY v`
	pk := pageKeyOf(x, gs, page)
	return pgRead{q, []any{vs, page}, func(rows pgx.Rows) error {
		var es []kvEntry
		byGroup := make(map[int64][]kvEntry, len(gs))
		firsts := make(map[int64]int64, len(gs)) // each group's first rows (up to the page's length)
		var last string                          // the page's last tie value
		for rows.Next() {
			var part int32
			var gv, id int64
			var tie *string
			var e, yk, yb []byte
			if err := rows.Scan(&part, &gv, &id, &tie, &e, &yk, &yb); err != nil {
				return err
			}
			if part == 2 {
				firsts[gv] = id
				continue
			}
			if t.cache.tailRows == nil {
				t.cache.tailRows = map[pgTailKey][]kvEntry{}
			}
			t.cache.tailRows[pgTailKey{y, string(yk)}] = y.fromCols(yk, yb)
			ents := x.fromCols(key(x.table.prefix, uint64(id)), e)
			es = append(es, ents...)
			byGroup[gv] = append(byGroup[gv], ents...)
			if tie != nil {
				last = max(last, *tie)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if t.cache.pages == nil {
			t.cache.pages = map[pgPageKey][]kvEntry{}
		}
		t.cache.pages[pk] = es
		// Each group's entries up to the page's last tie value are its
		// first ones (a walk within them reads nothing), or all of them.
		for _, g := range gs {
			ges := byGroup[g.g]
			if n := firsts[g.g]; n < int64(page) && int64(len(ges)) == n {
				t.cache.keepGroup(g, ges) // sorts
				continue
			}
			sortEntries(ges, false)
			var upto []byte // the last entry the tie value can make in g
			if ue := x.fromCols(key(x.table.prefix, ^uint64(0)), append(binary.BigEndian.AppendUint64(nil, uint64(g.g)), last...)); len(ue) > 0 {
				upto = ue[0].k
			}
			if upto == nil {
				continue // no bound to keep them by: the walks read the group
			}
			if t.cache.firsts == nil {
				t.cache.firsts = map[pgGroupKey]pgFirst{}
			}
			t.cache.firsts[g] = pgFirst{ents: ges, upto: upto}
		}
		return nil
	}}
}

// pgPageKey names a page of several groups of one index (pageRead): the
// groups, in order, and the page's length.
type pgPageKey struct {
	x      *pgIndex
	groups string
	n      int
}

// pageKeyOf is the key of the page of n entries of the groups gs.
func pageKeyOf(x *pgIndex, gs []pgGroupKey, n int) pgPageKey {
	vs := make([]int64, len(gs))
	for i, g := range gs {
		vs[i] = g.g
	}
	slices.Sort(vs)
	b := make([]byte, 0, 8*len(vs))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return pgPageKey{x, string(b), n}
}

// firstsPage returns the entries of the page of n entries of the groups
// that the prefixes name, when readFirst read it (pageRead), in no
// particular order.
func (t *pgTxn) firstsPage(prefixes [][]byte, n int) ([]kvEntry, bool) {
	if t.cache.pages == nil || len(prefixes) == 0 {
		return nil, false
	}
	x := pgIndexOf(prefixes[0])
	if x == nil {
		return nil, false
	}
	gs := make([]pgGroupKey, 0, len(prefixes))
	for _, p := range prefixes {
		g, ok := groupOf(x, p)
		if !ok || len(p) != len(x.prefix)+8 || pgIndexOf(p) != x {
			return nil, false
		}
		gs = append(gs, g)
	}
	es, ok := t.cache.pages[pageKeyOf(x, gs, n)]
	return es, ok
}

func (t *pgTxn) keepFirsts(gs []pgGroupKey, pfx map[pgGroupKey][]byte, es map[int64][]kvEntry, got map[int64]int, n int) {
	for _, g := range gs {
		ges := es[g.g]
		if got[g.g] < n {
			t.cache.keepGroup(g, ges)
			continue
		}
		sortEntries(ges, false)
		upto := bytes.Clone(pfx[g]) // no entry yet: the rest is all of them
		if len(ges) > 0 {
			upto = ges[len(ges)-1].k
		}
		if t.cache.firsts == nil {
			t.cache.firsts = map[pgGroupKey]pgFirst{}
		}
		t.cache.firsts[g] = pgFirst{ents: ges, upto: upto}
	}
}

// pgAheadMax bounds the rows readAhead reads of one prefix.
const pgAheadMax = 256

func (t *pgTxn) keeps() bool { return t.held }

// peek returns the value of k when the transaction has read it already.
func (t *pgTxn) peek(k []byte) ([]byte, bool) {
	c, ok := t.cache.row(k)
	if !ok || c.missing {
		return nil, false
	}
	return c.v, true
}

// touch counts the reads about k (a client's key) in the transaction and
// returns how many there were, this one included.
func (t *pgTxn) touch(k []byte) int {
	if t.cache.touched == nil {
		t.cache.touched = map[string]int{}
	}
	t.cache.touched[string(k)]++
	return t.cache.touched[string(k)]
}

// teamVersion returns the version of the people table, which changes
// with every statement that writes a person (pgschema/00009), so that the
// store may keep the decoded team between requests.
// It reports false when there is no version to go by (the row is gone).
func (t *pgTxn) teamVersion() (int64, bool, error) {
	if !t.cache.teamKnown {
		if err := t.queryAll([]pgRead{t.teamRead()}); err != nil {
			return 0, false, err
		}
	}
	return t.cache.team, t.cache.team > 0, nil
}

// teamRead is the statement that reads the team's version into the cache.
func (t *pgTxn) teamRead() pgRead {
	return pgRead{`SELECT version FROM table_versions WHERE name = 'people'`, nil, func(rows pgx.Rows) error {
		t.cache.team = 0 // none
		if !rows.Next() {
			t.cache.teamKnown = true
			return rows.Err()
		}
		if err := rows.Scan(&t.cache.team); err != nil {
			return err
		}
		t.cache.teamKnown = true
		return nil
	}}
}

// keyReads are the statements that read the keys not read yet, one per
// table (and one for kv), each keeping what it finds and, once its rows
// are read, the rest of its keys as missing.
func (t *pgTxn) keyReads(keys [][]byte) []pgRead {
	byTable := map[*pgTable][][]byte{}
	var kv [][]byte
	seen := map[string]bool{}
	tails := map[*pgIndex][][]byte{}
	for _, k := range keys {
		if seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		if x := pgIndexOf(k); x != nil {
			// An entry of an index made from columns: its record's
			// columns, by the record's key. Other entries are left to
			// their gets, which read the record.
			if x.sel != "" && len(k) >= len(x.prefix)+8 {
				rk := key(x.table.prefix, tailID(k))
				if _, ok := t.cache.tailRows[pgTailKey{x, string(rk)}]; !ok {
					tails[x] = append(tails[x], rk)
				}
			}
			continue
		}
		if _, ok := t.cache.row(k); ok {
			continue
		}
		if tb := pgTableOf(k); tb != nil {
			byTable[tb] = append(byTable[tb], k)
		} else {
			kv = append(kv, k)
		}
	}
	var reads []pgRead
	read := func(q string, ks [][]byte) {
		if len(ks) == 0 {
			return
		}
		reads = append(reads, pgRead{q, []any{ks}, func(rows pgx.Rows) error {
			found := map[string]bool{}
			if err := t.keepRecords(rows, found); err != nil {
				return err
			}
			for _, k := range ks {
				if !found[string(k)] {
					t.cache.keep(k, nil, true)
				}
			}
			return nil
		}})
	}
	for _, tb := range pgTables {
		read(`SELECT key, data_text, raw FROM `+tb.name+` WHERE key = ANY($1)`, byTable[tb])
	}
	for _, x := range pgIndexes {
		rks := tails[x]
		if len(rks) == 0 {
			continue
		}
		reads = append(reads, t.indexRead(x, `SELECT `+x.cols()+`, key, `+x.group+` FROM `+x.table.name+` WHERE key = ANY($1)`, []any{rks}, func(rows []pgGroupRow) {
			if t.cache.tailRows == nil {
				t.cache.tailRows = map[pgTailKey][]kvEntry{}
			}
			for _, rk := range rks {
				t.cache.tailRows[pgTailKey{x, string(rk)}] = nil // none unless found
			}
			for _, r := range rows {
				t.cache.tailRows[pgTailKey{x, string(r.key)}] = x.rowEntries(r)
			}
		}))
	}
	read(`SELECT key, value, NULL::bytea FROM kv WHERE key = ANY($1) AND (expires_at IS NULL OR expires_at > now())`, kv)
	return reads
}

// pgMemIter walks the cached items of a whole prefix, as pgIter would
// walk its rows.
type pgMemIter struct {
	items       []simpleItem
	prefix, end []byte
	reverse     bool
	pos         int // the current item; out of range when none
	cur         simpleItem
}

func (i *pgMemIter) seek(k []byte) {
	// The first item at or after k (reverse: the last at or before k).
	n := sort.Search(len(i.items), func(n int) bool { return bytes.Compare(i.items[n].k, k) >= 0 })
	if i.reverse {
		if n < len(i.items) && bytes.Equal(i.items[n].k, k) {
			i.pos = n
		} else {
			i.pos = n - 1
		}
		return
	}
	i.pos = n
}

func (i *pgMemIter) valid() bool { return i.pos >= 0 && i.pos < len(i.items) }

// item returns a copy, so that the cached bytes stay as they were read
// whatever the caller does with them.
func (i *pgMemIter) item() Item {
	it := i.items[i.pos]
	i.cur = simpleItem{k: bytes.Clone(it.k), v: bytes.Clone(it.v), exp: it.exp}
	return &i.cur
}

func (i *pgMemIter) next() {
	if i.reverse {
		i.pos--
	} else {
		i.pos++
	}
}

func (i *pgMemIter) close() {}

// rangeIters returns one iterator for each range under prefix. What they
// walk is read ahead pgRangeChunk ranges at a time, in one round trip: a
// range of one group of a derived index reads that group (kept in the
// cache), a range of kv or of one table its rows up to pgAheadMax (walked
// from memory; a longer range is walked by pages as before). The owners'
// deal indexes and totals are read this way, one range per owner, so that
// a supervisor's ten owners are one round trip, not twenty or forty. It
// returns nil when prefix has several sources; the caller then walks one
// iterator over the prefix.
func (t *pgTxn) rangeIters(prefix []byte, ranges []keyRange, reverse bool) []kvIterator {
	if t.err != nil {
		return nil
	}
	rs := &pgRanges{t: t, its: make([]kvIterator, len(ranges)), ahead: make([]func() []pgRead, len(ranges))}
	switch whole := t.iterator(iterOptions{prefix: prefix}).(type) {
	case *pgIdxIter:
		for n, r := range ranges {
			it := &pgIdxIter{t: t, x: whole.x, lo: r.lo, hi: r.hi, reverse: reverse}
			rs.its[n] = it
			lo, hi := it.x.lowerBound(r.lo), it.x.upperBound(r.hi, false)
			a, ok1 := lo.val.(int64)
			b, ok2 := hi.val.(int64)
			if it.x.kind != groupID || !ok1 || !ok2 || lo.op != ">=" || !(hi.op == "<=" && b == a || hi.op == "<" && b == a+1) {
				continue // not one group: the iterator reads by pages
			}
			g := pgGroupKey{x: it.x, g: a}
			rs.ahead[n] = func() []pgRead {
				if _, cached := t.cache.group(g); cached {
					return nil
				}
				// Kept as whole at once, so that a second range of the
				// same group in this round trip asks for none.
				t.cache.keepGroup(g, nil)
				return []pgRead{t.groupRead(g, nil)}
			}
		}
	case *pgIter:
		if !whole.solo {
			return nil
		}
		for n, r := range ranges {
			if items, ok := t.cache.ranges[pgRangeKey{string(r.lo), string(r.hi)}]; ok {
				rs.its[n] = &pgMemIter{items: items, prefix: r.lo, end: r.hi, reverse: reverse, pos: -1}
				continue
			}
			if items, ok := t.cache.span(r.lo, r.hi); ok {
				// Within a prefix read whole (readAhead): from memory.
				rs.its[n] = &pgMemIter{items: items, prefix: r.lo, end: r.hi, reverse: reverse, pos: -1}
				continue
			}
			it := &pgIter{t: t, o: iterOptions{prefix: r.lo, reverse: reverse}, end: r.hi, table: whole.table, small: whole.small, page: pgAheadMax}
			rs.its[n] = it
			rs.ahead[n] = func() []pgRead {
				// Down from the range's end when reverse.
				from, inclusive := r.lo, true
				if reverse && r.hi != nil {
					from, inclusive = r.hi, false
				}
				q, args := it.sql(from, inclusive)
				return []pgRead{{q, args, func(rows pgx.Rows) error {
					var ahead pgIter
					if err := ahead.scanRows(rows); err != nil {
						return err
					}
					if len(ahead.rows) < pgAheadMax {
						if reverse {
							slices.Reverse(ahead.rows) // a memory walk's items ascend
						}
						rs.its[n] = &pgMemIter{items: ahead.rows, prefix: r.lo, end: r.hi, reverse: reverse, pos: -1}
					}
					return nil
				}}}
			}
		}
	default:
		return nil
	}
	out := make([]kvIterator, len(ranges))
	for n := range ranges {
		out[n] = &pgRangeIter{rs: rs, n: n}
	}
	return out
}

// pgRangeChunk is how many ranges rangeIters reads ahead at once: enough
// for a supervisor's team in one round trip, few enough that a walk that
// stops early (the first deals found) does not read every owner's rows.
const pgRangeChunk = 16

// pgRanges are the iterators of rangeIters and what each reads ahead.
type pgRanges struct {
	t     *pgTxn
	its   []kvIterator
	ahead []func() []pgRead // nil: nothing to read ahead
	ready int               // the ranges before it were read ahead
}

// prepare reads ahead the chunk of ranges from n on, unless it was.
func (rs *pgRanges) prepare(n int) {
	if n < rs.ready {
		return
	}
	var reads []pgRead
	end := min(n+pgRangeChunk, len(rs.its))
	for m := n; m < end; m++ {
		if rs.ahead[m] != nil {
			reads = append(reads, rs.ahead[m]()...)
		}
	}
	rs.ready = end
	if len(reads) > 0 {
		_ = rs.t.queryAll(reads) // a failure fails the transaction
	}
}

// pgRangeIter is one range's iterator of rangeIters.
type pgRangeIter struct {
	rs  *pgRanges
	n   int
	cur kvIterator
}

func (i *pgRangeIter) seek(k []byte) {
	i.rs.prepare(i.n)
	i.cur = i.rs.its[i.n]
	i.cur.seek(k)
}
func (i *pgRangeIter) valid() bool { return i.cur != nil && i.cur.valid() }
func (i *pgRangeIter) item() Item  { return i.cur.item() }
func (i *pgRangeIter) next()       { i.cur.next() }
func (i *pgRangeIter) close() {
	if i.cur != nil {
		i.cur.close()
	}
}
