package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/internal/pgtest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
)

// pgWorkload writes some of every record kind that has a table, with the
// changes that move their derived index entries (a handover, closed
// deals, done tasks, resolved claims).
func pgWorkload(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
	for i, name := range []string{"Ana Head", "Boris Rep", "Vera Rep"} {
		role := crm.RoleManager
		if i == 0 {
			role = crm.RoleHead
		}
		p := &crm.Person{Name: name, Role: role, Identities: []string{fmt.Sprint("console:u", i)}, CreatedAt: t0}
		if err := s.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	var clients []*crm.Client
	for i := range 24 {
		name := fmt.Sprintf("Client %02d", i)
		if i%5 == 0 {
			name = fmt.Sprintf("Фирма %02d", i)
		}
		c := &crm.Client{Name: name, OwnerID: uint64(i%3 + 1), City: "Sofia", Status: "active", CreatedAt: t0, ReviewedAt: t0}
		if i == 23 {
			c.OwnerID = 0 // nobody's
		}
		if i%4 == 1 {
			c.Source = []string{"Fair 2026", "fair 2026", "Web"}[i%3]
		}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	for i, c := range clients[:12] {
		at := t0.Add(time.Duration(i) * time.Hour)
		var next *crm.Task
		if i%2 == 0 {
			next = &crm.Task{ClientID: c.ID, AssigneeID: c.OwnerID, Text: "call back", Due: at.AddDate(0, 0, 3), CreatedAt: at, CreatedBy: c.OwnerID, NextStep: true}
		}
		for j := range 3 {
			conv := &crm.Conversation{ClientID: c.ID, AuthorID: c.OwnerID, Text: fmt.Sprint("talk ", j), Channels: []string{"call"}, At: at.Add(time.Duration(j) * time.Minute)}
			if err := s.LogConversation(ctx, conv, next); err != nil {
				t.Fatal(err)
			}
			next = nil
		}
	}
	task := &crm.Task{AssigneeID: 2, Text: "no client", Due: t0.Add(48 * time.Hour), CreatedAt: t0, CreatedBy: 2}
	if err := s.CreateTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTask(ctx, task.ID, func(x *crm.Task) error { x.DoneAt = t0.Add(time.Hour); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients[:10] {
		d := &crm.Deal{ClientID: c.ID, OwnerID: c.OwnerID, Title: fmt.Sprint("deal ", i), Amount: decimal.NewFromInt(int64(100 * (i + 1))),
			Currency: "EUR", Stage: crm.StageLead, CreatedAt: t0}
		if i%2 == 0 {
			d.ExpectedClose = t0.AddDate(0, i, 0)
		}
		if err := s.CreateDeal(ctx, d, crm.Actor{PersonID: c.OwnerID}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := s.UpdateDeal(ctx, d.ID, crm.Actor{PersonID: c.OwnerID}, t0.Add(time.Hour), func(x *crm.Deal) error {
				x.Stage, x.ClosedAt = crm.StageWon, t0.Add(time.Duration(i)*time.Hour)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, c := range clients[:6] {
		cl := &crm.Claim{ClientID: c.ID, OwnerID: c.OwnerID, ReporterID: c.OwnerID, Text: fmt.Sprint("broken ", i), Severity: "high", Category: "quality",
			Status: crm.ClaimNew, CreatedAt: t0.Add(time.Duration(i) * time.Minute), AckDue: t0.Add(4 * time.Hour), ResolveDue: t0.AddDate(0, 0, 5)}
		if err := s.CreateClaim(ctx, cl); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if _, err := s.UpdateClaim(ctx, cl.ID, func(x crm.Claim) (crm.Claim, error) {
				x.AssigneeID, x.Status, x.AckedAt = 3, crm.ClaimAcknowledged, t0.Add(time.Hour)
				return x, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A handover moves the client's open deals and claims.
	if _, err := s.UpdateClient(ctx, clients[1].ID, crm.Actor{PersonID: 1}, t0.Add(2*time.Hour), func(c *crm.Client) error {
		c.OwnerID = 3
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// dumpAll lists every key and value the store reads, in key order.
func dumpAll(t *testing.T, s *Store) []simpleItem {
	t.Helper()
	var out []simpleItem
	err := s.eng.view(func(txn kvTxn) error {
		it := txn.iterator(iterOptions{values: true})
		defer it.close()
		for it.seek(nil); it.valid(); it.next() {
			v, err := it.item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out = append(out, simpleItem{k: bytes.Clone(it.item().Key()), v: v})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameDump compares two listings: the same keys in the same order, the
// same values (records, which PostgreSQL keeps as jsonb, as the same JSON).
func sameDump(t *testing.T, want, got []simpleItem) {
	t.Helper()
	wm := map[string][]byte{}
	for _, it := range want {
		wm[string(it.k)] = it.v
	}
	gm := map[string][]byte{}
	for i, it := range got {
		gm[string(it.k)] = it.v
		if i > 0 && bytes.Compare(got[i-1].k, it.k) >= 0 {
			t.Errorf("keys out of order: %q then %q", got[i-1].k, it.k)
		}
	}
	for k, v := range wm {
		g, ok := gm[k]
		if !ok {
			t.Errorf("missing %q", k)
			continue
		}
		if pgTableOf([]byte(k)) != nil {
			var a, b any
			if json.Unmarshal(v, &a) != nil || json.Unmarshal(g, &b) != nil || !reflect.DeepEqual(a, b) {
				t.Errorf("record %q: got %s, want %s", k, g, v)
			}
		} else if !bytes.Equal(v, g) && !strings.HasPrefix(k, "hd/") { // hd/: when a client's health went stale (the wall clock)
			t.Errorf("value of %q: got %x, want %x", k, g, v)
		}
	}
	for k := range gm {
		if _, ok := wm[k]; !ok && k != "meta/idx/email" { // written by Open
			t.Errorf("extra %q", k)
		}
	}
}

// TestPGDerivedIndexesMatchBadger runs the same writes on both engines:
// PostgreSQL, which stores no index entry, must list exactly the keys and
// values Badger stores, indexes included, in the same order.
func TestPGDerivedIndexesMatchBadger(t *testing.T) {
	url := pgtest.URL(t)
	bs := openWith(t, Options{InMemory: true})
	ps := openWith(t, Options{DatabaseURL: url})
	pgWorkload(t, bs)
	pgWorkload(t, ps)
	want := dumpAll(t, bs)
	sameDump(t, want, dumpAll(t, ps))
	pgNoIndexRows(t, url)
	pgIndexScans(t, bs, ps)
}

// pgNoIndexRows checks that no derived index entry and no record is a kv
// row, and that the records are rows of their tables.
func pgNoIndexRows(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, p := range append(pgIndexPrefixes(), pgTablePrefixes()...) {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM kv WHERE key >= $1 AND key < $2`, []byte(p), prefixEnd([]byte(p))).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d kv rows under %q", n, p)
		}
	}
	for table, want := range map[string]int{"people": 3, "clients": 24, "conversations": 36, "deals": 10, "claims": 6} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%d rows in %s, want %d", n, table, want)
		}
	}
	// Every row of a table with stored entries has them (a row without
	// would still read right, by decoding its record, only slower).
	for _, table := range []string{"tasks", "deals", "claims"} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE entries IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows of %s without their entries", n, table)
		}
	}
	var owner int64
	var city string
	if err := pool.QueryRow(ctx, `SELECT owner_id, city FROM clients WHERE name = 'Client 01'`).Scan(&owner, &city); err != nil || owner != 3 || city != "Sofia" {
		t.Errorf("clients row: owner %d, city %q, %v", owner, city, err)
	}
}

func pgIndexPrefixes() (out []string) {
	for _, x := range pgIndexes {
		out = append(out, x.prefix)
	}
	return out
}

func pgTablePrefixes() (out []string) {
	for _, tb := range pgTables {
		out = append(out, tb.prefix)
	}
	return out
}

// pgIndexScans compares the index scans the record code makes (under a
// person's or a client's prefix, forward and reverse, from a seek key in
// the middle) on both engines.
func pgIndexScans(t *testing.T, bs, ps *Store) {
	t.Helper()
	scan := func(s *Store, prefix, from []byte, reverse bool) []string {
		var out []string
		err := s.eng.view(func(txn kvTxn) error {
			it := txn.iterator(iterOptions{prefix: prefix, reverse: reverse, values: true})
			defer it.close()
			for it.seek(from); it.valid(); it.next() {
				v, err := it.item().ValueCopy(nil)
				if err != nil {
					return err
				}
				out = append(out, fmt.Sprintf("%x=%x", it.item().Key(), v))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, p := range pgIndexPrefixes() {
		for _, prefix := range [][]byte{[]byte(p), key(p, uint64(1)), key(p, uint64(3)), []byte(p + "cl")} {
			all := scan(bs, prefix, prefix, false)
			for _, reverse := range []bool{false, true} {
				froms := [][]byte{prefix}
				if reverse {
					froms = [][]byte{reverseStart(prefix)}
				}
				if len(all) > 1 {
					mid := all[len(all)/2]
					var b []byte
					fmt.Sscanf(strings.Split(mid, "=")[0], "%x", &b)
					froms = append(froms, b, b[:len(b)-3])
				}
				for _, from := range froms {
					want, got := scan(bs, prefix, from, reverse), scan(ps, prefix, from, reverse)
					if strings.Join(want, ",") != strings.Join(got, ",") {
						t.Errorf("scan %q from %x reverse %v:\n got %v\nwant %v", prefix, from, reverse, got, want)
					}
				}
			}
		}
	}
}

// TestPGMigratesKVLayout opens a database written by the key-value layout
// (schema 2: every key a kv row, as the last version wrote them) and
// checks that migrating moves the records into their tables, drops the
// index rows and reads back everything as before.
func TestPGMigratesKVLayout(t *testing.T) {
	url := pgtest.URL(t)
	bs := openWith(t, Options{InMemory: true})
	pgWorkload(t, bs)
	want := dumpAll(t, bs)

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := migratePGTo(ctx, pool, slog.New(slog.DiscardHandler), 2); err != nil {
		t.Fatal(err)
	}
	for _, it := range want {
		if _, err := pool.Exec(ctx, `INSERT INTO kv (key, value) VALUES ($1, $2)`, it.k, it.v); err != nil {
			t.Fatal(err)
		}
	}
	var viewRows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM clients`).Scan(&viewRows); err != nil || viewRows != 24 {
		t.Fatalf("the old view lists %d clients (%v)", viewRows, err)
	}
	pool.Close()

	ps := openWith(t, Options{DatabaseURL: url})
	sameDump(t, want, dumpAll(t, ps))
	pgNoIndexRows(t, url)
	got, err := ps.ClientsByOwner(ctx, []uint64{3})
	if err != nil || len(got) != 8 {
		t.Errorf("clients of 3 after migrating: %d (%v)", len(got), err)
	}
	// And it keeps working: a new conversation moves the client's owner
	// index entry (its last touch) on the migrated data.
	c := got[0]
	if err := ps.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 3, Text: "after", At: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, nil); err != nil {
		t.Fatal(err)
	}
	stale, err := ps.StaleClients(ctx, crm.StaleQuery{Owners: []uint64{3}, TouchBefore: time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if stale.Total != 7 {
		t.Errorf("%d stale clients of 3 after one was touched, want 7", stale.Total)
	}
	for _, s := range stale.Clients {
		if s.ID == c.ID {
			t.Errorf("client %d touched after the migration is still stale", c.ID)
		}
	}
}

// TestPGTxnCache checks that what a transaction keeps of its reads
// (engine_pg_cache.go) spares statements and never hides the
// transaction's own writes: a row read twice, a group read through two of
// its entries, prefetched keys, each then written, moved or deleted in the
// same transaction and read again.
func TestPGTxnCache(t *testing.T) {
	errRollBack := errors.New("roll back")
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	ctx := context.Background()
	var ids []uint64
	if err := ps.view(ctx, func(tx *Tx) error {
		return tx.scan(key("co/", uint64(2)), false, false, func(k []byte, _ Item) (bool, error) {
			ids = append(ids, tailID(k))
			return true, nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) < 3 {
		t.Fatalf("owner 2 has %d clients", len(ids))
	}
	reads := func(tx *Tx) int { return tx.kv.(*pgTxn).reads }
	err := ps.update(ctx, func(tx *Tx) error {
		// A row read twice is one statement.
		c, err := tx.client(ids[0])
		if err != nil {
			return err
		}
		n := reads(tx)
		if _, err := tx.client(ids[0]); err != nil {
			return err
		}
		if reads(tx) != n {
			t.Errorf("a second get of a client read the server again")
		}
		// A write of the row is seen by the next get.
		moved := c.Clone()
		moved.Name, moved.OwnerID = "Renamed", 3
		if err := tx.putClient(c, moved); err != nil {
			return err
		}
		if got, err := tx.client(ids[0]); err != nil || got.Name != "Renamed" {
			t.Errorf("after the write: %+v, %v", got, err)
		}
		// Two entries of one group read the group; a third is free.
		for _, id := range ids[1:3] {
			if _, err := tx.item(ownerKey(2, id)); err != nil {
				return err
			}
		}
		n = reads(tx)
		if len(ids) > 3 {
			if _, err := tx.item(ownerKey(2, ids[3])); err != nil {
				return err
			}
			if reads(tx) != n {
				t.Errorf("a get of an entry of a group read whole read the server again")
			}
		}
		// The moved client left the group in this transaction.
		if _, err := tx.item(ownerKey(2, ids[0])); !errors.Is(err, errNotFound) {
			t.Errorf("the old owner's entry of the moved client: %v", err)
		}
		// Moving another one out of the cached group is seen too.
		c1, err := tx.client(ids[1])
		if err != nil {
			return err
		}
		m1 := c1.Clone()
		m1.OwnerID = 3
		if err := tx.putClient(c1, m1); err != nil {
			return err
		}
		if _, err := tx.item(ownerKey(2, ids[1])); !errors.Is(err, errNotFound) {
			t.Errorf("a client moved after its group was read: %v", err)
		}
		if _, err := tx.item(ownerKey(3, ids[1])); err != nil {
			t.Errorf("the new owner's entry: %v", err)
		}
		var in3 []uint64
		if err := tx.scan(key("co/", uint64(3)), false, false, func(k []byte, _ Item) (bool, error) {
			in3 = append(in3, tailID(k))
			return true, nil
		}); err != nil {
			return err
		}
		if !slices.Contains(in3, ids[0]) || !slices.Contains(in3, ids[1]) {
			t.Errorf("owner 3's clients %v lack the moved %d and %d", in3, ids[0], ids[1])
		}
		// Prefetched keys, one missing, then written and deleted.
		missing := clientKey(1 << 40)
		tx.prefetch([][]byte{clientKey(ids[2]), missing, []byte("cache-test/a")})
		n = reads(tx)
		if _, err := tx.item(missing); !errors.Is(err, errNotFound) {
			t.Errorf("a prefetched missing key: %v", err)
		}
		if _, err := tx.item([]byte("cache-test/a")); !errors.Is(err, errNotFound) {
			t.Errorf("a prefetched missing kv key: %v", err)
		}
		if _, err := tx.client(ids[2]); err != nil {
			return err
		}
		if reads(tx) != n {
			t.Errorf("gets of prefetched keys read the server again")
		}
		if err := tx.set([]byte("cache-test/a"), []byte("1")); err != nil {
			return err
		}
		if it, err := tx.item([]byte("cache-test/a")); err != nil {
			t.Errorf("a kv key written after it was read missing: %v", err)
		} else if v, _ := it.ValueCopy(nil); string(v) != "1" {
			t.Errorf("kv value %q", v)
		}
		if err := tx.del(clientKey(ids[2])); err != nil {
			return err
		}
		if _, err := tx.item(clientKey(ids[2])); !errors.Is(err, errNotFound) {
			t.Errorf("a deleted client: %v", err)
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
	// Nothing of the rolled back transaction stays, in the store or in a
	// cache: a new transaction reads the committed rows.
	c, err := ps.Client(ctx, ids[0])
	if err != nil || c.OwnerID != 2 || c.Name == "Renamed" {
		t.Errorf("after the rollback: %+v, %v", c, err)
	}
}

// TestPGTeamKeptByVersion checks the team that a store on a shared
// database keeps in memory: a person changed by another replica, or by
// plain SQL, is seen by the next People and PersonByIdentity, and an
// unchanged team is not read again.
func TestPGTeamKeptByVersion(t *testing.T) {
	url := pgtest.URL(t)
	a := openWith(t, Options{DatabaseURL: url})
	b := openWith(t, Options{DatabaseURL: url})
	ctx := context.Background()
	p := &crm.Person{Name: "Anna", Role: crm.RoleManager, Identities: []string{"console:anna"}, CreatedAt: time.Now()}
	if err := a.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	name := func(s *Store) string {
		t.Helper()
		team, err := s.People(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range team {
			if q.ID == p.ID {
				return q.Name
			}
		}
		return ""
	}
	byIdentity := func(s *Store) string {
		t.Helper()
		q, err := s.PersonByIdentity(ctx, "console:anna")
		if err != nil {
			t.Fatal(err)
		}
		return q.Name
	}
	if got := name(b); got != "Anna" {
		t.Fatalf("b's team: %q", got)
	}
	first, _ := b.People(ctx)
	again, _ := b.People(ctx)
	if first[0] != again[0] {
		t.Errorf("an unchanged team was read again")
	}
	if _, err := a.UpdatePerson(ctx, p.ID, func(q *crm.Person) error { q.Name = "Anna B"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := name(b); got != "Anna B" {
		t.Errorf("b's team after a's change: %q", got)
	}
	if got := byIdentity(b); got != "Anna B" {
		t.Errorf("b's PersonByIdentity after a's change: %q", got)
	}
	// A change outside the bot (an operator's psql) bumps the version too.
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `UPDATE people SET data = jsonb_set(data, '{name}', '"Anna C"') WHERE id = $1`, int64(p.ID)); err != nil {
		t.Fatal(err)
	}
	if got := name(a); got != "Anna C" {
		t.Errorf("a's team after an SQL update: %q", got)
	}
	if got := byIdentity(a); got != "Anna C" {
		t.Errorf("a's PersonByIdentity after an SQL update: %q", got)
	}
	// What PersonByIdentity returns is the caller's own copy.
	q, err := b.PersonByIdentity(ctx, "console:anna")
	if err != nil {
		t.Fatal(err)
	}
	q.Name, q.Identities[0] = "changed", "changed"
	if got := byIdentity(b); got != "Anna C" {
		t.Errorf("a change to a returned person reached the kept team: %q", got)
	}
}

// TestPGReadAhead checks the reads asked for at once: a prefix read whole
// answers its walks and gets from memory until the transaction writes
// under it, and ranges read ahead (scanRanges) give what one walk over
// each range gives, in one round trip.
func TestPGReadAhead(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	ctx := context.Background()
	reads := func(tx *Tx) int { return tx.kv.(*pgTxn).reads }
	walk := func(tx *Tx, p []byte) (ks []string) {
		t.Helper()
		if err := tx.scan(p, false, false, func(k []byte, _ Item) (bool, error) {
			ks = append(ks, string(k))
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		return ks
	}
	if err := ps.update(ctx, func(tx *Tx) error {
		if err := tx.set([]byte("ra/a"), []byte("1")); err != nil {
			return err
		}
		return tx.set([]byte("ra/b"), []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	errRollBack := errors.New("roll back")
	err := ps.update(ctx, func(tx *Tx) error {
		tx.readAhead(nil, [][]byte{[]byte("ra/")})
		n := reads(tx)
		if got := walk(tx, []byte("ra/")); !slices.Equal(got, []string{"ra/a", "ra/b"}) {
			t.Errorf("walk of a prefix read whole: %q", got)
		}
		if got := walk(tx, []byte("ra/b")); !slices.Equal(got, []string{"ra/b"}) {
			t.Errorf("walk under a prefix read whole: %q", got)
		}
		if _, err := tx.item([]byte("ra/c")); !errors.Is(err, errNotFound) {
			t.Errorf("a key missing under a prefix read whole: %v", err)
		}
		if reads(tx) != n {
			t.Errorf("walks and gets under a prefix read whole read the server %d times", reads(tx)-n)
		}
		if err := tx.set([]byte("ra/c"), []byte("3")); err != nil {
			return err
		}
		if got := walk(tx, []byte("ra/")); !slices.Equal(got, []string{"ra/a", "ra/b", "ra/c"}) {
			t.Errorf("walk after a write under the prefix: %q", got)
		}
		if _, err := tx.item([]byte("ra/c")); err != nil {
			t.Errorf("a key written under a prefix read whole: %v", err)
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
	// Ranges of owner index groups and of kv, read ahead, against one walk
	// of each range.
	owners := []uint64{1, 2, 3, 99}
	for _, prefix := range []string{"co/", "clw/", "ra/"} {
		var ranges []keyRange
		for _, o := range owners {
			ranges = append(ranges, ownerRange(prefix, o))
		}
		ranges = append(ranges, keyRange{lo: []byte("ra/a"), hi: []byte("ra/b\x00")})
		for _, reverse := range []bool{false, true} {
			var want []string
			if err := ps.view(ctx, func(tx *Tx) error {
				want = want[:0]
				for _, r := range ranges {
					var ks []string
					for _, k := range walk(tx, []byte(prefix)) {
						if k >= string(r.lo) && k < string(r.hi) {
							ks = append(ks, k)
						}
					}
					if reverse {
						slices.Reverse(ks)
					}
					want = append(want, ks...)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			// A view of its own, so that nothing of the prefix is in its
			// cache: the ranges are read ahead.
			if err := ps.view(ctx, func(tx *Tx) error {
				var got []string
				n := reads(tx)
				if err := tx.scanRanges([]byte(prefix), reverse, true, ranges, func(_ int, k []byte, _ Item) (bool, error) {
					got = append(got, string(k))
					return true, nil
				}); err != nil {
					return err
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s reverse %v: scanRanges %q, walks %q", prefix, reverse, got, want)
				}
				if reads(tx)-n > 1 {
					t.Errorf("%s reverse %v: ranges read in %d round trips", prefix, reverse, reads(tx)-n)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestPGReadFirst checks that the first entries of groups read ahead
// (readFirst) and entries read ahead by their records' keys answer walks
// and gets as the server would: a walk that takes only them reads nothing
// more, one that goes past them reads the rest once, a seek past them
// and a write in the transaction are answered right.
func TestPGReadFirst(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	ctx := context.Background()
	reads := func(tx *Tx) int { return tx.kv.(*pgTxn).reads }
	walk := func(tx *Tx, p, from []byte, max int) (ks []string) {
		t.Helper()
		if err := tx.scanFromKey(p, from, func(k []byte, _ Item) (bool, error) {
			ks = append(ks, string(k))
			return len(ks) < max, nil
		}); err != nil {
			t.Fatal(err)
		}
		return ks
	}
	var all []string
	if err := ps.view(ctx, func(tx *Tx) error {
		all = walk(tx, key("con/", uint64(3)), key("con/", uint64(3)), 1000)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 8 {
		t.Fatalf("owner 3 has %d names, want 8", len(all))
	}
	prefixes := [][]byte{key("con/", uint64(3)), key("con/", uint64(99))}
	for n := 1; n <= 9; n++ {
		// Of two groups the page is read: the first n-1 of both together.
		page := min(max(n-1, 1), len(all))
		if err := ps.view(ctx, func(tx *Tx) error {
			tx.readFirst(nil, prefixes, n)
			r0 := reads(tx)
			if got := walk(tx, prefixes[0], prefixes[0], page); !slices.Equal(got, all[:page]) {
				t.Errorf("n=%d: first names %q, want %q", n, got, all[:page])
			}
			if got := walk(tx, prefixes[1], prefixes[1], 10); len(got) != 0 {
				t.Errorf("n=%d: names of an owner with none: %q", n, got)
			}
			if reads(tx) != r0 {
				t.Errorf("n=%d: walking the names read ahead read the server %d times", n, reads(tx)-r0)
			}
			if got := walk(tx, prefixes[0], prefixes[0], 1000); !slices.Equal(got, all) {
				t.Errorf("n=%d: a walk past the first names: %q, want %q", n, got, all)
			}
			if got := walk(tx, prefixes[0], []byte(all[5]), 1000); !slices.Equal(got, all[5:]) {
				t.Errorf("n=%d: a walk from the sixth name: %q, want %q", n, got, all[5:])
			}
			if reads(tx)-r0 > 1 {
				t.Errorf("n=%d: the rest of the group read in %d round trips", n, reads(tx)-r0)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Briefs read ahead by key, against gets in a transaction of their
	// own; a key whose record makes no such entry is not found.
	var ids []uint64
	for _, k := range all {
		ids = append(ids, tailID([]byte(k)))
	}
	brief := func(tx *Tx, owner, id uint64) string {
		it, err := tx.item(ownerKey(owner, id))
		if errors.Is(err, errNotFound) {
			return "none"
		}
		if err != nil {
			t.Fatal(err)
		}
		v, _ := it.ValueCopy(nil)
		return fmt.Sprintf("%x", v)
	}
	want := map[uint64]string{}
	if err := ps.view(ctx, func(tx *Tx) error {
		for _, id := range ids {
			want[id] = brief(tx, 3, id)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The first names come with the briefs of at least all but the last
	// (a page of n-1 and the name that shows where it ends; one owner's
	// walk brings all n), and the counters asked for with them; the last
	// one's brief is right either way.
	if err := ps.view(ctx, func(tx *Tx) error {
		tx.readFirst([][]byte{ownerCountKey(3)}, [][]byte{key("con/", uint64(3))}, 3)
		r0 := reads(tx)
		for _, id := range ids[:2] {
			if got := brief(tx, 3, id); got != want[id] {
				t.Errorf("brief of %d read with its name: %s, want %s", id, got, want[id])
			}
		}
		if _, err := tx.counter(ownerCountKey(3)); err != nil {
			return err
		}
		if reads(tx) != r0 {
			t.Errorf("briefs and the counter read with the first names read the server %d times", reads(tx)-r0)
		}
		if got := brief(tx, 3, ids[2]); got != want[ids[2]] {
			t.Errorf("brief of %d read after the first names: %s, want %s", ids[2], got, want[ids[2]])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	errRollBack := errors.New("roll back")
	err := ps.update(ctx, func(tx *Tx) error {
		keys := [][]byte{ownerKey(99, ids[0])}
		for _, id := range ids {
			keys = append(keys, ownerKey(3, id))
		}
		tx.readAhead(keys, nil)
		r0 := reads(tx)
		for _, id := range ids {
			if got := brief(tx, 3, id); got != want[id] {
				t.Errorf("brief of %d read ahead: %s, want %s", id, got, want[id])
			}
		}
		if reads(tx) != r0 {
			t.Errorf("briefs read ahead read the server %d times", reads(tx)-r0)
		}
		if got := brief(tx, 99, ids[0]); got != "none" {
			t.Errorf("an entry the record does not make: %s", got)
		}
		// A write of the client moves its brief.
		old, err := tx.client(ids[1])
		if err != nil {
			return err
		}
		c := *old
		c.City = "Varna-" + c.City
		if err := tx.putClient(old, &c); err != nil {
			return err
		}
		if got := brief(tx, 3, ids[1]); got == want[ids[1]] {
			t.Errorf("brief after the client's city changed is still %s", got)
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
}

// TestPGReadAheadGroups checks that several groups of one index read
// ahead at once (one statement) answer the walks of each, an empty group
// too, without another read, and as walks of their own would.
func TestPGReadAheadGroups(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	ctx := context.Background()
	walk := func(tx *Tx, p []byte) (ks []string) {
		t.Helper()
		if err := tx.scan(p, false, true, func(k []byte, item Item) (bool, error) {
			v, _ := item.ValueCopy(nil)
			ks = append(ks, fmt.Sprintf("%x=%x", k, v))
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		return ks
	}
	var prefixes [][]byte
	for _, id := range []uint64{1, 2, 3, 4, 5, 6, 999} {
		prefixes = append(prefixes, key(pDealCli, id), key("clc/", id))
	}
	want := map[string][]string{}
	n := 0
	if err := ps.view(ctx, func(tx *Tx) error {
		for _, p := range prefixes {
			want[string(p)] = walk(tx, p)
			n += len(want[string(p)])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the workload's first clients have no deals or claims")
	}
	if err := ps.view(ctx, func(tx *Tx) error {
		tx.readAhead(nil, prefixes)
		r0 := tx.kv.(*pgTxn).reads
		for _, p := range prefixes {
			if got := walk(tx, p); !slices.Equal(got, want[string(p)]) {
				t.Errorf("%x read ahead: %q, want %q", p, got, want[string(p)])
			}
		}
		if r := tx.kv.(*pgTxn).reads - r0; r != 0 {
			t.Errorf("walks of groups read ahead read the server %d times", r)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPGSummaryIndexKeepsNoRecords checks that a walk of an index read
// for its summaries (closed deals) leaves the records to their own gets:
// a get of each deal after the walk returns the whole record.
func TestPGSummaryIndexKeepsNoRecords(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	ctx := context.Background()
	records := func(walkFirst bool) map[uint64]string {
		out := map[uint64]string{}
		if err := ps.view(ctx, func(tx *Tx) error {
			var ids []uint64
			for _, o := range []uint64{1, 2, 3} {
				if err := tx.scan(key(pDealShut, o), false, true, func(k []byte, _ Item) (bool, error) {
					ids = append(ids, tailID(k))
					return true, nil
				}); err != nil {
					return err
				}
			}
			if !walkFirst {
				// A transaction of its own, that walked nothing.
				return nil
			}
			for _, id := range ids {
				it, err := tx.item(key(pDeal, id))
				if err != nil {
					return err
				}
				v, _ := it.ValueCopy(nil)
				out[id] = string(v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := records(true)
	if len(got) == 0 {
		t.Fatal("the workload has no closed deals")
	}
	for id, v := range got {
		var want string
		if err := ps.view(ctx, func(tx *Tx) error {
			it, err := tx.item(key(pDeal, id))
			if err != nil {
				return err
			}
			b, _ := it.ValueCopy(nil)
			want = string(b)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if v != want || len(v) < 10 {
			t.Errorf("deal %d after a walk of the closed deals: %q, want %q", id, v, want)
		}
	}
}

// TestPGHealthRoundTrips checks what a health recomputation costs where
// every read is a round trip: the reads of one client's recomputation in
// a request (its version first, then the weights, the client, its records
// and its summary) are one round trip that leaves out its conversations,
// and SaveHealth of it one for its reads and one for the commit.
func TestPGHealthRoundTrips(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	found, err := ps.FindClients(ctx, "Client 01", 1)
	if err != nil || len(found) != 1 {
		t.Fatalf("FindClients: %v, %v", found, err)
	}
	id := found[0].ID
	rctx, end := crm.WithRequestScope(ctx)
	n0 := e.trips.Load()
	steps := []func() error{
		func() error { _, err := ps.HealthVersion(rctx, id); return err },
		func() error { _, err := ps.HealthWeights(rctx); return err },
		func() error { _, err := ps.Client(rctx, id); return err },
		func() error { _, err := ps.ContactPlan(rctx, id); return err },
		func() error { _, err := ps.ClientClaims(rctx, id); return err },
		func() error { _, err := ps.ClientPromises(rctx, id); return err },
		func() error { _, err := ps.DealFactsOf(rctx, id); return err },
		func() error { _, err := ps.Payments(rctx, id); return err },
		func() error { _, err := ps.Satisfactions(rctx, id); return err },
		func() error { _, err := ps.HealthSummary(rctx, id); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if n := e.trips.Load() - n0; n != 1 {
		t.Errorf("a recomputation's reads took %d round trips, want 1", n)
	}
	// The score uses none of the client's conversations (most of its
	// rows, and a recomputation follows every /log): they were not read.
	n0 = e.trips.Load()
	if convs, err := ps.Conversations(rctx, id, 0); err != nil || len(convs) == 0 {
		t.Fatalf("Conversations: %d, %v", len(convs), err)
	}
	if n := e.trips.Load() - n0; n != 1 {
		t.Errorf("the conversations after a recomputation's reads took %d round trips, want 1 (not read with them)", n)
	}
	end()
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	n0 = e.trips.Load()
	if _, err := ps.SaveHealth(ctx, crm.HealthUpdate{ClientID: id, Health: crm.Health{Score: 80, Band: crm.BandHealthy}, Day: "2026-03-03", At: at}); err != nil {
		t.Fatal(err)
	}
	if n := e.trips.Load() - n0; n != 2 {
		t.Errorf("SaveHealth of one client took %d round trips, want 2 (its reads, the commit)", n)
	}
	if sum, err := ps.HealthSummary(ctx, id); err != nil || sum == nil || sum.Health.Score != 80 {
		t.Errorf("saved summary: %+v, %v", sum, err)
	}
}

// TestPGGuessedSender checks the guess a request may start from
// (engine_pg_guess.go) on two stores over one database, as two replicas:
// a request whose sender was seen before pays no round trip for its
// sender, the team and the delegations; one that reads nothing else
// confirms the guess with one of its own; and one whose sender the other
// replica dismissed meanwhile gets nothing read after the guess, is marked
// stale, and can neither settle nor write, while the next request reads
// the sender afresh.
func TestPGGuessedSender(t *testing.T) {
	u := pgtest.URL(t)
	a := openWith(t, Options{DatabaseURL: u})
	pgWorkload(t, a)
	b := openWith(t, Options{DatabaseURL: u})
	e := a.eng.(*pgEngine)
	ctx := context.Background()
	const ident = "console:u1" // Boris Rep, a manager
	request := func(name string, fn func(ctx context.Context, sc *crm.RequestScope)) {
		t.Helper()
		rctx, end := crm.WithRequestScope(ctx)
		defer end()
		fn(rctx, crm.RequestScopeOf(rctx))
	}
	sender := func(rctx context.Context) *crm.Person {
		t.Helper()
		p, err := a.PersonByIdentity(rctx, ident)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.People(rctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Delegations(rctx); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var who *crm.Person
	request("first", func(rctx context.Context, sc *crm.RequestScope) {
		who = sender(rctx)
		if err := crm.Settle(rctx); err != nil {
			t.Fatal(err)
		}
	})
	request("guessed", func(rctx context.Context, sc *crm.RequestScope) {
		n0 := e.trips.Load()
		if p := sender(rctx); p.ID != who.ID || !p.Active() {
			t.Fatalf("guessed sender %+v, want %+v", p, who)
		}
		if n := e.trips.Load() - n0; n != 0 {
			t.Errorf("a sender seen before took %d round trips, want 0 (guessed)", n)
		}
		if cs, err := a.FindClients(rctx, "Client", 5); err != nil || len(cs) == 0 {
			t.Fatalf("FindClients after a right guess: %d, %v", len(cs), err)
		}
		if err := crm.Settle(rctx); err != nil {
			t.Errorf("a right guess does not settle: %v", err)
		}
		if n := e.trips.Load() - n0; n != 1 {
			t.Errorf("the sender and a read took %d round trips, want 1", n)
		}
		if sc.Stale() {
			t.Error("a right guess made the request stale")
		}
	})
	request("nothing else read", func(rctx context.Context, sc *crm.RequestScope) {
		sender(rctx)
		n0 := e.trips.Load()
		if err := crm.Settle(rctx); err != nil {
			t.Errorf("a right guess does not settle: %v", err)
		}
		if n := e.trips.Load() - n0; n != 1 {
			t.Errorf("settling a guess took %d round trips, want 1", n)
		}
	})
	if _, err := b.UpdatePerson(ctx, who.ID, func(p *crm.Person) error { p.Dismissed = true; return nil }); err != nil {
		t.Fatal(err)
	}
	request("wrong guess", func(rctx context.Context, sc *crm.RequestScope) {
		if p := sender(rctx); !p.Active() {
			t.Fatal("the guess is the sender as last seen (active), not read")
		}
		if cs, err := a.FindClients(rctx, "Client", 5); err == nil {
			t.Errorf("a read after a wrong guess answered %d clients", len(cs))
		}
		if !sc.Stale() {
			t.Error("a wrong guess did not make the request stale")
		}
		if err := crm.Settle(rctx); err == nil {
			t.Error("a wrong guess settled")
		}
		c := &crm.Client{Name: "Written on a wrong guess", OwnerID: who.ID, CreatedAt: time.Now()}
		if err := a.CreateClient(rctx, c, crm.Actor{PersonID: who.ID}); err == nil {
			t.Error("a write on a wrong guess went through")
		}
	})
	if cs, err := a.FindClients(ctx, "Written on", 0); err != nil || len(cs) != 0 {
		t.Errorf("written on a wrong guess: %d clients, %v", len(cs), err)
	}
	request("after", func(rctx context.Context, sc *crm.RequestScope) {
		if p := sender(rctx); p.Active() {
			t.Error("the request after a wrong guess still sees the sender active")
		}
		if err := crm.Settle(rctx); err != nil || sc.Stale() {
			t.Errorf("the request after a wrong guess: settle %v, stale %v", err, sc.Stale())
		}
	})
}

// TestPGAgendaReadAhead checks ReadAgendaAhead on the agenda of two
// owners with tasks, deals closing, claims, contact plans, promises,
// meetings and renewals: the families' reads answer as they do without it,
// and after it they and the names of the clients they concern cost no
// round trip (all of it three, the read-ahead's).
func TestPGAgendaReadAhead(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cs, err := ps.FindClients(ctx, "Client", 0)
	if err != nil || len(cs) < 6 {
		t.Fatalf("FindClients: %d, %v", len(cs), err)
	}
	for i, c := range cs[:6] {
		if err := ps.CreatePromise(ctx, &crm.Promise{ClientID: c.ID, OwnerID: c.OwnerID, Text: "send the offer", Due: t0.AddDate(0, 0, i), CreatedBy: c.OwnerID, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := ps.CreateMeeting(ctx, &crm.Meeting{ClientID: c.ID, PersonID: c.OwnerID, At: t0.Add(time.Duration(i) * time.Hour), CreatedBy: c.OwnerID, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := ps.CreateRenewal(ctx, &crm.Renewal{ClientID: c.ID, OwnerID: c.OwnerID, Date: t0.AddDate(0, 1, i), Currency: "EUR", CreatedBy: c.OwnerID, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.SetContactPlan(ctx, &crm.ContactPlan{ClientID: c.ID, Every: crm.Cadence{Days: 14}, SetAt: t0}, crm.Actor{PersonID: c.OwnerID}); err != nil {
			t.Fatal(err)
		}
	}
	owners := []uint64{2, 3}
	from, until := t0, t0.AddDate(0, 5, 0)
	agenda := func(rctx context.Context) string {
		t.Helper()
		var out []string
		var ids []uint64
		tasks, err := ps.OpenTasks(rctx, owners, until)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range tasks {
			out, ids = append(out, fmt.Sprint("task ", x.ID)), append(ids, x.ClientID)
		}
		if err := ps.OpenDealsClosing(rctx, crm.ClosingQuery{Owners: owners, To: until}, func(d *crm.Deal) bool {
			out, ids = append(out, fmt.Sprint("deal ", d.ID)), append(ids, d.ClientID)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		claims, err := ps.ClaimsOf(rctx, owners, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range claims {
			out, ids = append(out, fmt.Sprint("claim ", x.ID)), append(ids, x.ClientID)
		}
		if err := ps.PlannedClients(rctx, owners, func(p *crm.ContactPlan, c *crm.Client) bool {
			out = append(out, fmt.Sprint("plan ", c.Name))
			return true
		}); err != nil {
			t.Fatal(err)
		}
		proms, err := ps.OpenPromises(rctx, owners, until)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range proms {
			out, ids = append(out, fmt.Sprint("promise ", x.ID)), append(ids, x.ClientID)
		}
		ms, err := ps.MeetingsOf(rctx, owners, from, until)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ms {
			out, ids = append(out, fmt.Sprint("meeting ", x.ID)), append(ids, x.ClientID)
		}
		rs, err := ps.OpenRenewals(rctx, owners, until.AddDate(0, 2, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range rs {
			out, ids = append(out, fmt.Sprint("renewal ", x.ID)), append(ids, x.ClientID)
		}
		names, err := ps.ClientNames(rctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			out = append(out, names[id])
		}
		return strings.Join(out, "\n")
	}
	rctx, end := crm.WithRequestScope(ctx)
	t.Cleanup(end)
	want := agenda(rctx)
	end()
	for _, kind := range []string{"task", "deal", "claim", "plan", "promise", "meeting", "renewal"} {
		if !strings.Contains(want, kind+" ") {
			t.Fatalf("the agenda has no %s: it tests nothing of them\n%s", kind, want)
		}
	}
	rctx, end = crm.WithRequestScope(ctx)
	t.Cleanup(end)
	n0 := e.trips.Load()
	if err := ps.ReadAgendaAhead(rctx, owners, from, until); err != nil {
		t.Fatal(err)
	}
	ahead := e.trips.Load() - n0
	n0 = e.trips.Load()
	got := agenda(rctx)
	if got != want {
		t.Errorf("the agenda read ahead:\n%s\nwithout:\n%s", got, want)
	}
	// The renewals' records are the one read left to them (the
	// read-ahead does not know their horizon).
	if n := e.trips.Load() - n0; n > 1 || ahead > 3 {
		t.Errorf("the agenda took %d round trips to read ahead and %d after, want at most 3 and 1", ahead, n)
	}
}

// TestPGDerivedUpdateCommitsAsync checks that a transaction of derived
// data (updateDerived: SaveHealth) commits with synchronous_commit off and
// every other with the connection's setting (on), and that a delivery's
// write is always durable.
func TestPGDerivedUpdateCommitsAsync(t *testing.T) {
	// The tests' server commits asynchronously; these connections do not.
	u := pgtest.URL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	ps := openWith(t, Options{DatabaseURL: u + sep + "synchronous_commit=on"})
	ctx := context.Background()
	setting := func(run func(context.Context, func(*Tx) error) error, ctx context.Context) string {
		t.Helper()
		var got string
		if err := run(ctx, func(tx *Tx) error {
			return tx.kv.(*pgTxn).query(`SHOW synchronous_commit`, nil, func(rows pgx.Rows) error {
				for rows.Next() {
					if err := rows.Scan(&got); err != nil {
						return err
					}
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := setting(ps.updateDerived, ctx); got != "off" {
		t.Errorf("a derived update commits with synchronous_commit %q, want off", got)
	}
	if got := setting(ps.update, ctx); got != "on" {
		t.Errorf("an update commits with synchronous_commit %q", got)
	}
	dctx := crm.WithDeliveryKey(ctx, "telegram:derived-test")
	if got := setting(ps.updateDerived, dctx); got != "on" {
		t.Errorf("a delivery's derived update commits with synchronous_commit %q", got)
	}
}

// TestPGPeersReadWithTheCard checks that the won deals of a client's
// segment made by its owner's clients (the peers /next and the card count)
// are read with the client's records: after the card's read-ahead, the
// owner's PeerPurchases asks nothing more, and answers as without it.
func TestPGPeersReadWithTheCard(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var cs []*crm.Client
	for _, name := range []string{"Peer Alpha", "Peer Beta", "Peer Gamma"} {
		c := &crm.Client{Name: name, OwnerID: 2, Segment: "Logistics", CreatedAt: t0, ReviewedAt: t0}
		if err := ps.CreateClient(ctx, c, crm.Actor{PersonID: 2}); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	for i, c := range cs[1:] {
		d := &crm.Deal{ClientID: c.ID, OwnerID: 2, Title: fmt.Sprint("Pallet racks ", i), Amount: decimal.NewFromInt(500), Currency: "EUR", Stage: crm.StageLead, CreatedAt: t0}
		if err := ps.CreateDeal(ctx, d, crm.Actor{PersonID: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.UpdateDeal(ctx, d.ID, crm.Actor{PersonID: 2}, t0.Add(time.Hour), func(x *crm.Deal) error {
			x.Stage, x.ClosedAt = crm.StageWon, t0.Add(time.Hour)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	q := crm.PeerQuery{Segment: "Logistics", Owners: []uint64{2}, Except: cs[0].ID, Since: t0.AddDate(-2, 0, 0)}
	want, err := ps.PeerPurchases(ctx, q)
	if err != nil || want.Peers != 2 {
		t.Fatalf("PeerPurchases: %+v, %v (want two peers)", want, err)
	}
	rctx, end := crm.WithRequestScope(ctx)
	defer end()
	if _, err := ps.FindClients(rctx, "Peer Alpha", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.ContactPlan(rctx, cs[0].ID); err != nil { // the card's first read of its records
		t.Fatal(err)
	}
	if _, err := ps.ClientClaims(rctx, cs[0].ID); err != nil { // the second: the rest is read ahead
		t.Fatal(err)
	}
	n0 := e.trips.Load()
	got, err := ps.PeerPurchases(rctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("peers read ahead %+v, want %+v", got, want)
	}
	if n := e.trips.Load() - n0; n != 0 {
		t.Errorf("the owner's peers after the card's read-ahead took %d round trips, want 0", n)
	}
}

// TestPGPipelineReadAhead checks ReadPipelineAhead: the open totals, the
// closed totals of a period (whole months and days on both sides) and the
// largest open deals answer as without it, and after it cost no round
// trip (all three one, the read-ahead's).
func TestPGPipelineReadAhead(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	owners := []uint64{1, 2} // owner 1 won deals on March 2
	q := crm.ClosedQuery{Owners: owners, From: time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)}
	if spans := closedSpans(q.From, q.To); len(spans) != 3 {
		t.Fatalf("the period's spans %+v, want days, months, days", spans)
	}
	pipeline := func(rctx context.Context) string {
		t.Helper()
		open, err := ps.OpenTotals(rctx, owners)
		if err != nil {
			t.Fatal(err)
		}
		closed, err := ps.ClosedTotals(rctx, q)
		if err != nil {
			t.Fatal(err)
		}
		top, err := ps.LargestOpenDeals(rctx, owners, "", 5)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, d := range top {
			ids = append(ids, d.ID)
		}
		if len(open) == 0 || len(closed) == 0 || len(top) == 0 {
			t.Fatalf("open %d, closed %d, largest %d: the workload tests nothing", len(open), len(closed), len(top))
		}
		return fmt.Sprint(open, closed, ids)
	}
	// A scope holds a connection until it ends: ended before the store
	// closes, also when the test stops early.
	rctx, end := crm.WithRequestScope(ctx)
	t.Cleanup(end)
	want := pipeline(rctx)
	end()
	rctx, end = crm.WithRequestScope(ctx)
	t.Cleanup(end)
	n0 := e.trips.Load()
	if err := ps.ReadPipelineAhead(rctx, q); err != nil {
		t.Fatal(err)
	}
	if n := e.trips.Load() - n0; n != 1 {
		t.Errorf("the read-ahead took %d round trips, want 1", n)
	}
	n0 = e.trips.Load()
	if got := pipeline(rctx); got != want {
		t.Errorf("read ahead:\n%s\nwithout:\n%s", got, want)
	}
	if n := e.trips.Load() - n0; n != 0 {
		t.Errorf("the pipeline after the read-ahead took %d round trips, want 0", n)
	}
}

// TestPGPlansOnce checks that the engine's connections keep the generic
// plan of a prepared statement (PostgreSQL would otherwise plan a key
// range read afresh at every run), unless the URL names the setting.
func TestPGPlansOnce(t *testing.T) {
	u := pgtest.URL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	for _, tc := range []struct{ url, want string }{
		{u, "force_generic_plan"},
		{u + sep + "plan_cache_mode=auto", "auto"},
	} {
		ps := openWith(t, Options{DatabaseURL: tc.url})
		var got string
		if err := ps.view(context.Background(), func(tx *Tx) error {
			return tx.kv.(*pgTxn).query(`SHOW plan_cache_mode`, nil, func(rows pgx.Rows) error {
				for rows.Next() {
					if err := rows.Scan(&got); err != nil {
						return err
					}
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: plan_cache_mode %q, want %q", tc.url, got, tc.want)
		}
	}
}

// TestPGStaleCountsAtOnce checks that the stale counts of many owners (a
// head's "/clients stale", the digest's figures) are read at once: the
// owners' counts and thresholds in one round trip, the corrections at
// moved thresholds in one for every sixteen owners' ranges of each index,
// not a few round trips per owner; and that they count as the clients
// say, before and after the thresholds move.
func TestPGStaleCountsAtOnce(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const owners = 40
	ids := pgReps(t, ps, owners, t0)
	var clients []*crm.Client
	for i, o := range ids {
		for j := range 3 {
			c := &crm.Client{Name: fmt.Sprintf("Stale %02d-%d", i, j), OwnerID: o, Status: "active", CreatedAt: t0,
				ReviewedAt: t0.AddDate(0, 0, -10*(i%7)), LastTouch: t0.AddDate(0, 0, -3*(i+j))}
			if err := ps.CreateClient(ctx, c, crm.Actor{PersonID: o}); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
	}
	want := func(tb, rb time.Time) (map[uint64]int, int) {
		by, total := map[uint64]int{}, 0
		for _, c := range clients {
			last := c.LastTouch
			if last.IsZero() {
				last = c.ReviewedAt
			}
			if last.Before(tb) || c.ReviewedAt.Before(rb) {
				by[c.OwnerID]++
				total++
			}
		}
		return by, total
	}
	check := func(tb, rb time.Time, maxTrips int64) {
		t.Helper()
		n0 := e.trips.Load()
		got, err := ps.StaleClients(ctx, crm.StaleQuery{Owners: ids, TouchBefore: tb, ReviewBefore: rb, CountOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if n := e.trips.Load() - n0; n > maxTrips {
			t.Errorf("the stale counts of %d owners at %v took %d round trips, want at most %d", owners, tb, n, maxTrips)
		}
		by, total := want(tb, rb)
		if got.Total != total {
			t.Errorf("at %v/%v: %d stale, want %d", tb, rb, got.Total, total)
		}
		for _, o := range ids {
			if got.ByOwner[o] != by[o] {
				t.Errorf("at %v/%v: owner %d has %d stale, want %d", tb, rb, o, got.ByOwner[o], by[o])
			}
		}
	}
	tb, rb := t0.AddDate(0, 0, -30), t0.AddDate(0, 0, -40)
	// Each read is outside a request, so it reads the indexes' marker
	// first (one round trip). The first read makes the counts from every
	// owner's entries, and writes them in a transaction of its own.
	check(tb, rb, 30)
	check(tb, rb, 1+1) // the counts and thresholds of every owner at once
	// Moved thresholds: each owner's count is corrected by the entries
	// between the two, each index's ranges sixteen owners at a time.
	check(tb.AddDate(0, 0, 10), rb.AddDate(0, 0, 20), 1+1+2*3)
}

// TestPGLastIn checks that the last entries of several kv ranges, read in
// one round trip, are those a reverse walk of each range finds: an empty
// range has none, an expired key is not one.
func TestPGLastIn(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	ctx := context.Background()
	if err := ps.update(ctx, func(tx *Tx) error {
		for _, k := range []string{"lt/a1", "lt/a2", "lt/b1", "lt/c1"} {
			if err := tx.set([]byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return tx.setTTL([]byte("lt/c2"), []byte("gone"), time.Millisecond)
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	ranges := []keyRange{
		{lo: []byte("lt/a"), hi: []byte("lt/b")},
		{lo: []byte("lt/b"), hi: []byte("lt/b1")}, // empty: its end is exclusive
		{lo: []byte("lt/c"), hi: []byte("lt/d")},
		{lo: []byte("lt/x"), hi: []byte("lt/y")},
	}
	want := []string{"lt/a2=vlt/a2", "", "lt/c1=vlt/c1", ""}
	if err := ps.view(ctx, func(tx *Tx) error {
		got := make([]string, len(ranges))
		n := tx.kv.(*pgTxn).reads
		if err := tx.lastIn([]byte("lt/"), ranges, func(i int, k []byte, item Item) error {
			return item.Value(func(v []byte) error {
				got[i] = string(k) + "=" + string(v)
				return nil
			})
		}); err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			t.Errorf("lastIn: %q, want %q", got, want)
		}
		if d := tx.kv.(*pgTxn).reads - n; d != 1 {
			t.Errorf("lastIn took %d round trips", d)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPGOwnersReadAtOnce checks that the reads a digest of many people
// makes cost round trips by sixteen owners, not one or more per owner:
// before, each of them took at least one round trip per owner.
func TestPGOwnersReadAtOnce(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const owners = 40
	ids := pgReps(t, ps, owners, t0)
	for i, o := range ids {
		c := &crm.Client{Name: fmt.Sprint("Owned ", i), OwnerID: o, Status: "active", CreatedAt: t0, ReviewedAt: t0}
		if err := ps.CreateClient(ctx, c, crm.Actor{PersonID: o}); err != nil {
			t.Fatal(err)
		}
		if err := ps.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: o, Channels: []string{"call"}, Text: "talked", At: t0.Add(time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.SetContactPlan(ctx, &crm.ContactPlan{ClientID: c.ID, Every: crm.Cadence{Days: 7}, SetBy: o, SetAt: t0}, crm.Actor{PersonID: o}); err != nil {
			t.Fatal(err)
		}
	}
	// Each chunk of sixteen owners is a round trip; the indexes' marker
	// and records read by key add a few.
	const most = 3 + 2*(owners+15)/16
	for _, tc := range []struct {
		name string
		read func() error
	}{
		{"OwnerActivity", func() error {
			acts, err := ps.OwnerActivity(ctx, crm.ActivityQuery{Owners: ids, From: t0, To: t0.AddDate(0, 0, 1)})
			for _, o := range ids {
				if a := acts[o]; err == nil && (a.Clients != 1 || a.Conversations != 1 || a.Touched != 1 || !a.LastTouch.Equal(t0.Add(time.Hour))) {
					t.Errorf("OwnerActivity of %d: %+v", o, a)
				}
			}
			return err
		}},
		{"OpenTasks", func() error { _, err := ps.OpenTasks(ctx, ids, t0.AddDate(0, 1, 0)); return err }},
		{"HealthRows", func() error { _, err := ps.HealthRows(ctx, ids); return err }},
		{"OpenRenewals", func() error { _, err := ps.OpenRenewals(ctx, ids, t0.AddDate(0, 3, 0)); return err }},
		{"MeetingsOf", func() error { _, err := ps.MeetingsOf(ctx, ids, t0, t0.AddDate(0, 0, 7)); return err }},
		{"PlannedClients", func() error {
			n := 0
			err := ps.PlannedClients(ctx, ids, func(p *crm.ContactPlan, c *crm.Client) bool {
				if p.ClientID != c.ID || c.Name == "" {
					t.Errorf("plan of %d with client %+v", p.ClientID, c)
				}
				n++
				return true
			})
			if err == nil && n != owners {
				t.Errorf("PlannedClients: %d plans, want %d", n, owners)
			}
			return err
		}},
		{"OpenPromises", func() error { _, err := ps.OpenPromises(ctx, ids, t0.AddDate(0, 1, 0)); return err }},
	} {
		// The first read may build an index the store lacks.
		if err := tc.read(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		n0 := e.trips.Load()
		if err := tc.read(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := e.trips.Load() - n0; n > most {
			t.Errorf("%s of %d owners took %d round trips, want at most %d", tc.name, owners, n, most)
		}
	}
}

// pgReps creates n managers and returns their ids.
func pgReps(t *testing.T, ps *Store, n int, at time.Time) []uint64 {
	t.Helper()
	var ids []uint64
	for i := range n {
		p := &crm.Person{Name: fmt.Sprint("Rep ", i), Role: crm.RoleManager, Identities: []string{fmt.Sprint("console:rep", i)}, CreatedAt: at}
		if err := ps.CreatePerson(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

// TestPGNextReadAhead checks that /next's read-ahead reads what the
// advice rules ask about a client in one round trip, those reads then
// asking nothing and answering as without it, and that a read of the rest
// of the card afterwards still answers as without it.
func TestPGNextReadAhead(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	ctx := context.Background()
	found, err := ps.FindClients(ctx, "Client 01", 1)
	if err != nil || len(found) != 1 {
		t.Fatalf("FindClients: %v, %v", found, err)
	}
	c := found[0]
	q := crm.PeerQuery{Segment: c.Segment, Owners: []uint64{c.OwnerID}, Except: c.ID}
	reads := func(ctx context.Context) string {
		t.Helper()
		plan, err1 := ps.ContactPlan(ctx, c.ID)
		claims, err2 := ps.ClientClaims(ctx, c.ID)
		proms, err3 := ps.ClientPromises(ctx, c.ID)
		deals, err4 := ps.DealFactsOf(ctx, c.ID)
		peers, err5 := ps.PeerPurchases(ctx, q)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			t.Fatal(err)
		}
		return mustJSON(t, []any{plan, claims, proms, deals, peers})
	}
	wantConvs, err := ps.Conversations(ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	rctx := checkReadAhead(t, ps,
		func(rctx context.Context) error { _, err := ps.FindClients(rctx, "Client 01", 1); return err },
		func(rctx context.Context) error { return ps.ReadNextAhead(rctx, c.ID) },
		reads)
	convs, err := ps.Conversations(rctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, convs), mustJSON(t, wantConvs); a != b || len(convs) == 0 {
		t.Errorf("conversations after the read-ahead: %d, want %d", len(convs), len(wantConvs))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPGCompetitorsReadAhead checks that /competitors' read-ahead reads
// the owners' closed deals, the competitors and the owners' notes in one
// round trip, and that those reads then ask nothing and answer as without
// it.
func TestPGCompetitorsReadAhead(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	pgWorkload(t, ps)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	found, err := ps.FindClients(ctx, "Client 01", 1)
	if err != nil || len(found) != 1 {
		t.Fatalf("FindClients: %v, %v", found, err)
	}
	c := found[0]
	for i, name := range []string{"Metro", "Rival", "Metro"} {
		if _, err := ps.AddCompetitorNote(ctx, name, &crm.CompetitorNote{Aspect: "price", Text: fmt.Sprint("cheaper ", i), ClientID: c.ID, By: c.OwnerID, At: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	owners := []uint64{1, 2, 3}
	since := t0.AddDate(0, -6, 0)
	reads := func(ctx context.Context) string {
		t.Helper()
		var deals []*crm.Deal
		err1 := ps.ClosedDeals(ctx, owners, since, time.Time{}, func(d *crm.Deal) bool { deals = append(deals, d); return true })
		comps, err2 := ps.Competitors(ctx)
		counts, err3 := ps.CompetitorNoteCounts(ctx, owners, since)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		if len(comps) != 2 || counts["metro"] != 2 {
			t.Fatalf("competitors %d, notes %v", len(comps), counts)
		}
		return mustJSON(t, []any{deals, comps, counts})
	}
	checkReadAhead(t, ps,
		ps.ensureNoteOwners, // a request reads the indexes' markers with its sender
		func(rctx context.Context) error { return ps.ReadCompetitorsAhead(rctx, owners, since) },
		reads)
}

// checkReadAhead checks a request's read-ahead: in a request that did
// first, ahead takes one round trip, and reads after it takes none and
// answers as outside a request. It returns the request's context (ended
// with the test).
func checkReadAhead(t *testing.T, ps *Store, first, ahead func(context.Context) error, reads func(context.Context) string) context.Context {
	t.Helper()
	e := ps.eng.(*pgEngine)
	want := reads(context.Background())
	rctx, end := crm.WithRequestScope(context.Background())
	t.Cleanup(end)
	if err := first(rctx); err != nil {
		t.Fatal(err)
	}
	n0 := e.trips.Load()
	if err := ahead(rctx); err != nil {
		t.Fatal(err)
	}
	if n := e.trips.Load() - n0; n != 1 {
		t.Errorf("the read-ahead took %d round trips, want 1", n)
	}
	n0 = e.trips.Load()
	if got := reads(rctx); got != want {
		t.Errorf("read ahead:\n%s\nwant:\n%s", got, want)
	}
	if n := e.trips.Load() - n0; n != 0 {
		t.Errorf("the reads after the read-ahead took %d round trips, want 0", n)
	}
	return rctx
}

// TestPGReadCommitOwed checks how a read transaction ends: its COMMIT is
// not a message of its own but goes out at the head of the next
// transaction on the connection, which then sees what was committed
// meanwhile elsewhere (another replica); and a connection left so by an
// idle bot ends its transaction within about pgOwedMax, holding no
// snapshot longer.
func TestPGReadCommitOwed(t *testing.T) {
	u := pgtest.URL(t)
	a := openWith(t, Options{DatabaseURL: u})
	b := openWith(t, Options{DatabaseURL: u})
	e := a.eng.(*pgEngine)
	ctx := context.Background()
	k := []byte("test/owed")
	write := func(s *Store, v string) {
		t.Helper()
		if err := s.update(ctx, func(tx *Tx) error { return tx.put(k, v) }); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		var v string
		if err := a.view(ctx, func(tx *Tx) error { return tx.get(k, &v) }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	state := func(pid uint32) string {
		t.Helper()
		var st string
		if err := b.eng.(*pgEngine).pool.QueryRow(ctx, `SELECT state FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	write(a, "one")
	if got := read(); got != "one" {
		t.Fatalf("read %q, want one", got)
	}
	// The read is over; its connection owes the COMMIT.
	if len(e.parked) != 1 {
		t.Fatalf("%d connections parked after a read, want 1", len(e.parked))
	}
	pk := <-e.parked
	owed, pid := pk.p == nil, pk.conn.Conn().PgConn().PID()
	e.parked <- pk
	if !owed {
		t.Fatal("the read's COMMIT was sent at once")
	}
	if st := state(pid); st != "idle in transaction" {
		t.Errorf("the parked connection is %q, want idle in transaction", st)
	}
	write(b, "two") // another replica
	n0 := e.trips.Load()
	if got := read(); got != "two" {
		t.Errorf("the next read on the connection got %q, want two (what was committed meanwhile)", got)
	}
	if n := e.trips.Load() - n0; n != 1 {
		t.Errorf("the read took %d round trips, want 1 (the COMMIT owed with it)", n)
	}
	write(a, "three") // a write on the parked connection, after its COMMIT
	if got := read(); got != "three" {
		t.Errorf("read %q after a write, want three", got)
	}
	// An idle bot: the COMMIT goes out by itself.
	deadline := time.Now().Add(5 * time.Second)
	for state(pid) != "idle" {
		if time.Now().After(deadline) {
			t.Fatalf("the parked connection is still %q after 5 s", state(pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A parked connection owing its COMMIT dies (a restarted server, a
	// killed backend): the read, the write and the request that take it
	// next run on another connection, and nobody sees an error.
	kill := func() {
		t.Helper()
		read() // parks its connection owing the COMMIT
		pk := <-e.parked
		if pk.p != nil {
			t.Fatal("the read's COMMIT was sent at once")
		}
		pid := pk.conn.Conn().PgConn().PID()
		e.parked <- pk
		bp := b.eng.(*pgEngine).pool
		if _, err := bp.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		for {
			var n int
			if err := bp.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	kill()
	if got := read(); got != "three" {
		t.Errorf("a read on a dead parked connection: %q, want three", got)
	}
	kill()
	write(a, "four")
	if got := read(); got != "four" {
		t.Errorf("read %q after a write on a dead parked connection, want four", got)
	}
	kill()
	rctx, end := crm.WithRequestScope(ctx)
	var v string
	err := a.view(rctx, func(tx *Tx) error { return tx.get(k, &v) })
	end()
	if err != nil || v != "four" {
		t.Errorf("a request's read on a dead parked connection: %q, %v", v, err)
	}
}

// TestPGReadAheadKVPrefixes checks the read-ahead of several prefixes of
// the kv table, which is one statement: each prefix's walk afterwards
// sees what a fresh view sees, in order, without a round trip when the
// prefix held fewer rows than a read-ahead keeps (an empty one too), and
// with the rest read when it held more.
func TestPGReadAheadKVPrefixes(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	sizes := map[string]int{"test/ra/a/": pgAheadMax + 40, "test/ra/b/": 3, "test/ra/c/": 0, "test/ra/d/": 1}
	if err := ps.update(ctx, func(tx *Tx) error {
		for p, n := range sizes {
			for i := n - 1; i >= 0; i-- { // written out of order
				if err := tx.put(key(p, uint64(i)), fmt.Sprintf("%s%d", p, i)); err != nil {
					return err
				}
			}
		}
		return tx.put([]byte("test/ra/b0"), "beside b/") // next to a prefix, not in it
	}); err != nil {
		t.Fatal(err)
	}
	walk := func(tx *Tx, p string) string {
		t.Helper()
		var out []string
		if err := tx.scan([]byte(p), false, true, func(k []byte, item Item) (bool, error) {
			v, err := item.ValueCopy(nil)
			out = append(out, string(v))
			return true, err
		}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, ",")
	}
	order := []string{"test/ra/a/", "test/ra/b/", "test/ra/c/", "test/ra/d/"}
	want := map[string]string{}
	if err := ps.view(ctx, func(tx *Tx) error {
		for _, p := range order {
			want[p] = walk(tx, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(want["test/ra/a/"], ",") + 1; n != sizes["test/ra/a/"] {
		t.Fatalf("a fresh walk of a/ found %d rows", n)
	}
	if err := ps.view(ctx, func(tx *Tx) error {
		var prefixes [][]byte
		for _, p := range order {
			prefixes = append(prefixes, []byte(p))
		}
		n0 := e.trips.Load()
		tx.readAhead(nil, prefixes)
		if n := e.trips.Load() - n0; n != 1 {
			t.Errorf("the read-ahead took %d round trips, want 1", n)
		}
		for _, p := range order[1:] {
			n0 := e.trips.Load()
			if got := walk(tx, p); got != want[p] {
				t.Errorf("walk of %s after the read-ahead: %q, want %q", p, got, want[p])
			}
			if n := e.trips.Load() - n0; n != 0 {
				t.Errorf("the walk of %s (%d rows) took %d round trips, want 0", p, sizes[p], n)
			}
		}
		n0 = e.trips.Load()
		if got := walk(tx, order[0]); got != want[order[0]] {
			t.Errorf("walk of a/ after the read-ahead: %d rows, want %d", strings.Count(got, ",")+1, sizes["test/ra/a/"])
		}
		if n := e.trips.Load() - n0; n == 0 {
			t.Errorf("the walk of a/ (more rows than a read-ahead keeps) took no round trip")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPGTeamPage checks a page of several owners' clients on PostgreSQL
// against Badger with the same records, and what it costs: the owners'
// first names (from the name index alone), the page's briefs and the
// counters in one round trip.
func TestPGTeamPage(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	bs := openWith(t, Options{Dir: t.TempDir()})
	pgWorkload(t, ps)
	pgWorkload(t, bs)
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	// trips is what the page costs when the owners' names are merged (0:
	// a page the store reads otherwise, by the size of the data: the
	// name index walked, or every brief sorted).
	for _, c := range []struct {
		q     crm.ClientPageQuery
		trips int64
	}{
		{crm.ClientPageQuery{Owners: []uint64{1, 2, 3}, Limit: 2}, 0},
		{crm.ClientPageQuery{Owners: []uint64{1, 2, 3}, Limit: 5}, 1},
		{crm.ClientPageQuery{Owners: []uint64{3, 1}, Offset: 3, Limit: 4}, 1},
		{crm.ClientPageQuery{Owners: []uint64{2}, Limit: 3}, 1},
		{crm.ClientPageQuery{Owners: []uint64{1, 2, 3, 99}, Limit: 50}, 0},
	} {
		q := c.q
		want, err := bs.ClientPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.ClientPage(ctx, q); err != nil { // the markers, once
			t.Fatal(err)
		}
		rctx, end := crm.WithRequestScope(ctx) // as a request reads it: its sender first
		if _, err := ps.PersonByIdentity(rctx, "console:u1"); err != nil {
			t.Fatal(err)
		}
		n0 := e.trips.Load()
		got, err := ps.ClientPage(rctx, q)
		end()
		if err != nil {
			t.Fatal(err)
		}
		if n := e.trips.Load() - n0; c.trips > 0 && n != c.trips {
			t.Errorf("%+v: the page took %d round trips, want %d", q, n, c.trips)
		}
		if a, b := mustJSON(t, got), mustJSON(t, want); a != b || len(want.Clients) == 0 {
			t.Errorf("%+v: page on PostgreSQL\n%s\nwant (Badger)\n%s", q, a, b)
		}
	}
}

// TestPGClaimParts checks the open and closed parts of a person's claims
// (the claims indexes' parts): a read-ahead of the open parts reads the
// open claims only, in one round trip, and the walks and gets within them
// need none after it; a walk of the closed part or of the whole group
// reads the server and finds what a fresh view finds; a write in the
// transaction is seen by the part's next walk; and ClaimsOf answers as
// Badger does with the same records.
func TestPGClaimParts(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	bs := openWith(t, Options{Dir: t.TempDir()})
	ctx := context.Background()
	const owner, other = claimsOwner, claimsAssignee
	writeClaimParts(t, ps)
	writeClaimParts(t, bs)
	walk := func(tx *Tx, p []byte) (ks []string) {
		t.Helper()
		if err := tx.scan(p, false, true, func(k []byte, item Item) (bool, error) {
			v, _ := item.ValueCopy(nil)
			ks = append(ks, fmt.Sprintf("%x=%x", k, v))
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		return ks
	}
	open := [][]byte{key("clw/", uint64(owner), byte(1)), key("cls/", uint64(other), byte(1))}
	closed := key("clw/", uint64(owner), byte(0))
	whole := key("clw/", uint64(owner))
	want := map[string][]string{}
	if err := ps.view(ctx, func(tx *Tx) error {
		for _, p := range append(append([][]byte{}, open...), closed, whole) {
			want[string(p)] = walk(tx, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(want[string(open[0])]); n != 3 {
		t.Fatalf("a fresh walk found %d open claims of the owner, want 3", n)
	}
	if err := ps.view(ctx, func(tx *Tx) error {
		pt := tx.kv.(*pgTxn)
		r0 := pt.reads
		tx.readAhead(nil, open)
		if r := pt.reads - r0; r != 1 {
			t.Errorf("the read-ahead of the open parts took %d round trips, want 1", r)
		}
		if es, ok := pt.cache.group(pgGroupKey{x: pgIndexOf(open[0]), g: owner, part: 2}); !ok || len(es) != 3 {
			t.Errorf("the open part kept %d entries (%v), want the 3 open claims", len(es), ok)
		}
		if _, ok := pt.cache.group(pgGroupKey{x: pgIndexOf(open[0]), g: owner}); ok {
			t.Error("the read-ahead of the open part read the whole group")
		}
		r0 = pt.reads
		for _, p := range open {
			if got := walk(tx, p); !slices.Equal(got, want[string(p)]) {
				t.Errorf("%x read ahead: %q, want %q", p, got, want[string(p)])
			}
		}
		if _, err := tx.kv.get(key("clw/", uint64(owner), byte(1), uint64(1))); err != nil {
			t.Errorf("get of an open claim's entry: %v", err)
		}
		if _, err := tx.kv.get(key("clw/", uint64(owner), byte(1), uint64(2))); !errors.Is(err, errNotFound) {
			t.Errorf("get of a closed claim's entry in the open part: %v, want not found", err)
		}
		if r := pt.reads - r0; r != 0 {
			t.Errorf("walks and gets within the parts read ahead read the server %d times", r)
		}
		r0 = pt.reads
		if got := walk(tx, closed); !slices.Equal(got, want[string(closed)]) {
			t.Errorf("closed part: %q, want %q", got, want[string(closed)])
		}
		if got := walk(tx, whole); !slices.Equal(got, want[string(whole)]) {
			t.Errorf("whole group: %q, want %q", got, want[string(whole)])
		}
		if r := pt.reads - r0; r == 0 {
			t.Error("the closed part and the whole group came from the open part read ahead")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A write in the transaction: the part's next walk reads afresh.
	if err := ps.update(ctx, func(tx *Tx) error {
		tx.readAhead(nil, open[:1])
		if n := len(walk(tx, open[0])); n != 3 {
			t.Errorf("open part before the write: %d entries, want 3", n)
		}
		c, err := tx.claim(1)
		if err != nil {
			return err
		}
		old := *c
		c.Status = crm.ClaimResolved
		if err := tx.putClaim(&old, c); err != nil {
			return err
		}
		if n := len(walk(tx, open[0])); n != 2 {
			t.Errorf("open part after resolving one in the transaction: %d entries, want 2", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, openOnly := range []bool{true, false} {
		got, err := ps.ClaimsOf(ctx, []uint64{owner, other}, openOnly)
		if err != nil {
			t.Fatal(err)
		}
		if err := bs.update(ctx, func(tx *Tx) error {
			if !openOnly {
				return nil
			}
			c, err := tx.claim(1)
			if err != nil || c.Status == crm.ClaimResolved {
				return err
			}
			old := *c
			c.Status = crm.ClaimResolved
			return tx.putClaim(&old, c)
		}); err != nil {
			t.Fatal(err)
		}
		wantSums, err := bs.ClaimsOf(ctx, []uint64{owner, other}, openOnly)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantSums) {
			t.Errorf("ClaimsOf(open %v) on PostgreSQL: %+v, on Badger: %+v", openOnly, got, wantSums)
		}
	}
}

// The claims of writeClaimParts: seven claims of owner's clients, three
// of them open, every third assigned to claimsAssignee.
const claimsOwner, claimsAssignee = 7, 8

// writeClaimParts writes the claims of TestPGClaimParts and their
// clients.
func writeClaimParts(t *testing.T, s *Store) {
	t.Helper()
	statuses := []crm.ClaimStatus{crm.ClaimNew, crm.ClaimResolved, crm.ClaimInvestigating, crm.ClaimRejected, crm.ClaimResolved, crm.ClaimReopened, crm.ClaimResolved}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if err := s.update(context.Background(), func(tx *Tx) error {
		for i, st := range statuses {
			cl := &crm.Client{ID: uint64(100 + i), Name: fmt.Sprintf("Client %c", 'A'+i), OwnerID: claimsOwner, CreatedAt: at}
			if err := tx.putClient(nil, cl); err != nil {
				return err
			}
			c := &crm.Claim{ID: uint64(i + 1), ClientID: cl.ID, OwnerID: claimsOwner, ReporterID: claimsOwner, Status: st,
				Severity: crm.SeverityMedium, Text: fmt.Sprintf("claim %d", i+1), CreatedAt: at.Add(time.Duration(i) * time.Hour)}
			if i%3 == 0 {
				c.AssigneeID = claimsAssignee
			}
			if err := tx.putClaim(nil, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPGClaimsReadAhead checks ReadClaimsAhead: a person's claims list
// and its clients' names (ClaimsOf, ClientNames) read in one round trip,
// none after it, with the same answers as without it; open, closed and
// both.
func TestPGClaimsReadAhead(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	writeClaimParts(t, ps)
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	people := []uint64{claimsOwner, claimsAssignee}
	list := func(rctx context.Context, open, closed bool) string {
		t.Helper()
		var out []string
		for _, o := range []bool{true, false} {
			if (o && !open) || (!o && !closed) {
				continue
			}
			sums, err := ps.ClaimsOf(rctx, people, o)
			if err != nil {
				t.Fatal(err)
			}
			var ids []uint64
			for _, sm := range sums {
				ids = append(ids, sm.ClientID)
			}
			names, err := ps.ClientNames(rctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, sm := range sums {
				out = append(out, fmt.Sprintf("%d %s %s", sm.ID, sm.Status, names[sm.ClientID]))
			}
		}
		return strings.Join(out, "; ")
	}
	for _, c := range []struct{ open, closed bool }{{true, false}, {false, true}, {true, true}} {
		rctx, end := crm.WithRequestScope(ctx)
		want := list(rctx, c.open, c.closed)
		end()
		if strings.Count(want, "Client") == 0 {
			t.Fatalf("open %v closed %v: no claims listed", c.open, c.closed)
		}
		rctx, end = crm.WithRequestScope(ctx)
		t.Cleanup(end)
		n0 := e.trips.Load()
		if err := ps.ReadClaimsAhead(rctx, people, c.open, c.closed); err != nil {
			t.Fatal(err)
		}
		if n := e.trips.Load() - n0; n != 1 {
			t.Errorf("open %v closed %v: the read-ahead took %d round trips, want 1", c.open, c.closed, n)
		}
		n0 = e.trips.Load()
		if got := list(rctx, c.open, c.closed); got != want {
			t.Errorf("open %v closed %v: read ahead %q, without %q", c.open, c.closed, got, want)
		}
		if n := e.trips.Load() - n0; n != 0 {
			t.Errorf("open %v closed %v: the list after the read-ahead took %d round trips, want 0", c.open, c.closed, n)
		}
		end()
	}
}

// TestPGTeamPageTies checks pages of several owners whose last name is
// shared, by clients of different owners and by more clients of one owner
// than the page holds (the page and its ties, pageRead), against Badger
// with the same clients, and what they cost: one round trip each.
func TestPGTeamPageTies(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	bs := openWith(t, Options{Dir: t.TempDir()})
	e := ps.eng.(*pgEngine)
	ctx := context.Background()
	books := map[uint64][]string{
		11: {"Acme", "Bolt", "Core", "core", "CORE", "Core", "Dyna"},
		12: {"bolt", "Core", "Zed"},
		13: nil, // an owner with no clients
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, s := range []*Store{ps, bs} {
		if err := s.CreatePerson(ctx, &crm.Person{Name: "Head", Role: crm.RoleHead, Identities: []string{"console:h"}, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		id := uint64(500)
		if err := s.update(ctx, func(tx *Tx) error {
			for _, o := range []uint64{11, 12, 13} {
				for _, name := range books[o] {
					id++
					if err := tx.putClient(nil, &crm.Client{ID: id, Name: name, OwnerID: o, City: "Sofia", CreatedAt: at}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []crm.ClientPageQuery{
		{Owners: []uint64{11, 12}, Limit: 3},            // the last name, bolt, of both owners
		{Owners: []uint64{11, 12, 13}, Limit: 4},        // core: five clients of two owners
		{Owners: []uint64{12, 11}, Offset: 2, Limit: 2}, // the same page, from its third
		{Owners: []uint64{13, 12}, Limit: 5},            // fewer clients than the page
		{Owners: []uint64{11, 13}, Limit: 1},
	} {
		want, err := bs.ClientPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ps.ClientPage(ctx, q); err != nil { // the markers, once
			t.Fatal(err)
		}
		rctx, end := crm.WithRequestScope(ctx) // as a request reads it: its sender first
		if _, err := ps.PersonByIdentity(rctx, "console:h"); err != nil {
			t.Fatal(err)
		}
		n0 := e.trips.Load()
		got, err := ps.ClientPage(rctx, q)
		n := e.trips.Load() - n0
		end()
		if err != nil {
			t.Fatal(err)
		}
		if a, b := mustJSON(t, got), mustJSON(t, want); a != b || len(want.Clients) == 0 {
			t.Errorf("%+v: page on PostgreSQL\n%s\nwant (Badger)\n%s", q, a, b)
		}
		if n != 1 {
			t.Errorf("%+v: the page took %d round trips, want 1", q, n)
		}
	}
}

// TestPGTeamPageRandom compares pages of several owners' clients on
// PostgreSQL and Badger over random books whose names share many folded
// forms (ties at every page's end) and random owners, offsets and limits.
func TestPGTeamPageRandom(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	bs := openWith(t, Options{Dir: t.TempDir()})
	ctx := context.Background()
	rnd := rand.New(rand.NewSource(16))
	names := []string{"Ada", "ada", "ADA", "Bor", "bor ", "Cvet", "Dan", "Ema", "ema", "Zora"}
	owners := []uint64{21, 22, 23, 24, 25, 26}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	type cl struct {
		owner uint64
		name  string
	}
	var book []cl
	for _, o := range owners {
		for range rnd.Intn(30) * int(o%3) { // 26: none
			book = append(book, cl{o, names[rnd.Intn(len(names))]})
		}
	}
	for _, s := range []*Store{ps, bs} {
		if err := s.CreatePerson(ctx, &crm.Person{Name: "Head", Role: crm.RoleHead, Identities: []string{"console:h"}, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.update(ctx, func(tx *Tx) error {
			for i, c := range book {
				if err := tx.putClient(nil, &crm.Client{ID: uint64(700 + i), Name: c.name, OwnerID: c.owner, City: "Varna", CreatedAt: at}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for range 80 {
		var q crm.ClientPageQuery
		for _, n := range rnd.Perm(len(owners))[:2+rnd.Intn(4)] {
			q.Owners = append(q.Owners, owners[n])
		}
		q.Offset, q.Limit = rnd.Intn(20), 1+rnd.Intn(15)
		want, err := bs.ClientPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		rctx, end := crm.WithRequestScope(ctx)
		if _, err := ps.PersonByIdentity(rctx, "console:h"); err != nil {
			t.Fatal(err)
		}
		got, err := ps.ClientPage(rctx, q)
		end()
		if err != nil {
			t.Fatal(err)
		}
		if a, b := mustJSON(t, got), mustJSON(t, want); a != b {
			t.Fatalf("%+v: page on PostgreSQL\n%s\nwant (Badger)\n%s", q, a, b)
		}
	}
}

// TestPGClaimsRandom compares ClaimsOf, read ahead by ReadClaimsAhead in
// a request and on its own, on PostgreSQL and Badger over random claims
// of four people whose statuses change between the reads.
func TestPGClaimsRandom(t *testing.T) {
	ps := openWith(t, Options{DatabaseURL: pgtest.URL(t)})
	bs := openWith(t, Options{Dir: t.TempDir()})
	ctx := context.Background()
	rnd := rand.New(rand.NewSource(13))
	people := []uint64{31, 32, 33, 34}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const n = 60
	type claim struct {
		owner, assignee uint64
		status          crm.ClaimStatus
	}
	claims := make([]claim, n)
	for i := range claims {
		claims[i] = claim{people[rnd.Intn(4)], []uint64{0, 31, 32, 33, 34}[rnd.Intn(5)], crm.ClaimStatuses[rnd.Intn(len(crm.ClaimStatuses))]}
	}
	for _, s := range []*Store{ps, bs} {
		if err := s.update(ctx, func(tx *Tx) error {
			for i, c := range claims {
				cl := &crm.Client{ID: uint64(900 + i), Name: fmt.Sprintf("Client %d", i), OwnerID: c.owner, CreatedAt: at}
				if err := tx.putClient(nil, cl); err != nil {
					return err
				}
				if err := tx.putClaim(nil, &crm.Claim{ID: uint64(i + 1), ClientID: cl.ID, OwnerID: c.owner, ReporterID: c.owner, AssigneeID: c.assignee,
					Status: c.status, Severity: crm.SeverityLow, Text: "x", CreatedAt: at}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 30 {
		// A few claims change status, on both stores.
		for range 3 {
			id := uint64(1 + rnd.Intn(n))
			st := crm.ClaimStatuses[rnd.Intn(len(crm.ClaimStatuses))]
			for _, s := range []*Store{ps, bs} {
				if err := s.update(ctx, func(tx *Tx) error {
					c, err := tx.claim(id)
					if err != nil {
						return err
					}
					old := *c
					c.Status = st
					return tx.putClaim(&old, c)
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var who []uint64
		for _, i := range rnd.Perm(4)[:1+rnd.Intn(3)] {
			who = append(who, people[i])
		}
		open := rnd.Intn(2) == 0
		want, err := bs.ClaimsOf(ctx, who, open)
		if err != nil {
			t.Fatal(err)
		}
		rctx, end := crm.WithRequestScope(ctx)
		if round%2 == 0 {
			if err := ps.ReadClaimsAhead(rctx, who, open, !open); err != nil {
				t.Fatal(err)
			}
		}
		got, err := ps.ClaimsOf(rctx, who, open)
		end()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d, %v open %v: PostgreSQL %+v, Badger %+v", round, who, open, got, want)
		}
	}
}
