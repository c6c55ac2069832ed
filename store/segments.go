package store

import (
	"context"

	"accountbot/crm"
)

// segmentSmallScope is how many owners a segment analysis reads through
// their own indexes (their clients, those clients' deals one by one, their
// claims); more read every audience row and every deal summary in one scan
// each, which costs less than that many index walks.
const segmentSmallScope = 20

// SegmentClients calls fn with each client of q.Owners as a segment
// analysis sees it, until fn returns false. It reads compact rows (the
// audience rows, the pipeline's deal summaries, claim summaries), never a
// client record, choosing by the number of owners between their indexes
// and one scan of everything. The order is the owners' index order (owner
// by owner) for a few owners and client id order for many.
func (s *Store) SegmentClients(ctx context.Context, q crm.SegmentQuery, fn func(*crm.SegmentClient) bool) error {
	keep := func(st crm.Stage) bool { return st == crm.StageWon || st.Open() }
	if len(q.Owners) <= segmentSmallScope {
		claims, err := s.ClaimCountsOf(ctx, q.Owners, q.ClaimsFrom, q.ClaimsTo)
		if err != nil {
			return err
		}
		var rows []crm.AudienceRow
		if err := s.AudienceOf(ctx, q.Owners, func(row crm.AudienceRow) bool {
			rows = append(rows, row)
			return true
		}); err != nil {
			return err
		}
		for _, row := range rows {
			facts, err := s.DealFactsOf(ctx, row.ClientID)
			if err != nil {
				return err
			}
			sc := &crm.SegmentClient{Row: row, Claims: claims[row.ClientID]}
			for _, d := range facts {
				if st := crm.Stage(d.Stage); keep(st) {
					sc.Deals = append(sc.Deals, crm.DealSum{ClientID: d.ClientID, Stage: st, Amount: d.Amount, Currency: d.Currency, ClosedAt: d.ClosedAt})
				}
			}
			if !fn(sc) {
				return nil
			}
		}
		return nil
	}
	claims, err := s.ClaimCounts(ctx, q.ClaimsFrom, q.ClaimsTo)
	if err != nil {
		return err
	}
	owners := make(map[uint64]bool, len(q.Owners))
	for _, o := range q.Owners {
		owners[o] = true
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
		if owners[row.OwnerID] {
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
