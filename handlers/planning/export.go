package planning

import (
	"context"

	"accountbot/crm"
	"accountbot/handlers/core"
)

// planningDoc is what "/client export NAME" holds of planning; the store's
// erasure hook (planningClientKeys) erases the same records.
type planningDoc struct {
	ContactPlan     *crm.ContactPlan      `json:"contact_plan,omitempty"`
	PlanNotes       []*crm.PlanNote       `json:"plan_notes,omitempty"`
	Meetings        []*crm.Meeting        `json:"meetings,omitempty"`
	Promises        []crm.Promise         `json:"promises,omitempty"`
	Payments        []crm.Payment         `json:"payments,omitempty"`
	Leads           []crm.Lead            `json:"leads,omitempty"`
	CompetitorNotes []*crm.CompetitorNote `json:"competitor_notes,omitempty"`
}

// planningExport collects the client's planning records, nil when there
// are none.
func (s *service) planningExport(ctx context.Context, _ *core.Request, c *crm.Client) (any, error) {
	ps := s.store
	var d planningDoc
	var err error
	if d.ContactPlan, err = ps.ContactPlan(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.PlanNotes, err = ps.PlanNotes(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Meetings, err = ps.ClientMeetings(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Promises, err = ps.ClientPromises(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Payments, err = ps.Payments(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Leads, err = ps.ClientLeads(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.CompetitorNotes, err = ps.CompetitorNotesFrom(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.ContactPlan == nil && len(d.PlanNotes)+len(d.Meetings)+len(d.Promises)+len(d.Payments)+len(d.Leads)+len(d.CompetitorNotes) == 0 {
		return nil, nil
	}
	return &d, nil
}
