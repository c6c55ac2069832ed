package deals

import (
	"context"
	"strconv"

	"accountbot/crm"
	"accountbot/csvio"
	"accountbot/handlers/core"
)

// writeDealsCSV writes every deal of the people the sender sees by default.
func (s *service) writeDealsCSV(ctx context.Context, r *core.Request, w *csvio.Writer) error {
	owners, refs, err := core.StartCSV(r, w, "id", "client", "owner", "title", "amount", "currency", "stage", "probability", "expected_close", "competitor", "loss_reason", "created_at", "closed_at", "cancelled")
	if err != nil {
		return err
	}
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
				strconv.Itoa(d.Prob()), close, d.Competitor, d.LossReason, core.CSVTime(r, d.CreatedAt), core.CSVTime(r, d.ClosedAt), cancelled}
			if err := w.Write(rec); err != nil {
				return crm.Internal(err)
			}
		}
	}
	return nil
}
