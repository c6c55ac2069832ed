package store

import (
	"context"
	"time"

	"accountbot/crm"
)

// segmentSmallScope is how many owners a segment analysis reads through
// their own indexes (their clients, those clients' deals one by one, their
// claims); more read every audience row and every deal summary in one scan
// each, which costs less than that many index walks.
const segmentSmallScope = 20

// SegmentReport returns the segment analysis of the clients of q.Owners
// grouped by q.By (one of crm.SegmentFields), made at q.Now. When the
// owners hold every client (the head, or a scope of everyone) it reads
// the maintained figures (segment_figures.go): a few dozen cells per
// group, whatever the number of clients. Otherwise it counts the owners'
// clients (SegmentClients). Both count by whole UTC days and give the
// same answer; the store's tests hold them to it.
func (s *Store) SegmentReport(ctx context.Context, q crm.SegmentQuery) (*crm.SegmentReport, error) {
	p := crm.SegmentPeriodsAt(q.Now)
	every, err := s.ownersHoldEveryClient(ctx, q.Owners)
	if err != nil {
		return nil, err
	}
	if every {
		built, err := s.marked(ctx, segmentsMarker, segmentsVersion)
		if err != nil {
			return nil, err
		}
		if built {
			return s.keptSegmentReport(ctx, q.By, p)
		}
		// A store written before the figures: they are built in the
		// background (seconds for 50,000 clients), and this analysis is
		// counted meanwhile.
		s.buildSegmentsInBackground()
	}
	return s.tallySegments(ctx, q.Owners, q.By, p)
}

// BuildSegmentFigures builds the maintained segment figures of a store
// written before they existed (or loaded in bulk) and returns when they
// are there; a store that has them returns at once. SegmentReport starts
// it in the background when it first needs them.
func (s *Store) BuildSegmentFigures(ctx context.Context) error {
	return s.ensureSegments(ctx)
}

// buildSegmentsInBackground starts BuildSegmentFigures on the store's
// background context, unless it is running or the store is read-only.
func (s *Store) buildSegmentsInBackground() {
	if s.opts.ReadOnly || !s.segBuilding.CompareAndSwap(false, true) {
		return
	}
	s.bgWG.Add(1)
	go func() {
		defer s.bgWG.Done()
		defer s.segBuilding.Store(false)
		start := time.Now()
		if err := s.ensureSegments(s.bg); err != nil {
			if s.bg.Err() == nil {
				s.log.Warn("the segment figures are not built yet", "err", err)
			}
			return
		}
		s.log.Info("built the segment figures", "took", time.Since(start).Round(time.Millisecond))
	}()
}

// tallySegments counts the analysis client by client.
func (s *Store) tallySegments(ctx context.Context, owners []uint64, by string, p crm.SegmentPeriods) (*crm.SegmentReport, error) {
	t := crm.NewSegmentTally(by, p)
	if err := s.SegmentClients(ctx, owners, p, func(sc *crm.SegmentClient) bool {
		t.Add(sc)
		return true
	}); err != nil {
		return nil, err
	}
	return t.Report(), nil
}

// ownersHoldEveryClient tells whether the owners' clients are all the
// clients of the store, from the maintained counts.
func (s *Store) ownersHoldEveryClient(ctx context.Context, owners []uint64) (bool, error) {
	counts, err := s.CountClients(ctx)
	if err != nil {
		return false, err
	}
	var total uint64
	if err := s.view(ctx, func(tx *Tx) (err error) {
		total, err = tx.counter(clientTotalKey)
		return err
	}); err != nil {
		return false, err
	}
	seen := make(map[uint64]bool, len(owners))
	var held uint64
	for _, o := range owners {
		if !seen[o] {
			seen[o] = true
			held += uint64(counts[o])
		}
	}
	return held == total, nil
}

// SegmentClients calls fn with each client of owners as a segment
// analysis of the periods sees it (its claims are those of the "now"
// period), until fn returns false. It reads compact rows (the
// audience rows, the pipeline's deal summaries, claim summaries), never a
// client record, choosing by the number of owners between their indexes
// and one scan of everything. The order is the owners' index order (owner
// by owner) for a few owners and client id order for many. For a few
// owners fn runs inside the read of their deals: it must not write.
func (s *Store) SegmentClients(ctx context.Context, owners []uint64, p crm.SegmentPeriods, fn func(*crm.SegmentClient) bool) error {
	keep := func(st crm.Stage) bool { return st == crm.StageWon || st.Open() }
	if len(owners) <= segmentSmallScope {
		claims, err := s.ClaimCountsOf(ctx, owners, p.ClaimsFrom(), p.ClaimsTo())
		if err != nil {
			return err
		}
		var rows []crm.AudienceRow
		if err := s.AudienceOf(ctx, owners, func(row crm.AudienceRow) bool {
			rows = append(rows, row)
			return true
		}); err != nil {
			return err
		}
		// The clients' deals in one transaction, asked for at once (one
		// round trip on PostgreSQL, not one per client).
		return s.view(ctx, func(tx *Tx) error {
			ahead := make([][]byte, len(rows))
			for i, row := range rows {
				ahead[i] = key(pDealCli, row.ClientID)
			}
			tx.readAhead(nil, ahead)
			for _, row := range rows {
				deals, err := tx.dealsByIndex(key(pDealCli, row.ClientID))
				if err != nil {
					return err
				}
				sc := &crm.SegmentClient{Row: row, Claims: claims[row.ClientID]}
				for _, d := range deals {
					if f := crm.FactOfDeal(d); keep(crm.Stage(f.Stage)) {
						sc.Deals = append(sc.Deals, crm.DealSum{ClientID: f.ClientID, Stage: crm.Stage(f.Stage), Amount: f.Amount, Currency: f.Currency, ClosedAt: f.ClosedAt})
					}
				}
				if !fn(sc) {
					return nil
				}
			}
			return nil
		})
	}
	claims, err := s.ClaimCounts(ctx, p.ClaimsFrom(), p.ClaimsTo())
	if err != nil {
		return err
	}
	visible := make(map[uint64]bool, len(owners))
	for _, o := range owners {
		visible[o] = true
	}
	// Every deal, read on another goroutine while the audience rows are
	// read; the two meet below.
	deals := map[uint64][]crm.DealSum{}
	done := make(chan error, 1)
	go func() {
		done <- s.EachDealSum(ctx, func(d *crm.DealSum) bool {
			if keep(d.Stage) {
				deals[d.ClientID] = append(deals[d.ClientID], *d)
			}
			return true
		})
	}()
	var rows []crm.AudienceRow
	err = s.Audience(ctx, func(row crm.AudienceRow) bool {
		if visible[row.OwnerID] {
			rows = append(rows, row)
		}
		return true
	})
	if derr := <-done; err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	for _, row := range rows {
		if !fn(&crm.SegmentClient{Row: row, Deals: deals[row.ClientID], Claims: claims[row.ClientID]}) {
			return nil
		}
	}
	return nil
}
