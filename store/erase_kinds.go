package store

import (
	"encoding/json"
	"errors"

	"accountbot/crm"
)

// historyPrefix is the prefix of one record's history entries.
func historyPrefix(kind string, id uint64) []byte { return key("h/", kind, "/", id) }

// eraseClaims lists every claim of the client with its indexes, pending
// escalations and history.
func eraseClaims(tx *Tx, clientID uint64) ([][]byte, int, error) {
	keys := [][]byte{key("clc/", clientID)}
	n := 0
	err := tx.scan(key("clc/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
		c, err := tx.claim(tailID(k))
		if err != nil {
			return false, err
		}
		n++
		ws, bare := claimIndexKeys(c)
		keys = append(keys, ws...)
		keys = append(keys, bare...)
		keys = append(keys, claimKey(c.ID), key("clx/", c.ID))
		keys = append(keys, historyPrefix("claim", c.ID))
		return true, nil
	})
	return keys, n, err
}

// eraseDeals lists every deal of the client with its indexes and history,
// and takes the deals out of the running totals in the same transaction,
// so that the pipeline no longer counts what can no longer be listed.
func eraseDeals(tx *Tx, clientID uint64) ([][]byte, int, error) {
	keys := [][]byte{key(pDealCli, clientID)}
	var deals []*crm.Deal
	err := tx.scan(key(pDealCli, clientID), false, false, func(k []byte, _ Item) (bool, error) {
		d, err := tx.deal(tailID(k))
		if err != nil {
			return false, err
		}
		deals = append(deals, d)
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	c, err := tx.client(clientID)
	if err != nil && !errors.Is(err, errNotFound) {
		return nil, 0, err
	}
	former, err := tx.formerWonKeys(c, deals)
	if err != nil {
		return nil, 0, err
	}
	keys = append(keys, former...)
	for _, d := range deals {
		keys = append(keys, dealKey(d.ID))
		for _, e := range dealIndexEntries(d) {
			keys = append(keys, e.k)
		}
		if k := wonDealKey(c, d); k != nil {
			keys = append(keys, k)
		}
		if err := tx.addTotal(d, -1); err != nil {
			return nil, 0, err
		}
		keys = append(keys, historyPrefix("deal", d.ID))
	}
	return keys, len(deals), nil
}

// eraseAssistantRecords lists follow-up drafts and note proposals about
// the client: they quote its conversations.
func eraseAssistantRecords(tx *Tx, clientID uint64) ([][]byte, int, error) {
	var keys [][]byte
	for _, prefix := range []string{"fd/", "np/"} {
		err := tx.scan([]byte(prefix), false, true, func(k []byte, item Item) (bool, error) {
			var rec struct {
				ClientID uint64 `json:"client_id"`
				Actions  []struct {
					ClientID uint64 `json:"client_id"`
				} `json:"actions"`
				Candidates []uint64 `json:"candidates"`
			}
			if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &rec) }); err != nil {
				return false, err
			}
			about := rec.ClientID == clientID
			for _, a := range rec.Actions {
				about = about || a.ClientID == clientID
			}
			for _, c := range rec.Candidates {
				about = about || c == clientID
			}
			if about {
				keys = append(keys, append([]byte(nil), k...))
			}
			return true, nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return keys, len(keys), nil
}
