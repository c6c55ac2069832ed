package store

import (
	"context"
	"errors"
	"time"

	"accountbot/crm"
)

// Keys of competitors and what was learned about them:
//
//	plx/<key>                      the competitor (JSON), key = normalised name
//	plxn/<key>\x00<at><id>         a note about its policy (JSON)
//	plxc/<client><id>              notes sourced from a client (value: the note's key)
//	plxo/<owner><at><id>           notes by their client's owner (competitor_counts.go)

// AddCompetitorNote stores a note, creating the competitor (named name)
// when it is new. It returns the competitor.
func (s *Store) AddCompetitorNote(ctx context.Context, name string, n *crm.CompetitorNote) (*crm.Competitor, error) {
	var comp crm.Competitor
	err := s.update(ctx, func(tx *Tx) error {
		k := crm.NormalizeName(name)
		err := tx.get(key("plx/", k), &comp)
		switch {
		case errors.Is(err, errNotFound):
			comp = crm.Competitor{Key: k, Name: name, CreatedAt: n.At, CreatedBy: n.By}
			if err := tx.put(key("plx/", k), &comp); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		var owner uint64
		if n.ClientID != 0 {
			c, err := tx.client(n.ClientID)
			if err != nil {
				return err
			}
			owner = c.OwnerID
		}
		id, err := tx.nextID("competitor_note")
		if err != nil {
			return err
		}
		n.ID, n.Key = id, k
		nk := key("plxn/", k, byte(nameSep), n.At, id)
		if n.ClientID != 0 {
			if err := tx.set(key("plxc/", n.ClientID, id), nk); err != nil {
				return err
			}
		}
		if err := tx.set(noteOwnerKey(owner, n.At, id), []byte(k)); err != nil {
			return err
		}
		return tx.put(nk, n)
	})
	if err != nil {
		return nil, err
	}
	return &comp, nil
}

// Competitors returns every competitor, by key.
func (s *Store) Competitors(ctx context.Context) ([]*crm.Competitor, error) {
	var out []*crm.Competitor
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("plx/"), false, true, func(_ []byte, item Item) (bool, error) {
			c, err := decode[crm.Competitor](item)
			out = append(out, c)
			return err == nil, err
		})
	})
	return out, err
}

// CompetitorNotes returns the notes about the competitor with key since
// since, oldest first.
func (s *Store) CompetitorNotes(ctx context.Context, compKey string, since time.Time) ([]*crm.CompetitorNote, error) {
	var out []*crm.CompetitorNote
	prefix := key("plxn/", compKey, byte(nameSep))
	start := prefix
	if !since.IsZero() {
		start = key("plxn/", compKey, byte(nameSep), since)
	}
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scanFromKey(prefix, start, func(_ []byte, item Item) (bool, error) {
			n, err := decode[crm.CompetitorNote](item)
			out = append(out, n)
			return err == nil, err
		})
	})
	return out, err
}

// CompetitorNotesFrom returns the notes sourced from a client, by id.
func (s *Store) CompetitorNotesFrom(ctx context.Context, client uint64) ([]*crm.CompetitorNote, error) {
	var out []*crm.CompetitorNote
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan(key("plxc/", client), false, true, func(_ []byte, item Item) (bool, error) {
			nk, err := item.ValueCopy(nil)
			if err != nil {
				return false, err
			}
			var n crm.CompetitorNote
			if err := tx.get(nk, &n); err != nil {
				return false, err
			}
			out = append(out, &n)
			return true, nil
		})
	})
	return out, err
}
