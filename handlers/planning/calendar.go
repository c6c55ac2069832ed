package planning

import (
	"context"
	"time"

	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// calendar adds to owner's calendar feed the meetings not cancelled, from
// the feed's past on, and the open promises due by until (all-day
// entries on their due day).
func (s *service) calendar(ctx context.Context, r *core.Request, owner uint64, until time.Time) ([]core.CalendarItem, error) {
	var items []core.CalendarItem
	ms, err := s.store.MeetingsOf(ctx, []uint64{owner}, r.Now.Add(-core.FeedPast), until)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if !m.CancelledAt.IsZero() {
			continue
		}
		m := m
		items = append(items, core.CalendarItem{UID: core.EventUID("meeting", m.ID), Client: m.ClientID, Start: m.At, End: m.At.Add(core.MeetingLength), Desc: m.Topic,
			Summary: func(name string) string {
				if m.Topic != "" {
					return r.T("calendar.meeting_topic", "name", name, "topic", core.OneLine(m.Topic))
				}
				return r.T("calendar.meeting", "name", name)
			}})
	}
	proms, err := s.store.OpenPromises(ctx, []uint64{owner}, until)
	if err != nil {
		return nil, err
	}
	for _, p := range proms {
		p := p
		items = append(items, core.CalendarItem{UID: core.EventUID("promise", p.ID), Client: p.ClientID, Start: dates.Day(p.Due, r.TZ), AllDay: true, Desc: p.Text,
			Summary: func(name string) string {
				return r.T("calendar.promise", "id", crm.PromiseRef(p.ID), "name", name, "text", core.OneLine(p.Text))
			}})
	}
	return items, nil
}
