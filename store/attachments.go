package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"accountbot/crm"
)

// Attachments live in the store itself rather than in files next to it,
// so that they are encrypted at rest with the store, go into every backup
// and restore with it, move with a backup from Badger to PostgreSQL, and
// are erased by the same prefix drops as the rest of a client. A file is
// cut into chunks of AttachmentChunk bytes, each its own value, so that
// neither engine holds a huge value and no transaction grows past Badger's
// batch limit (a few chunks per transaction).
//
// Keys:
//
//	am/<id>              the attachment's record (JSON crm.Attachment)
//	ad/<id><n>           chunk n of its bytes (raw)
//	ac/<client><id>      the client's attachments (empty value)
//	pc/<person>          the person's pending capture (JSON crm.PendingCapture)
//
// The bytes are written first and the record last: a crash in between
// leaves chunks that nothing lists, under the attachment's own prefix, and
// no record that points at missing bytes.

// AttachmentChunk is the size of one stored piece of a file.
const AttachmentChunk = 512 << 10

// chunksPerTx is how many chunks one transaction writes: 1.5 MiB, under
// Badger's batch limit (15 % of the 16 MiB memtable the store uses).
const chunksPerTx = 3

// pendingCaptureTTL is how long a pending capture waits for its client.
const pendingCaptureTTL = 24 * time.Hour

func attachmentKey(id uint64) []byte  { return key("am/", id) }
func attachmentData(id uint64) []byte { return key("ad/", id) }

// SaveAttachment stores the file's bytes and its record, and gives it its
// id. With a.ClientID 0 the file waits, listed nowhere, until FileAttachment
// gives it a client. The last chunks go in the record's own transaction,
// so that a photo of a megabyte or two costs one synced commit.
func (s *Store) SaveAttachment(ctx context.Context, a *crm.Attachment, data []byte) error {
	id, err := s.nextID("attachment")
	if err != nil {
		return mapErr(err)
	}
	a.ID, a.Size = id, int64(len(data))
	a.Chunks = (len(data) + AttachmentChunk - 1) / AttachmentChunk
	putChunks := func(tx *Tx, from, to int) error {
		for i := from; i < to; i++ {
			end := min((i+1)*AttachmentChunk, len(data))
			if err := tx.set(key(attachmentData(id), uint64(i)), data[i*AttachmentChunk:end]); err != nil {
				return err
			}
		}
		return nil
	}
	last := max(0, a.Chunks-chunksPerTx)
	// The earlier chunks carry no delivery key: the record's transaction
	// does, so a redelivered message finds it and writes nothing twice.
	plain := crm.WithoutDeliveryKey(ctx)
	for n := 0; n < last; n += chunksPerTx {
		if err := s.update(plain, func(tx *Tx) error { return putChunks(tx, n, min(n+chunksPerTx, last)) }); err != nil {
			return err
		}
	}
	return s.update(ctx, func(tx *Tx) error {
		if a.ClientID != 0 {
			if _, err := tx.client(a.ClientID); err != nil {
				return err
			}
			if err := tx.set(key("ac/", a.ClientID, id), nil); err != nil {
				return err
			}
		}
		if err := putChunks(tx, last, a.Chunks); err != nil {
			return err
		}
		return tx.put(attachmentKey(id), a)
	})
}

// FileAttachment gives a waiting attachment its client and record.
func (s *Store) FileAttachment(ctx context.Context, id, clientID uint64, recordKind string, recordID uint64) (*crm.Attachment, error) {
	var out *crm.Attachment
	err := s.update(ctx, func(tx *Tx) error {
		var a crm.Attachment
		if err := tx.get(attachmentKey(id), &a); err != nil {
			return err
		}
		if a.ClientID != 0 && a.ClientID != clientID {
			return crm.Errorf(crm.ECONFLICT, "capture.already_filed", "id", a.Ref())
		}
		if _, err := tx.client(clientID); err != nil {
			return err
		}
		a.ClientID, a.RecordKind, a.RecordID = clientID, recordKind, recordID
		if err := tx.set(key("ac/", clientID, id), nil); err != nil {
			return err
		}
		out = &a
		return tx.put(attachmentKey(id), &a)
	})
	return out, err
}

// Attachment returns an attachment's record.
func (s *Store) Attachment(ctx context.Context, id uint64) (*crm.Attachment, error) {
	var a crm.Attachment
	err := s.view(ctx, func(tx *Tx) error { return tx.get(attachmentKey(id), &a) })
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// AttachmentData returns an attachment's bytes.
func (s *Store) AttachmentData(ctx context.Context, id uint64) ([]byte, error) {
	a, err := s.Attachment(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, a.Size)
	n := 0
	err = s.view(ctx, func(tx *Tx) error {
		return tx.scan(attachmentData(id), false, true, func(_ []byte, item Item) (bool, error) {
			n++
			return true, item.Value(func(b []byte) error { out = append(out, b...); return nil })
		})
	})
	if err != nil {
		return nil, err
	}
	if n != a.Chunks || int64(len(out)) != a.Size {
		return nil, crm.Internal(fmt.Errorf("attachment %s: %d of %d chunks, %d of %d bytes", a.Ref(), n, a.Chunks, len(out), a.Size))
	}
	return out, nil
}

// ClientAttachments returns the client's attachments, oldest first.
func (s *Store) ClientAttachments(ctx context.Context, clientID uint64) ([]*crm.Attachment, error) {
	var out []*crm.Attachment
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(clientID)
		return tx.scan(key("ac/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
			var a crm.Attachment
			if err := tx.get(attachmentKey(tailID(k)), &a); err != nil {
				if crm.IsNotFound(mapErr(err)) {
					return true, nil
				}
				return false, err
			}
			out = append(out, &a)
			return true, nil
		})
	})
	return out, err
}

// deleteAttachment removes a waiting attachment and its bytes in tx.
func (tx *Tx) deleteAttachment(id uint64) error {
	var a crm.Attachment
	if err := tx.get(attachmentKey(id), &a); err != nil {
		if crm.IsNotFound(mapErr(err)) {
			return nil
		}
		return err
	}
	if a.ClientID != 0 {
		return nil // filed meanwhile: it is a client's now
	}
	for i := range a.Chunks {
		if err := tx.del(key(attachmentData(id), uint64(i))); err != nil {
			return err
		}
	}
	return tx.del(attachmentKey(id))
}

// DiscardAttachment drops a file that still waits for its client (a
// cancelled capture); a filed one stays.
func (s *Store) DiscardAttachment(ctx context.Context, id uint64) error {
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error { return tx.deleteAttachment(id) })
}

// PutPendingCapture makes p the person's pending capture, giving it a new
// Seq. The one it replaces is dropped, with its waiting file.
func (s *Store) PutPendingCapture(ctx context.Context, p *crm.PendingCapture) error {
	seq, err := s.nextID("capture")
	if err != nil {
		return mapErr(err)
	}
	p.Seq = seq
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		var old crm.PendingCapture
		switch err := tx.get(key("pc/", p.PersonID), &old); {
		case err == nil:
			if old.AttachmentID != 0 && old.AttachmentID != p.AttachmentID {
				if err := tx.deleteAttachment(old.AttachmentID); err != nil {
					return err
				}
			}
		case !crm.IsNotFound(mapErr(err)):
			return err
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		k := key("pc/", p.PersonID)
		// It expires by itself a little after PendingCapture stops taking
		// it, and is indexed like every derived copy (tx.derived).
		if err := tx.setTTL(k, b, pendingCaptureTTL+time.Hour); err != nil {
			return err
		}
		return tx.derived(k, pendingCaptureTTL+time.Hour)
	})
}

// PendingCapture returns the person's pending capture, or crm.ErrNotFound
// when there is none or it is older than a day (by now).
func (s *Store) PendingCapture(ctx context.Context, personID uint64, now time.Time) (*crm.PendingCapture, error) {
	var p crm.PendingCapture
	if err := s.view(ctx, func(tx *Tx) error { return tx.get(key("pc/", personID), &p) }); err != nil {
		return nil, err
	}
	if now.Sub(p.At) > pendingCaptureTTL {
		return nil, crm.ErrNotFound
	}
	return &p, nil
}

// TakePendingCapture removes the person's pending capture when its Seq is
// seq, and returns it; an older question's buttons get crm.ErrNotFound.
// The waiting file, if any, stays: the caller files it.
func (s *Store) TakePendingCapture(ctx context.Context, personID, seq uint64) (*crm.PendingCapture, error) {
	var p crm.PendingCapture
	err := s.update(ctx, func(tx *Tx) error {
		if err := tx.get(key("pc/", personID), &p); err != nil {
			return err
		}
		if p.Seq != seq {
			return crm.ErrNotFound
		}
		return tx.del(key("pc/", personID))
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// AppendToConversation adds a line to a logged conversation's text (a
// visit's outcome, sent after the visit was logged).
func (s *Store) AppendToConversation(ctx context.Context, clientID uint64, at time.Time, id uint64, line string) error {
	return s.update(ctx, func(tx *Tx) error {
		k := key("v/", clientID, at, id)
		var c crm.Conversation
		if err := tx.get(k, &c); err != nil {
			return err
		}
		c.Text += "\n" + line
		return tx.put(k, &c)
	})
}

// eraseAttachments lists the client's attachments with their bytes, and
// pending captures that name the client.
func eraseAttachments(tx *Tx, clientID uint64) ([][]byte, int, error) {
	keys := [][]byte{key("ac/", clientID)}
	n := 0
	err := tx.scan(key("ac/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
		id := tailID(k)
		keys = append(keys, attachmentKey(id), attachmentData(id))
		n++
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	err = tx.scan([]byte("pc/"), false, true, func(k []byte, item Item) (bool, error) {
		p, err := decode[crm.PendingCapture](item)
		if err != nil {
			return false, err
		}
		if p.ClientID == clientID {
			keys = append(keys, append([]byte(nil), k...))
		}
		return true, nil
	})
	return keys, n, err
}
