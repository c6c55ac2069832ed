package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/internal/pgtest"
)

var dataT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func openDisk(t testing.TB, dir string, key []byte) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openMem opens an empty store: Badger in memory, or a fresh PostgreSQL
// schema when ACCOUNTBOT_TEST_STORE=postgres.
func openMem(t testing.TB) *Store {
	t.Helper()
	opts := Options{InMemory: true}
	if os.Getenv("ACCOUNTBOT_TEST_STORE") == "postgres" {
		opts = Options{DatabaseURL: pgtest.URL(t)}
	}
	return openWith(t, opts)
}

// openWith opens the store of opts, closed when the test ends.
func openWith(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// filesContaining lists the files under dir whose bytes contain marker.
func filesContaining(t *testing.T, dir string, marker []byte) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		found, err := fileContains(path, marker)
		if err != nil {
			return err
		}
		if found {
			out = append(out, filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readContains(path string, marker []byte) (bool, error) {
	b, err := os.ReadFile(path)
	return bytes.Contains(b, marker), err
}

// uniqueMarker returns a random word unlike any other data.
func uniqueMarker(t testing.TB) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "MRK" + base32.StdEncoding.EncodeToString(b)
}

func addClient(t testing.TB, s *Store, name string, owner uint64) *crm.Client {
	t.Helper()
	c := &crm.Client{Name: name, OwnerID: owner, CreatedAt: dataT0, ReviewedAt: dataT0}
	if err := s.CreateClient(context.Background(), c, crm.Actor{PersonID: owner}); err != nil {
		t.Fatal(err)
	}
	return c
}

// The erasure test writes markers in every place a client's words live
// (a short note, a long note, a next step, a task, a former name), makes
// sure they are on disk, erases the client and looks for them again in
// every file of the data directory, before and after reopening.
func TestEraseClientLeavesNothingOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openDisk(t, dir, nil)
	other := addClient(t, s, "Keep Me Ltd", 1)
	c := addClient(t, s, "Zorbafirstname Ltd", 1)
	// Random markers, so that no two runs or records share one. (The
	// store writes tables uncompressed, so a marker is found as written.)
	markers := []string{uniqueMarker(t), uniqueMarker(t), uniqueMarker(t), uniqueMarker(t)}
	const formerName = "orbafirstname" // in the history and the old index key
	// Renamed: the old name lives on only in deleted index entries.
	if _, err := s.UpdateClient(ctx, c.ID, crm.Actor{PersonID: 1}, dataT0, func(c *crm.Client) error {
		c.Name = "Second Name Ltd"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Segment values: a former one (in the history, in the figures' old
	// group entry and facts), the present one and a need, which the
	// segment figures hold in their group entries and the client's facts.
	segA, segB, need := uniqueMarker(t), uniqueMarker(t), uniqueMarker(t)
	for _, seg := range []string{segA, segB} {
		if _, err := s.UpdateClient(ctx, c.ID, crm.Actor{PersonID: 1}, dataT0, func(c *crm.Client) error {
			c.Segment, c.Need = seg, need
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	markers = append(markers, segA, segB, need)
	logNote := func(text string, next *crm.Task) {
		t.Helper()
		if err := s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: text, At: dataT0}, next); err != nil {
			t.Fatal(err)
		}
	}
	logNote("met them "+markers[0], nil)
	logNote(strings.Repeat("long story ", 300)+markers[1], &crm.Task{ClientID: c.ID, AssigneeID: 1, Text: "send " + markers[2], Due: dataT0.Add(48 * time.Hour)})
	if err := s.CreateTask(ctx, &crm.Task{ClientID: c.ID, AssigneeID: 1, Text: markers[3], Due: dataT0}); err != nil {
		t.Fatal(err)
	}
	if err := s.LogConversation(ctx, &crm.Conversation{ClientID: other.ID, AuthorID: 1, Text: "keep this note", At: dataT0}, nil); err != nil {
		t.Fatal(err)
	}
	// Half of the data goes to tables (close flushes), half stays in the
	// write-ahead log.
	s.Close()
	s = openDisk(t, dir, nil)
	logNote("again "+markers[0], nil)
	for i, m := range markers {
		// A compaction running in the background may be replacing the
		// file that holds it at the moment we look: look again a little
		// later before concluding.
		found := false
		for try := 0; try < 50 && !found; try++ {
			if try > 0 {
				time.Sleep(100 * time.Millisecond)
			}
			found = len(filesContaining(t, dir, []byte(m))) > 0
		}
		if !found {
			t.Fatalf("before erasure, marker %d %q is in no file: the test would prove nothing", i, m)
		}
	}
	// Index keys are stored as differences to their neighbours, so the
	// former name and the groups' normalised values are only looked for
	// when they can be seen before.
	for _, m := range []string{formerName, crm.NormalizeName(segA), crm.NormalizeName(segB), crm.NormalizeName(need)} {
		if len(filesContaining(t, dir, []byte(m))) > 0 {
			markers = append(markers, m)
		} else {
			t.Logf("%q is not visible as such in the files before erasure", m)
		}
	}

	er, err := s.EraseClient(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if er.Counts["conversations"] != 3 || er.Counts["tasks"] != 2 || er.Counts["history"] == 0 {
		t.Errorf("erasure counts: %+v", er.Counts)
	}
	check := func(when string) {
		t.Helper()
		for _, m := range markers {
			if f := filesContaining(t, dir, []byte(m)); len(f) > 0 {
				t.Errorf("%s: %q is still in %v", when, m, f)
			}
		}
		if _, err := s.Client(ctx, c.ID); !crm.IsNotFound(err) {
			t.Errorf("%s: the client can still be read: %v", when, err)
		}
		if found, _ := s.FindClients(ctx, "zorba", 0); len(found) > 0 {
			t.Errorf("%s: the former name still finds it", when)
		}
		if tasks, _ := s.OpenTasks(ctx, []uint64{1}, dataT0.Add(365*24*time.Hour)); len(tasks) != 0 {
			t.Errorf("%s: tasks left: %v", when, tasks)
		}
		kept, err := s.Conversations(ctx, other.ID, 0)
		if err != nil || len(kept) != 1 {
			t.Errorf("%s: the other client's note is gone: %v %v", when, kept, err)
		}
		if n, _ := s.ErasedClients(ctx); n != 1 {
			t.Errorf("%s: erased count %d, want 1", when, n)
		}
	}
	check("after erasure")
	s.Close()
	s = openDisk(t, dir, nil)
	defer s.Close()
	check("after reopening")
	// New records do not reuse the erased client's id.
	if n := addClient(t, s, "New Co", 1); n.ID <= c.ID {
		t.Errorf("new client got id %d, not above the erased %d", n.ID, c.ID)
	}
}

func TestInterruptedErasureIsFinishedAtOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openDisk(t, dir, nil)
	c := addClient(t, s, "Crashy Ltd", 1)
	if err := s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: "MARKER-crash-31337", At: dataT0}, nil); err != nil {
		t.Fatal(err)
	}
	// The plan is committed, then the process "dies" before dropping.
	if _, err := s.planErasure(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openDisk(t, dir, nil)
	defer s.Close()
	if _, err := s.Client(ctx, c.ID); !crm.IsNotFound(err) {
		t.Errorf("client still there after the erasure was resumed: %v", err)
	}
	if f := filesContaining(t, dir, []byte("MARKER-crash-31337")); len(f) > 0 {
		t.Errorf("marker still in %v", f)
	}
	if n, _ := s.ErasedClients(ctx); n != 1 {
		t.Errorf("erased count %d, want 1 (counted once)", n)
	}
}

func TestEncryptionAtRest(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{0x42}, 32)
	for _, tc := range []struct {
		name  string
		key   []byte
		found bool
	}{
		{"plain store shows the marker (the check can fail)", nil, true},
		{"encrypted store hides it", key, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openDisk(t, dir, tc.key)
			c := addClient(t, s, "Secretive Ltd", 1)
			marker := uniqueMarker(t)
			if err := s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: marker, At: dataT0}, nil); err != nil {
				t.Fatal(err)
			}
			s.Close() // flush to tables too
			s = openDisk(t, dir, tc.key)
			if err := s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: marker + " again", At: dataT0}, nil); err != nil {
				t.Fatal(err)
			}
			files := filesContaining(t, dir, []byte(marker))
			s.Close()
			if got := len(files) > 0; got != tc.found {
				t.Errorf("marker in files %v; want found=%v", files, tc.found)
			}
		})
	}
	t.Run("wrong or missing key is a one-line error", func(t *testing.T) {
		dir := t.TempDir()
		s := openDisk(t, dir, key)
		addClient(t, s, "Secretive Ltd", 1)
		s.Close()
		plain := t.TempDir()
		s = openDisk(t, plain, nil)
		s.Close()
		for name, o := range map[string]Options{
			"wrong key":             {Dir: dir, EncryptionKey: bytes.Repeat([]byte{0x17}, 32)},
			"no key":                {Dir: dir},
			"key for a plain store": {Dir: plain, EncryptionKey: key},
			"key of another length": {Dir: dir, EncryptionKey: bytes.Repeat([]byte{0x42}, 16)},
		} {
			s, err := Open(o)
			if err == nil {
				s.Close()
				t.Errorf("%s: opened", name)
				continue
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, "ACCOUNTBOT_ENCRYPTION_KEY") {
				t.Errorf("%s: error %q should be one line naming ACCOUNTBOT_ENCRYPTION_KEY", name, msg)
			}
		}
		// The right key still opens it.
		s = openDisk(t, dir, key)
		s.Close()
	})
}

func TestDiskErrorsAreUnavailable(t *testing.T) {
	for _, err := range []error{
		&os.PathError{Op: "write", Path: "/data/000001.vlog", Err: syscall.ENOSPC},
		fmt.Errorf("sync: %w", syscall.EIO),
		errors.New("write /data/00001.mem: no space left on device"),
	} {
		if code := crm.ErrorCode(mapErr(err)); code != crm.EUNAVAILABLE {
			t.Errorf("%v: code %s, want %s", err, code, crm.EUNAVAILABLE)
		}
	}
}

// A transaction that fails half-way leaves nothing of itself visible.
func TestFailedWriteLeavesNothingHalfWritten(t *testing.T) {
	ctx := context.Background()
	s := openMem(t)
	boom := &crm.Error{Code: crm.EUNAVAILABLE, Key: "error.unavailable", Err: syscall.ENOSPC}
	err := s.update(ctx, func(tx *Tx) error {
		c := &crm.Client{Name: "Half Written", OwnerID: 1}
		id, err := tx.nextID("client")
		if err != nil {
			return err
		}
		c.ID = id
		if err := tx.putClient(nil, c); err != nil {
			return err
		}
		return boom
	})
	if crm.ErrorCode(err) != crm.EUNAVAILABLE {
		t.Fatalf("err %v", err)
	}
	if found, _ := s.FindClients(ctx, "half", 0); len(found) != 0 {
		t.Errorf("half-written client visible: %v", found)
	}
	// The failed write's id is skipped, never handed out again.
	if c := addClient(t, s, "Next", 1); c.ID != 2 {
		t.Errorf("id %d after a failed write that took id 1, want 2", c.ID)
	}
}

// TestEraseClientDropsDerivedCopies: button tokens (and any record written
// through tx.derived) that copy a client's data go with the client: those
// written while a request worked on it through the request's trail, those
// the bot wrote on its own through the reference they carry.
func TestEraseClientDropsDerivedCopies(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openDisk(t, dir, nil)
	keep := addClient(t, s, "Keep Ltd", 1)
	c := addClient(t, s, "Gone Ltd", 1)
	marker := uniqueMarker(t)
	onC := crm.WithClientTrail(ctx)
	crm.TouchClient(onC, c.ID)
	onKeep := crm.WithClientTrail(ctx)
	crm.TouchClient(onKeep, keep.ID)
	tokens := map[string]struct {
		ctx   context.Context
		value string
		gone  bool
	}{
		"a1": {onC, "/log free text " + marker, true},
		"a2": {ctx, fmt.Sprintf("/followup #%d: %s", c.ID, marker), true},
		"a3": {onKeep, "/log keep this", false},
		"a4": {ctx, fmt.Sprintf("/client #%d0 ok", c.ID), false},
	}
	for tok, v := range tokens {
		if err := s.PutToken(v.ctx, tok, v.value, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.EraseClient(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	for tok, v := range tokens {
		_, err := s.Token(ctx, tok)
		if gone := crm.IsNotFound(err); gone != v.gone {
			t.Errorf("token %s (%q): gone %v, want %v (%v)", tok, v.value, gone, v.gone, err)
		}
	}
	s.Close()
	if files := filesContaining(t, dir, []byte(marker)); len(files) > 0 {
		t.Errorf("the erased client's text is still in %v", files)
	}
}
