package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

func testClientIndexes(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i, name := range []string{"Acme", "Acme Bulgaria", "Петров ЕООД", "Beta"} {
		c := &crm.Client{Name: name, OwnerID: uint64(1 + i%2), CreatedAt: now, ReviewedAt: now}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"acme", []string{"Acme", "Acme Bulgaria"}},
		{"Акме б", []string{"Acme Bulgaria"}},
		{"petrov", []string{"Петров ЕООД"}},
		{"ПЕТРОВ", []string{"Петров ЕООД"}},
		{"gamma", nil},
	}
	for _, tt := range tests {
		got, err := s.FindClients(ctx, tt.q, 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != strings.Join(tt.want, ",") {
			t.Errorf("FindClients(%q) = %v, want %v", tt.q, names, tt.want)
		}
	}
	mine, _ := s.ClientsByOwner(ctx, []uint64{1})
	if len(mine) != 2 {
		t.Fatalf("owner 1 has %d clients", len(mine))
	}
	// Renaming and reassigning move the indexes.
	if _, err := s.UpdateClient(ctx, mine[0].ID, crm.Actor{PersonID: 1}, now, func(c *crm.Client) error {
		c.Name, c.OwnerID = "Gamma", 2
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindClients(ctx, "gamma", 0); len(got) != 1 {
		t.Errorf("renamed client not found by its new name")
	}
	if got, _ := s.FindClients(ctx, mine[0].Name, 0); len(got) != 0 && got[0].ID == mine[0].ID && crm.NormalizeName(got[0].Name) != crm.NormalizeName("Gamma") {
		t.Errorf("renamed client still found by its old name")
	}
	if got, _ := s.ClientsByOwner(ctx, []uint64{1}); len(got) != 1 {
		t.Errorf("owner index not moved: %d", len(got))
	}
	hist, _ := s.History(ctx, "client", mine[0].ID)
	var fields []string
	for _, h := range hist {
		fields = append(fields, h.Field)
	}
	if strings.Join(fields, ",") != "created,name,owner" {
		t.Errorf("history fields %v", fields)
	}
	// A name that folds to an existing one is a conflict.
	err := s.CreateClient(ctx, &crm.Client{Name: "BETA"}, crm.Actor{})
	if crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("duplicate name: %v", err)
	}
}

func testStaleUsesOwnerIndex(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	old := now.AddDate(0, 0, -40)
	mk := func(name string, touch, review time.Time) {
		c := &crm.Client{Name: name, OwnerID: 7, CreatedAt: review, ReviewedAt: review, LastTouch: touch}
		if err := s.CreateClient(ctx, c, crm.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	mk("fresh", now, now)
	mk("untouched", old, now)
	mk("never touched, new", time.Time{}, now)
	mk("never touched, old", time.Time{}, old)
	mk("unreviewed", now, now.AddDate(0, 0, -100))
	got, err := s.StaleClients(ctx, crm.StaleQuery{Owners: []uint64{7}, TouchBefore: now.AddDate(0, 0, -30), ReviewBefore: now.AddDate(0, 0, -90)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got.Clients {
		names = append(names, c.Name)
	}
	want := "untouched,never touched, old,unreviewed"
	if strings.Join(names, ",") != want {
		t.Errorf("stale = %q, want %q", strings.Join(names, ","), want)
	}
}

func testStaleSummaryMatchesStaleClients(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 40; i++ {
		touch := now.AddDate(0, 0, -i*2)
		if i%5 == 0 {
			touch = time.Time{}
		}
		c := &crm.Client{Name: fmt.Sprintf("Client %d", i), OwnerID: 3, CreatedAt: now.AddDate(0, 0, -200), ReviewedAt: now.AddDate(0, 0, -i*3), LastTouch: touch}
		if err := s.CreateClient(ctx, c, crm.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	tb, rb := now.AddDate(0, 0, -30), now.AddDate(0, 0, -90)
	q := crm.StaleQuery{Owners: []uint64{3}, TouchBefore: tb, ReviewBefore: rb}
	every, err := s.StaleClients(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	all := every.Clients
	q.Oldest = 4
	sum, err := s.StaleClients(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	n, oldest := sum.Total, sum.Clients
	if n != len(all) || every.Total != n || n == 0 || len(oldest) != 4 {
		t.Fatalf("summary %d/%d, stale %d", n, len(oldest), len(all))
	}
	for i := 1; i < len(oldest); i++ {
		if oldest[i].LastTouch.Before(oldest[i-1].LastTouch) {
			t.Errorf("not oldest first: %v before %v", oldest[i-1].LastTouch, oldest[i].LastTouch)
		}
	}
}

func testUpsertClientsAddsUpdatesAndRejects(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	s := opened(t, open)
	acme := addDataClient(t, s, "Acme Ltd", 1)
	names := []string{"ACME ltd", "Бета ООД", "", "Gamma", "beta ood", "Rejected Co"}
	merge := func(i int, ex *crm.Client) (*crm.Client, crm.Actor, error) {
		if names[i] == "Rejected Co" {
			return nil, crm.Actor{}, crm.Errorf(crm.EFORBIDDEN, "x")
		}
		c := ex
		if c == nil {
			c = &crm.Client{Name: names[i], OwnerID: 2, CreatedAt: dataT0, ReviewedAt: dataT0}
		}
		if names[i] == "ACME ltd" {
			c.City = "Sofia"
		}
		if names[i] == "beta ood" {
			c.Phone = "+359 2 123"
		}
		return c, crm.Actor{PersonID: 9}, nil
	}
	res, err := s.UpsertClients(ctx, dataT0, names, merge)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ added, changed, rejected bool }{
		{false, true, false}, {true, false, false}, {false, false, true}, {true, false, false}, {false, true, false}, {false, false, true},
	}
	for i, w := range want {
		r := res[i]
		if r.Added != w.added || r.Changed != w.changed || (r.Err != nil) != w.rejected {
			t.Errorf("row %d (%q): got %+v, want %+v", i, names[i], r, w)
		}
	}
	if res[0].ID != acme.ID || res[4].ID != res[1].ID {
		t.Errorf("updates should hit the matching clients: %+v", res)
	}
	c, _ := s.Client(ctx, acme.ID)
	if c.City != "Sofia" || c.Name != "Acme Ltd" {
		t.Errorf("Acme after import: %+v", c)
	}
	beta, _ := s.Client(ctx, res[1].ID)
	if beta.Name != "Бета ООД" || beta.Phone != "+359 2 123" {
		t.Errorf("Бета after import: %+v", beta)
	}
	// Indexes: name prefix and owner.
	if found, _ := s.FindClients(ctx, "gam", 0); len(found) != 1 {
		t.Errorf("name index: %v", found)
	}
	if mine, _ := s.ClientsByOwner(ctx, []uint64{2}); len(mine) != 2 {
		t.Errorf("owner index: %d clients of owner 2, want 2", len(mine))
	}
	// History: Acme's city change, by the importing actor.
	h, _ := s.History(ctx, "client", acme.ID)
	if last := h[len(h)-1]; last.Field != "city" || last.New != "Sofia" || last.By != 9 {
		t.Errorf("history: %+v", h)
	}
	h, _ = s.History(ctx, "client", res[3].ID)
	if len(h) != 1 || h[0].Field != "created" {
		t.Errorf("created history: %+v", h)
	}
	// Running the same import again changes nothing.
	res, err = s.UpsertClients(ctx, dataT0, names[:2], merge)
	if err != nil || res[0].Changed || res[1].Added || res[1].Changed {
		t.Errorf("second import: %+v %v", res, err)
	}
}

func testUpsertClientsSplitsLargeBatches(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	names := make([]string, 2500)
	for i := range names {
		names[i] = fmt.Sprintf("Client %05d %s", i, strings.Repeat("x", 300))
	}
	res, err := s.UpsertClients(context.Background(), dataT0, names, func(i int, ex *crm.Client) (*crm.Client, crm.Actor, error) {
		return &crm.Client{Name: names[i], OwnerID: 1, Custom: map[string]string{"notes": strings.Repeat("n", 400)}}, crm.Actor{PersonID: 1}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	s.EachClient(context.Background(), func(*crm.Client) bool { n++; return true })
	if n != len(names) || res[len(res)-1].ID != uint64(len(names)) {
		t.Fatalf("%d clients stored, last id %d; want %d", n, res[len(res)-1].ID, len(names))
	}
}

// TestUpsertClientsRefusesLookalikes: an imported row whose name displays
// like a stored client's, or like an earlier row's of the same file, but
// is written with another alphabet's letters is refused, as /client add
// refuses it; the exact same name still updates its client.
func testUpsertClientsRefusesLookalikes(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	ctx := context.Background()
	acme := &crm.Client{Name: "Acme Pumps", OwnerID: 2, CreatedAt: dataT0}
	if err := s.CreateClient(ctx, acme, crm.Actor{PersonID: 2}); err != nil {
		t.Fatal(err)
	}
	// A Greek Alpha; Cyrillic а, с, м, е; the stored name itself; then a
	// new Latin name and its Greek twin in the same file.
	names := []string{"\u0391cme Pumps", "\u0410\u0441\u043c\u0435 Pumps", "Acme Pumps", "Omega Ltd", "\u039fmega Ltd"}
	res, err := s.UpsertClients(ctx, dataT0, names, func(i int, ex *crm.Client) (*crm.Client, crm.Actor, error) {
		if ex != nil {
			ex.City = "Sofia"
			return ex, crm.Actor{PersonID: 2}, nil
		}
		return &crm.Client{Name: names[i], OwnerID: 2, CreatedAt: dataT0}, crm.Actor{PersonID: 2}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, refused := range []bool{true, true, false, false, true} {
		if got := res[i].Err != nil; got != refused {
			t.Errorf("row %d (%q): refused %v, want %v (%+v)", i, names[i], got, refused, res[i])
		}
	}
	if res[2].ID != acme.ID || !res[2].Changed {
		t.Errorf("the exact name should update Acme: %+v", res[2])
	}
	n := 0
	s.EachClient(ctx, func(*crm.Client) bool { n++; return true })
	if n != 2 {
		t.Errorf("%d clients stored, want 2 (Acme Pumps, Omega Ltd)", n)
	}
}
