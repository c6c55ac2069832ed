package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

// Files of every size come back byte for byte, in as many chunks as their
// size needs, and are listed with their client.
func testAttachmentRoundTrip(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	c := addDataClient(t, s, "Acme", 1)
	for _, tc := range []struct {
		size, chunks int
	}{
		{0, 0}, {1, 1}, {store.AttachmentChunk, 1}, {store.AttachmentChunk + 1, 2}, {3<<20 + 17, 7},
	} {
		data := randomBytes(t, tc.size)
		a := &crm.Attachment{ClientID: c.ID, RecordKind: crm.AttachedToClient, RecordID: c.ID, Kind: "photo", Name: "p.jpg", By: 1, At: dataT0}
		if err := s.SaveAttachment(ctx, a, data); err != nil {
			t.Fatal(err)
		}
		if a.Chunks != tc.chunks || a.Size != int64(tc.size) {
			t.Errorf("size %d: %d chunks, size %d; want %d chunks", tc.size, a.Chunks, a.Size, tc.chunks)
		}
		got, err := s.AttachmentData(ctx, a.ID)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: read back %d bytes, %v", tc.size, len(got), err)
		}
	}
	list, err := s.ClientAttachments(ctx, c.ID)
	if err != nil || len(list) != 5 {
		t.Fatalf("client attachments: %d, %v", len(list), err)
	}
}

// A pending capture is replaced by the next one (its waiting file dropped),
// and an old question's Seq takes nothing.
func testPendingCaptureReplacedAndTaken(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	waiting := &crm.Attachment{Kind: "photo", Name: "p.jpg", By: 7, At: dataT0}
	if err := s.SaveAttachment(ctx, waiting, []byte("jpeg")); err != nil {
		t.Fatal(err)
	}
	first := &crm.PendingCapture{PersonID: 7, Kind: crm.CaptureFile, At: dataT0, AttachmentID: waiting.ID}
	if err := s.PutPendingCapture(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := &crm.PendingCapture{PersonID: 7, Kind: crm.CaptureLocation, At: dataT0, Lat: 42.7, Lon: 23.3}
	if err := s.PutPendingCapture(ctx, second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Attachment(ctx, waiting.ID); !crm.IsNotFound(err) {
		t.Errorf("the replaced capture's file is still there: %v", err)
	}
	if _, err := s.TakePendingCapture(ctx, 7, first.Seq); !crm.IsNotFound(err) {
		t.Errorf("an old question took the capture: %v", err)
	}
	if _, err := s.PendingCapture(ctx, 7, dataT0.Add(25*time.Hour)); !crm.IsNotFound(err) {
		t.Errorf("a day-old capture is still pending: %v", err)
	}
	p, err := s.TakePendingCapture(ctx, 7, second.Seq)
	if err != nil || p.Lat != 42.7 {
		t.Fatalf("take: %+v, %v", p, err)
	}
	if _, err := s.PendingCapture(ctx, 7, dataT0); !crm.IsNotFound(err) {
		t.Errorf("taken twice: %v", err)
	}
}
