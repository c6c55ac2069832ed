package planning

import (
	"context"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// MeetingStore keeps meetings, the notices decided for them (reminders
// before, outcome questions after) and the meeting settings. It
// follows the rules every port shares (handlers/service.go).
type MeetingStore interface {
	// CreateMeeting stores m, giving it its id.
	CreateMeeting(ctx context.Context, m *crm.Meeting) error
	// Meeting returns the meeting with id, or crm.ErrNotFound.
	Meeting(ctx context.Context, id uint64) (*crm.Meeting, error)
	// UpdateMeeting applies fn (which may be re-run) to the meeting with
	// id and stores it with its indexes.
	UpdateMeeting(ctx context.Context, id uint64, fn func(*crm.Meeting) error) (*crm.Meeting, error)
	// MeetingsOf returns the meetings of people (those who meet the
	// client) in [from, to), cancelled ones included, person by person in
	// the order given and by time within one.
	MeetingsOf(ctx context.Context, people []uint64, from, to time.Time) ([]*crm.Meeting, error)
	// ClientMeetings returns the client's meetings, by id.
	ClientMeetings(ctx context.Context, client uint64) ([]*crm.Meeting, error)
	// DecideMeetingNotices decides the notices q asks for, once each: a
	// reminder is dropped when its meeting already started, a question
	// when a conversation with the client was logged since the meeting
	// began; each decision marks the meeting and queues the notice in one
	// transaction. It returns every notice waiting for delivery, new and
	// earlier undelivered ones.
	DecideMeetingNotices(ctx context.Context, q crm.MeetingNoticeQuery) ([]crm.MeetingNotice, error)
	// FinishMeetingNotice records one delivery attempt of n: a delivered
	// notice, or one that failed maxAttempts times, is dropped.
	FinishMeetingNotice(ctx context.Context, n crm.MeetingNotice, delivered bool, maxAttempts int) error
	// PlanningSettings returns the meeting settings, the defaults when
	// none were saved.
	PlanningSettings(ctx context.Context) (crm.PlanningSettings, error)
	// SavePlanningSettings stores ps.
	SavePlanningSettings(ctx context.Context, ps crm.PlanningSettings) error
}

const (
	// meetingBatch is how many reminders and questions one scheduler tick
	// decides.
	meetingBatch = 200
	// maxMeetingAttempts is how many ticks an undeliverable reminder is
	// retried.
	maxMeetingAttempts = 10
	// maxMeetingLead is the longest reminder lead or question delay.
	maxMeetingLead = 7 * 24 * time.Hour
)

// meetingCmd: "/meeting NAME DATE TIME [: topic]", "/meeting" (the
// meetings ahead), "/meeting cancel M-4", "/meeting settings [remind=1h]
// [ask=1h]".
func (s *service) meetingCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return s.meetingsAhead(ctx, w, r)
	}
	switch a := args[0]; {
	case r.Is(a, "meeting.settings"):
		return s.meetingSettings(ctx, w, r, args[1:])
	case r.Is(a, "meeting.cancel"):
		if len(args) == 2 {
			return s.meetingCancel(ctx, w, r, args[1])
		}
		return crm.Errorf(crm.EINVALID, "meeting.usage")
	case r.Is(a, "meeting.move"):
		if len(args) >= 3 {
			return s.meetingMove(ctx, w, r, args[1:])
		}
		return crm.Errorf(crm.EINVALID, "meeting.usage")
	case r.Is(a, "meeting.invite"):
		if len(args) == 2 {
			return s.meetingInvite(ctx, w, r, args[1])
		}
		return crm.Errorf(crm.EINVALID, "meeting.usage")
	}
	head, topic := splitTopic(r.Command.Rest)
	words := bot.Split(head)
	if len(words) < 3 {
		return crm.Errorf(crm.EINVALID, "meeting.usage")
	}
	at, nameEnd, err := meetingWhen(r, words)
	if err != nil {
		return err
	}
	if len([]rune(topic)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	c, actor, err := r.ChangeableClient(ctx, strings.Join(words[:nameEnd], " "))
	if err != nil {
		return err
	}
	m := &crm.Meeting{ClientID: c.ID, PersonID: r.ForWhom(actor), At: at, Topic: topic, CreatedBy: r.Me.ID, CreatedAt: r.Now}
	if err := s.store.CreateMeeting(ctx, m); err != nil {
		return err
	}
	settings, err := s.store.PlanningSettings(ctx)
	if err != nil {
		return err
	}
	msg := r.T("meeting.saved", "id", m.Ref(), "name", c.Name, "time", r.FmtTime(at))
	if m.Topic != "" {
		msg += "\n" + r.T("meeting.topic", "topic", m.Topic)
	}
	msg += "\n" + r.T("meeting.reminder_at", "time", r.FmtTime(at.Add(-settings.RemindBefore)))
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: [][]bot.Button{s.meetingButtons(r, m, c)}})
}

// splitTopic splits "Acme friday 14:30: the offer" at the first colon
// that is not inside a time of day (between two digits) nor in quotes.
func splitTopic(rest string) (string, string) {
	inQuote := false
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ':':
			if inQuote {
				continue
			}
			if i > 0 && i+1 < len(rest) && isDigit(rest[i-1]) && isDigit(rest[i+1]) {
				continue
			}
			return strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+1:])
		}
	}
	return strings.TrimSpace(rest), ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// meetingLine is one meeting in a list: "M-4 · 2026-12-03 14:30 · Acme: topic".
func meetingLine(r *core.Request, m *crm.Meeting, client string) string {
	line := m.Ref() + " · " + r.FmtTime(m.At)
	if client != "" {
		line += " · " + client
	}
	if m.Topic != "" {
		if client != "" {
			line += ":"
		} else {
			line += " ·"
		}
		line += " " + core.Truncate(m.Topic, 120)
	}
	return line
}

// visibleMeeting loads a meeting the sender may change: their own, or one
// of a client they have rights over.
func (s *service) visibleMeeting(ctx context.Context, r *core.Request, ref string) (*crm.Meeting, *crm.Client, error) {
	id, ok := core.ParseRef("M", ref)
	if !ok {
		return nil, nil, crm.Errorf(crm.EINVALID, "meeting.usage")
	}
	m, err := s.store.Meeting(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return nil, nil, crm.Errorf(crm.ENOTFOUND, "meeting.not_found", "id", crm.MeetingRef(id))
		}
		return nil, nil, err
	}
	c, err := s.store.Client(ctx, m.ClientID)
	if err != nil {
		return nil, nil, err
	}
	if r.RightsOver(m.PersonID) == nil && r.RightsOver(c.OwnerID) == nil {
		return nil, nil, crm.Errorf(crm.ENOTFOUND, "meeting.not_found", "id", m.Ref())
	}
	return m, c, nil
}

func (s *service) meetingCancel(ctx context.Context, w bot.ReplyWriter, r *core.Request, ref string) error {
	m, c, err := s.visibleMeeting(ctx, r, ref)
	if err != nil {
		return err
	}
	if !m.CancelledAt.IsZero() {
		return w.Reply(ctx, bot.Reply{Text: r.T("meeting.already_cancelled", "id", m.Ref()), Edit: r.Button})
	}
	m, err = s.store.UpdateMeeting(ctx, m.ID, func(m *crm.Meeting) error { m.CancelledAt = r.Now; return nil })
	if err != nil {
		return err
	}
	text := r.T("meeting.cancelled", "id", m.Ref(), "name", c.Name, "time", r.FmtTime(m.At))
	if line := s.meetingCancelMail(ctx, r, m, c); line != "" {
		text += "\n" + line
	}
	return w.Reply(ctx, bot.Reply{Text: text, Edit: r.Button})
}

// meetingsAhead lists the sender's meetings of the next 14 days.
func (s *service) meetingsAhead(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	owners, err := r.VisibleOwners("mine")
	if err != nil {
		return err
	}
	var lines []string
	ms, err := s.store.MeetingsOf(ctx, owners, r.Today(), dates.AddDays(r.Today(), 15))
	if err != nil {
		return err
	}
	for _, m := range ms {
		o := m.PersonID
		if !m.CancelledAt.IsZero() {
			continue
		}
		name := ""
		if c, err := s.store.Client(ctx, m.ClientID); err == nil {
			name = c.Name
		}
		line := "• " + meetingLine(r, m, name)
		if o != r.Me.ID {
			line += " (" + r.T("today.for", "name", r.PersonName(o)) + ")"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("meeting.none_ahead") + "\n" + r.T("meeting.usage")})
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("meeting.ahead_title", "count", len(lines)), Text: strings.Join(lines, "\n")})
}

// meetingSettings shows or (heads only) changes how long before a meeting
// the reminder goes out and how long after its start the outcome is asked.
func (s *service) meetingSettings(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	ps, err := s.store.PlanningSettings(ctx)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		if r.Me.Role != crm.RoleHead {
			return crm.Errorf(crm.EFORBIDDEN, "meeting.settings_forbidden")
		}
		kv := core.SplitKV(words, s.kit.KeyWord)
		if len(kv.Plain) > 0 || len(kv.Keys) == 0 {
			return crm.Errorf(crm.EINVALID, "meeting.settings_usage")
		}
		for _, k := range kv.Keys {
			d, ok := s.words.parseLead(kv.KV[k])
			if !ok {
				return crm.Errorf(crm.EINVALID, "meeting.bad_lead", "value", kv.KV[k])
			}
			switch {
			case r.Is(k, "meeting.key.remind"):
				ps.RemindBefore = d
			case r.Is(k, "meeting.key.ask"):
				ps.AskAfter = d
			default:
				return crm.Errorf(crm.EINVALID, "meeting.settings_usage")
			}
		}
		if err := s.store.SavePlanningSettings(ctx, ps); err != nil {
			return err
		}
	}
	text := r.T("meeting.settings", "remind", fmtLead(r, ps.RemindBefore), "ask", fmtLead(r, ps.AskAfter))
	if len(words) > 0 {
		text = r.T("meeting.settings_saved") + "\n" + text
	}
	return w.Reply(ctx, bot.Reply{Text: text})
}

// parseLead reads "90m", "1h", "2h30m", "90" (minutes), "1ч", "30мин":
// the other forms of "words.meeting.unit.m" and ".h" become m and h.
func (lx *words) parseLead(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = lx.leadUnits.Replace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" {
		s += "m"
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxMeetingLead {
		return 0, false
	}
	return d, true
}

// fmtLead says a duration in hours and minutes.
func fmtLead(r *core.Request, d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return r.T("duration.minutes", "count", m)
	case m == 0:
		return r.T("duration.hours", "count", h)
	}
	return r.T("duration.hours", "count", h) + " " + r.T("duration.minutes", "count", m)
}

// meetingAgenda adds to /today the meetings of the day, with a button to
// log the outcome.
func (s *service) meetingAgenda(ctx context.Context, r *core.Request, owners []uint64, until time.Time) ([]core.AgendaItem, error) {
	var items []core.AgendaItem
	ms, err := s.store.MeetingsOf(ctx, owners, r.Today(), until)
	if err != nil {
		return nil, err
	}
	// The clients' names in one read, not one read per meeting.
	ids := make([]uint64, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ClientID)
	}
	names, err := s.store.ClientNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	crm.TouchClient(ctx, ids...)
	for _, m := range ms {
		o := m.PersonID
		name, ok := names[m.ClientID]
		if !m.CancelledAt.IsZero() || !ok {
			continue // cancelled, or its client is gone
		}
		line := r.T("today.meeting", "line", meetingLine(r, m, name))
		if o != r.Me.ID {
			line += " (" + r.T("today.for", "name", r.PersonName(o)) + ")"
		}
		items = append(items, core.AgendaItem{Due: m.At, Text: line, Buttons: []bot.Button{
			{Label: r.T("meeting.button.outcome", "id", m.Ref()), Data: "/log " + core.ClientRef(&crm.Client{ID: m.ClientID})},
		}})
	}
	return items, nil
}

// meetingJob is the scheduled work of meetings: the reminder before each
// meeting and the question about its outcome after it, each decided once
// in the store (the meeting is marked in the same transaction) and then
// delivered, with retries for a delivery that failed.
func (s *service) meetingJob(ctx context.Context, now time.Time) error {
	ps := s.store
	settings, err := ps.PlanningSettings(ctx)
	if err != nil {
		return err
	}
	notices, err := ps.DecideMeetingNotices(ctx, crm.MeetingNoticeQuery{Now: now, RemindUntil: now.Add(settings.RemindBefore), AskUntil: now.Add(-settings.AskAfter), Limit: meetingBatch})
	if err != nil {
		return err
	}
	for _, n := range notices {
		ok := s.deliverMeetingNotice(ctx, n)
		if err := ps.FinishMeetingNotice(ctx, n, ok, maxMeetingAttempts); err != nil {
			return err
		}
	}
	return nil
}

// deliverMeetingNotice sends one reminder or question; it reports whether
// it reached the person (or can never reach them).
func (s *service) deliverMeetingNotice(ctx context.Context, n crm.MeetingNotice) bool {
	m, err := s.store.Meeting(ctx, n.MeetingID)
	if err != nil {
		return crm.IsNotFound(err)
	}
	p, err := s.store.Person(ctx, m.PersonID)
	if err != nil || !p.Active() || !m.CancelledAt.IsZero() {
		return true
	}
	c, err := s.store.Client(ctx, m.ClientID)
	if err != nil {
		return crm.IsNotFound(err)
	}
	loc, tz := s.kit.PersonLocale(p)
	at := dates.FormatTime(m.At.In(tz), loc.Lang())
	var rep bot.Reply
	if n.Kind == "remind" {
		rep = bot.Reply{Title: loc.T("meeting.remind_title"), Text: loc.T("meeting.remind", "id", m.Ref(), "name", c.Name, "time", at),
			Buttons: [][]bot.Button{{{Label: loc.T("button.plan"), Data: "/plan " + core.ClientRef(c)}, {Label: loc.T("button.card"), Data: "/client " + core.ClientRef(c)}}}}
	} else {
		rep = bot.Reply{Title: loc.T("meeting.ask_title"), Text: loc.T("meeting.ask", "id", m.Ref(), "name", c.Name, "time", at),
			Buttons: [][]bot.Button{{{Label: loc.T("meeting.button.log"), Data: "/log " + core.ClientRef(c)}}}}
	}
	if m.Topic != "" {
		rep.Text += "\n" + loc.T("meeting.topic", "topic", m.Topic)
	}
	if s.kit.Notifier == nil {
		return true
	}
	ok := s.kit.Notify(ctx, p, rep)
	if !ok {
		s.kit.Log.Warn("meeting notice not delivered", "meeting", m.Ref(), "kind", n.Kind, "person", p.ID)
	}
	return ok
}

// meetingWhen reads the date and time that end words ("… friday 14:30",
// "… next monday 9:00"): the time, and where the words before the date end.
func meetingWhen(r *core.Request, words []string) (time.Time, int, error) {
	hh, mm, ok := dates.ParseClock(words[len(words)-1])
	if !ok {
		return time.Time{}, 0, crm.Errorf(crm.EINVALID, "meeting.bad_time", "value", words[len(words)-1])
	}
	// The date is the one or two words before the time ("friday", "next
	// monday", "03.12.2026").
	var day time.Time
	nameEnd := -1
	for n := 2; n >= 1; n-- {
		if len(words)-1-n < 1 {
			continue
		}
		if d, ok := r.Date(strings.Join(words[len(words)-1-n:len(words)-1], " ")); ok {
			day, nameEnd = d, len(words)-1-n
			break
		}
	}
	if nameEnd < 0 {
		return time.Time{}, 0, crm.Errorf(crm.EINVALID, "error.bad_date", "value", words[len(words)-2])
	}
	at := time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, r.TZ)
	if !at.After(r.Now) {
		return time.Time{}, 0, crm.Errorf(crm.EINVALID, "meeting.past", "time", r.FmtTime(at))
	}
	return at, nameEnd, nil
}

// meetingMove: "/meeting move M-4 DATE TIME" sets a new time. The reminder
// and the outcome question follow the new time; an invited client gets the
// changed invitation with a higher SEQUENCE.
func (s *service) meetingMove(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	at, nameEnd, err := meetingWhen(r, words)
	if err != nil {
		return err
	}
	if nameEnd != 1 {
		return crm.Errorf(crm.EINVALID, "meeting.usage")
	}
	m, c, err := s.visibleMeeting(ctx, r, words[0])
	if err != nil {
		return err
	}
	if !m.CancelledAt.IsZero() {
		return w.Reply(ctx, bot.Reply{Text: r.T("meeting.already_cancelled", "id", m.Ref())})
	}
	m, err = s.store.UpdateMeeting(ctx, m.ID, func(x *crm.Meeting) error {
		x.At, x.RemindedAt, x.AskedAt = at, time.Time{}, time.Time{}
		if !x.InvitedAt.IsZero() {
			x.Sequence++
		}
		return nil
	})
	if err != nil {
		return err
	}
	text := r.T("meeting.moved", "id", m.Ref(), "name", c.Name, "time", r.FmtTime(m.At))
	if line := s.meetingUpdateMail(ctx, r, m, c); line != "" {
		text += "\n" + line
	}
	return w.Reply(ctx, bot.Reply{Text: text, Buttons: [][]bot.Button{s.meetingButtons(r, m, c)}})
}
