package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"accountbot/crm"
)

// ReadAgendaAhead says that the agenda of owners up to until (/today, the
// morning agenda) is about to be read: their open tasks, deals closing,
// claims, contact plans, promises, meetings and renewals (OpenTasks,
// OpenDealsClosing, ClaimsOf, PlannedClients, OpenPromises, MeetingsOf,
// OpenRenewals), each family's in its own view, and then the names of the
// clients they concern. Within a request (crm.WithRequestScope), on an
// engine that pays a round trip per read, it reads all of those lists at
// once, then at once the clients, promises and meetings they name, and
// at once again the clients of those promises and meetings (from is the
// day the meetings start from), so that the families' reads are answered
// from the request's transaction: three round trips instead of one or
// two per family. It
// changes no answer, and does nothing on Badger or outside a request.
func (s *Store) ReadAgendaAhead(ctx context.Context, owners []uint64, from, until time.Time) error {
	if crm.RequestScopeOf(ctx) == nil {
		return nil // no transaction to keep what is read
	}
	return s.view(ctx, func(tx *Tx) error {
		if ra, ok := tx.kv.(readAheader); !ok || !ra.keeps() {
			return nil // Badger, or a view of its own (no request transaction free)
		}
		var prefixes [][]byte
		for _, o := range owners {
			prefixes = append(prefixes, key("tu/", o), key(pDealMonth, o), key("clw/", o, byte(1)), key("cls/", o, byte(1)),
				key("plco/", o), key("plpo/", o), key("plmo/", o), key("hro/", o))
		}
		tx.readAhead(nil, prefixes)
		// The keys the families get next, found in what was just read
		// (their walks, from memory now).
		var keys [][]byte
		client := func(id uint64) {
			if id != 0 {
				keys = append(keys, clientKey(id))
			}
		}
		fromMonth, toMonth := closingMonths(crm.ClosingQuery{Owners: owners, To: until})
		for _, o := range owners {
			end := key("tu/", o, until)
			if err := tx.scan(key("tu/", o), false, true, func(k []byte, item Item) (bool, error) {
				if bytes.Compare(k, end) >= 0 {
					return false, nil
				}
				t, err := decode[crm.Task](item)
				if err == nil {
					client(t.ClientID)
				}
				return err == nil, err
			}); err != nil {
				return err
			}
			closing := []keyRange{{lo: key(pDealMonth, o, uint64(fromMonth)), hi: key(pDealMonth, o, uint64(toMonth+1))}}
			if err := tx.scanRanges([]byte(pDealMonth), false, true, closing, func(_ int, _ []byte, item Item) (bool, error) {
				d, err := itemSummary(item)
				if err == nil {
					client(d.ClientID)
				}
				return err == nil, err
			}); err != nil {
				return err
			}
			for _, p := range [][]byte{key("clw/", o, byte(1)), key("cls/", o, byte(1))} {
				if err := tx.scan(p, false, true, func(_ []byte, item Item) (bool, error) {
					err := item.Value(func(v []byte) error {
						sum, err := decodeSummary(v)
						client(sum.ClientID)
						return err
					})
					return err == nil, err
				}); err != nil {
					return err
				}
			}
			if err := tx.scan(key("plco/", o), false, false, func(k []byte, _ Item) (bool, error) {
				client(tailID(k))
				return true, nil
			}); err != nil {
				return err
			}
			for _, id := range tx.idsIn(key("plpo/", o), nil, key("plpo/", o, until)) {
				keys = append(keys, promiseKey(id))
			}
			keys = append(keys, tx.meetingsFrom(o, from, until)...)
		}
		tx.prefetch(keys)
		// And the clients of the promises and meetings just read.
		var more [][]byte
		for _, k := range keys {
			var rec struct {
				ClientID uint64 `json:"client_id"`
			}
			if !bytes.HasPrefix(k, []byte("plp/")) && !bytes.HasPrefix(k, []byte("plm/")) {
				continue
			}
			if err := tx.get(k, &rec); err == nil && rec.ClientID != 0 {
				more = append(more, clientKey(rec.ClientID))
			} else if err != nil && !errors.Is(err, errNotFound) {
				return err
			}
		}
		tx.prefetch(more)
		return nil
	})
}
