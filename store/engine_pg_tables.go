package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"accountbot/crm"

	"github.com/jackc/pgx/v5/pgconn"
)

// On PostgreSQL the records that analysts read and that queries filter on
// are rows of real tables (people, clients, conversations, tasks, deals,
// claims; pgschema/00003_tables.sql), and the hand-made Badger indexes over
// them are not stored at all: SQL answers them. The record code above the
// seam stays the same on both engines; the PostgreSQL engine routes keys:
//
//   - a key under a table's prefix (c/, v/, …) is a row of that table: the
//     key, the record as jsonb, and the columns computed from it here (one
//     definition, used at every write, by the migration from the key-value
//     layout and by restore);
//   - a key under a derived index's prefix (co/, ddc/, clw/, …) is never
//     written: set and del are no-ops, and a get or a scan is answered by
//     a query of the record table on an SQL index, each row turned into its
//     entries by the same Go function the record code writes them with on
//     Badger (clientOwnerEntries, dealIndexEntries, claimIndexEntries, …),
//     so the keys, values and their byte order are the same;
//   - every other key (counters, running totals, settings, delivery keys,
//     tokens, leases, sequences, history) stays in kv.
//
// A scan that spans several of these (a backup walks everything) merges
// them in key order.

// pgTable is one record table.
type pgTable struct {
	name   string
	prefix string
	// cols are the typed columns after key, data and raw; the last added
	// of them came with a later migration (see pgRows.base).
	cols  []string
	added int
	// row computes cols from the record (nil values are NULL).
	row func(k, v []byte) []any
	// small says the table is read whole (the team, on every request):
	// an iterator over it fetches its biggest page at once.
	small bool
}

// pgIndex is a derived index: its entries are a pure function of one
// record of table.
type pgIndex struct {
	prefix string
	table  *pgTable
	// group is the table's column ordered like the first part of the
	// index's keys after the prefix (an id, a name, a time): entries with
	// smaller keys never have a larger group. SQL selects and orders the
	// rows by it; Go orders the entries within a group.
	group string
	kind  groupKind
	// filter, when set, is an SQL condition that every row with entries
	// meets (open deals only, …): it only spares reading rows with none.
	filter string
	// entries returns the index entries of the record v, in any order.
	entries func(v []byte) ([]kvEntry, error)
	// sel, when set, are two columns read instead of the record (as
	// data and raw), for an index whose entries fromCols makes from them
	// without decoding the record (the binary audience row).
	sel      string
	fromCols func(a, b []byte) []kvEntry
	// order, when set, is an SQL ORDER BY that sorts a group's rows as
	// their entries' keys sort, for an index of one entry per row: a
	// walk's first entries can then be read alone (readFirst).
	order string
	// companion is an index over the same table made from columns (sel)
	// whose entries for the rows readFirst reads are kept too (the
	// clients' briefs beside their names).
	companion *pgIndex
	// firsts, with a companion, is an SQL expression of the second
	// column of sel (what fromCols takes), and tie the first column of
	// order, whose equal values a page of several groups keeps together
	// (a name that several clients share): readFirst of several groups
	// then finds the page's last tie value on the SQL index behind order
	// alone and reads the page's rows only, with their companion's
	// columns (pageRead).
	firsts, tie string
	// summaries says the index's readers want its entries only (lists of
	// summaries: a person's claims, open or closed deals), not the
	// records: a read of it sends the record only for a row without
	// stored entries.
	summaries bool
	// stored says the table's entries column holds the record's entries
	// (encodeEntries of the same function as entries, computed at every
	// write), so that a read takes them from there instead of decoding
	// each record's JSON: that decoding was half of the bot's time in a
	// list of a person's claims or deals.
	stored bool
	// parts, for an index grouped by id whose keys carry one byte after
	// the group that splits it (a claim's open byte), gives the SQL
	// condition that the rows of the entries with that byte meet, or ""
	// for a byte it does not know: a walk or read-ahead of one part (a
	// person's open claims) then reads that part's rows only, not the
	// group's whole history.
	parts func(b byte) string
}

// claimParts splits the claims by owner and by assignee into the closed
// (0) and the open (1), as openByte does.
func claimParts(b byte) string {
	switch b {
	case 0:
		return "NOT is_open"
	case 1:
		return "is_open"
	}
	return ""
}

// kvEntry is one derived key and value.
type kvEntry struct{ k, v []byte }

// groupKind says how the key's first part is encoded.
type groupKind int

const (
	groupID   groupKind = iota // 8 bytes big-endian (an id)
	groupName                  // a string up to a 0x00 separator
	groupTime                  // 8 bytes big-endian Unix nanoseconds
)

// pgTime is a time column as a NULL column (a zero Go time means "not set").
func pgTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// pgID is an id column that may be unset (0: NULL); the columns that
// derived indexes group on keep 0, as the keys do.
func pgID(id uint64) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

// pgText is an optional text column ("": NULL).
func pgText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// decodeRow decodes a record value for its columns; a value that is not
// the record (a test's odd bytes) gets NULL columns.
func decodeRow[T any](v []byte) *T {
	var r T
	if json.Unmarshal(v, &r) != nil {
		return nil
	}
	return &r
}

var (
	pgPeople = &pgTable{name: "people", prefix: "p/", small: true,
		cols: []string{"id", "name", "role", "identities", "reports_to", "lang", "tz", "email", "dismissed", "created_at"},
		row: func(_, v []byte) []any {
			p := decodeRow[crm.Person](v)
			if p == nil {
				return nil
			}
			ids := p.Identities
			if ids == nil {
				ids = []string{}
			}
			return []any{int64(p.ID), p.Name, string(p.Role), ids, pgID(p.ReportsTo), pgText(p.Lang), pgText(p.TZ), pgText(p.Email), p.Dismissed, pgTime(p.CreatedAt)}
		}}
	pgClients = &pgTable{name: "clients", prefix: "c/",
		cols: []string{"id", "name", "owner_id", "status", "segment", "industry", "size", "city", "source", "contact", "phone", "email", "rating",
			"next_step", "next_step_due", "last_touch", "reviewed_at", "created_at", "name_norm",
			// Migration 6:
			"source_norm", "audience"},
		added: 2,
		row: func(_, v []byte) []any {
			c := decodeRow[crm.Client](v)
			if c == nil {
				return nil
			}
			row := crm.AudienceOf(c)
			return []any{int64(c.ID), c.Name, int64(c.OwnerID), pgText(c.Status), pgText(c.Segment), pgText(c.Industry), pgText(c.Size), pgText(c.City),
				pgText(c.Source), pgText(c.Contact), pgText(c.Phone), pgText(c.Email), pgText(c.Rating),
				pgText(c.NextStep), pgTime(c.NextStepDue), pgTime(c.LastTouch), pgTime(c.ReviewedAt), pgTime(c.CreatedAt), crm.NormalizeName(c.Name),
				crm.NormalizeName(c.Source), encodeAudience(&row)}
		}}
	pgConversations = &pgTable{name: "conversations", prefix: "v/",
		cols: []string{"id", "client_id", "author_id", "on_behalf_of", "at", "channels", "text"},
		row: func(_, v []byte) []any {
			c := decodeRow[crm.Conversation](v)
			if c == nil {
				return nil
			}
			ch := c.Channels
			if ch == nil {
				ch = []string{}
			}
			return []any{int64(c.ID), int64(c.ClientID), pgID(c.AuthorID), pgID(c.OnBehalfOf), pgTime(c.At), ch, c.Text}
		}}
	pgTasks = &pgTable{name: "tasks", prefix: "t/",
		cols: []string{"id", "client_id", "assignee_id", "text", "due", "is_open", "done_at", "ring_at", "created_at", "created_by",
			// Migration 11:
			"entries"},
		added: 1,
		row: func(_, v []byte) []any {
			t := decodeRow[crm.Task](v)
			if t == nil {
				return nil
			}
			return []any{int64(t.ID), pgID(t.ClientID), int64(t.AssigneeID), t.Text, pgTime(t.Due), t.Open(), pgTime(t.DoneAt), pgTime(t.RingAt), pgTime(t.CreatedAt), pgID(t.CreatedBy),
				encodeEntries(taskIndexEntries(t))}
		}}
	pgDeals = &pgTable{name: "deals", prefix: "dd/",
		cols: []string{"id", "client_id", "owner_id", "title", "amount", "currency", "stage", "is_open", "probability", "expected_close",
			"competitor", "loss_reason", "cancelled", "created_at", "closed_at",
			// Migration 11:
			"entries"},
		added: 1,
		row: func(_, v []byte) []any {
			d := decodeRow[crm.Deal](v)
			if d == nil {
				return nil
			}
			var prob any
			if d.Probability != nil {
				prob = int32(*d.Probability)
			}
			return []any{int64(d.ID), int64(d.ClientID), int64(d.OwnerID), d.Title, d.Amount.String(), pgText(d.Currency), string(d.Stage), d.Open(), prob,
				pgTime(d.ExpectedClose), pgText(d.Competitor), pgText(d.LossReason), d.Cancelled, pgTime(d.CreatedAt), pgTime(d.ClosedAt),
				encodeEntries(dealIndexEntries(d))}
		}}
	pgClaims = &pgTable{name: "claims", prefix: "cl/",
		cols: []string{"id", "client_id", "owner_id", "reporter_id", "assignee_id", "severity", "category", "status", "is_open", "text", "resolution",
			"created_at", "ack_due", "resolve_due", "resolved_at", "closed_at", "satisfaction",
			// Migration 11:
			"entries"},
		added: 1,
		row: func(_, v []byte) []any {
			c := decodeRow[crm.Claim](v)
			if c == nil {
				return nil
			}
			var sat any
			if c.Satisfaction != 0 {
				sat = int32(c.Satisfaction)
			}
			return []any{int64(c.ID), int64(c.ClientID), int64(c.OwnerID), pgID(c.ReporterID), pgID(c.AssigneeID), string(c.Severity), pgText(c.Category),
				string(c.Status), c.Status.Open(), c.Text, pgText(c.Resolution), pgTime(c.CreatedAt), pgTime(c.AckDue), pgTime(c.ResolveDue),
				pgTime(c.ResolvedAt), pgTime(c.ClosedAt), sat, encodeEntries(claimIndexEntries(c))}
		}}

	pgTables = []*pgTable{pgPeople, pgClients, pgConversations, pgTasks, pgDeals, pgClaims}
)

// entriesOf adapts an entry function of a record type to raw values.
func entriesOf[T any](fn func(*T) []kvEntry) func([]byte) ([]kvEntry, error) {
	return func(v []byte) ([]kvEntry, error) {
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, err
		}
		return fn(&r), nil
	}
}

// entriesWithPrefix keeps the entries of fn under prefix.
func entriesWithPrefix[T any](prefix string, fn func(*T) []kvEntry) func([]byte) ([]kvEntry, error) {
	return entriesOf(func(r *T) []kvEntry {
		var out []kvEntry
		for _, e := range fn(r) {
			if bytes.HasPrefix(e.k, []byte(prefix)) {
				out = append(out, e)
			}
		}
		return out
	})
}

var pgIndexes = []*pgIndex{
	{prefix: "cn/", table: pgClients, group: "name_norm", kind: groupName, entries: entriesOf(clientNameEntries)},
	// The clients by owner (ownerKey, ownerVal): the brief comes from the
	// columns, so that a manager's whole group (a page of /clients reads
	// one brief per line) neither sends nor decodes the records' JSON.
	{prefix: "co/", table: pgClients, group: "owner_id", kind: groupID, sel: pgOwnerValSQL, fromCols: ownerEntryFromCols},
	// The planning audience rows and the clients by source: the row is a
	// column of its own (clients.audience, encodeAudience of the client),
	// so that reading every client's row decodes no JSON, as on Badger.
	{prefix: "pla/", table: pgClients, group: "id", kind: groupID, sel: "key, audience", fromCols: func(k, a []byte) []kvEntry {
		if a == nil {
			return nil
		}
		return []kvEntry{{audienceKey(tailID(k)), a}}
	}},
	{prefix: "plsrc/", table: pgClients, group: "source_norm", kind: groupName, filter: "source_norm <> ''", sel: "key, convert_to(source_norm, 'UTF8')",
		fromCols: func(k, src []byte) []kvEntry {
			if len(src) == 0 {
				return nil
			}
			return []kvEntry{{key("plsrc/", src, byte(nameSep), tailID(k)), nil}}
		}},
	// The per-owner name index (ownerNameKey): the owner and the folded
	// name come from their columns, so that a page of a manager's clients
	// neither sends nor decodes the records' JSON.
	{prefix: "con/", table: pgClients, group: "owner_id", kind: groupID, order: "name_norm, id", sel: "key, int8send(owner_id) || convert_to(name_norm, 'UTF8')",
		firsts: "int8send(owner_id) || convert_to(name_norm, 'UTF8')", tie: "name_norm",
		fromCols: func(k, on []byte) []kvEntry {
			if len(on) < 8 {
				return nil
			}
			return []kvEntry{{key("con/", on[:8], on[8:], byte(nameSep), tailID(k)), nil}}
		}},
	{prefix: "tu/", stored: true, table: pgTasks, group: "assignee_id", kind: groupID, filter: "is_open", entries: entriesWithPrefix("tu/", taskIndexEntries)},
	{prefix: "tc/", stored: true, table: pgTasks, group: "client_id", kind: groupID, entries: entriesWithPrefix("tc/", taskIndexEntries)},
	// The ring index: a scheduler tick reads the due reminders on the
	// partial index tasks_ring (pgschema/00008_ring_index.sql).
	{prefix: "tr/", stored: true, table: pgTasks, group: "ring_at", kind: groupTime, filter: "is_open AND ring_at IS NOT NULL", entries: entriesWithPrefix("tr/", taskIndexEntries)},
	{prefix: pDealCli, stored: true, table: pgDeals, group: "client_id", kind: groupID, entries: entriesWithPrefix(pDealCli, dealIndexEntries)},
	{prefix: pDealOwn, stored: true, table: pgDeals, group: "owner_id", kind: groupID, entries: entriesWithPrefix(pDealOwn, dealIndexEntries)},
	{prefix: pDealAmt, stored: true, table: pgDeals, group: "owner_id", kind: groupID, filter: "is_open", entries: entriesWithPrefix(pDealAmt, dealIndexEntries)},
	{prefix: pDealMonth, stored: true, table: pgDeals, group: "owner_id", kind: groupID, filter: "is_open AND expected_close IS NOT NULL", entries: entriesWithPrefix(pDealMonth, dealIndexEntries)},
	{prefix: pDealShut, stored: true, summaries: true, table: pgDeals, group: "owner_id", kind: groupID, filter: "NOT is_open", entries: entriesWithPrefix(pDealShut, dealIndexEntries)},
	{prefix: "clc/", stored: true, table: pgClaims, group: "client_id", kind: groupID, entries: entriesWithPrefix("clc/", claimIndexEntries)},
	{prefix: "clw/", stored: true, table: pgClaims, group: "owner_id", kind: groupID, parts: claimParts, entries: entriesWithPrefix("clw/", claimIndexEntries)},
	{prefix: "cls/", stored: true, table: pgClaims, group: "assignee_id", kind: groupID, parts: claimParts, entries: entriesWithPrefix("cls/", claimIndexEntries)},
	{prefix: "cla/", stored: true, table: pgClaims, group: "created_at", kind: groupTime, entries: entriesWithPrefix("cla/", claimIndexEntries)},
	{prefix: "cld/", stored: true, table: pgClaims, group: "resolve_due", kind: groupTime, filter: "is_open", entries: entriesWithPrefix("cld/", claimIndexEntries)},
}

func init() {
	// The page of a team's clients by name shows each client's brief.
	pgIndexOf([]byte("con/")).companion = pgIndexOf([]byte("co/"))
}

// pgOwnerValSQL reads what the owner index entry of a client holds: the
// owner, the last touch and review (Unix seconds, 0 for none, as unix
// makes them), then the name, city and status, each after its length.
const pgOwnerValSQL = `key, int8send(owner_id)
	|| int8send(coalesce(floor(extract(epoch FROM last_touch))::bigint, 0))
	|| int8send(coalesce(floor(extract(epoch FROM reviewed_at))::bigint, 0))
	|| int4send(octet_length(coalesce(name, ''))) || convert_to(coalesce(name, ''), 'UTF8')
	|| int4send(octet_length(coalesce(city, ''))) || convert_to(coalesce(city, ''), 'UTF8')
	|| int4send(octet_length(coalesce(status, ''))) || convert_to(coalesce(status, ''), 'UTF8')`

// ownerEntryFromCols makes the owner index entry of the client at key k
// from what pgOwnerValSQL read, byte for byte what ownerVal writes.
func ownerEntryFromCols(k, b []byte) []kvEntry {
	if len(b) < 24 {
		return nil
	}
	owner := binary.BigEndian.Uint64(b[:8])
	v := append([]byte(nil), b[8:24]...)
	rest := b[24:]
	for range 3 {
		if len(rest) < 4 {
			return nil
		}
		n := int(binary.BigEndian.Uint32(rest[:4]))
		if len(rest) < 4+n {
			return nil
		}
		v = binary.AppendUvarint(v, uint64(n))
		v = append(v, rest[4:4+n]...)
		rest = rest[4+n:]
	}
	return []kvEntry{{ownerKey(owner, tailID(k)), v}}
}

// cols is what a page of the index reads of each row: the record (or
// the two columns of sel) and the stored entries, when there are any.
func (x *pgIndex) cols() string {
	switch {
	case x.sel != "":
		return x.sel + ", NULL::bytea"
	case x.stored && x.summaries:
		return "CASE WHEN entries IS NULL THEN data_text END, raw, entries"
	case x.stored:
		return "data_text, raw, entries"
	}
	return "data_text, raw, NULL::bytea"
}

// readsRecords says a read of the index's rows brings their whole
// records, which the transaction then keeps for the gets of them.
func (x *pgIndex) readsRecords() bool { return x.sel == "" && !x.summaries }

// encodeEntries lays out a record's derived entries for the entries
// column: each key and value after its length (uvarint).
func encodeEntries(es []kvEntry) []byte {
	n := 0
	for _, e := range es {
		n += len(e.k) + len(e.v) + 4
	}
	b := make([]byte, 0, n)
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(len(e.k)))
		b = append(b, e.k...)
		b = binary.AppendUvarint(b, uint64(len(e.v)))
		b = append(b, e.v...)
	}
	return b
}

// decodeEntries returns the entries of b (encodeEntries) under prefix;
// ok is false when b is not such a list.
func decodeEntries(b []byte, prefix string) (es []kvEntry, ok bool) {
	for len(b) > 0 {
		var e kvEntry
		for _, f := range []*[]byte{&e.k, &e.v} {
			n, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w) < n {
				return nil, false
			}
			*f, b = b[w:w+int(n)], b[w+int(n):]
		}
		if len(e.v) == 0 {
			e.v = nil // as the entry functions make a bare entry
		}
		if strings.HasPrefix(string(e.k), prefix) {
			es = append(es, e)
		}
	}
	return es, true
}

// pgTableOf returns the table holding key k, or nil.
func pgTableOf(k []byte) *pgTable {
	for _, t := range pgTables {
		if bytes.HasPrefix(k, []byte(t.prefix)) {
			return t
		}
	}
	return nil
}

// pgIndexOf returns the derived index of key k, or nil.
func pgIndexOf(k []byte) *pgIndex {
	for _, x := range pgIndexes {
		if bytes.HasPrefix(k, []byte(x.prefix)) {
			return x
		}
	}
	return nil
}

// pgOwned reports whether every key under prefix p is a table's or a
// derived index's (so kv holds none of them).
func pgOwned(p []byte) bool { return pgTableOf(p) != nil || pgIndexOf(p) != nil }

// overlaps reports whether some key has both prefixes.
func overlaps(a []byte, b string) bool {
	return bytes.HasPrefix(a, []byte(b)) || strings.HasPrefix(b, string(a))
}

// pgJSONSafe reports whether v can be kept as jsonb and read back as the
// same record: JSON without a NUL character (which jsonb refuses). Other
// values (never written by the record code) are kept in the raw column.
func pgJSONSafe(v []byte) bool {
	return len(v) > 0 && json.Valid(v) && !bytes.Contains(v, []byte(`\u0000`))
}

// groupBound is a bound on an index's group column: rows outside it have
// no entry in the key range it was made from. op is ">=", "<" or "<=";
// none means no bound; empty means no row can match.
type groupBound struct {
	val   any
	op    string
	none  bool
	empty bool
}

// lowerBound: every entry with key >= k has group >= the bound.
func (x *pgIndex) lowerBound(k []byte) groupBound {
	rest := k[min(len(k), len(x.prefix)):]
	if !bytes.HasPrefix(k, []byte(x.prefix)) || len(rest) == 0 {
		if bytes.Compare(k, []byte(x.prefix)) > 0 {
			return groupBound{empty: true} // past the whole index
		}
		return groupBound{none: true}
	}
	switch x.kind {
	case groupName:
		s := rest
		if i := bytes.IndexByte(rest, nameSep); i >= 0 {
			s = rest[:i]
		}
		// A string bound that is not UTF-8 (a range end) is cut to the
		// longest valid start, which is smaller: still a lower bound.
		for !utf8.Valid(s) {
			s = s[:len(s)-1]
		}
		return groupBound{val: string(s), op: ">="}
	default:
		n := pad8(rest)
		if n > math.MaxInt64 {
			return groupBound{empty: true}
		}
		if x.kind == groupTime {
			return groupBound{val: time.Unix(0, int64(n)), op: ">="}
		}
		return groupBound{val: int64(n), op: ">="}
	}
}

// upperBound: every entry with key < k (or <= k when inclusive) has a
// group under the bound.
func (x *pgIndex) upperBound(k []byte, inclusive bool) groupBound {
	if !bytes.HasPrefix(k, []byte(x.prefix)) {
		if bytes.Compare(k, []byte(x.prefix)) < 0 {
			return groupBound{empty: true}
		}
		return groupBound{none: true}
	}
	rest := k[len(x.prefix):]
	if len(rest) == 0 {
		return groupBound{empty: true} // every entry is longer than the prefix
	}
	switch x.kind {
	case groupName:
		i := bytes.IndexByte(rest, nameSep)
		if i >= 0 {
			op := "<="
			if len(rest) == i+1 {
				op = "<" // k is the name and the separator: its entries are all after it
			}
			return groupBound{val: string(rest[:i]), op: op}
		}
		// No separator: every entry of the name s is after k. A bound that
		// is not UTF-8 (a reverse start's 0xff bytes) becomes the end of
		// its longest valid start.
		s := rest
		if utf8.Valid(s) {
			return groupBound{val: string(s), op: "<"}
		}
		for len(s) > 0 && !utf8.Valid(s) {
			s = s[:len(s)-1]
		}
		for len(s) > 0 {
			if end := prefixEnd(s); end != nil && utf8.Valid(end) {
				return groupBound{val: string(end), op: "<"}
			}
			s = s[:len(s)-1]
		}
		return groupBound{none: true}
	default:
		n := pad8(rest)
		if n > math.MaxInt64 {
			return groupBound{none: true}
		}
		if x.kind == groupTime {
			// Microseconds in SQL: two keys in one microsecond share it.
			return groupBound{val: time.Unix(0, int64(n)), op: "<="}
		}
		op := "<="
		if len(rest) < 8 || (len(rest) == 8 && !inclusive) {
			// Every entry of this group starts with k, or is k: after
			// it, or at it when k itself is excluded.
			op = "<"
		}
		return groupBound{val: int64(n), op: op}
	}
}

// pad8 reads up to 8 bytes big-endian, padding with zeros.
func pad8(b []byte) uint64 {
	var buf [8]byte
	copy(buf[:], b)
	return binary.BigEndian.Uint64(buf[:])
}

// sortEntries orders entries by key, descending when reverse.
func sortEntries(es []kvEntry, reverse bool) {
	slices.SortFunc(es, func(a, b kvEntry) int {
		if reverse {
			return bytes.Compare(b.k, a.k)
		}
		return bytes.Compare(a.k, b.k)
	})
}

// pgUpsert is the statement that writes a row of t.
func (t *pgTable) upsert() string {
	cols := append([]string{"key", "data", "raw"}, t.cols...)
	ph := make([]string, len(cols))
	set := make([]string, 0, len(cols)-1)
	for i, c := range cols {
		ph[i] = "$" + itoa(uint64(i+1))
		if i > 0 {
			set = append(set, c+" = excluded."+c)
		}
	}
	return "INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") +
		") ON CONFLICT (key) DO UPDATE SET " + strings.Join(set, ", ")
}

// args are the upsert's arguments for key k and value v.
func (t *pgTable) args(k, v []byte) []any {
	args := make([]any, 3, 3+len(t.cols))
	args[0] = k
	if pgJSONSafe(v) {
		args[1], args[2] = v, nil
	} else {
		if v == nil {
			v = []byte{}
		}
		args[1], args[2] = nil, v
	}
	row := t.row(k, v)
	if row == nil {
		row = make([]any, len(t.cols))
	}
	return append(args, row...)
}

// pgUpserts are the write statements of the tables, built once.
var pgUpserts = func() map[*pgTable]string {
	m := map[*pgTable]string{}
	for _, t := range pgTables {
		m[t] = t.upsert()
	}
	return m
}()

// pgTableNames are kv and every record table.
func pgTableNames() []string {
	names := []string{"kv"}
	for _, t := range pgTables {
		names = append(names, t.name)
	}
	return names
}

// pgExecer is a pool, a connection or a transaction.
type pgExecer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// pgRows collects record rows for bulk writes (restore, seeding), a few
// hundred per statement per table.
type pgRows struct {
	rows map[*pgTable][][]any
	// base leaves out the columns added by later migrations (for the
	// migration that moves the rows of the key-value layout, which runs
	// before them).
	base bool
}

func newPGRows() *pgRows { return &pgRows{rows: map[*pgTable][][]any{}} }

func (r *pgRows) add(ctx context.Context, db pgExecer, t *pgTable, k, v []byte) error {
	r.rows[t] = append(r.rows[t], t.args(bytes.Clone(k), bytes.Clone(v)))
	if len(r.rows[t]) >= 500 {
		return r.write(ctx, db, t)
	}
	return nil
}

func (r *pgRows) flush(ctx context.Context, db pgExecer) error {
	for _, t := range pgTables {
		if err := r.write(ctx, db, t); err != nil {
			return err
		}
	}
	return nil
}

// write sends t's rows as one multi-row upsert.
func (r *pgRows) write(ctx context.Context, db pgExecer, t *pgTable) error {
	rows := r.rows[t]
	if len(rows) == 0 {
		return nil
	}
	r.rows[t] = nil
	// Of two rows of one key the last wins (ON CONFLICT cannot touch a
	// row twice in one statement).
	seen := map[string]int{}
	var uniq [][]any
	for _, a := range rows {
		k := string(a[0].([]byte))
		if i, ok := seen[k]; ok {
			uniq[i] = a
			continue
		}
		seen[k] = len(uniq)
		uniq = append(uniq, a)
	}
	cols := append([]string{"key", "data", "raw"}, t.cols...)
	if r.base {
		cols = cols[:len(cols)-t.added]
		for i := range uniq {
			uniq[i] = uniq[i][:len(cols)]
		}
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") VALUES ")
	args := make([]any, 0, len(uniq)*len(cols))
	for i, a := range uniq {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(")
		for j := range a {
			if j > 0 {
				sb.WriteString(", ")
			}
			args = append(args, a[j])
			sb.WriteString("$" + itoa(uint64(len(args))))
		}
		sb.WriteString(")")
	}
	set := make([]string, 0, len(cols)-1)
	for _, c := range cols[1:] {
		set = append(set, c+" = excluded."+c)
	}
	sb.WriteString(" ON CONFLICT (key) DO UPDATE SET " + strings.Join(set, ", "))
	_, err := db.Exec(ctx, sb.String(), args...)
	return pgErr(err)
}
