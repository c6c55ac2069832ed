package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"accountbot/crm"
	"accountbot/store"
)

// testBackupRestoreRoundTrip restores a backup into a new, empty store
// of the same engine.
func testBackupRestoreRoundTrip(t *testing.T, opener Opener) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 16)
	src := opened(t, opener(t))
	c := addDataClient(t, src, "Ünïcode Бета", 1)
	if err := src.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: "MARKER-backup-a1", At: dataT0}, nil); err != nil {
		t.Fatal(err)
	}
	// Enough data for several frames.
	names := make([]string, 3000)
	for i := range names {
		names[i] = fmt.Sprintf("Bulk %d", i)
	}
	if _, err := src.UpsertClients(ctx, dataT0, names, func(i int, _ *crm.Client) (*crm.Client, crm.Actor, error) {
		return &crm.Client{Name: names[i], OwnerID: 1, City: strings.Repeat("c", 100)}, crm.Actor{PersonID: 1}, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		key     []byte
		restore []byte
		mangle  func([]byte) []byte
		want    error
	}{
		{name: "plain", want: nil},
		{name: "encrypted", key: key, restore: key},
		{name: "encrypted without key", key: key, want: store.ErrBackupNeedsKey},
		{name: "encrypted, wrong key", key: key, restore: bytes.Repeat([]byte{8}, 16), want: store.ErrBackupKey},
		{name: "cut off", mangle: func(b []byte) []byte { return b[:len(b)-100] }, want: store.ErrBackupTruncated},
		{name: "cut at a frame", mangle: func(b []byte) []byte { return b[:len(b)-21] }, want: store.ErrBackupTruncated},
		{name: "one byte changed", mangle: func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, want: store.ErrBackupDamaged},
		{name: "encrypted, one byte changed", key: key, restore: key, mangle: func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, want: store.ErrBackupDamaged},
		{name: "not a backup", mangle: func([]byte) []byte { return []byte("name,city\nAcme,Sofia\n") }, want: store.ErrNotBackup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := src.Backup(&buf, tc.key, dataT0); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			if tc.key != nil && bytes.Contains(b, []byte("MARKER-backup-a1")) {
				t.Error("an encrypted backup shows the marker")
			}
			if tc.key == nil && tc.mangle == nil && !bytes.Contains(b, []byte("MARKER-backup-a1")) {
				t.Error("a plain backup should hold the marker as it is")
			}
			if tc.mangle != nil {
				b = tc.mangle(b)
			}
			dst := opened(t, opener(t))
			info, err := dst.Restore(bytes.NewReader(b), tc.restore)
			if !errors.Is(err, tc.want) {
				t.Fatalf("restore: %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				return
			}
			if info.Encrypted != (tc.key != nil) || !info.Created.Equal(dataT0) {
				t.Errorf("info %+v", info)
			}
			got, err := dst.Client(ctx, c.ID)
			if err != nil || got.Name != c.Name {
				t.Fatalf("client after restore: %+v %v", got, err)
			}
			convs, _ := dst.Conversations(ctx, c.ID, 0)
			if len(convs) != 1 || convs[0].Text != "MARKER-backup-a1" {
				t.Errorf("conversations after restore: %v", convs)
			}
			n := 0
			dst.EachClient(ctx, func(*crm.Client) bool { n++; return true })
			if n != len(names)+1 {
				t.Errorf("%d clients after restore, want %d", n, len(names)+1)
			}
			// Ids go on after the restored ones (a sequence may skip the
			// few it had leased, never reuse one).
			if nc := addDataClient(t, dst, "After Restore", 1); nc.ID <= uint64(len(names)+1) {
				t.Errorf("new id after restore %d reuses one up to %d", nc.ID, len(names)+1)
			}
			if _, err := store.CheckBackup(bytes.NewReader(b), nil); err != nil {
				t.Errorf("store.CheckBackup: %v", err)
			}
		})
	}
	t.Run("only into an empty store", func(t *testing.T) {
		var buf bytes.Buffer
		if err := src.Backup(&buf, nil, dataT0); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Restore(&buf, nil); err == nil {
			t.Error("restored into a store with data")
		}
	})
	t.Run("store.CheckBackup finds a cut file without the key", func(t *testing.T) {
		var buf bytes.Buffer
		if err := src.Backup(&buf, key, dataT0); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if _, err := store.CheckBackup(bytes.NewReader(b), nil); err != nil {
			t.Errorf("whole file: %v", err)
		}
		if _, err := store.CheckBackup(bytes.NewReader(b[:len(b)-10]), nil); !errors.Is(err, store.ErrBackupTruncated) {
			t.Errorf("cut file: %v", err)
		}
	})
}
