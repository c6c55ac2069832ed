package deals

import (
	"context"

	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/money"
)

// dealFacts adds a client's open deals to the facts a follow-up draft and
// the note reader rely on; the note reader may then propose moving one.
func (s *service) dealFacts(ctx context.Context, r *core.Request, c *crm.Client, f *crm.Facts) error {
	deals, err := s.store.ClientDeals(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, d := range deals {
		if !d.Open() {
			continue
		}
		f.Deals = append(f.Deals, crm.FactDeal{ID: d.Ref(), Title: d.Title, Stage: string(d.Stage),
			Amount: money.Format(d.Amount, d.Currency, r.Lang), Close: d.ExpectedClose})
	}
	return nil
}
