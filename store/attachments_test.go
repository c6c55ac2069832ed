package store

import (
	"context"
	"crypto/rand"
	"testing"

	"accountbot/crm"
)

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Erasing a client erases its files from every file of the data
// directory, not only from the lists.
func TestEraseClientErasesAttachmentsOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openDisk(t, dir, nil)
	defer func() { s.Close() }()
	keep := addClient(t, s, "Keep Ltd", 1)
	c := addClient(t, s, "Gone Ltd", 1)
	marker := uniqueMarker(t)
	// The marker sits in the second chunk of a file of three.
	data := append(randomBytes(t, AttachmentChunk+100), []byte(marker)...)
	data = append(data, randomBytes(t, AttachmentChunk)...)
	a := &crm.Attachment{ClientID: c.ID, RecordKind: crm.AttachedToClient, RecordID: c.ID, Kind: "document", Name: "contract.pdf", By: 1, At: dataT0}
	if err := s.SaveAttachment(ctx, a, data); err != nil {
		t.Fatal(err)
	}
	kept := &crm.Attachment{ClientID: keep.ID, Kind: "photo", Name: "k.jpg", By: 1, At: dataT0}
	if err := s.SaveAttachment(ctx, kept, []byte("keep me")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openDisk(t, dir, nil)
	if len(filesContaining(t, dir, []byte(marker))) == 0 {
		t.Fatal("before erasure the marker is in no file: the test would prove nothing")
	}
	er, err := s.EraseClient(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if er.Counts["attachments"] != 1 {
		t.Errorf("erasure counts: %+v", er.Counts)
	}
	if f := filesContaining(t, dir, []byte(marker)); len(f) > 0 {
		t.Errorf("the erased file's bytes are still in %v", f)
	}
	if _, err := s.Attachment(ctx, a.ID); !crm.IsNotFound(err) {
		t.Errorf("the erased attachment can be read: %v", err)
	}
	if got, err := s.AttachmentData(ctx, kept.ID); err != nil || string(got) != "keep me" {
		t.Errorf("another client's file: %q, %v", got, err)
	}
}

// BenchmarkAttachPhoto1MB is the store's cost of keeping a 1 MB photo
// (two chunk transactions and the record's, synced to disk).
func BenchmarkAttachPhoto1MB(b *testing.B) {
	ctx := context.Background()
	s := openDisk(b, b.TempDir(), nil)
	defer s.Close()
	c := addClient(b, s, "Acme", 1)
	photo := randomBytes(b, 1<<20)
	b.SetBytes(int64(len(photo)))
	b.ResetTimer()
	for range b.N {
		a := &crm.Attachment{ClientID: c.ID, RecordKind: crm.AttachedToClient, RecordID: c.ID, Kind: "photo", Name: "p.jpg", By: 1, At: dataT0}
		if err := s.SaveAttachment(ctx, a, photo); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncedMegabyte is the yardstick of BenchmarkAttachPhoto1MB: one
// synced commit of a single 1 MB value, the least any store of the file
// can cost on this disk.
func BenchmarkSyncedMegabyte(b *testing.B) {
	ctx := context.Background()
	s := openDisk(b, b.TempDir(), nil)
	defer s.Close()
	blob := randomBytes(b, 1<<20)
	b.SetBytes(int64(len(blob)))
	b.ResetTimer()
	for i := range b.N {
		if err := s.update(ctx, func(tx *Tx) error { return tx.set(key("bench/", uint64(i)), blob) }); err != nil {
			b.Fatal(err)
		}
	}
}
