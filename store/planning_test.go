package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
)

var planT0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func audienceOf(t *testing.T, s *Store) map[uint64]crm.AudienceRow {
	t.Helper()
	out := map[uint64]crm.AudienceRow{}
	if err := s.Audience(context.Background(), func(r crm.AudienceRow) bool { out[r.ClientID] = r; return true }); err != nil {
		t.Fatal(err)
	}
	return out
}

// The source index (behind /campaign leads by source) follows a client's
// source; the audience rows themselves are the contract's
// (storetest.RunPlanning).
func TestSourceIndexFollowsClient(t *testing.T) {
	ctx := context.Background()
	s := openMem(t)
	c := &crm.Client{Name: "Acme", Source: "Agra 2027", OwnerID: 1, CreatedAt: planT0, ReviewedAt: planT0}
	if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.clientsBySource(ctx, "AGRA 2027"); len(ids) != 1 || ids[0] != c.ID {
		t.Fatalf("by source: %v", ids)
	}
	if _, err := s.UpdateClient(ctx, c.ID, crm.Actor{PersonID: 1}, planT0, func(c *crm.Client) error {
		c.Source = "Web"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.clientsBySource(ctx, "Agra 2027"); len(ids) != 0 {
		t.Errorf("the old source still finds the client: %v", ids)
	}
	if ids, _ := s.clientsBySource(ctx, "web"); len(ids) != 1 {
		t.Errorf("the new source does not find the client: %v", ids)
	}
}

// A store written before the audience index existed is indexed on first
// use.
func TestAudienceIndexesOldStores(t *testing.T) {
	ctx := context.Background()
	s := openMem(t)
	for i, name := range []string{"A", "B", "C"} {
		if err := s.CreateClient(ctx, &crm.Client{Name: name, City: "Sofia", OwnerID: uint64(i + 1), CreatedAt: planT0}, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.eng.update(func(txn kvTxn) error {
		for _, k := range [][]byte{audienceMarker, audienceKey(1), audienceKey(2), audienceKey(3)} {
			if err := txn.del(k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows := audienceOf(t, s)
	if len(rows) != 3 || rows[2].OwnerID != 2 || rows[3].City != "Sofia" {
		t.Errorf("rows after indexing: %+v", rows)
	}
	done := false
	_ = s.view(ctx, func(tx *Tx) (err error) { done, err = tx.has(audienceMarker); return err })
	if !done {
		t.Error("the index is not marked complete")
	}
}

// Erasing a client leaves none of its planning records in any file, and
// keeps those of other clients.
func TestEraseClientDropsPlanning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openDisk(t, dir, nil)
	other := addClient(t, s, "Keep Me Ltd", 1)
	c := addClient(t, s, "Gone Ltd", 1)
	// Markers without a shared prefix, each unique to its record.
	var m []string
	for i := 0; i < 5; i++ {
		m = append(m, uniqueMarker(t)[3:])
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.SetContactPlan(ctx, &crm.ContactPlan{ClientID: c.ID, Every: crm.Cadence{Days: 7}, SetAt: planT0}, crm.Actor{PersonID: 1})
	must(err)
	must(s.AddPlanNote(ctx, &crm.PlanNote{ClientID: c.ID, Kind: crm.NoteGoal, Text: "goal " + m[0], By: 1, At: planT0}))
	must(s.CreateMeeting(ctx, &crm.Meeting{ClientID: c.ID, PersonID: 1, At: planT0.Add(time.Hour), Topic: "topic " + m[1]}))
	must(s.CreatePromise(ctx, &crm.Promise{ClientID: c.ID, Text: "promise " + m[2], Due: planT0, CreatedAt: planT0}))
	must(s.AddPayment(ctx, &crm.Payment{ClientID: c.ID, DaysLate: 3, Invoice: "inv " + m[3], At: planT0}))
	_, err = s.AddCompetitorNote(ctx, "Metro", &crm.CompetitorNote{Aspect: crm.AspectPrice, Text: "note " + m[4], ClientID: c.ID, At: planT0})
	must(err)
	_, err = s.AddCompetitorNote(ctx, "Metro", &crm.CompetitorNote{Aspect: crm.AspectPrice, Text: "kept note", ClientID: other.ID, At: planT0})
	must(err)
	camp := &crm.Campaign{Name: "Fair", Kind: crm.CampaignFair, Date: planT0}
	must(s.CreateCampaign(ctx, camp))
	_, err = s.AddLead(ctx, &crm.Lead{CampaignID: camp.ID, ClientID: c.ID, At: planT0}, crm.Actor{PersonID: 1})
	must(err)
	s.Close()
	s = openDisk(t, dir, nil)
	defer s.Close()
	// Half is in tables now; the markers go once more to the write-ahead
	// log, where compression cannot hide them from the search.
	must(s.AddPlanNote(ctx, &crm.PlanNote{ClientID: c.ID, Kind: crm.NoteRisk, Text: strings.Join(m, " "), By: 1, At: planT0}))
	for _, mk := range m {
		if len(filesContaining(t, dir, []byte(mk))) == 0 {
			t.Fatalf("before erasure %q is in no file: the test would prove nothing", mk)
		}
	}
	er, err := s.EraseClient(ctx, c.ID)
	must(err)
	if er.Counts["planning"] < 3 {
		t.Errorf("counts: %+v", er.Counts)
	}
	for _, mk := range m {
		if f := filesContaining(t, dir, []byte(mk)); len(f) > 0 {
			t.Errorf("%q is still in %v", mk, f)
		}
	}
	if rows := audienceOf(t, s); len(rows) != 1 || rows[other.ID].ClientID != other.ID {
		t.Errorf("audience rows: %+v", rows)
	}
	if p, _ := s.OpenPromises(ctx, []uint64{1}, planT0.AddDate(1, 0, 0)); len(p) != 0 {
		t.Errorf("promises left: %+v", p)
	}
	if ms, _ := s.MeetingsOf(ctx, []uint64{1}, planT0.AddDate(-1, 0, 0), planT0.AddDate(1, 0, 0)); len(ms) != 0 {
		t.Errorf("meetings left: %+v", ms)
	}
	notes, _ := s.CompetitorNotes(ctx, "metro", time.Time{})
	if len(notes) != 1 || notes[0].ClientID != other.ID {
		t.Errorf("competitor notes: %+v", notes)
	}
	if leads, _ := s.CampaignLeads(ctx, camp); len(leads) != 0 {
		t.Errorf("leads left: %+v", leads)
	}
}
