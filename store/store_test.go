package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
)

func memStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var ctx = context.Background()

func TestClientIndexes(t *testing.T) {
	s := memStore(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i, name := range []string{"Acme", "Acme Bulgaria", "Петров ЕООД", "Beta"} {
		c := &crm.Client{Name: name, OwnerID: uint64(1 + i%2), CreatedAt: now, ReviewedAt: now}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"acme", []string{"Acme", "Acme Bulgaria"}},
		{"Акме б", []string{"Acme Bulgaria"}},
		{"petrov", []string{"Петров ЕООД"}},
		{"ПЕТРОВ", []string{"Петров ЕООД"}},
		{"gamma", nil},
	}
	for _, tt := range tests {
		got, err := s.FindClients(ctx, tt.q, 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != strings.Join(tt.want, ",") {
			t.Errorf("FindClients(%q) = %v, want %v", tt.q, names, tt.want)
		}
	}
	mine, _ := s.ClientsByOwner(ctx, []uint64{1})
	if len(mine) != 2 {
		t.Fatalf("owner 1 has %d clients", len(mine))
	}
	// Renaming and reassigning move the indexes.
	if _, err := s.UpdateClient(ctx, mine[0].ID, crm.Actor{PersonID: 1}, now, func(c *crm.Client) error {
		c.Name, c.OwnerID = "Gamma", 2
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindClients(ctx, "gamma", 0); len(got) != 1 {
		t.Errorf("renamed client not found by its new name")
	}
	if got, _ := s.FindClients(ctx, mine[0].Name, 0); len(got) != 0 && got[0].ID == mine[0].ID && crm.NormalizeName(got[0].Name) != crm.NormalizeName("Gamma") {
		t.Errorf("renamed client still found by its old name")
	}
	if got, _ := s.ClientsByOwner(ctx, []uint64{1}); len(got) != 1 {
		t.Errorf("owner index not moved: %d", len(got))
	}
	hist, _ := s.History(ctx, "client", mine[0].ID)
	var fields []string
	for _, h := range hist {
		fields = append(fields, h.Field)
	}
	if strings.Join(fields, ",") != "created,name,owner" {
		t.Errorf("history fields %v", fields)
	}
	// A name that folds to an existing one is a conflict.
	err := s.CreateClient(ctx, &crm.Client{Name: "BETA"}, crm.Actor{})
	if crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("duplicate name: %v", err)
	}
}

func TestIDsNeverReused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i := 0; i < 3; i++ {
		tk := &crm.Task{AssigneeID: 1, Text: "x", Due: time.Now()}
		if err := s.CreateTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
		last = tk.ID
	}
	s.Close()
	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tk := &crm.Task{AssigneeID: 1, Text: "y", Due: time.Now()}
	if err := s.CreateTask(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if tk.ID != last+1 {
		t.Errorf("after reopen id %d, want %d", tk.ID, last+1)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.eng.update(func(txn kvTxn) error {
		return txn.set(keySchema, binary.BigEndian.AppendUint64(nil, SchemaVersion+1), 0)
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "newer accountbot") {
		t.Fatalf("want a refusal naming the newer version, got %v", err)
	}
}

func TestLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(Options{Dir: dir})
	var locked *ErrLocked
	if !errors.As(err, &locked) || !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line naming %s, got %v", dir, err)
	}
}

func TestWrongEncryptionKey(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, EncryptionKey: []byte("0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(Options{Dir: dir, EncryptionKey: []byte("fedcba9876543210")})
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want a one-line error, got %v", err)
	}
}

func TestStaleUsesOwnerIndex(t *testing.T) {
	s := memStore(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	old := now.AddDate(0, 0, -40)
	mk := func(name string, touch, review time.Time) {
		c := &crm.Client{Name: name, OwnerID: 7, CreatedAt: review, ReviewedAt: review, LastTouch: touch}
		if err := s.CreateClient(ctx, c, crm.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	mk("fresh", now, now)
	mk("untouched", old, now)
	mk("never touched, new", time.Time{}, now)
	mk("never touched, old", time.Time{}, old)
	mk("unreviewed", now, now.AddDate(0, 0, -100))
	got, err := s.StaleClients(ctx, crm.StaleQuery{Owners: []uint64{7}, TouchBefore: now.AddDate(0, 0, -30), ReviewBefore: now.AddDate(0, 0, -90)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got.Clients {
		names = append(names, c.Name)
	}
	want := "untouched,never touched, old,unreviewed"
	if strings.Join(names, ",") != want {
		t.Errorf("stale = %q, want %q", strings.Join(names, ","), want)
	}
}

func TestOpenTasksByDue(t *testing.T) {
	s := memStore(t)
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for i, d := range []int{3, -1, 0, 1} {
		tk := &crm.Task{AssigneeID: 5, Text: string(rune('a' + i)), Due: base.AddDate(0, 0, d)}
		if err := s.CreateTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.OpenTasks(ctx, []uint64{5}, base.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != "b" || got[1].Text != "c" {
		t.Fatalf("open tasks %+v", got)
	}
	if _, err := s.UpdateTask(ctx, got[0].ID, func(t *crm.Task) error { t.DoneAt = base; return nil }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.OpenTasks(ctx, []uint64{5}, base.AddDate(0, 0, 1))
	if len(got) != 1 || got[0].Text != "c" {
		t.Fatalf("done task still open: %+v", got)
	}
}

// The data directory must not be readable by others.
func TestDataDirPermissions(t *testing.T) {
	dir := t.TempDir() + "/data"
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	out, _ := exec.Command("stat", "-c", "%a", dir).Output()
	if strings.TrimSpace(string(out)) != "700" {
		t.Errorf("data dir mode %s", out)
	}
}

func TestStaleSummaryMatchesStaleClients(t *testing.T) {
	s := memStore(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		touch := now.AddDate(0, 0, -i*2)
		if i%5 == 0 {
			touch = time.Time{}
		}
		c := &crm.Client{Name: fmt.Sprintf("Client %d", i), OwnerID: 3, CreatedAt: now.AddDate(0, 0, -200), ReviewedAt: now.AddDate(0, 0, -i*3), LastTouch: touch}
		if err := s.CreateClient(ctx, c, crm.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	tb, rb := now.AddDate(0, 0, -30), now.AddDate(0, 0, -90)
	q := crm.StaleQuery{Owners: []uint64{3}, TouchBefore: tb, ReviewBefore: rb}
	every, err := s.StaleClients(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	all := every.Clients
	q.Oldest = 4
	sum, err := s.StaleClients(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	n, oldest := sum.Total, sum.Clients
	if n != len(all) || every.Total != n || n == 0 || len(oldest) != 4 {
		t.Fatalf("summary %d/%d, stale %d", n, len(oldest), len(all))
	}
	for i := 1; i < len(oldest); i++ {
		if oldest[i].LastTouch.Before(oldest[i-1].LastTouch) {
			t.Errorf("not oldest first: %v before %v", oldest[i-1].LastTouch, oldest[i].LastTouch)
		}
	}
}

func TestOwnerIndexBriefs(t *testing.T) {
	c := &crm.Client{ID: 9, OwnerID: 4, Name: "Акме ООД", City: "София", Status: "active",
		LastTouch: time.Unix(1_700_000_000, 0), ReviewedAt: time.Unix(1_690_000_000, 0)}
	e := decodeOwnerVal(9, 4, ownerVal(c))
	if e.brief == nil || e.brief.Name != c.Name || e.brief.City != c.City || e.brief.Status != c.Status ||
		!e.brief.LastTouch.Equal(c.LastTouch) || !e.brief.ReviewedAt.Equal(c.ReviewedAt) || e.brief.ID != 9 || e.brief.OwnerID != 4 {
		t.Fatalf("brief %+v", e.brief)
	}
	// An entry written before the brief existed still gives its times.
	old := ownerVal(c)[:16]
	if e := decodeOwnerVal(9, 4, old); e.brief != nil || e.touch != 1_700_000_000 || e.review != 1_690_000_000 {
		t.Fatalf("old entry %+v", e)
	}
	if e := decodeOwnerVal(9, 4, append(ownerVal(c)[:16], 0xff)); e.brief != nil {
		t.Fatal("a damaged brief was read")
	}
}

// TestClientNamesReadsTheName checks that names read from the start of
// the records (leadingName) are the names stored, escapes and all, and
// that a record in another shape is decoded whole.
func TestClientNamesReadsTheName(t *testing.T) {
	s := openMem(t)
	names := []string{"Acme", `Quote "Q" Ltd`, `Back\slash`, "Агро ООД", "Ampersand <html> & co"}
	var ids []uint64
	for _, n := range names {
		c := &crm.Client{Name: n, OwnerID: 1}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	// A record written with its fields in another order.
	if err := s.update(ctx, func(tx *Tx) error {
		return tx.set(clientKey(99), []byte(`{"owner_id":1,"name":"Odd \"order\"","id":99}`))
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClientNames(ctx, append(ids, 99, 12345))
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]string{99: `Odd "order"`}
	for i, id := range ids {
		want[id] = names[i]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ClientNames = %v, want %v", got, want)
	}
}
