package store

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// A backup file is a stream of every live key and value at one snapshot
// (so the copy is consistent), whatever the engine, cut into frames:
//
//	"ACCOUNTBOT-BACKUP 1\n"
//	uint32 length, header (JSON BackupInfo)
//	frames: kind byte ('D' data, 'E' end), uint32 length, payload
//
// The stream of format 2 is records (see writeRecord and readRecords):
// 'R', uvarint key length, key, uvarint value length, value, uvarint
// expiry (Unix seconds, 0 for never); then 'Z' and uvarint the number of
// records. Format 1 (before PostgreSQL) held Badger's own backup stream
// (DB.Backup); it is still read.
//
// A plain frame's payload is its data and a CRC-32C of it. With a key, it
// is a nonce and the data sealed with AES-GCM under a key derived from the
// store's key (HKDF-SHA256, a random salt per file), the frame's kind and
// number as additional data, so frames can be neither changed nor
// reordered. The end frame holds the stream's length: a cut file is
// refused, not half restored.
const backupMagic = "ACCOUNTBOT-BACKUP 1\n"

const (
	frameData    = 'D'
	frameEnd     = 'E'
	frameSize    = 256 << 10
	maxFrameSize = frameSize + 1024
)

// Backup errors, worded for the person running the sub-command.
var (
	ErrNotBackup       = errors.New("the file is not an accountbot backup")
	ErrBackupDamaged   = errors.New("the backup file is damaged")
	ErrBackupTruncated = errors.New("the backup file is incomplete (cut off before its end)")
	ErrBackupNeedsKey  = errors.New("the backup is encrypted: set ACCOUNTBOT_BACKUP_KEY (or ACCOUNTBOT_ENCRYPTION_KEY) to the key it was made with")
	ErrBackupKey       = errors.New("the backup was made with a different encryption key: set ACCOUNTBOT_BACKUP_KEY to the key it was made with")
)

// BackupInfo is the header of a backup file.
type BackupInfo struct {
	Format    int       `json:"format"`
	Schema    uint64    `json:"schema"`
	Created   time.Time `json:"created"`
	Encrypted bool      `json:"encrypted"`
	Salt      []byte    `json:"salt,omitempty"`
	// KeyCheck is a sealed constant that tells a wrong key at once.
	KeyCheck []byte `json:"key_check,omitempty"`
	// Bytes is the length of the Badger stream, known after reading.
	Bytes uint64 `json:"-"`
}

var keyCheckText = []byte("accountbot backup key check")

// Backup writes a consistent copy of the whole store to w, encrypted with
// key when key is set (normally the store's own ACCOUNTBOT_ENCRYPTION_KEY:
// a backup is as protected as the store). Writes go on meanwhile.
func (s *Store) Backup(w io.Writer, key []byte, at time.Time) error {
	// An erasure must not run under a backup: it would copy half-dropped
	// keys. Writes share the lock and go on.
	s.writeMu.RLock()
	defer s.writeMu.RUnlock()
	info := BackupInfo{Format: 2, Schema: SchemaVersion, Created: at.UTC()}
	var aead cipher.AEAD
	if len(key) > 0 {
		info.Encrypted = true
		info.Salt = make([]byte, 16)
		if _, err := rand.Read(info.Salt); err != nil {
			return err
		}
		var err error
		if aead, err = backupAEAD(key, info.Salt); err != nil {
			return err
		}
		info.KeyCheck = seal(aead, keyCheckText, []byte("check"))
	}
	hdr, err := json.Marshal(info)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(backupMagic)
	binary.Write(bw, binary.BigEndian, uint32(len(hdr)))
	bw.Write(hdr)
	fw := &frameWriter{w: bw, aead: aead, buf: make([]byte, 0, frameSize)}
	rw := bufio.NewWriterSize(fw, 64<<10)
	n := uint64(0)
	err = s.eng.view(func(txn kvTxn) error {
		it := txn.iterator(iterOptions{values: true, prefetch: 100})
		defer it.close()
		for it.seek(nil); it.valid(); it.next() {
			item := it.item()
			var exp uint64
			if e, ok := item.(expiring); ok {
				exp = e.ExpiresAt()
			}
			if err := item.Value(func(v []byte) error { return writeRecord(rw, item.Key(), v, exp) }); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return mapErr(err)
	}
	rw.WriteByte('Z')
	rw.Write(binary.AppendUvarint(nil, n))
	if err := rw.Flush(); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// writeRecord writes one key and value of a format 2 stream.
func writeRecord(w *bufio.Writer, k, v []byte, exp uint64) error {
	var hdr [1 + 3*binary.MaxVarintLen64]byte
	h := append(hdr[:0], 'R')
	h = binary.AppendUvarint(h, uint64(len(k)))
	w.Write(h)
	w.Write(k)
	w.Write(binary.AppendUvarint(hdr[:0], uint64(len(v))))
	w.Write(v)
	_, err := w.Write(binary.AppendUvarint(hdr[:0], exp))
	return err
}

// Limits of a record in a backup, checked before anything is allocated: a
// crafted file cannot make the reader take more memory than this.
const (
	maxRecordKey   = 64 << 10
	maxRecordValue = 64 << 20
)

// readRecords reads a format 2 stream, calling put for each record, and
// checks its structure: the record marks, the lengths (within limits,
// before allocating) and the count at the end. It is the one reader of
// backup contents; Restore and CheckBackup both go through it.
func readRecords(r io.Reader, put func(k, v []byte, exp uint64) error) (uint64, error) {
	br, ok := r.(io.ByteReader)
	if !ok {
		b := bufio.NewReaderSize(r, 64<<10)
		br, r = b, b
	}
	damaged := func(what string) error { return fmt.Errorf("%w: %s", ErrBackupDamaged, what) }
	var n uint64
	var k, v []byte
	for {
		mark, err := br.ReadByte()
		if err != nil {
			return n, readErr(err)
		}
		switch mark {
		case 'Z':
			count, err := binary.ReadUvarint(br)
			if err != nil {
				return n, readErr(err)
			}
			if count != n {
				return n, damaged("record count")
			}
			if _, err := br.ReadByte(); err != io.EOF {
				return n, damaged("data after the end")
			}
			return n, nil
		case 'R':
		default:
			return n, damaged("record mark")
		}
		kl, err := binary.ReadUvarint(br)
		if err != nil {
			return n, readErr(err)
		}
		if kl == 0 || kl > maxRecordKey {
			return n, damaged("key length")
		}
		k = grow(k, int(kl))
		if _, err := io.ReadFull(r, k); err != nil {
			return n, readErr(err)
		}
		vl, err := binary.ReadUvarint(br)
		if err != nil {
			return n, readErr(err)
		}
		if vl > maxRecordValue {
			return n, damaged("value length")
		}
		v = grow(v, int(vl))
		if _, err := io.ReadFull(r, v); err != nil {
			return n, readErr(err)
		}
		exp, err := binary.ReadUvarint(br)
		if err != nil {
			return n, readErr(err)
		}
		if err := put(k, v, exp); err != nil {
			return n, err
		}
		n++
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// readErr turns an early end of the stream into ErrBackupTruncated; the
// frame reader's own errors pass through.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrBackupTruncated
	}
	return err
}

// Restore loads a backup into this store, which must be new (nothing in it
// but what Open writes). key decrypts an encrypted backup. The store keeps
// its own encryption, so restoring with a new ACCOUNTBOT_ENCRYPTION_KEY
// (and the old one in ACCOUNTBOT_BACKUP_KEY) changes the key.
func (s *Store) Restore(r io.Reader, key []byte) (*BackupInfo, error) {
	return s.restore(r, key, false)
}

// RestoreReplacing loads a backup in place of everything in this store:
// for a shared database (PostgreSQL), where there is no directory to swap.
// It is one transaction: a failed restore changes nothing.
func (s *Store) RestoreReplacing(r io.Reader, key []byte) (*BackupInfo, error) {
	return s.restore(r, key, true)
}

// Empty reports whether the store holds nothing but what Open writes.
func (s *Store) Empty() (bool, error) {
	n := 0
	err := s.eng.view(func(txn kvTxn) error {
		it := txn.iterator(iterOptions{})
		defer it.close()
		for it.seek(nil); it.valid() && n < 2; it.next() {
			n++
		}
		return nil
	})
	return n <= 1, mapErr(err)
}

func (s *Store) restore(r io.Reader, key []byte, replace bool) (*BackupInfo, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n := 0
	if err := s.eng.view(func(txn kvTxn) error {
		it := txn.iterator(iterOptions{})
		defer it.close()
		for it.seek(nil); it.valid() && n < 2; it.next() {
			n++
		}
		return nil
	}); err != nil {
		return nil, mapErr(err)
	}
	if n > 1 && !replace {
		return nil, errors.New("the store to restore into is not empty")
	}
	info, fr, err := openBackup(r, key, true)
	if err != nil {
		return nil, err
	}
	if info.Format == 1 {
		err = s.loadBadgerStream(fr, replace)
	} else {
		err = s.eng.load(replace, func(put func(k, v []byte, exp uint64) error) error {
			_, err := readRecords(fr, put)
			return err
		})
	}
	if err != nil {
		if fr.err != nil {
			return nil, fr.err
		}
		if errors.Is(err, ErrBackupDamaged) || errors.Is(err, ErrBackupTruncated) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrBackupDamaged, err)
	}
	if !fr.done {
		return nil, ErrBackupTruncated
	}
	info.Bytes = fr.total
	s.forgetPeople()
	if err := s.checkSchema(); err != nil {
		return nil, err
	}
	return info, s.resumeErasures()
}

// loadBadgerStream restores a format 1 backup (Badger's own stream): into
// a Badger store directly, into another engine through an in-memory
// Badger that it is copied from.
func (s *Store) loadBadgerStream(r io.Reader, replace bool) error {
	// Badger's Load trusts the lengths in the stream (a crafted one makes
	// it allocate without bound or slice out of range): it reads only
	// chunks checked first.
	r = &badgerStream{r: r}
	if be, ok := s.eng.(*badgerEngine); ok && !replace {
		return be.db.Load(r, 256)
	}
	tmp, err := openBadger(Options{InMemory: true}, s.log)
	if err != nil {
		return err
	}
	defer tmp.close()
	if err := tmp.db.Load(r, 256); err != nil {
		return err
	}
	return tmp.view(func(txn kvTxn) error {
		return s.eng.load(replace, func(put func(k, v []byte, exp uint64) error) error {
			it := txn.iterator(iterOptions{values: true})
			defer it.close()
			for it.seek(nil); it.valid(); it.next() {
				item := it.item()
				exp := item.(expiring).ExpiresAt()
				if err := item.Value(func(v []byte) error { return put(item.Key(), v, exp) }); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// maxBadgerChunk bounds one chunk of a format 1 stream. Badger's backup
// writes chunks of a few MiB; anything far larger is not one of them.
const maxBadgerChunk = 64 << 20

// badgerStream reads a format 1 stream (Badger's own: per chunk, a
// little-endian uint64 length and that many bytes of a protobuf KVList),
// handing out each chunk only once its length is within limits and the
// whole of it has arrived, so that whatever reads it (Badger's Load, or
// the check) never allocates from an unchecked length. It is the one
// reader of format 1 contents, as readRecords is of format 2.
type badgerStream struct {
	r   io.Reader
	buf []byte // the rest of the checked chunk
	err error
}

func (b *badgerStream) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.buf, b.err = b.chunk()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// chunk reads and checks the next chunk, with its length in front.
func (b *badgerStream) chunk() ([]byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(b.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, readErr(err)
	}
	n := binary.LittleEndian.Uint64(hdr[:])
	if n > maxBadgerChunk {
		return nil, fmt.Errorf("%w: chunk length", ErrBackupDamaged)
	}
	out := make([]byte, 8+n)
	copy(out, hdr[:])
	if _, err := io.ReadFull(b.r, out[8:]); err != nil {
		return nil, readErr(err)
	}
	return out, nil
}

// CheckBackup reads a whole backup and reports whether it is complete and
// undamaged. Without the key, an encrypted backup is checked for its
// framing only.
func CheckBackup(r io.Reader, key []byte) (*BackupInfo, error) {
	info, fr, err := openBackup(r, key, false)
	if err != nil {
		return nil, err
	}
	if info.Format == 2 && !fr.skipAuth {
		if _, err := readRecords(fr, func(_, _ []byte, _ uint64) error { return nil }); err != nil {
			return nil, err
		}
	} else if info.Format == 1 && !fr.skipAuth {
		if _, err := io.Copy(io.Discard, &badgerStream{r: fr}); err != nil {
			return nil, err
		}
	} else if _, err := io.Copy(io.Discard, fr); err != nil {
		return nil, err
	}
	if !fr.done {
		return nil, ErrBackupTruncated
	}
	info.Bytes = fr.total
	return info, nil
}

// openBackup reads the header and returns a reader of the Badger stream.
// needKey refuses an encrypted backup without a key.
func openBackup(r io.Reader, key []byte, needKey bool) (*BackupInfo, *frameReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != backupMagic {
		return nil, nil, ErrNotBackup
	}
	var n uint32
	if err := binary.Read(br, binary.BigEndian, &n); err != nil || n > 64<<10 {
		return nil, nil, ErrBackupDamaged
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, nil, ErrBackupTruncated
	}
	var info BackupInfo
	if err := json.Unmarshal(hdr, &info); err != nil {
		return nil, nil, ErrBackupDamaged
	}
	if info.Format != 1 && info.Format != 2 {
		return nil, nil, fmt.Errorf("the backup has format %d; this accountbot reads formats 1 and 2: upgrade accountbot", info.Format)
	}
	if info.Schema > SchemaVersion {
		return nil, nil, fmt.Errorf("the backup was made by a newer accountbot (schema %d, this build reads up to %d): upgrade accountbot", info.Schema, SchemaVersion)
	}
	fr := &frameReader{r: br}
	if info.Encrypted {
		if len(key) == 0 {
			if needKey {
				return nil, nil, ErrBackupNeedsKey
			}
			fr.skipAuth = true
			return &info, fr, nil
		}
		aead, err := backupAEAD(key, info.Salt)
		if err != nil {
			return nil, nil, err
		}
		if _, err := open(aead, info.KeyCheck, []byte("check")); err != nil {
			return nil, nil, ErrBackupKey
		}
		fr.aead = aead
	}
	return &info, fr, nil
}

func backupAEAD(key, salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, key, salt, "accountbot backup v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(aead cipher.AEAD, data, ad []byte) []byte {
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(data)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return aead.Seal(out, out, data, ad)
}

func open(aead cipher.AEAD, payload, ad []byte) ([]byte, error) {
	ns := aead.NonceSize()
	if len(payload) < ns {
		return nil, ErrBackupDamaged
	}
	return aead.Open(nil, payload[:ns], payload[ns:], ad)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameWriter cuts what is written into frames.
type frameWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	buf   []byte
	index uint64
	total uint64
}

func (f *frameWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), frameSize-len(f.buf))
		f.buf = append(f.buf, p[:k]...)
		p = p[k:]
		if len(f.buf) == frameSize {
			if err := f.emit(frameData, f.buf); err != nil {
				return 0, err
			}
			f.buf = f.buf[:0]
		}
	}
	return n, nil
}

// Close writes what is buffered and the end frame.
func (f *frameWriter) Close() error {
	if len(f.buf) > 0 {
		if err := f.emit(frameData, f.buf); err != nil {
			return err
		}
	}
	return f.emit(frameEnd, binary.BigEndian.AppendUint64(nil, f.total))
}

func (f *frameWriter) emit(kind byte, data []byte) error {
	if kind == frameData {
		f.total += uint64(len(data))
	}
	var payload []byte
	if f.aead != nil {
		payload = seal(f.aead, data, frameAD(kind, f.index))
	} else {
		payload = binary.BigEndian.AppendUint32(append([]byte(nil), data...), crc32.Checksum(data, castagnoli))
	}
	f.index++
	hdr := binary.BigEndian.AppendUint32([]byte{kind}, uint32(len(payload)))
	if _, err := f.w.Write(hdr); err != nil {
		return err
	}
	_, err := f.w.Write(payload)
	return err
}

func frameAD(kind byte, index uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{kind}, index)
}

// frameReader reads the Badger stream back out of the frames, checking
// each one; it returns io.EOF only after a valid end frame.
type frameReader struct {
	r    *bufio.Reader
	aead cipher.AEAD
	// skipAuth reads an encrypted backup's framing without its key.
	skipAuth bool
	cur      []byte
	index    uint64
	total    uint64
	done     bool
	err      error
}

func (f *frameReader) Read(p []byte) (int, error) {
	for len(f.cur) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		if f.done {
			return 0, io.EOF
		}
		f.err = f.next()
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}

func (f *frameReader) next() error {
	var hdr [5]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrBackupTruncated
		}
		return err
	}
	kind, n := hdr[0], binary.BigEndian.Uint32(hdr[1:])
	if (kind != frameData && kind != frameEnd) || n > maxFrameSize {
		return ErrBackupDamaged
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(f.r, payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrBackupTruncated
		}
		return err
	}
	var data []byte
	switch {
	case f.skipAuth:
		if kind == frameEnd {
			f.done = true
			return nil
		}
		f.index++
		f.total += uint64(max(0, int(n)-28)) // nonce and tag
		return nil
	case f.aead != nil:
		d, err := open(f.aead, payload, frameAD(kind, f.index))
		if err != nil {
			return ErrBackupDamaged
		}
		data = d
	default:
		if len(payload) < 4 || crc32.Checksum(payload[:len(payload)-4], castagnoli) != binary.BigEndian.Uint32(payload[len(payload)-4:]) {
			return ErrBackupDamaged
		}
		data = payload[:len(payload)-4]
	}
	f.index++
	if kind == frameEnd {
		if len(data) != 8 || binary.BigEndian.Uint64(data) != f.total {
			return ErrBackupDamaged
		}
		if _, err := f.r.ReadByte(); err == nil {
			return ErrBackupDamaged // something after the end
		}
		f.done = true
		return nil
	}
	f.total += uint64(len(data))
	f.cur = data
	return nil
}
