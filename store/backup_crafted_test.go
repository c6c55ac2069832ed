package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
)

// craftedBackup builds a plain backup of the given format whose stream is
// body, framed and checksummed as a real one: what an attacker can write.
func craftedBackup(t *testing.T, format int, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(backupMagic)
	hdr, _ := json.Marshal(BackupInfo{Format: format, Schema: SchemaVersion})
	binary.Write(&b, binary.BigEndian, uint32(len(hdr)))
	b.Write(hdr)
	fw := &frameWriter{w: &b}
	fw.Write(body)
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCraftedBackupRefused: backups crafted to make the restore allocate
// without bound or index out of range are refused as damaged, by the
// check and by the restore, without a panic.
func TestCraftedBackupRefused(t *testing.T) {
	le := func(n uint64, rest ...byte) []byte { return append(binary.LittleEndian.AppendUint64(nil, n), rest...) }
	uv := func(parts ...uint64) []byte {
		var out []byte
		for _, p := range parts {
			out = binary.AppendUvarint(out, p)
		}
		return out
	}
	cases := map[string][]byte{
		"format 1, length past int":     craftedBackup(t, 1, le(1<<63+5, 1, 2, 3)),
		"format 1, length of all bytes": craftedBackup(t, 1, le(^uint64(0), 1)),
		"format 1, a terabyte":          craftedBackup(t, 1, le(1<<40, 1, 2)),
		"format 1, cut chunk":           craftedBackup(t, 1, le(100, 1, 2)),
		"format 2, huge key":            craftedBackup(t, 2, append([]byte{'R'}, uv(1<<62)...)),
		"format 2, huge value":          craftedBackup(t, 2, append(append([]byte{'R'}, uv(1)...), append([]byte{'k'}, uv(1<<50)...)...)),
		"format 2, bad count":           craftedBackup(t, 2, append([]byte{'Z'}, uv(7)...)),
	}
	for name, file := range cases {
		t.Run(name, func(t *testing.T) {
			t.Logf("%d bytes", len(file))
			if _, err := CheckBackup(bytes.NewReader(file), nil); !errors.Is(err, ErrBackupDamaged) && !errors.Is(err, ErrBackupTruncated) {
				t.Errorf("check: %v", err)
			}
			s := memStore(t)
			if _, err := s.Restore(bytes.NewReader(file), nil); !errors.Is(err, ErrBackupDamaged) && !errors.Is(err, ErrBackupTruncated) {
				t.Errorf("restore: %v", err)
			}
		})
	}
}
