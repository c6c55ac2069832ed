package mail

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	ical "github.com/emersion/go-ical"
)

const (
	// feedAhead bounds the items a feed shows (core.FeedPast the ones
	// before now).
	feedAhead = 400 * 24 * time.Hour
	// taskLength is the length of a timed reminder's event.
	taskLength = 30 * time.Minute
)

// CalendarStore keeps the private calendar feeds' tokens: one current
// token per person, the old one dead once replaced. It follows the rules
// every port shares (handlers/service.go).
type CalendarStore interface {
	// CalendarToken returns the person's feed token, storing fresh as it
	// when the person has none or reset asks for a new one (the old one
	// stops working in the same transaction).
	CalendarToken(ctx context.Context, person uint64, reset bool, fresh string) (string, error)
	// CalendarOwner returns the person whose current token is tok; an
	// unknown or replaced token is crm.ErrNotFound.
	CalendarOwner(ctx context.Context, tok string) (uint64, error)
}

// newFeedToken is a long random value (256 bits) for a feed URL.
func newFeedToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// feedURL is where the feed of token tok is served.
func (s *service) feedURL(tok string) string {
	return s.publicURL + "/calendar/" + tok + ".ics"
}

// calendarCmd: "/calendar" answers the caller's private feed URL,
// "/calendar reset" makes a new one (the old one stops working).
func (s *service) calendarCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	reset := false
	if args := r.Command.Args; len(args) > 0 {
		switch {
		case r.Is(args[0], "calendar.reset"):
			reset = true
		default:
			return crm.Errorf(crm.EINVALID, "calendar.usage")
		}
	}
	// A fresh token is made each time; the store keeps it only when the
	// person has none or asked for a new one.
	fresh, err := newFeedToken()
	if err != nil {
		return err
	}
	tok, err := s.store.CalendarToken(ctx, r.Me.ID, reset, fresh)
	if err != nil {
		return err
	}
	text := r.T("calendar.url", "url", s.feedURL(tok))
	if reset {
		text = r.T("calendar.reset") + "\n" + text
	}
	text += "\n" + r.T("calendar.howto")
	return w.Reply(ctx, bot.Reply{Text: text, Buttons: [][]bot.Button{{{Label: r.T("calendar.button.reset"), Data: "/calendar reset"}}}})
}

// calendarFeed is Mail.CalendarFeed: the owner's own tasks first, then
// what each calendar source adds, owner by owner.
func (s *service) calendarFeed(ctx context.Context, tok string) ([]byte, error) {
	if len(tok) < 20 || len(tok) > 100 {
		return nil, crm.ErrNotFound
	}
	id, err := s.store.CalendarOwner(ctx, tok)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Person(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.Active() {
		return nil, crm.ErrNotFound
	}
	lang := p.Lang
	if lang == "" {
		lang = s.kit.Lang
	}
	r, err := core.NewRequest(ctx, s.store, s.kit.Catalog, &bot.Message{Person: p, Lang: lang}, s.kit.Clock.Now(), s.kit.TZ)
	if err != nil {
		return nil, err
	}
	cal, err := s.buildFeed(ctx, r)
	if err != nil {
		return nil, err
	}
	return encodeCalendar(cal)
}

// feedItem is one calendar entry before it becomes a VEVENT.
type feedItem struct {
	uid     string
	summary string
	desc    string
	start   time.Time
	end     time.Time
	allDay  bool
}

// buildFeed gathers the entries r's sender sees from now to feedAhead,
// each once, with the client names filled in; a feed with none holds one
// all-day entry that says so.
func (s *service) buildFeed(ctx context.Context, r *core.Request) (*ical.Calendar, error) {
	owners, err := r.VisibleOwners("mine")
	if err != nil {
		return nil, err
	}
	until := r.Now.Add(feedAhead)
	var items []feedItem
	clientIDs := map[uint64]bool{}
	type pending struct {
		item   feedItem
		client uint64
		// format makes the summary once the client's name is known.
		format func(name string) string
	}
	var ps []pending
	for _, o := range owners {
		if !r.SeesOwner(o) {
			continue
		}
		tasks, err := s.store.OpenTasks(ctx, []uint64{o}, until)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			t := t
			it := feedItem{uid: core.EventUID("task", t.ID), desc: t.Text}
			if !t.At.IsZero() {
				it.start, it.end = t.At, t.At.Add(taskLength)
			} else {
				it.start, it.allDay = dates.Day(t.Due, r.TZ), true
			}
			ps = append(ps, pending{client: t.ClientID, item: it, format: func(name string) string {
				if name == "" {
					return core.OneLine(t.Text)
				}
				return r.T("calendar.task", "name", name, "text", core.OneLine(t.Text))
			}})
		}
		for _, src := range s.calendars.Sources {
			more, err := src(ctx, r, o, until)
			if err != nil {
				return nil, err
			}
			for _, it := range more {
				ps = append(ps, pending{client: it.Client, item: feedItem{uid: it.UID, start: it.Start, end: it.End, allDay: it.AllDay, desc: it.Desc}, format: it.Summary})
			}
		}
	}
	for _, p := range ps {
		if p.client != 0 {
			clientIDs[p.client] = true
		}
	}
	ids := make([]uint64, 0, len(clientIDs))
	for id := range clientIDs {
		ids = append(ids, id)
	}
	names, err := s.store.ClientNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.item.uid] {
			continue // a claim owned by and assigned to the same person
		}
		seen[p.item.uid] = true
		it := p.item
		it.summary = p.format(names[p.client])
		items = append(items, it)
	}
	cal := newCalendar("")
	cal.Props.SetText("X-WR-CALNAME", r.T("calendar.name", "name", r.Me.Name))
	stamp := r.Now.UTC()
	for _, it := range items {
		cal.Children = append(cal.Children, it.event(stamp).Component)
	}
	if len(cal.Children) == 0 {
		// An empty VCALENDAR is not valid iCalendar: say so with one item
		// today rather than serve something a calendar program refuses.
		cal.Children = append(cal.Children, feedItem{uid: "empty-" + strconv.FormatUint(r.Me.ID, 10) + "@accountbot",
			summary: r.T("calendar.empty"), start: r.Today(), allDay: true}.event(stamp).Component)
	}
	return cal, nil
}
