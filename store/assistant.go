package store

import (
	"context"
	"encoding/json"
	"time"

	"accountbot/crm"
)

// Keys of the assistant's records:
//
//	fd/<id>    follow-up draft (JSON), expires after draftTTL
//	np/<id>    proposal read from a note (JSON), expires after draftTTL
//
// Both are working copies that buttons refer to, not records of what
// happened (marking a draft as sent logs a conversation; confirming a
// proposal runs commands), so they expire: a client's data does not
// linger in old drafts.

// draftTTL is how long drafts and proposals are kept.
const draftTTL = 30 * 24 * time.Hour

// putTTL encodes v as JSON at key, to expire after draftTTL.
func (tx *Tx) putTTL(k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := tx.derived(k, draftTTL); err != nil {
		return err
	}
	return tx.setTTL(k, b, draftTTL)
}

// CreateDraft stores a new draft and sets its id.
func (s *Store) CreateDraft(ctx context.Context, d *crm.Draft) error {
	return s.update(ctx, func(tx *Tx) error {
		id, err := tx.nextID("draft")
		if err != nil {
			return err
		}
		d.ID = id
		return tx.putTTL(key("fd/", id), d)
	})
}

// Draft returns the draft with id.
func (s *Store) Draft(ctx context.Context, id uint64) (*crm.Draft, error) {
	var d crm.Draft
	if err := s.view(ctx, func(tx *Tx) error { return tx.get(key("fd/", id), &d) }); err != nil {
		return nil, err
	}
	return &d, nil
}

// UpdateDraft applies fn to the draft and stores it; an error from fn
// leaves it unchanged.
func (s *Store) UpdateDraft(ctx context.Context, id uint64, fn func(*crm.Draft) error) (*crm.Draft, error) {
	var out crm.Draft
	err := s.update(ctx, func(tx *Tx) error {
		out = crm.Draft{} // a retried transaction starts afresh
		if err := tx.get(key("fd/", id), &out); err != nil {
			return err
		}
		if err := fn(&out); err != nil {
			return err
		}
		out.ID = id
		return tx.putTTL(key("fd/", id), &out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateProposal stores a new proposal and sets its id.
func (s *Store) CreateProposal(ctx context.Context, p *crm.Proposal) error {
	return s.update(ctx, func(tx *Tx) error {
		id, err := tx.nextID("proposal")
		if err != nil {
			return err
		}
		p.ID = id
		return tx.putTTL(key("np/", id), p)
	})
}

// Proposal returns the proposal with id.
func (s *Store) Proposal(ctx context.Context, id uint64) (*crm.Proposal, error) {
	var p crm.Proposal
	if err := s.view(ctx, func(tx *Tx) error { return tx.get(key("np/", id), &p) }); err != nil {
		return nil, err
	}
	return &p, nil
}

// UpdateProposal applies fn to the proposal and stores it; an error from
// fn leaves it unchanged. Two concurrent updates are serialised by the
// transaction, so a check in fn (still pending?) holds when it commits.
func (s *Store) UpdateProposal(ctx context.Context, id uint64, fn func(*crm.Proposal) error) (*crm.Proposal, error) {
	var out crm.Proposal
	err := s.update(ctx, func(tx *Tx) error {
		out = crm.Proposal{} // a retried transaction starts afresh
		if err := tx.get(key("np/", id), &out); err != nil {
			return err
		}
		if err := fn(&out); err != nil {
			return err
		}
		out.ID = id
		return tx.putTTL(key("np/", id), &out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
