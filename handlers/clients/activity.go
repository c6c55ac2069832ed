package clients

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// logCmd records a conversation: "/log NAME: TEXT [#tags] [next: STEP by DATE]".
func (s *service) logCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	name, text, ok := bot.CutName(r.Command.Rest)
	if !ok && strings.TrimSpace(r.Command.Rest) != "" && r.Platform != bot.Slack {
		// "/log Acme", the Log a talk button: ask, one message at a time.
		return s.startLogDialog(ctx, w, r, r.Command.Rest)
	}
	if !ok || strings.TrimSpace(text) == "" {
		return crm.Errorf(crm.EINVALID, "log.usage")
	}
	text, tags := s.lex.takeTags(text)
	text, step, hasNext := s.lex.cutNext(text)
	var next *crm.Task
	var nextDue string
	if hasNext {
		stepText, due, err := cutDue(r, step)
		if err != nil {
			return err
		}
		if strings.TrimSpace(stepText) == "" {
			return crm.Errorf(crm.EINVALID, "log.next_usage")
		}
		next = &crm.Task{Text: strings.TrimSpace(stepText), NextStep: true, CreatedAt: r.Now, CreatedBy: r.Me.ID}
		nextDue = due
	}
	if strings.TrimSpace(text) == "" {
		return crm.Errorf(crm.EINVALID, "log.usage")
	}
	if len([]rune(text)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	// Files sent with the command are fetched first: one too large is
	// refused with nothing written.
	files, err := s.kit.Files.Take(ctx, r)
	if err != nil {
		return err
	}
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: actor.PersonID, OnBehalfOf: actor.OnBehalfOf, Channels: tags, Text: text, At: r.Now}
	if next != nil {
		next.ClientID = c.ID
		next.AssigneeID = c.OwnerID
		// A time rings in the assignee's zone.
		day, at, _ := parseDue(r, nextDue, r.Now, s.personTZ(r.People[c.OwnerID]))
		next.Due = day
		if !at.IsZero() {
			next.SetAt(at)
		}
	}
	if err := s.store.LogConversation(ctx, conv, next); err != nil {
		return err
	}
	attached, err := s.kit.Files.Keep(ctx, r, c.ID, crm.AttachedToConversation, conv.ID, files)
	if err != nil {
		return err
	}
	msg := r.T("log.saved", "name", c.Name) + attached
	var buttons [][]bot.Button
	if next != nil {
		msg += "\n" + r.T("log.next_saved", "id", core.IDRef("T", next.ID), "text", next.Text, "date", r.FmtDue(next))
		buttons = append(buttons, []bot.Button{{Label: r.T("button.done"), Data: "/task done " + core.IDRef("T", next.ID)}})
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: buttons})
}

// remindCmd creates a task: "/remind NAME: TEXT by DATE".
func (s *service) remindCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	name, text, ok := bot.CutName(r.Command.Rest)
	if !ok {
		return crm.Errorf(crm.EINVALID, "remind.usage")
	}
	body, due, err := cutDue(r, text)
	if err != nil {
		var ce *crm.Error
		if errors.As(err, &ce) && ce.Key == "log.next_usage" {
			return crm.Errorf(crm.EINVALID, "remind.usage")
		}
		return err
	}
	if strings.TrimSpace(body) == "" {
		return crm.Errorf(crm.EINVALID, "remind.usage")
	}
	day, at, _ := parseDue(r, due, r.Now, r.TZ)
	if len([]rune(body)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	t := &crm.Task{ClientID: c.ID, AssigneeID: r.ForWhom(actor), Text: strings.TrimSpace(body), Due: day, CreatedAt: r.Now, CreatedBy: r.Me.ID}
	if t.AssigneeID != r.Me.ID {
		// A time rings in the assignee's zone.
		_, at, _ = parseDue(r, due, r.Now, s.personTZ(r.People[t.AssigneeID]))
	}
	if !at.IsZero() {
		t.SetAt(at)
	}
	if err := s.store.CreateTask(ctx, t); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("remind.saved", "id", core.IDRef("T", t.ID), "name", c.Name, "text", t.Text, "date", r.FmtDue(t))})
}

// cutDue splits "TEXT by DATE [HH:MM]" (by, до, on, за:
// "words.list.due_by") or "TEXT DATE"
// ("обаждане утре", "send the offer next friday 10:00") into the text and
// the due phrase, which parseDue reads. Without a date it answers
// log.next_usage; a marker followed by no date it knows, error.bad_date
// naming what was typed.
func cutDue(r *core.Request, s string) (text, due string, err error) {
	body, due, marked := core.CutMarker(" "+s, r.Words("list.due_by")...)
	if marked {
		if _, _, ok := parseDue(r, due, r.Now, r.TZ); ok {
			return body, due, nil
		}
	}
	// No marker, or "до" that belongs to the text ("обаждане до офиса
	// утре"): a date at the end still counts.
	words := strings.Fields(s)
	for n := min(5, len(words)); n >= 1; n-- {
		phrase := strings.Join(words[len(words)-n:], " ")
		if _, err := strconv.Atoi(phrase); err == nil {
			continue // a bare number is no date
		}
		if _, _, ok := parseDue(r, phrase, r.Now, r.TZ); ok {
			rest := words[:len(words)-n]
			for len(rest) > 0 && r.Is(rest[len(rest)-1], "list.due_lead") {
				rest = rest[:len(rest)-1]
			}
			return strings.Join(rest, " "), phrase, nil
		}
	}
	if marked {
		return body, "", crm.Errorf(crm.EINVALID, "error.bad_date", "value", due)
	}
	return s, "", crm.Errorf(crm.EINVALID, "log.next_usage")
}

// taskCmd marks a task done or moves it: "/task done T-3", "/task tomorrow T-3".
func (s *service) taskCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) < 2 {
		return crm.Errorf(crm.EINVALID, "task.usage")
	}
	id, ok := core.ParseRef("T", args[1])
	if !ok {
		return crm.Errorf(crm.EINVALID, "task.usage")
	}
	t, err := s.store.Task(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return crm.Errorf(crm.ENOTFOUND, "task.not_found", "id", core.IDRef("T", id))
		}
		return err
	}
	if r.RightsOver(t.AssigneeID) == nil {
		return crm.Errorf(crm.ENOTFOUND, "task.not_found", "id", core.IDRef("T", id))
	}
	var msg string
	switch a := args[0]; {
	case r.Is(a, "task.done"):
		if !t.Open() {
			return w.Reply(ctx, bot.Reply{Text: r.T("task.already_done", "id", core.IDRef("T", id)), Edit: r.Button})
		}
		if _, err := s.store.UpdateTask(ctx, id, func(t *crm.Task) error { t.DoneAt, t.RingAt = r.Now, time.Time{}; return nil }); err != nil {
			return err
		}
		msg = r.T("task.done", "id", core.IDRef("T", id), "text", t.Text)
	case r.Is(a, "task.later"):
		// Postpone by an hour from now: the reminder rings again then.
		at := r.Now.Add(time.Hour).Truncate(time.Minute)
		moved, err := s.store.UpdateTask(ctx, id, func(t *crm.Task) error { t.SetAt(at.In(s.personTZ(r.People[t.AssigneeID]))); return nil })
		if err != nil {
			return err
		}
		msg = r.T("task.moved", "id", core.IDRef("T", id), "date", r.FmtDue(moved))
	case r.Is(a, "task.tomorrow") || r.Is(a, "task.move"):
		tz := s.personTZ(r.People[t.AssigneeID])
		day := dates.AddDays(dates.Day(r.Now, tz), 1)
		var at time.Time
		if len(args) > 2 && !r.Is(a, "task.tomorrow") {
			d, a, ok := parseDue(r, strings.Join(args[2:], " "), r.Now, tz)
			if !ok {
				return crm.Errorf(crm.EINVALID, "error.bad_date", "value", strings.Join(args[2:], " "))
			}
			day, at = d, a
		}
		if at.IsZero() && !t.At.IsZero() {
			// A reminder with a time keeps its time of day on the new day.
			l := t.At.In(tz)
			at = time.Date(day.Year(), day.Month(), day.Day(), l.Hour(), l.Minute(), 0, 0, tz)
		}
		moved, err := s.store.UpdateTask(ctx, id, func(t *crm.Task) error {
			t.Due = day
			if !at.IsZero() {
				t.SetAt(at)
			}
			return nil
		})
		if err != nil {
			return err
		}
		msg = r.T("task.moved", "id", core.IDRef("T", id), "date", r.FmtDue(moved))
	default:
		return crm.Errorf(crm.EINVALID, "task.usage")
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Edit: r.Button})
}

// todayCmd shows the sender's overdue and due-today work, soonest first.
func (s *service) todayCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	rep, _, err := s.today(ctx, r)
	if err != nil {
		return err
	}
	return w.Reply(ctx, rep)
}

// today builds /today for the sender and says how many items it holds
// (the morning agenda sends it only when there are any): core.Kit.Today.
func (s *service) today(ctx context.Context, r *core.Request) (bot.Reply, int, error) {
	owners, err := r.VisibleOwners("mine")
	if err != nil {
		return bot.Reply{}, 0, err
	}
	day := r.Today()
	if r.Command.Name != "" && len(r.Command.Args) > 0 {
		// "/today tomorrow", "/днес петък": that day's agenda (with what
		// is overdue by then).
		d, ok := r.Date(r.Command.Rest)
		if !ok {
			return bot.Reply{}, 0, crm.Errorf(crm.EINVALID, "error.bad_date", "value", r.Command.Rest)
		}
		day = d
	}
	until := dates.AddDays(day, 1)
	if err := s.store.ReadAgendaAhead(ctx, owners, r.Today(), until); err != nil {
		return bot.Reply{}, 0, err
	}
	items, err := s.taskAgenda(ctx, r, owners, until)
	if err != nil {
		return bot.Reply{}, 0, err
	}
	for _, src := range s.hooks.Agenda {
		more, err := src(ctx, r, owners, until)
		if err != nil {
			return bot.Reply{}, 0, err
		}
		items = append(items, more...)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Due.Before(items[j].Due) })
	if len(items) == 0 {
		return bot.Reply{Text: r.T("today.empty")}, 0, nil
	}
	const maxItems = 20
	rep := bot.Reply{Title: r.T("today.title", "date", r.FmtDate(day), "count", len(items))}
	var lines []string
	pg := r.Page(maxItems)
	from, to, more := r.Range(pg, len(items))
	for _, it := range items[from:to] {
		lines = append(lines, it.Text)
		if len(it.Buttons) > 0 {
			rep.Buttons = append(rep.Buttons, it.Buttons)
		}
	}
	if more != "" {
		lines = append(lines, more)
	}
	rep.Text = strings.Join(lines, "\n")
	rep.Buttons = append(rep.Buttons, r.PageButtons(pg, len(items))...)
	rep.Edit = r.Paged()
	return rep, len(items), nil
}

func (s *service) taskAgenda(ctx context.Context, r *core.Request, owners []uint64, until time.Time) ([]core.AgendaItem, error) {
	var items []core.AgendaItem
	today := r.Today()
	var all []*crm.Task
	var ids []uint64
	all, err := s.store.OpenTasks(ctx, owners, until)
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		if t.ClientID != 0 {
			ids = append(ids, t.ClientID)
		}
	}
	names, err := core.ClientNames(ctx, s.store, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		o := t.AssigneeID
		ref := core.IDRef("T", t.ID)
		line := ref + " · "
		if t.Due.Before(today) {
			line = "⚠ " + line + r.T("today.overdue_since", "date", r.FmtDate(t.Due)) + " · "
		}
		if !t.At.IsZero() {
			line += t.At.In(r.TZ).Format("15:04") + " · "
		}
		if name := names[t.ClientID]; name != "" {
			line += name + ": "
		}
		line += t.Text
		if o != r.Me.ID {
			line += " (" + r.T("today.for", "name", r.PersonName(o)) + ")"
		}
		due := t.Due
		if !t.At.IsZero() {
			due = t.At
		}
		items = append(items, core.AgendaItem{Due: due, Text: line, Buttons: []bot.Button{
			{Label: "✓ " + ref, Data: "/task done " + ref},
			{Label: "→ " + r.T("button.tomorrow"), Data: "/task tomorrow " + ref},
		}})
	}
	return items, nil
}

// parseDue reads a due date with an optional time after it ("tomorrow
// 10:00", "31.12.2026 at 9:30", "петък в 14:00", or a time alone for
// today), in tz. day is midnight of the day; at is zero without a time.
// The word before the time may be "@" or one of "words.due.at".
func parseDue(r *core.Request, s string, now time.Time, tz *time.Location) (day, at time.Time, ok bool) {
	f := strings.Fields(s)
	if n := len(f); n > 0 && strings.Contains(f[n-1], ":") {
		h, m, okc := dates.ParseClock(f[n-1])
		if !okc {
			return time.Time{}, time.Time{}, false
		}
		rest := f[:n-1]
		if k := len(rest); k > 0 && (rest[k-1] == "@" || r.Is(rest[k-1], "list.due_at")) {
			rest = rest[:k-1]
		}
		d := dates.Day(now, tz)
		if len(rest) > 0 {
			if d, ok = dates.Parse(strings.Join(rest, " "), now, tz); !ok {
				return time.Time{}, time.Time{}, false
			}
		}
		at = time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, tz)
		return dates.Day(at, tz), at, true
	}
	day, ok = dates.Parse(s, now, tz)
	return day, time.Time{}, ok
}
