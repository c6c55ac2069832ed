package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

// aggSegments, aggOwners and aggTitles are the few values the random
// operations draw from, so that they collide often.
var (
	aggSegments = []string{"retail", "Retail", "horeca", "agro", ""}
	aggOwners   = []uint64{1, 2, 3, 4}
	aggTitles   = []string{"Pumps 2025", "pumps (spare)", "Valves - big", "Training", "2026"}
)

// aggWorld runs random operations on a store and checks that every
// maintained aggregate equals its full recomputation from the records.
type aggWorld struct {
	t       *testing.T
	s       *Store
	rng     *rand.Rand
	at      time.Time
	clients []uint64
	deals   []uint64
}

func (w *aggWorld) step() {
	w.at = w.at.Add(time.Duration(1+w.rng.Intn(48)) * time.Hour)
	by := crm.Actor{PersonID: 1}
	switch op := w.rng.Intn(10); {
	case len(w.clients) < 3 || op < 1 && len(w.clients) < 30:
		c := &crm.Client{Name: fmt.Sprintf("Client %d", w.rng.Intn(40)), City: aggSegments[w.rng.Intn(len(aggSegments))], Segment: aggSegments[w.rng.Intn(len(aggSegments))],
			OwnerID: aggOwners[w.rng.Intn(len(aggOwners))], CreatedAt: w.at, ReviewedAt: w.at.AddDate(0, 0, -w.rng.Intn(200))}
		if w.rng.Intn(4) != 0 {
			c.LastTouch = w.at.AddDate(0, 0, -w.rng.Intn(100))
		}
		if w.rng.Intn(3) == 0 {
			c.Custom = map[string]string{[]string{"vat", "region", "notes"}[w.rng.Intn(3)]: "x"}
		}
		if err := w.s.CreateClient(ctx, c, by); crm.ErrorCode(err) == crm.ECONFLICT {
			return // the name is taken
		} else if err != nil {
			w.t.Fatal(err)
		}
		w.clients = append(w.clients, c.ID)
	case op < 4 && w.rng.Intn(3) == 0:
		// A conversation: the client's last touch moves (or not, when
		// it is older than the last one).
		id := w.clients[w.rng.Intn(len(w.clients))]
		v := &crm.Conversation{ClientID: id, AuthorID: 1, Channels: []string{"call"}, Text: "call", At: w.at.AddDate(0, 0, -w.rng.Intn(60))}
		if err := w.s.LogConversation(ctx, v, nil); err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			w.t.Fatal(err)
		}
	case op < 4:
		// Reassignment or a new segment.
		id := w.clients[w.rng.Intn(len(w.clients))]
		_, err := w.s.UpdateClient(ctx, id, by, w.at, func(c *crm.Client) error {
			switch w.rng.Intn(3) {
			case 0:
				c.OwnerID = aggOwners[w.rng.Intn(len(aggOwners))]
			case 1:
				c.Name = fmt.Sprintf("client %d", w.rng.Intn(40))
				if w.rng.Intn(2) == 0 {
					c.Custom = map[string]string{[]string{"vat", "region", "notes"}[w.rng.Intn(3)]: "y"}
				} else {
					c.Custom = nil
				}
			default:
				c.Segment = aggSegments[w.rng.Intn(len(aggSegments))]
			}
			return nil
		})
		if err != nil && crm.ErrorCode(err) != crm.ENOTFOUND && crm.ErrorCode(err) != crm.ECONFLICT {
			w.t.Fatal(err)
		}
	case op < 5:
		id := w.clients[w.rng.Intn(len(w.clients))]
		c, err := w.s.Client(ctx, id)
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return
		}
		if err != nil {
			w.t.Fatal(err)
		}
		d := &crm.Deal{ClientID: id, OwnerID: c.OwnerID, Title: aggTitles[w.rng.Intn(len(aggTitles))], Amount: decimal.New(int64(w.rng.Intn(1000)), 0),
			Currency: "EUR", Stage: crm.StageLead, CreatedAt: w.at, History: []crm.StageEntry{{Stage: crm.StageLead, At: w.at}}}
		if err := w.s.CreateDeal(ctx, d, by); err != nil {
			w.t.Fatal(err)
		}
		w.deals = append(w.deals, d.ID)
	case op < 9 && len(w.deals) > 0:
		id := w.deals[w.rng.Intn(len(w.deals))]
		_, err := w.s.UpdateDeal(ctx, id, by, w.at, func(d *crm.Deal) error {
			switch w.rng.Intn(4) {
			case 0:
				return d.Reopen(w.at, 1)
			case 1:
				d.Title = aggTitles[w.rng.Intn(len(aggTitles))]
				return nil
			}
			return d.MoveTo([]crm.Stage{crm.StageWon, crm.StageLost, crm.StageProposal}[w.rng.Intn(3)], w.at, 1)
		})
		if err != nil && crm.ErrorCode(err) != crm.ENOTFOUND && crm.ErrorCode(err) != crm.ECONFLICT && crm.ErrorCode(err) != crm.EINVALID {
			w.t.Fatal(err)
		}
	case op == 9 && w.rng.Intn(2) == 0:
		n := &crm.CompetitorNote{Aspect: crm.AspectPrice, Text: "cheaper", By: 1, At: w.at.Add(-time.Duration(w.rng.Intn(30)) * 24 * time.Hour)}
		if w.rng.Intn(3) != 0 {
			n.ClientID = w.clients[w.rng.Intn(len(w.clients))]
		}
		if _, err := w.s.AddCompetitorNote(ctx, []string{"Metro", "Rival"}[w.rng.Intn(2)], n); err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			w.t.Fatal(err)
		}
	case op == 9 && w.rng.Intn(2) == 0:
		// A claim, raised up to two years back.
		id := w.clients[w.rng.Intn(len(w.clients))]
		at := w.at.Add(-time.Duration(w.rng.Intn(2*365*24)) * time.Hour)
		cl := crm.NewClaim(id, 1, by, at, "late", "", crm.SeverityLow, "delivery", at.Add(time.Hour), at.Add(2*time.Hour))
		if err := w.s.CreateClaim(ctx, &cl); err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			w.t.Fatal(err)
		}
	case op == 9 && w.rng.Intn(2) == 0:
		id := w.clients[w.rng.Intn(len(w.clients))]
		if _, err := w.s.EraseClient(ctx, id); err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			w.t.Fatal(err)
		}
	}
}

// check compares every maintained aggregate with its recomputation.
func (w *aggWorld) check(s *Store, when string) {
	w.t.Helper()
	for _, since := range []time.Time{{}, w.at.AddDate(0, -6, 0)} {
		w.checkPeers(s, when, since)
	}
	counts, err := s.CountClients(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	want := map[uint64]int{}
	if err := s.EachClient(ctx, func(c *crm.Client) bool { want[c.OwnerID]++; return true }); err != nil {
		w.t.Fatal(err)
	}
	if !reflect.DeepEqual(counts, want) {
		w.t.Fatalf("%s: CountClients = %v, recomputed %v", when, counts, want)
	}
	fields, err := s.CustomFields(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	used := map[string]bool{}
	if err := s.EachClient(ctx, func(c *crm.Client) bool {
		for k := range c.Custom {
			used[k] = true
		}
		return true
	}); err != nil {
		w.t.Fatal(err)
	}
	wantFields := slices.Sorted(maps.Keys(used))
	if !slices.Equal(fields, wantFields) {
		w.t.Fatalf("%s: CustomFields = %v, recomputed %v", when, fields, wantFields)
	}
	w.checkPages(s, when)
	w.checkStalePages(s, when)
	w.checkStaleCounts(s, when)
	w.checkActivity(s, when)
	w.checkNoteCounts(s, when)
	w.checkSegments(s, when)
}

// checkSegments compares the segment analysis read from the maintained
// figures with the one counted client by client, for every field, made
// now, seven months ago and a year ahead (periods that cut months
// differently).
func (w *aggWorld) checkSegments(s *Store, when string) {
	w.t.Helper()
	if err := s.BuildSegmentFigures(ctx); err != nil {
		w.t.Fatal(err)
	}
	for _, now := range []time.Time{w.at, w.at.AddDate(0, -7, 0), w.at.AddDate(1, 0, 0)} {
		p := crm.SegmentPeriodsAt(now)
		for _, by := range crm.SegmentFields {
			kept, err := s.keptSegmentReport(ctx, by, p)
			if err != nil {
				w.t.Fatal(err)
			}
			counted, err := s.tallySegments(ctx, aggOwners, by, p)
			if err != nil {
				w.t.Fatal(err)
			}
			if k, c := kept.String(), counted.String(); k != c {
				w.t.Fatalf("%s: segments by %s at %s, kept:\n%s\ncounted:\n%s", when, by, now.Format(time.DateOnly), k, c)
			}
		}
	}
}

// checkNoteCounts compares the competitor note counts by owner with a
// count of every note whose client the owners have (or that has none).
func (w *aggWorld) checkNoteCounts(s *Store, when string) {
	w.t.Helper()
	for _, since := range []time.Time{{}, w.at.AddDate(0, -3, 0)} {
		w.checkNoteCountsSince(s, when, since)
	}
}

func (w *aggWorld) checkNoteCountsSince(s *Store, when string, since time.Time) {
	w.t.Helper()
	for _, owners := range [][]uint64{{1}, {2, 4}, aggOwners} {
		got, err := s.CompetitorNoteCounts(ctx, owners, since)
		if err != nil {
			w.t.Fatal(err)
		}
		want := map[string]int{}
		for _, k := range []string{"metro", "rival"} {
			notes, err := s.CompetitorNotes(ctx, k, since)
			if err != nil {
				w.t.Fatal(err)
			}
			for _, n := range notes {
				if n.ClientID != 0 {
					c, err := s.Client(ctx, n.ClientID)
					if err != nil {
						w.t.Fatal(err)
					}
					if !slices.Contains(owners, c.OwnerID) {
						continue
					}
				}
				want[k]++
			}
		}
		if !reflect.DeepEqual(got, want) {
			w.t.Fatalf("%s: CompetitorNoteCounts(%v) = %v, recomputed %v", when, owners, got, want)
		}
	}
}

// staleThresholds are the (touch before, review before) pairs the stale
// checks ask at, moving back and forth so that the maintained counts are
// corrected both ways and moved.
func (w *aggWorld) staleThresholds() [][2]time.Time {
	return [][2]time.Time{
		{w.at.AddDate(0, 0, -30), w.at.AddDate(0, 0, -120)},
		{w.at.AddDate(0, 0, -10), w.at.AddDate(0, 0, -40)},
		{w.at.AddDate(0, 0, -45), w.at.AddDate(0, 0, -90)},
		{w.at.AddDate(0, 0, -30), w.at.AddDate(0, 0, -120)},
	}
}

// checkActivity compares each owner's activity read through the
// maintained count and the index by last touch with the one read from
// every owner index entry.
func (w *aggWorld) checkActivity(s *Store, when string) {
	w.t.Helper()
	defer func() { activityByIndex = true }()
	for _, from := range []time.Time{w.at.AddDate(0, 0, -7), w.at.AddDate(0, 0, -40), {}} {
		for _, o := range append(slices.Clone(aggOwners), 99) {
			activityByIndex = true
			q := crm.ActivityQuery{Owners: []uint64{o}, From: from, To: w.at}
			gotAll, err := s.OwnerActivity(ctx, q)
			if err != nil {
				w.t.Fatal(err)
			}
			activityByIndex = false
			wantAll, err := s.OwnerActivity(ctx, q)
			if err != nil {
				w.t.Fatal(err)
			}
			if got, want := gotAll[o], wantAll[o]; got != want {
				w.t.Fatalf("%s: OwnerActivity(%d, %v) = %+v, from every entry %+v", when, o, from, got, want)
			}
		}
	}
}

// checkStaleCounts compares the maintained stale counts with a count of
// every client that is stale.
func (w *aggWorld) checkStaleCounts(s *Store, when string) {
	w.t.Helper()
	for _, th := range w.staleThresholds() {
		tb, rb := th[0], th[1]
		want := map[uint64]int{}
		if err := s.EachClient(ctx, func(c *crm.Client) bool {
			want[c.OwnerID] += 0
			if staleTimesOf(c).stale(tb.Unix(), rb.Unix()) {
				want[c.OwnerID]++
			}
			return true
		}); err != nil {
			w.t.Fatal(err)
		}
		owners := append(slices.Clone(aggOwners), 99)
		got, err := s.StaleClients(ctx, crm.StaleQuery{Owners: owners, TouchBefore: tb, ReviewBefore: rb, CountOnly: true})
		if err != nil {
			w.t.Fatal(err)
		}
		total := 0
		for _, o := range owners {
			total += want[o]
			if got.ByOwner[o] != want[o] {
				w.t.Fatalf("%s: stale counts at (%v, %v): owner %d has %d, recomputed %d", when, tb, rb, o, got.ByOwner[o], want[o])
			}
		}
		if got.Total != total || len(got.Clients) != 0 {
			w.t.Fatalf("%s: stale counts at (%v, %v): %d in all and %d clients, recomputed %d", when, tb, rb, got.Total, len(got.Clients), total)
		}
	}
}

// checkStalePages compares pages of stale clients with a sort of every
// client that is stale.
func (w *aggWorld) checkStalePages(s *Store, when string) {
	w.t.Helper()
	for _, th := range w.staleThresholds() {
		w.checkStalePagesAt(s, when, th[0], th[1])
	}
}

func (w *aggWorld) checkStalePagesAt(s *Store, when string, tb, rb time.Time) {
	w.t.Helper()
	brief := func(c *crm.Client) string {
		return fmt.Sprintf("%d/%d/%s/%s/%s/%d/%d", c.ID, c.OwnerID, c.Name, c.City, c.Status, unix(c.LastTouch), unix(c.ReviewedAt))
	}
	for _, owners := range [][]uint64{{1}, {2, 4}, aggOwners} {
		visible := map[uint64]bool{}
		for _, o := range owners {
			visible[o] = true
		}
		var all []pageEntry
		if err := s.EachClient(ctx, func(c *crm.Client) bool {
			e := ownerEntry{touch: unix(c.LastTouch), review: unix(c.ReviewedAt)}
			if visible[c.OwnerID] && e.stale(tb.Unix(), rb.Unix()) {
				all = append(all, pageEntry{crm.NormalizeName(c.Name), c})
			}
			return true
		}); err != nil {
			w.t.Fatal(err)
		}
		sortPage(all)
		for _, off := range []int{0, 3, 40} {
			q := crm.ClientPageQuery{Owners: owners, Offset: off, Limit: 5, Stale: true, TouchBefore: tb, ReviewBefore: rb}
			page, err := s.ClientPage(ctx, q)
			if err != nil {
				w.t.Fatal(err)
			}
			got := []string{fmt.Sprint(page.Total)}
			for _, c := range page.Clients {
				got = append(got, brief(c))
			}
			want := []string{fmt.Sprint(len(all))}
			for i := off; i < len(all) && i < off+5; i++ {
				want = append(want, brief(all[i].c))
			}
			if !reflect.DeepEqual(got, want) {
				w.t.Fatalf("%s: stale ClientPage(%+v) = %v, recomputed %v", when, q, got, want)
			}
		}
	}
}

// checkPages compares pages of client lists, read through the name index
// (many owners) or the owner index (one), with a sort of every client.
func (w *aggWorld) checkPages(s *Store, when string) {
	w.t.Helper()
	for _, owners := range [][]uint64{{1}, {2, 4}, aggOwners} {
		visible := map[uint64]bool{}
		for _, o := range owners {
			visible[o] = true
		}
		var all []pageEntry
		if err := s.EachClient(ctx, func(c *crm.Client) bool {
			if visible[c.OwnerID] {
				all = append(all, pageEntry{crm.NormalizeName(c.Name), briefOf(c)})
			}
			return true
		}); err != nil {
			w.t.Fatal(err)
		}
		sortPage(all)
		for _, off := range []int{0, 3, 40} {
			q := crm.ClientPageQuery{Owners: owners, Offset: off, Limit: 5}
			got, err := s.ClientPage(ctx, q)
			if err != nil {
				w.t.Fatal(err)
			}
			want := crm.ClientPage{Total: len(all)}
			for i := off; i < len(all) && i < off+5; i++ {
				want.Clients = append(want.Clients, all[i].c)
			}
			if !reflect.DeepEqual(got, want) {
				w.t.Fatalf("%s: ClientPage(%+v) = %+v, recomputed %+v", when, q, got, want)
			}
		}
	}
}

func (w *aggWorld) checkPeers(s *Store, when string, since time.Time) {
	w.t.Helper()
	for _, seg := range aggSegments[:4] {
		for _, owners := range [][]uint64{{1}, {2, 3}, aggOwners, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}} {
			for _, except := range []uint64{0, 1, 2} {
				q := crm.PeerQuery{Segment: seg, Owners: owners, Except: except, Since: since}
				got, err := s.PeerPurchases(ctx, q)
				if err != nil {
					w.t.Fatal(err)
				}
				if want := w.peersByScan(s, q); !reflect.DeepEqual(got, want) {
					w.t.Fatalf("%s: PeerPurchases(%+v) = %+v, recomputed %+v", when, q, got, want)
				}
			}
		}
	}
}

// peersByScan recomputes PeerPurchases from every client and its deals.
func (w *aggWorld) peersByScan(s *Store, q crm.PeerQuery) crm.PeerPurchases {
	visible := map[uint64]bool{}
	for _, o := range q.Owners {
		visible[o] = true
	}
	buyers := map[string]map[uint64]bool{}
	labels := map[string]string{}
	labelAt := map[string]time.Time{}
	bought := map[uint64]bool{}
	err := s.EachClient(ctx, func(c *crm.Client) bool {
		if c.ID == q.Except || !visible[c.OwnerID] || crm.NormalizeName(c.Segment) != crm.NormalizeName(q.Segment) {
			return true
		}
		deals, err := s.ClientDeals(ctx, c.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, d := range deals {
			if d.Stage != crm.StageWon || d.ClosedAt.Before(q.Since) {
				continue
			}
			bought[c.ID] = true
			k := crm.ProductKey(d.Title)
			if k == "" {
				continue
			}
			if buyers[k] == nil {
				buyers[k] = map[uint64]bool{}
			}
			buyers[k][c.ID] = true
			l := crm.ProductLabel(d.Title)
			if at, ok := labelAt[k]; !ok || d.ClosedAt.After(at) || d.ClosedAt.Equal(at) && l < labels[k] {
				labels[k], labelAt[k] = l, d.ClosedAt
			}
		}
		return true
	})
	if err != nil {
		w.t.Fatal(err)
	}
	out := crm.PeerPurchases{Peers: len(bought)}
	for k, b := range buyers {
		out.Products = append(out.Products, crm.PeerProduct{Key: k, Label: labels[k], Buyers: len(b)})
	}
	sortPeerProducts(out.Products)
	return out
}

// TestAggregatesEqualRecomputation runs random operations (new clients and
// deals, reassignments, new segments, won, lost and reopened deals, new
// titles, erasures), checking every maintained aggregate against a full
// recomputation as it goes, after a backup is restored into a new store,
// and after the aggregates are dropped and rebuilt as in a store written
// before they existed.
func TestAggregatesEqualRecomputation(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			if seed == 3 {
				// Walks of the name index that give up for the sort.
				defer func(n int) { walkSlack = n }(walkSlack)
				walkSlack = -1 << 20
			}
			if seed == 2 {
				// Pages of a few owners' lists are not merged from the
				// per-owner name index.
				defer func(n int) { ownerSeek = n }(ownerSeek)
				ownerSeek = 1 << 20
				// Lists of many stale clients walk the name index.
				defer func(n int) { fewStale = n }(fewStale)
				fewStale = 2
			}
			if seed != 4 {
				// Lists of stale clients over more than a few: the
				// maintained stale counts.
				defer func(n int) { staleScanMax = n }(staleScanMax)
				staleScanMax = 0
			}
			if seed == 1 {
				// Every read moves the counts.
				defer func(n int) { staleMoves = n }(staleMoves)
				staleMoves = -1
			}
			w := &aggWorld{t: t, s: openMem(t), rng: rand.New(rand.NewSource(seed)), at: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)}
			for i := 0; i < 400; i++ {
				w.step()
				if i%50 == 49 {
					w.check(w.s, fmt.Sprintf("after %d operations", i+1))
				}
			}
			restored := backupRestored(t, w.s, w.at)
			w.check(restored, "after a restore")
			// A read-only request (a model's tools) on a store whose
			// newer indexes are not built yet answers the same without
			// them.
			if err := restored.dropKeys([][]byte{[]byte("csl/"), []byte("csr/"), []byte("cst/"), []byte("csc/"), staleMarker,
				[]byte("con/"), ownerNamesMarker, []byte("cva/"), convOwnersMarker}); err != nil {
				t.Fatal(err)
			}
			func() {
				defer func(c context.Context) { ctx = c }(ctx)
				ctx = crm.WithReadOnly(ctx)
				w.checkPages(restored, "read-only, before the indexes")
				w.checkStalePages(restored, "read-only, before the indexes")
				w.checkStaleCounts(restored, "read-only, before the indexes")
				w.checkActivity(restored, "read-only, before the indexes")
			}()
			if err := restored.dropAggregates(); err != nil {
				t.Fatal(err)
			}
			w.check(restored, "after a rebuild")
		})
	}
}

// dropAggregates deletes every maintained aggregate and its marker, as in
// a store written before they existed.
func (s *Store) dropAggregates() error {
	if err := s.dropKeys([][]byte{[]byte("plw/"), wonMarker, []byte("coc/"), countsMarker, []byte("plxo/"), noteOwnersMarker, []byte("ccf/"), customMarker, []byte("csl/"), []byte("csr/"), []byte("cst/"), []byte("csc/"), staleMarker, []byte("con/"), ownerNamesMarker, clientTotalKey, []byte("cva/"), convOwnersMarker, []byte("sgc/"), []byte("sgn/"), []byte("sgt/"), segmentsMarker}); err != nil {
		return err
	}
	// Name index entries without a value, as written before they had one.
	return s.update(ctx, func(tx *Tx) error {
		var keys [][]byte
		if err := tx.scan([]byte("cn/"), false, false, func(k []byte, _ Item) (bool, error) {
			keys = append(keys, append([]byte(nil), k...))
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.set(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestCampaignLeadCountEqualsLeads compares the count of a campaign's
// leads from the indexes with the leads listed, after leads tied by /lead,
// clients with the campaign as their source, a source changed away and an
// erasure.
func TestCampaignLeadCountEqualsLeads(t *testing.T) {
	s := openMem(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	camp := &crm.Campaign{Name: "Agra fair", Kind: "fair", Date: at, CreatedBy: 1, CreatedAt: at}
	if err := s.CreateCampaign(ctx, camp); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := 0; i < 8; i++ {
		c := &crm.Client{Name: fmt.Sprintf("Lead %d", i), OwnerID: uint64(1 + i%2), CreatedAt: at}
		if i%3 == 0 {
			c.Source = "agra FAIR"
		}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	for _, id := range ids[:5] {
		if _, err := s.AddLead(ctx, &crm.Lead{CampaignID: camp.ID, ClientID: id, At: at, By: 1}, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.UpdateClient(ctx, ids[1], crm.Actor{PersonID: 1}, at, func(c *crm.Client) error { c.Source = "web"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseClient(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	leads, err := s.CampaignLeads(ctx, camp)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CampaignLeadCount(ctx, camp)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(leads) || n != 5 {
		t.Fatalf("CampaignLeadCount = %d, CampaignLeads %d, want 5", n, len(leads))
	}
}

// TestCampaignLeadCountsEqualRecount checks the maintained lead counts
// against the leads listed (CampaignLeads) after random leads tied, sources
// set, changed and cleared, clients created naming a campaign, campaigns
// created after clients named them, erasures, a restore of a backup into a
// new store that takes the next changes, and a store that lost its counts.
func TestCampaignLeadCountsEqualRecount(t *testing.T) {
	s := openMem(t)
	rng := rand.New(rand.NewSource(11))
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	names := []string{"Agra fair", "Expo", "Webinar", "Later"}
	var camps []*crm.Campaign
	newCampaign := func(name string) {
		c := &crm.Campaign{Name: name, Kind: "fair", Date: at, CreatedBy: 1, CreatedAt: at}
		if err := s.CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
		camps = append(camps, c)
	}
	for _, n := range names[:3] {
		newCampaign(n)
	}
	sources := append(slices.Clone(names), "", "web", "AGRA  FAIR")
	var clients []uint64
	check := func(step string) {
		t.Helper()
		for _, c := range camps {
			leads, err := s.CampaignLeads(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.CampaignLeadCount(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(leads) {
				t.Fatalf("%s: %s has %d leads listed, counted %d", step, c.Name, len(leads), n)
			}
		}
	}
	for i := range 300 {
		switch op := rng.Intn(10); {
		case op < 3 || len(clients) == 0:
			c := &crm.Client{Name: fmt.Sprintf("Lead %d", i), OwnerID: uint64(1 + i%3), CreatedAt: at, Source: sources[rng.Intn(len(sources))]}
			if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c.ID)
		case op < 6:
			id := clients[rng.Intn(len(clients))]
			camp := camps[rng.Intn(len(camps))]
			if _, err := s.AddLead(ctx, &crm.Lead{CampaignID: camp.ID, ClientID: id, At: at, By: 1}, crm.Actor{PersonID: 1}); err != nil {
				t.Fatal(err)
			}
		case op < 9:
			id := clients[rng.Intn(len(clients))]
			src := sources[rng.Intn(len(sources))]
			if _, err := s.UpdateClient(ctx, id, crm.Actor{PersonID: 1}, at, func(c *crm.Client) error { c.Source = src; return nil }); err != nil {
				t.Fatal(err)
			}
		default:
			k := rng.Intn(len(clients))
			if _, err := s.EraseClient(ctx, clients[k]); err != nil {
				t.Fatal(err)
			}
			clients = slices.Delete(clients, k, k+1)
		}
		if i == 150 {
			// A campaign some clients named before it existed.
			newCampaign(names[3])
			check("a campaign created after its leads")
			s = backupRestored(t, s, at)
			check("restored")
		}
		if i%25 == 0 {
			check(fmt.Sprintf("step %d", i))
		}
	}
	check("the end")
	// A store that lost its counts (written before they existed) counts
	// every campaign once.
	if err := s.dropKeys([][]byte{[]byte("plkc/"), leadCountsMarker}); err != nil {
		t.Fatal(err)
	}
	check("recounted")
}

// TestClaimCountsOfEqualsClaimCounts compares the claims of the year
// counted through the owners' claims with the count of every claim
// restricted to the owners' clients, after a client changes owner.
func TestClaimCountsOfEqualsClaimCounts(t *testing.T) {
	s := openMem(t)
	rng := rand.New(rand.NewSource(5))
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	var clients []*crm.Client
	for i := 0; i < 6; i++ {
		c := &crm.Client{Name: fmt.Sprintf("Claimant %d", i), OwnerID: uint64(1 + i%3), CreatedAt: at}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	for i := 0; i < 40; i++ {
		c := clients[rng.Intn(len(clients))]
		got := at.Add(-time.Duration(rng.Intn(500)) * 24 * time.Hour)
		cl := crm.NewClaim(c.ID, c.OwnerID, crm.Actor{PersonID: c.OwnerID}, got, "late", "", crm.SeverityLow, "delivery", got.Add(time.Hour), got.Add(2*time.Hour))
		if err := s.CreateClaim(ctx, &cl); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.UpdateClient(ctx, clients[0].ID, crm.Actor{PersonID: 1}, at, func(c *crm.Client) error { c.OwnerID = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	from, to := at.AddDate(-1, 0, 0), at
	all, err := s.ClaimCounts(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, owners := range [][]uint64{{1}, {2}, {1, 3}} {
		got, err := s.ClaimCountsOf(ctx, owners, from, to)
		if err != nil {
			t.Fatal(err)
		}
		want := map[uint64]int{}
		for _, c := range clients {
			cur, err := s.Client(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(owners, cur.OwnerID) && all[c.ID] > 0 {
				want[c.ID] = all[c.ID]
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ClaimCountsOf(%v) = %v, want %v", owners, got, want)
		}
	}
}

// TestEraseLeavesNoWonEntry: a won deal's product, indexed under the
// client's segments and owners as they changed, is in no data file after
// the client's erasure.
func TestEraseLeavesNoWonEntry(t *testing.T) {
	dir := t.TempDir()
	s := openDisk(t, dir, nil)
	// Letters only: a product's label leaves out words with digits.
	marker := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return 'a' + r - '0'
		}
		return r
	}, uniqueMarker(t))
	c := &crm.Client{Name: "Wonco Ltd", Segment: "retail", OwnerID: 1, CreatedAt: dataT0}
	if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	d := &crm.Deal{ClientID: c.ID, OwnerID: 1, Title: marker, Amount: decimal.New(5, 0), Currency: "EUR", Stage: crm.StageWon,
		CreatedAt: dataT0, ClosedAt: dataT0, History: []crm.StageEntry{{Stage: crm.StageWon, At: dataT0}}}
	if err := s.CreateDeal(ctx, d, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	for _, edit := range []func(*crm.Client){
		func(c *crm.Client) { c.Segment = "horeca" },
		func(c *crm.Client) { c.OwnerID = 2 },
		func(c *crm.Client) { c.Segment = "agro" },
	} {
		if _, err := s.UpdateClient(ctx, c.ID, crm.Actor{PersonID: 1}, dataT0, func(c *crm.Client) error { edit(c); return nil }); err != nil {
			t.Fatal(err)
		}
		// Each state reaches a table file, as it would over time.
		s.Close()
		s = openDisk(t, dir, nil)
	}
	if len(filesContaining(t, dir, []byte(marker))) == 0 {
		t.Fatal("the product is in no file before erasure: the test would prove nothing")
	}
	if _, err := s.EraseClient(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if files := filesContaining(t, dir, []byte(marker)); len(files) > 0 {
		t.Fatalf("after erasure the product is still in %v", files)
	}
}

// TestTeamCountsEqualRecount runs random changes to a team and its
// clients (new clients, reassignments, dismissals with a handover of the
// dismissed person's clients, reinstatements, erasures, and a backup
// restored into a new store that then takes the next changes), checking
// as it goes that the maintained client counts /team shows (CountClients)
// and the total equal a recount of every client, and that they are the
// same again when rebuilt from the records.
func TestTeamCountsEqualRecount(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			s := openMem(t)
			var people []uint64
			for i := 0; i < 5; i++ {
				p := &crm.Person{Name: fmt.Sprintf("Person %d", i), Role: crm.RoleManager, Identities: []string{fmt.Sprintf("console:p%d", i)}}
				if err := s.CreatePerson(ctx, p); err != nil {
					t.Fatal(err)
				}
				people = append(people, p.ID)
			}
			at := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
			by := crm.Actor{PersonID: people[0]}
			pick := func(ids []uint64) uint64 { return ids[rng.Intn(len(ids))] }
			clientIDs := func() []uint64 {
				var ids []uint64
				if err := s.EachClient(ctx, func(c *crm.Client) bool { ids = append(ids, c.ID); return true }); err != nil {
					t.Fatal(err)
				}
				return ids
			}
			check := func(when string) {
				t.Helper()
				got, err := s.CountClients(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := map[uint64]int{}
				all := 0
				if err := s.EachClient(ctx, func(c *crm.Client) bool { want[c.OwnerID]++; all++; return true }); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: CountClients = %v, recounted %v", when, got, want)
				}
				var total uint64
				if err := s.view(ctx, func(tx *Tx) (err error) { total, err = tx.counter(clientTotalKey); return err }); err != nil {
					t.Fatal(err)
				}
				if int(total) != all {
					t.Fatalf("%s: the client total is %d, recounted %d", when, total, all)
				}
			}
			for i := 0; i < 300; i++ {
				at = at.Add(time.Hour)
				switch op := rng.Intn(12); {
				case op < 4:
					c := &crm.Client{Name: fmt.Sprintf("Client %d", rng.Intn(200)), OwnerID: pick(people), CreatedAt: at}
					if err := s.CreateClient(ctx, c, by); err != nil && crm.ErrorCode(err) != crm.ECONFLICT {
						t.Fatal(err)
					}
				case op < 7:
					// A reassignment, sometimes to the owner the client has.
					ids := clientIDs()
					if len(ids) == 0 {
						continue
					}
					to := pick(people)
					if _, err := s.UpdateClient(ctx, pick(ids), by, at, func(c *crm.Client) error { c.OwnerID = to; return nil }); err != nil {
						t.Fatal(err)
					}
				case op < 9:
					// A dismissal; half the time the dismissed person's
					// clients are handed over to someone, as /handover does.
					p := pick(people)
					if _, err := s.UpdatePerson(ctx, p, func(q *crm.Person) error { q.Dismissed, q.DismissedAt = true, at; return nil }); err != nil {
						t.Fatal(err)
					}
					if rng.Intn(2) == 0 {
						continue
					}
					clients, err := s.ClientsByOwner(ctx, []uint64{p})
					if err != nil {
						t.Fatal(err)
					}
					to := pick(people)
					for _, c := range clients {
						if _, err := s.UpdateClient(ctx, c.ID, by, at, func(c *crm.Client) error { c.OwnerID = to; return nil }); err != nil {
							t.Fatal(err)
						}
					}
				case op < 10:
					// A reinstatement (/appoint of a dismissed person).
					p := pick(people)
					if _, err := s.UpdatePerson(ctx, p, func(q *crm.Person) error { q.Dismissed = false; return nil }); err != nil && crm.ErrorCode(err) != crm.ECONFLICT {
						t.Fatal(err)
					}
				case op < 11:
					ids := clientIDs()
					if len(ids) == 0 {
						continue
					}
					if _, err := s.EraseClient(ctx, pick(ids)); err != nil {
						t.Fatal(err)
					}
				default:
					if rng.Intn(4) != 0 {
						continue
					}
					// A backup restored into a new store, which takes
					// the changes from now on.
					s = backupRestored(t, s, at)
					check(fmt.Sprintf("after a restore at operation %d", i+1))
				}
				if i%25 == 24 {
					check(fmt.Sprintf("after %d operations", i+1))
				}
			}
			check("at the end")
			if err := s.dropKeys([][]byte{[]byte("coc/"), countsMarker, clientTotalKey}); err != nil {
				t.Fatal(err)
			}
			check("after a rebuild")
		})
	}
}

// backupRestored backs s up at at and restores the backup into a new
// store, which the caller takes the changes into from then on.
func backupRestored(t *testing.T, s *Store, at time.Time) *Store {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Backup(&buf, nil, at); err != nil {
		t.Fatal(err)
	}
	restored := openMem(t)
	if _, err := restored.Restore(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return restored
}

// TestSegmentFiguresBuiltInBackground specifies a head's first analysis
// on a store without the segment figures: it is counted (the same answer)
// while they are built in the background, and read from them once they
// are; a store closed mid-build closes.
func TestSegmentFiguresBuiltInBackground(t *testing.T) {
	s := openMem(t)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 600 {
		c := &crm.Client{Name: fmt.Sprint("Client ", i), OwnerID: uint64(1 + i%3), Segment: aggSegments[i%len(aggSegments)], CreatedAt: at.AddDate(0, 0, -i)}
		if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := s.tallySegments(ctx, []uint64{1, 2, 3}, "segment", crm.SegmentPeriodsAt(at))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.dropKeys([][]byte{[]byte("sgc/"), []byte("sgn/"), []byte("sgt/"), segmentsMarker}); err != nil {
		t.Fatal(err)
	}
	q := crm.SegmentQuery{Owners: []uint64{1, 2, 3}, By: "segment", Now: at}
	got, err := s.SegmentReport(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("counted while building: %+v, want %+v", got, want)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if built, err := s.marked(ctx, segmentsMarker, segmentsVersion); err != nil {
			t.Fatal(err)
		} else if built {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the segment figures were not built in the background")
		}
	}
	kept, err := s.keptSegmentReport(ctx, "segment", crm.SegmentPeriodsAt(at))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(kept, want) {
		t.Fatalf("built in the background: %+v, want %+v", kept, want)
	}
	// Closed while a build runs: Close stops it and returns.
	if err := s.dropKeys([][]byte{[]byte("sgc/"), []byte("sgn/"), []byte("sgt/"), segmentsMarker}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SegmentReport(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
