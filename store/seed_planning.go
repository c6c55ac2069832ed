package store

import "accountbot/crm"

// Claim adds a claim with its indexes to a bulk load (generated data for
// benchmarks, imports); the claim's id is the caller's.
func (sd *Seeder) Claim(c *crm.Claim) {
	sd.id("claim", c.ID)
	sd.entries(claimIndexEntries(c))
	sd.json(claimKey(c.ID), c)
}

// Promise adds a promise with its indexes to a bulk load; its id and
// owner (the client's) are the caller's.
func (sd *Seeder) Promise(p *crm.Promise) {
	sd.id("promise", p.ID)
	if p.Open() {
		sd.set(promiseOpenKey(p), nil)
	}
	sd.set(key("plpc/", p.ClientID, p.ID), nil)
	sd.json(promiseKey(p.ID), p)
}

// Competitor adds a competitor (without notes) to a bulk load.
func (sd *Seeder) Competitor(c *crm.Competitor) {
	sd.json(key("plx/", c.Key), c)
}

// CompetitorNote adds a note about a competitor added with Competitor;
// its id and key are the caller's, owner is its client's owner (0 for a
// note without a client).
func (sd *Seeder) CompetitorNote(n *crm.CompetitorNote, owner uint64) {
	sd.id("competitor_note", n.ID)
	nk := key("plxn/", n.Key, byte(nameSep), n.At, n.ID)
	if n.ClientID != 0 {
		sd.set(key("plxc/", n.ClientID, n.ID), nk)
	}
	sd.set(noteOwnerKey(owner, n.At, n.ID), []byte(n.Key))
	sd.json(nk, n)
}

// Campaign adds a campaign with its name index to a bulk load; its id is
// the caller's. Its leads are the clients whose source is its name.
func (sd *Seeder) Campaign(c *crm.Campaign) {
	sd.id("campaign", c.ID)
	sd.set(key("plkn/", crm.NormalizeName(c.Name)), u64(c.ID))
	sd.json(campaignKey(c.ID), c)
}
