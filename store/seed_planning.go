package store

import "accountbot/crm"

// Claim adds a claim with its indexes to a bulk load (generated data for
// benchmarks, imports); the claim's id is the caller's.
func (sd *Seeder) Claim(c *crm.Claim) {
	sd.id("claim", c.ID)
	ws, bare := claimIndexKeys(c)
	sum := encodeSummary(c)
	for _, k := range ws {
		sd.set(k, sum)
	}
	for _, k := range bare {
		sd.set(k, nil)
	}
	sd.json(claimKey(c.ID), c)
}
