package handlers

import (
	"context"
	"strconv"
	"time"

	"accountbot/crm"
	"accountbot/csvio"
)

// registerRecordExports adds deals and claims to /export and to
// "/client export NAME"; store/erase.go erases the same records on
// "/client forget".
func (s *Service) registerRecordExports() {
	s.addExport("deals", s.writeDealsCSV)
	s.addExport("claims", s.writeClaimsCSV)
	s.addClientSection("deals", func(ctx context.Context, r *request, c *crm.Client) (any, error) {
		return s.store.ClientDeals(ctx, c.ID)
	})
	s.addClientSection("claims", func(ctx context.Context, r *request, c *crm.Client) (any, error) {
		return s.store.ClientClaims(ctx, c.ID)
	})
}

// csvTime writes a time as an ISO date and time in the sender's zone, ""
// for none: a file is read by spreadsheets, not people, so one format.
func csvTime(r *request, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.TZ).Format("2006-01-02 15:04")
}

// writeDealsCSV writes every deal of the people the sender sees by default.
func (s *Service) writeDealsCSV(ctx context.Context, r *request, w *csvio.Writer) error {
	header := []string{"id", "client", "owner", "title", "amount", "currency", "stage", "probability", "expected_close", "competitor", "loss_reason", "created_at", "closed_at", "cancelled"}
	if err := w.Write(header); err != nil {
		return crm.Internal(err)
	}
	owners, err := r.VisibleOwners(r.DefaultScope())
	if err != nil {
		return err
	}
	refs := ownerRefs(r)
	for _, o := range owners {
		deals, err := s.store.OwnerDeals(ctx, o)
		if err != nil {
			return err
		}
		names := s.dealClientNames(ctx, deals)
		for _, d := range deals {
			close := ""
			if !d.ExpectedClose.IsZero() {
				close = d.ExpectedClose.Format("2006-01-02")
			}
			cancelled := ""
			if d.Cancelled {
				cancelled = "yes"
			}
			rec := []string{d.Ref(), names[d.ClientID], refs[d.OwnerID], d.Title, d.Amount.String(), d.Currency, string(d.Stage),
				strconv.Itoa(d.Prob()), close, d.Competitor, d.LossReason, csvTime(r, d.CreatedAt), csvTime(r, d.ClosedAt), cancelled}
			if err := w.Write(rec); err != nil {
				return crm.Internal(err)
			}
		}
	}
	return nil
}

// writeClaimsCSV writes every claim the sender may see (as their own,
// their team's, or assigned to them).
func (s *Service) writeClaimsCSV(ctx context.Context, r *request, w *csvio.Writer) error {
	header := []string{"id", "client", "owner", "assignee", "severity", "category", "status", "text", "remedy", "received", "ack_due", "resolve_due", "closed_at", "cause", "action", "satisfaction"}
	if err := w.Write(header); err != nil {
		return crm.Internal(err)
	}
	owners, err := r.VisibleOwners(r.DefaultScope())
	if err != nil {
		return err
	}
	refs := ownerRefs(r)
	seen := map[uint64]bool{}
	for _, o := range owners {
		for _, open := range []bool{true, false} {
			sums, err := s.store.ClaimsOf(ctx, []uint64{o}, open)
			if err != nil {
				return err
			}
			var ids []uint64
			for _, sm := range sums {
				if !seen[sm.ID] && r.SeesClaim(sm.OwnerID, sm.AssigneeID) {
					seen[sm.ID] = true
					ids = append(ids, sm.ID)
				}
			}
			claims, err := s.store.ClaimsByID(ctx, ids)
			if err != nil {
				return err
			}
			names, err := s.clientNames(ctx, sums)
			if err != nil {
				return err
			}
			for _, c := range claims {
				sat := ""
				if c.Satisfaction > 0 {
					sat = strconv.Itoa(c.Satisfaction)
				}
				rec := []string{c.Ref(), names[c.ClientID], refs[c.OwnerID], refs[c.AssigneeID], string(c.Severity), c.Category, string(c.Status),
					c.Text, c.Remedy, csvTime(r, c.CreatedAt), csvTime(r, c.AckDue), csvTime(r, c.ResolveDue), csvTime(r, c.ClosedAt),
					c.Cause, string(c.Action), sat}
				if err := w.Write(rec); err != nil {
					return crm.Internal(err)
				}
			}
		}
	}
	return nil
}
