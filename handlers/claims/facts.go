package claims

import (
	"context"

	"accountbot/crm"
	"accountbot/handlers/core"
)

// claimFacts adds a client's open claims to the facts a follow-up draft
// and the note reader rely on: what was promised about them matters most
// in the next message to the client.
func (s *service) claimFacts(ctx context.Context, r *core.Request, c *crm.Client, f *crm.Facts) error {
	list, err := s.store.ClientClaims(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, cl := range list {
		if !cl.Status.Open() {
			continue
		}
		due := cl.ResolveDue
		if cl.Status.AwaitsAck() {
			due = cl.AckDue
		}
		f.Claims = append(f.Claims, crm.FactClaim{ID: cl.Ref(), Text: cl.Text, Status: string(cl.Status), Severity: string(cl.Severity), Due: due})
	}
	return nil
}
