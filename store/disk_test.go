package store

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
)

// smallDisk mounts a tmpfs of size (for example "32m") at a new directory,
// or skips the test without root.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillTo makes the filler file so large that about free bytes stay free.
func fillTo(t *testing.T, path, dir string, free uint64) {
	t.Helper()
	now, err := freeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	var have int64
	if st, err := os.Stat(path); err == nil {
		have = st.Size()
	}
	want := have + int64(now) - int64(free)
	if want < 0 {
		want = 0
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(want); err != nil {
		t.Fatal(err)
	}
	// tmpfs allocates on write: write the bytes, not a hole.
	buf := make([]byte, 1<<20)
	for off := have; off < want; off += int64(len(buf)) {
		n := min(int64(len(buf)), want-off)
		if _, err := f.WriteAt(buf[:n], off); err != nil && !errors.Is(err, os.ErrClosed) {
			t.Fatalf("filling: %v", err)
		}
	}
}

func isDiskFull(err error) bool {
	var ce *crm.Error
	return errors.As(err, &ce) && ce.Code == crm.EUNAVAILABLE && ce.Key == "error.disk_full"
}

// TestFullDisk drives the store on a real small file system until the disk
// is full: the process does not die (Badger's memory-mapped files would
// raise SIGBUS), writes are refused as "disk full", reads go on, the store
// reopens while the disk is full (for reading only when it is very full),
// and once space is freed every acknowledged record is there and writes
// work again.
func TestFullDisk(t *testing.T) {
	for _, c := range []struct {
		size     string
		memTable int64
	}{
		{"32m", 1 << 20},
		{"8m", 0}, // sized from the disk
	} {
		t.Run(c.size, func(t *testing.T) { testFullDisk(t, c.size, c.memTable) })
	}
}

func testFullDisk(t *testing.T, size string, memTable int64) {
	mnt := smallDisk(t, size)
	dir := filepath.Join(mnt, "data")
	filler := filepath.Join(mnt, "filler")
	opts := Options{Dir: dir, MemTableSize: memTable, Logger: slog.New(slog.DiscardHandler)}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	reserve := s.eng.(*badgerEngine).guard.reserve
	// Another program takes most of the disk.
	fillTo(t, filler, mnt, reserve+3<<20)

	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	note := strings.Repeat("pumps and valves ", 120)
	var saved []uint64
	var refused error
	for i := 0; i < 20000; i++ {
		c := &crm.Client{Name: "Client " + itoa(uint64(i)), Need: note, OwnerID: 1, CreatedAt: now, ReviewedAt: now}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			refused = err
			break
		}
		saved = append(saved, c.ID)
	}
	if !isDiskFull(refused) {
		t.Fatalf("after %d clients: %v, want a disk-full refusal", len(saved), refused)
	}
	if len(saved) == 0 {
		t.Fatal("no write was accepted")
	}
	checkReads := func(s *Store) {
		t.Helper()
		for _, id := range saved {
			if c, err := s.Client(ctx, id); err != nil || c.Need != note {
				t.Fatalf("client %d after the disk filled: %v", id, err)
			}
		}
	}
	checkReads(s)
	// The store's own flushes may free a little; the other program takes
	// that too.
	fillTo(t, filler, mnt, reserve*3/4)
	if err := s.CreateClient(ctx, &crm.Client{Name: "One more", OwnerID: 1, CreatedAt: now}, crm.Actor{PersonID: 1}); !isDiskFull(err) {
		t.Fatalf("write on a full disk: %v", err)
	}
	checkReads(s)
	if err := s.Close(); err != nil {
		t.Fatalf("close on a full disk: %v", err)
	}

	// Reopened on the full disk: reads work, writes are refused.
	s, err = Open(opts)
	if err != nil {
		t.Fatalf("reopen on a full disk: %v", err)
	}
	checkReads(s)
	if err := s.CreateClient(ctx, &crm.Client{Name: "One more", OwnerID: 1, CreatedAt: now}, crm.Actor{PersonID: 1}); !isDiskFull(err) {
		t.Fatalf("write after reopening on a full disk: %v", err)
	}
	s.Close()

	// Fuller still: the store opens for reading only.
	fillTo(t, filler, mnt, 1<<20)
	s, err = Open(opts)
	if err != nil {
		t.Fatalf("reopen on a very full disk: %v", err)
	}
	checkReads(s)
	if err := s.CreateClient(ctx, &crm.Client{Name: "One more", OwnerID: 1, CreatedAt: now}, crm.Actor{PersonID: 1}); !isDiskFull(err) {
		t.Fatalf("write on a very full disk: %v", err)
	}
	s.Close()

	// Space is back: everything acknowledged is there, writes work.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s, err = Open(opts)
	if err != nil {
		t.Fatalf("reopen with space: %v", err)
	}
	defer s.Close()
	checkReads(s)
	if err := s.CreateClient(ctx, &crm.Client{Name: "One more", OwnerID: 1, CreatedAt: now}, crm.Actor{PersonID: 1}); err != nil {
		t.Fatalf("write once space is back: %v", err)
	}
}

// TestCorruptTableRefused: a flipped byte in a table file is found by the
// checksums and the store says so, instead of showing a different record.
func TestCorruptTableRefused(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c := &crm.Client{Name: "Acme", Need: "AMOUNT-12345", OwnerID: 1, CreatedAt: now}
	if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	flipped := false
	for _, f := range tables {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i := strings.Index(string(b), "AMOUNT-12345"); i >= 0 {
			b[i+7] = '9' // 12345 → 19345
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			flipped = true
		}
	}
	if !flipped {
		t.Fatalf("the record is in no table of %v", tables)
	}
	s, err = Open(opts)
	if err == nil {
		defer s.Close()
		got, err := s.Client(ctx, c.ID)
		if err == nil {
			t.Fatalf("a corrupt table was read as %q", got.Need)
		}
		return
	}
	if !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("open of a corrupt store: %v", err)
	}
}
