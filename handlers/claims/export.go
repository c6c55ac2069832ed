package claims

import (
	"context"
	"strconv"

	"accountbot/crm"
	"accountbot/csvio"
	"accountbot/handlers/core"
)

// writeClaimsCSV writes every claim the sender may see (as their own,
// their team's, or assigned to them).
func (s *service) writeClaimsCSV(ctx context.Context, r *core.Request, w *csvio.Writer) error {
	owners, refs, err := core.StartCSV(r, w, "id", "client", "owner", "assignee", "severity", "category", "status", "text", "remedy", "received", "ack_due", "resolve_due", "closed_at", "cause", "action", "satisfaction")
	if err != nil {
		return err
	}
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
					c.Text, c.Remedy, core.CSVTime(r, c.CreatedAt), core.CSVTime(r, c.AckDue), core.CSVTime(r, c.ResolveDue), core.CSVTime(r, c.ClosedAt),
					c.Cause, string(c.Action), sat}
				if err := w.Write(rec); err != nil {
					return crm.Internal(err)
				}
			}
		}
	}
	return nil
}
