package storetest

import (
	"crypto/rand"
	"strconv"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

// The moments the cases start from.
var (
	dataT0   = t0
	planT0   = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	healthT0 = planT0
)

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// atRisk is a health at score, lowered by contact.
func atRisk(score int) crm.Health {
	return crm.Health{Score: score, Band: crm.BandOf(score), Factors: []crm.HealthFactor{{Name: crm.HealthContact, Effect: score - 100, Args: map[string]int{"days": 64, "cadence": 14, "planned": 1}}}}
}

// audienceOf returns the audience rows by client.
func audienceOf(t *testing.T, s *store.Store) map[uint64]crm.AudienceRow {
	t.Helper()
	out := map[uint64]crm.AudienceRow{}
	if err := s.Audience(ctx, func(r crm.AudienceRow) bool { out[r.ClientID] = r; return true }); err != nil {
		t.Fatal(err)
	}
	return out
}

// addDataClient adds a client created and reviewed at dataT0.
func addDataClient(t testing.TB, s *store.Store, name string, owner uint64) *crm.Client {
	t.Helper()
	c := &crm.Client{Name: name, OwnerID: owner, CreatedAt: dataT0, ReviewedAt: dataT0}
	if err := s.CreateClient(ctx, c, crm.Actor{PersonID: owner}); err != nil {
		t.Fatal(err)
	}
	return c
}
