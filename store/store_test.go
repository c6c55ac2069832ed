package store

import (
	"context"
	"encoding/binary"
	"errors"
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
