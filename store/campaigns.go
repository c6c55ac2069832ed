package store

import (
	"context"
	"errors"

	"accountbot/crm"
)

// Keys of campaigns and leads:
//
//	plk/<id>                    the campaign (JSON)
//	plkn/<normalised name>      the campaign's id (its name is unique)
//	plkl/<campaign><client>     a lead tied by /lead (JSON crm.Lead)
//	plkc/<campaign>             how many leads the campaign has (8 bytes)
//	meta/campaigns/leads        the counts are complete (version)
//
// A client whose source names a campaign is its lead too: the source
// index (plsrc/, audience.go) finds those. A campaign's count is of the
// clients that are its leads either way (tied, or by their source, or
// both), kept in the transaction of every write that changes one of the
// two: a lead tied (AddLead), a client's source changed (putClient), a
// client erased (planningClientKeys), a campaign created with clients
// already naming it. A store written before the counts existed, or bulk
// loaded without them, counts every campaign once, on first use.

func campaignKey(id uint64) []byte { return key("plk/", id) }

func leadCountKey(campaign uint64) []byte { return key("plkc/", campaign) }

var leadCountsMarker = []byte("meta/campaigns/leads")

const leadCountsVersion = 1

// campaignNamed returns the id of the campaign whose normalised name is
// norm; ok is false when there is none.
func (tx *Tx) campaignNamed(norm string) (id uint64, ok bool, err error) {
	if norm == "" {
		return 0, false, nil
	}
	v, _, err := tx.value(key("plkn/", norm))
	if err != nil || len(v) < 8 {
		return 0, false, err
	}
	return tailID(v), true, nil
}

// leadsFollowClient keeps the lead counts in step with a client's source
// (old nil for a new client): the campaign it named loses a lead and the
// campaign it names gains one, unless the client is tied to it by /lead
// (and so counted already).
func (tx *Tx) leadsFollowClient(old, c *crm.Client) error {
	was := ""
	if old != nil {
		was = crm.NormalizeName(old.Source)
	}
	now := crm.NormalizeName(c.Source)
	if was == now {
		return nil
	}
	for _, d := range []struct {
		norm  string
		delta int
	}{{was, -1}, {now, +1}} {
		id, ok, err := tx.campaignNamed(d.norm)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		tied, err := tx.has(key("plkl/", id, c.ID))
		if err != nil {
			return err
		}
		if !tied {
			if err := tx.addDelta(leadCountKey(id), d.delta); err != nil {
				return err
			}
		}
	}
	return nil
}

// countLeads counts the leads of the campaign with id and normalised name
// norm from the two indexes' keys (no lead or client is read).
func (tx *Tx) countLeads(id uint64, norm string) (int, error) {
	ids := map[uint64]bool{}
	if err := tx.scan(key("plkl/", id), false, false, func(k []byte, _ Item) (bool, error) {
		ids[tailID(k)] = true
		return true, nil
	}); err != nil {
		return 0, err
	}
	if norm != "" {
		if err := tx.scan(key("plsrc/", norm, byte(nameSep)), false, false, func(k []byte, _ Item) (bool, error) {
			ids[tailID(k)] = true
			return true, nil
		}); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// ensureLeadCounts counts every campaign's leads, in one transaction,
// when the counts are not known to be complete.
func (s *Store) ensureLeadCounts(ctx context.Context) error {
	if err := s.ensureAudience(ctx); err != nil {
		return err
	}
	return s.buildOnce(ctx, leadCountsMarker, leadCountsVersion, func(tx *Tx) error {
		var camps []*crm.Campaign
		if err := tx.scan([]byte("plk/"), false, true, func(_ []byte, item Item) (bool, error) {
			c, err := decode[crm.Campaign](item)
			camps = append(camps, c)
			return err == nil, err
		}); err != nil {
			return err
		}
		for _, c := range camps {
			n, err := tx.countLeads(c.ID, crm.NormalizeName(c.Name))
			if err != nil {
				return err
			}
			if err := tx.setCount(leadCountKey(c.ID), n); err != nil {
				return err
			}
		}
		return nil
	})
}

// setCount stores a count, deleting it at zero (as flushDeltas does).
func (tx *Tx) setCount(k []byte, n int) error {
	if n <= 0 {
		if err := tx.del(k); err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		return nil
	}
	return tx.set(k, u64(uint64(n)))
}

// CreateCampaign stores a new campaign; a campaign with the same name (as
// names compare) is a conflict.
func (s *Store) CreateCampaign(ctx context.Context, c *crm.Campaign) error {
	return s.update(ctx, func(tx *Tx) error {
		nk := key("plkn/", crm.NormalizeName(c.Name))
		if ok, err := tx.has(nk); err != nil {
			return err
		} else if ok {
			return crm.Errorf(crm.ECONFLICT, "campaign.exists", "name", c.Name)
		}
		id, err := tx.nextID("campaign")
		if err != nil {
			return err
		}
		c.ID = id
		if err := tx.set(nk, u64(id)); err != nil {
			return err
		}
		// Clients may name the campaign as their source already.
		n, err := tx.countLeads(id, crm.NormalizeName(c.Name))
		if err != nil {
			return err
		}
		if err := tx.setCount(leadCountKey(id), n); err != nil {
			return err
		}
		if err := tx.addChange(crm.Change{Kind: "campaign", RecordID: id, At: c.CreatedAt, By: c.CreatedBy,
			FieldChange: crm.FieldChange{Field: "created", New: c.Name}}); err != nil {
			return err
		}
		return tx.put(campaignKey(id), c)
	})
}

// Campaigns returns every campaign, by id.
func (s *Store) Campaigns(ctx context.Context) ([]*crm.Campaign, error) {
	var out []*crm.Campaign
	err := s.view(ctx, func(tx *Tx) error {
		// The list of campaigns is shown with each one's lead count
		// (CampaignLeadCount): both are few rows, read at once.
		tx.readAhead(nil, [][]byte{[]byte("plk/"), []byte("plkc/")})
		return tx.scan([]byte("plk/"), false, true, func(_ []byte, item Item) (bool, error) {
			c, err := decode[crm.Campaign](item)
			out = append(out, c)
			return err == nil, err
		})
	})
	return out, err
}

// CampaignByName returns the campaign whose name equals name as names
// compare, or crm.ErrNotFound.
func (s *Store) CampaignByName(ctx context.Context, name string) (*crm.Campaign, error) {
	var c crm.Campaign
	err := s.view(ctx, func(tx *Tx) error {
		item, err := tx.item(key("plkn/", crm.NormalizeName(name)))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		return tx.get(campaignKey(tailID(v)), &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// AddLead ties a client to a campaign: it records the lead and sets the
// client's source to the campaign's name (in the client's history), in one
// transaction. It reports false when the client was already a lead of it.
func (s *Store) AddLead(ctx context.Context, l *crm.Lead, by crm.Actor) (bool, error) {
	added := false
	err := s.update(ctx, func(tx *Tx) error {
		var camp crm.Campaign
		if err := tx.get(campaignKey(l.CampaignID), &camp); err != nil {
			return err
		}
		old, err := tx.client(l.ClientID)
		if err != nil {
			return err
		}
		lk := key("plkl/", l.CampaignID, l.ClientID)
		had, err := tx.has(lk)
		if err != nil {
			return err
		}
		if had && crm.NormalizeName(old.Source) == crm.NormalizeName(camp.Name) {
			return nil
		}
		added = !had
		if !had {
			if err := tx.put(lk, l); err != nil {
				return err
			}
			// A new lead, unless its source counted it already (the
			// source set below then changes no count: it is tied).
			if crm.NormalizeName(old.Source) != crm.NormalizeName(camp.Name) {
				if err := tx.addDelta(leadCountKey(camp.ID), +1); err != nil {
					return err
				}
			}
		}
		if crm.NormalizeName(old.Source) == crm.NormalizeName(camp.Name) {
			return nil
		}
		c := old.Clone()
		c.Source = camp.Name
		if err := tx.addChange(crm.Change{Kind: "client", RecordID: c.ID, At: l.At, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "source", Old: old.Source, New: c.Source}}); err != nil {
			return err
		}
		return tx.putClient(old, c)
	})
	return added, err
}

// CampaignLeads returns the leads of a campaign: those tied by /lead and
// the clients whose source is the campaign's name (with the client's
// creation as the time, and no author), by client id.
func (s *Store) CampaignLeads(ctx context.Context, c *crm.Campaign) ([]crm.Lead, error) {
	bySource, err := s.clientsBySource(ctx, c.Name)
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	var out []crm.Lead
	err = s.view(ctx, func(tx *Tx) error {
		if err := tx.scan(key("plkl/", c.ID), false, true, func(_ []byte, item Item) (bool, error) {
			l, err := decode[crm.Lead](item)
			if err != nil {
				return false, err
			}
			seen[l.ClientID] = true
			out = append(out, *l)
			return true, nil
		}); err != nil {
			return err
		}
		for _, id := range bySource {
			if seen[id] {
				continue
			}
			cl, err := tx.client(id)
			if errors.Is(err, errNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, crm.Lead{CampaignID: c.ID, ClientID: id, At: cl.CreatedAt})
		}
		return nil
	})
	return out, err
}

// ClientLeads returns the leads recorded by /lead for a client, one per
// campaign, by campaign id.
func (s *Store) ClientLeads(ctx context.Context, client uint64) ([]crm.Lead, error) {
	var out []crm.Lead
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("plk/"), false, false, func(k []byte, _ Item) (bool, error) {
			var l crm.Lead
			err := tx.get(key("plkl/", tailID(k), client), &l)
			if errors.Is(err, errNotFound) {
				return true, nil
			}
			out = append(out, l)
			return err == nil, err
		})
	})
	return out, err
}

// CampaignLeadCount returns how many clients are leads of a campaign (tied
// by /lead or with the campaign as their source), as CampaignLeads lists
// them, from the campaign's maintained count: one read, however many
// leads it has.
func (s *Store) CampaignLeadCount(ctx context.Context, c *crm.Campaign) (int, error) {
	if err := s.ensureLeadCounts(ctx); err != nil {
		return 0, err
	}
	var n uint64
	err := s.view(ctx, func(tx *Tx) (err error) {
		n, err = tx.counter(leadCountKey(c.ID))
		return err
	})
	return int(n), err
}
