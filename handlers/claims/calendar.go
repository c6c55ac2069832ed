package claims

import (
	"context"
	"time"

	"accountbot/dates"
	"accountbot/handlers/core"
)

// claimCalendar adds to a calendar feed the resolve deadline of each open
// claim of owner (as owner or assignee) due by until, as an all-day entry.
func (s *service) claimCalendar(ctx context.Context, r *core.Request, owner uint64, until time.Time) ([]core.CalendarItem, error) {
	claims, err := s.store.ClaimsOf(ctx, []uint64{owner}, true)
	if err != nil {
		return nil, err
	}
	var items []core.CalendarItem
	for _, c := range claims {
		if c.ResolveDue.IsZero() || c.ResolveDue.After(until) || !r.SeesClaim(c.OwnerID, c.AssigneeID) {
			continue
		}
		ref := core.IDRef("C", c.ID)
		items = append(items, core.CalendarItem{UID: core.EventUID("claim", c.ID), Client: c.ClientID, Start: dates.Day(c.ResolveDue, r.TZ), AllDay: true,
			Summary: func(name string) string { return r.T("calendar.claim", "id", ref, "name", name) }})
	}
	return items, nil
}
