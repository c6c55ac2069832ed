package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"

	"accountbot/handlers/core"
	ical "github.com/emersion/go-ical"
)

const (
	// icalProdID names the program in every calendar object it writes.
	icalProdID = "-//accountbot//accountbot//EN"
	// feedAhead bounds the items a feed shows (core.FeedPast the ones
	// before now).
	feedAhead = 400 * 24 * time.Hour
	// taskLength is the length of a timed reminder's event.
	taskLength = 30 * time.Minute
)

// CalendarStore keeps the private calendar feeds' tokens: one current
// token per person, the old one dead once replaced.
type CalendarStore interface {
	// CalendarToken returns the person's feed token, storing fresh as it
	// when the person has none or reset asks for a new one (the old one
	// stops working in the same transaction).
	CalendarToken(ctx context.Context, person uint64, reset bool, fresh string) (string, error)
	// CalendarOwner returns the person whose current token is tok; an
	// unknown or replaced token is crm.ErrNotFound.
	CalendarOwner(ctx context.Context, tok string) (uint64, error)
}

// registerCalendar adds /calendar to the mail family's help page, after
// /mail: the feed gathers the entries of every family (AddCalendar), so it
// is the service's, not the mail family's.
func (s *Service) registerCalendar() {
	defer s.inFamily("mail")()
	s.add(&spec{name: "calendar", minRole: crm.RoleManager, run: s.calendarCmd})
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
func (s *Service) feedURL(tok string) string {
	return s.publicURL + "/calendar/" + tok + ".ics"
}

// calendarCmd: "/calendar" answers the caller's private feed URL,
// "/calendar reset" makes a new one (the old one stops working).
func (s *Service) calendarCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
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

// CalendarFeed returns the iCalendar feed of the token tok (the name in
// the feed URL without ".ics"): the owner's reminders and next steps,
// and what the families add (meetings, promises, claim deadlines), only what the owner may see. An
// unknown or replaced token, or a dismissed owner, is crm.ErrNotFound.
func (s *Service) CalendarFeed(ctx context.Context, tok string) ([]byte, error) {
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
		lang = s.cfg.Lang
	}
	r, err := s.newRequest(ctx, &bot.Message{Person: p, Lang: lang})
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

func (s *Service) buildFeed(ctx context.Context, r *request) (*ical.Calendar, error) {
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
		for _, src := range s.calendar {
			more, err := src(ctx, r.Request, o, until)
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

func newCalendar(method string) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, icalProdID)
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	if method != "" {
		cal.Props.SetText(ical.PropMethod, method)
	}
	return cal
}

func (it feedItem) event(stamp time.Time) *ical.Event {
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, it.uid)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
	ev.Props.SetText(ical.PropSummary, it.summary)
	if it.desc != "" && it.desc != it.summary {
		ev.Props.SetText(ical.PropDescription, it.desc)
	}
	if it.allDay {
		day := it.start
		ev.Props.SetDate(ical.PropDateTimeStart, day)
		ev.Props.SetDate(ical.PropDateTimeEnd, time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location()))
		ev.Props.SetText(ical.PropTransparency, "TRANSPARENT")
	} else {
		ev.Props.SetDateTime(ical.PropDateTimeStart, it.start.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, it.end.UTC())
	}
	return ev
}

// encodeCalendar writes cal as RFC 5545 text: CRLF line ends and lines
// folded at 75 octets (the library writes each property on one line).
func encodeCalendar(cal *ical.Calendar) ([]byte, error) {
	var raw bytes.Buffer
	if err := ical.NewEncoder(&raw).Encode(cal); err != nil {
		return nil, crm.Internal(err)
	}
	var out bytes.Buffer
	foldLines(&out, raw.Bytes())
	return out.Bytes(), nil
}

// foldLines copies iCalendar content lines from src to w, folding each
// longer than 75 octets with CRLF and a space, never inside a UTF-8
// character.
func foldLines(w io.Writer, src []byte) {
	for _, line := range bytes.SplitAfter(src, []byte("\r\n")) {
		if len(line) == 0 {
			continue
		}
		body := bytes.TrimSuffix(line, []byte("\r\n"))
		limit := 75
		for len(body) > limit {
			cut := limit
			for cut > 0 && body[cut]&0xC0 == 0x80 {
				cut-- // a continuation byte: fold before its character
			}
			w.Write(body[:cut])
			w.Write([]byte("\r\n "))
			body = body[cut:]
			limit = 74 // the leading space counts
		}
		w.Write(body)
		w.Write([]byte("\r\n"))
	}
}

// meetingInvitation is the iCalendar object of an invitation to m (method
// REQUEST) or of its cancellation (CANCEL).
func meetingInvitation(method string, m *crm.Meeting, organizer, organizerName, attendee, attendeeName, summary string, stamp time.Time) ([]byte, error) {
	cal := newCalendar(method)
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, core.EventUID("meeting", m.ID))
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeStart, m.At.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeEnd, m.At.Add(core.MeetingLength).UTC())
	ev.Props.SetText(ical.PropSummary, summary)
	if m.Topic != "" {
		ev.Props.SetText(ical.PropDescription, m.Topic)
	}
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = strconv.Itoa(m.Sequence)
	ev.Props.Set(seq)
	org := ical.NewProp(ical.PropOrganizer)
	// CAL-ADDRESS, the default value type of both: no VALUE parameter.
	org.Value = "mailto:" + organizer
	if organizerName != "" {
		org.Params.Set("CN", paramText(organizerName))
	}
	ev.Props.Set(org)
	att := ical.NewProp(ical.PropAttendee)
	att.Value = "mailto:" + attendee
	if attendeeName != "" {
		att.Params.Set("CN", paramText(attendeeName))
	}
	att.Params.Set("ROLE", "REQ-PARTICIPANT")
	att.Params.Set("PARTSTAT", "NEEDS-ACTION")
	att.Params.Set("RSVP", "TRUE")
	ev.Props.Set(att)
	if method == "CANCEL" {
		ev.Props.SetText(ical.PropStatus, "CANCELLED")
	} else {
		ev.Props.SetText(ical.PropStatus, "CONFIRMED")
	}
	cal.Children = append(cal.Children, ev.Component)
	return encodeCalendar(cal)
}

// paramText makes a name safe as a parameter value (no quotes, no line
// breaks).
func paramText(s string) string {
	return strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(core.OneLine(s))
}
