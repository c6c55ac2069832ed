package store

import (
	"context"
	"errors"
	"time"

	"accountbot/crm"
)

// upsertBatch is how many rows one transaction of UpsertClients writes. A
// batch that Badger finds too big is split in two.
const upsertBatch = 500

// UpsertClients creates or updates many clients, matched by normalised
// name, in few transactions (one per upsertBatch rows, each synced once).
// For each name, merge gets the existing client (nil when none) and
// returns the client to store; an error from merge rejects that row alone.
// Indexes and history are kept exactly as CreateClient and UpdateClient
// keep them. Results are in the order of names. An error from the store
// stops the import; rows of batches committed before it stay written.
func (s *Store) UpsertClients(ctx context.Context, at time.Time, names []string, merge crm.ClientMerge) ([]crm.UpsertResult, error) {
	out := make([]crm.UpsertResult, len(names))
	var run func(lo, hi int) error
	run = func(lo, hi int) error {
		err := s.update(ctx, func(tx *Tx) error {
			// Look every name up before the first write: a Badger iterator
			// in a transaction sorts the transaction's pending writes, so
			// lookups between writes would cost a sort each.
			cur := make(map[string]*crm.Client, hi-lo)
			// looks holds, by skeleton (crm.Skeleton), the normalised name
			// of a stored or just-imported client that displays like it, so
			// that a row spelling a client with another alphabet's letters
			// is refused as /client add refuses it.
			looks := map[string]string{}
			for i := lo; i < hi; i++ {
				norm := crm.NormalizeName(names[i])
				if _, ok := cur[norm]; ok || norm == "" {
					continue
				}
				c, err := tx.clientByExactName(norm)
				if err != nil {
					return err
				}
				cur[norm] = c
				if c != nil {
					continue
				}
				sk := crm.Skeleton(names[i])
				for _, probe := range crm.LookalikeProbes(names[i]) {
					ex, err := tx.clientByExactName(crm.NormalizeName(probe))
					if err != nil {
						return err
					}
					if ex != nil && crm.Skeleton(ex.Name) == sk {
						looks[sk] = crm.NormalizeName(ex.Name)
						break
					}
				}
			}
			for i := lo; i < hi; i++ {
				r, err := tx.upsertClient(at, i, names[i], cur, looks, merge)
				if err != nil {
					return err
				}
				out[i] = r
			}
			return nil
		})
		if errors.Is(err, errTxnTooBig) && hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if err := run(lo, mid); err != nil {
				return err
			}
			return run(mid, hi)
		}
		return err
	}
	for lo := 0; lo < len(names); lo += upsertBatch {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if err := run(lo, min(lo+upsertBatch, len(names))); err != nil {
			return out, err
		}
	}
	return out, nil
}

// upsertClient applies one row inside tx. cur holds the stored client of
// each normalised name in the batch (nil for none) and follows the writes.
// A rejection is a result, not an error: only store failures abort the
// transaction.
func (tx *Tx) upsertClient(at time.Time, i int, name string, cur map[string]*crm.Client, looks map[string]string, merge crm.ClientMerge) (crm.UpsertResult, error) {
	norm := crm.NormalizeName(name)
	if norm == "" {
		return crm.UpsertResult{Err: crm.Errorf(crm.EINVALID, "import.err.name_missing")}, nil
	}
	old := cur[norm]
	if old == nil {
		sk := crm.Skeleton(name)
		if other, ok := looks[sk]; ok && other != norm {
			// The row's own spelling is reported, never the other
			// client's: the importer may have no rights over it.
			return crm.UpsertResult{Err: crm.Errorf(crm.ECONFLICT, "import.err.lookalike")}, nil
		}
		if sk != "" {
			defer func() {
				if _, ok := looks[sk]; !ok && cur[norm] != nil {
					looks[sk] = norm
				}
			}()
		}
	}
	var existing *crm.Client
	if old != nil {
		existing = old.Clone()
	}
	c, by, err := merge(i, existing)
	if err != nil {
		return crm.UpsertResult{Err: err}, nil
	}
	if crm.NormalizeName(c.Name) != norm {
		// merge may tidy the spelling, never change which client it is.
		return crm.UpsertResult{Err: crm.Errorf(crm.EINVALID, "import.err.name_missing")}, nil
	}
	if old == nil {
		id, err := tx.nextID("client")
		if err != nil {
			return crm.UpsertResult{}, err
		}
		c.ID = id
		if err := tx.putClient(nil, c); err != nil {
			return crm.UpsertResult{}, err
		}
		cur[norm] = c
		err = tx.addChange(crm.Change{Kind: "client", RecordID: id, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "created", New: c.Name}})
		return crm.UpsertResult{ID: id, Added: true}, err
	}
	c.ID = old.ID
	changes := crm.Diff(old.Fields(), c.Fields())
	if old.OwnerID != c.OwnerID {
		changes = append(changes, crm.FieldChange{Field: "owner", Old: itoa(old.OwnerID), New: itoa(c.OwnerID)})
	}
	if len(changes) == 0 {
		return crm.UpsertResult{ID: old.ID}, nil
	}
	for _, ch := range changes {
		if err := tx.addChange(crm.Change{Kind: "client", RecordID: old.ID, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
			return crm.UpsertResult{}, err
		}
	}
	cur[norm] = c
	return crm.UpsertResult{ID: old.ID, Changed: true}, tx.putClient(old, c)
}
