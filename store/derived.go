package store

import (
	"bytes"
	"strconv"
	"time"

	"accountbot/crm"
)

// Derived copies of client data (button tokens that carry a command line,
// follow-up drafts, note proposals, and whatever a later kind adds) are
// erased with their client through one index rather than a list of kinds
// that a new kind can miss: every such record is written with
// tx.derived, which adds, for each client on the request's trail
// (crm.TouchClient), the key
//
//	dc/<client>/<record key>   (empty; expires with the record)
//
// and the "derived" eraser drops every record listed under the client,
// and the index itself.

// derived indexes the record at k under the clients of the request (see
// above); ttl is the record's own (0: none).
func (tx *Tx) derived(k []byte, ttl time.Duration) error {
	for _, c := range crm.TouchedClients(tx.ctx) {
		if err := tx.setTTL(key("dc/", c, "/", k), nil, ttl); err != nil {
			return err
		}
	}
	return nil
}

// eraseDerived lists the derived copies of the client's data: the records
// of its dc/ index, and button tokens written outside any request trail
// (by the bot on its own) that name the client by its reference.
func eraseDerived(tx *Tx, clientID uint64) ([][]byte, int, error) {
	prefix := key("dc/", clientID, "/")
	keys := [][]byte{prefix}
	err := tx.scan(prefix, false, false, func(k []byte, _ Item) (bool, error) {
		keys = append(keys, bytes.Clone(k[len(prefix):]))
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	ref := []byte("#" + strconv.FormatUint(clientID, 10))
	err = tx.scan([]byte("tok/"), false, true, func(k []byte, item Item) (bool, error) {
		return true, item.Value(func(v []byte) error {
			if refersTo(v, ref) {
				keys = append(keys, bytes.Clone(k))
			}
			return nil
		})
	})
	// Copies are not counted in the erasure's report: the records they
	// copy are, under their own kinds.
	return keys, 0, err
}

// refersTo reports whether text holds ref ("#12") as a whole reference,
// not as the start of "#123".
func refersTo(text, ref []byte) bool {
	for i := 0; ; {
		j := bytes.Index(text[i:], ref)
		if j < 0 {
			return false
		}
		end := i + j + len(ref)
		if end == len(text) || text[end] < '0' || text[end] > '9' {
			return true
		}
		i = end
	}
}
