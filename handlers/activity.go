package handlers

import (
	"context"
	"sort"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
)

// maxTextRunes is the longest note, task or claim text kept.
const maxTextRunes = 4000

// logCmd records a conversation: "/log NAME: TEXT [#tags] [next: STEP by DATE]".
func (s *Service) logCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	name, text, ok := splitNameText(r.Command.Rest)
	if !ok || strings.TrimSpace(text) == "" {
		return crm.Errorf(crm.EINVALID, "log.usage")
	}
	text, tags := takeTags(text)
	text, step, hasNext := cutNext(text)
	var next *crm.Task
	if hasNext {
		stepText, due, ok := cutMarker(" "+step, "by", "до", "on", "за")
		if !ok {
			return crm.Errorf(crm.EINVALID, "log.next_usage")
		}
		day, ok := r.date(due)
		if !ok {
			return crm.Errorf(crm.EINVALID, "error.bad_date", "value", due)
		}
		if strings.TrimSpace(stepText) == "" {
			return crm.Errorf(crm.EINVALID, "log.next_usage")
		}
		next = &crm.Task{Text: strings.TrimSpace(stepText), Due: day, NextStep: true, CreatedAt: r.now, CreatedBy: r.me.ID}
	}
	if strings.TrimSpace(text) == "" {
		return crm.Errorf(crm.EINVALID, "log.usage")
	}
	if len([]rune(text)) > maxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", maxTextRunes)
	}
	c, actor, err := r.changeableClient(ctx, name)
	if err != nil {
		return err
	}
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: actor.PersonID, OnBehalfOf: actor.OnBehalfOf, Channels: tags, Text: text, At: r.now}
	if next != nil {
		next.ClientID = c.ID
		next.AssigneeID = c.OwnerID
	}
	if err := s.store.LogConversation(ctx, conv, next); err != nil {
		return err
	}
	msg := r.t("log.saved", "name", c.Name)
	var buttons [][]bot.Button
	if next != nil {
		msg += "\n" + r.t("log.next_saved", "id", idRef("T", next.ID), "text", next.Text, "date", r.fmtDate(next.Due))
		buttons = append(buttons, []bot.Button{{Label: r.t("button.done"), Data: "/task done " + idRef("T", next.ID)}})
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: buttons})
}

// remindCmd creates a task: "/remind NAME: TEXT by DATE".
func (s *Service) remindCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	name, text, ok := splitNameText(r.Command.Rest)
	if !ok {
		return crm.Errorf(crm.EINVALID, "remind.usage")
	}
	body, due, ok := cutMarker(" "+text, "by", "до", "on", "за")
	if !ok || strings.TrimSpace(body) == "" {
		return crm.Errorf(crm.EINVALID, "remind.usage")
	}
	day, ok := r.date(due)
	if !ok {
		return crm.Errorf(crm.EINVALID, "error.bad_date", "value", due)
	}
	if len([]rune(body)) > maxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", maxTextRunes)
	}
	c, actor, err := r.changeableClient(ctx, name)
	if err != nil {
		return err
	}
	t := &crm.Task{ClientID: c.ID, AssigneeID: r.forWhom(actor), Text: strings.TrimSpace(body), Due: day, CreatedAt: r.now, CreatedBy: r.me.ID}
	if err := s.store.CreateTask(ctx, t); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.t("remind.saved", "id", idRef("T", t.ID), "name", c.Name, "text", t.Text, "date", r.fmtDate(day))})
}

// taskCmd marks a task done or moves it: "/task done T-3", "/task tomorrow T-3".
func (s *Service) taskCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	args := r.Command.Args
	if len(args) < 2 {
		return crm.Errorf(crm.EINVALID, "task.usage")
	}
	id, ok := parseRef("T", args[1])
	if !ok {
		return crm.Errorf(crm.EINVALID, "task.usage")
	}
	t, err := s.store.Task(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return crm.Errorf(crm.ENOTFOUND, "task.not_found", "id", idRef("T", id))
		}
		return err
	}
	if r.rightsOver(t.AssigneeID) == nil {
		return crm.Errorf(crm.ENOTFOUND, "task.not_found", "id", idRef("T", id))
	}
	var msg string
	switch strings.ToLower(args[0]) {
	case "done", "готово", "готова":
		if !t.Open() {
			return w.Reply(ctx, bot.Reply{Text: r.t("task.already_done", "id", idRef("T", id)), Edit: r.Button})
		}
		if _, err := s.store.UpdateTask(ctx, id, func(t *crm.Task) error { t.DoneAt = r.now; return nil }); err != nil {
			return err
		}
		msg = r.t("task.done", "id", idRef("T", id), "text", t.Text)
	case "tomorrow", "утре", "move", "премести":
		day := dates.AddDays(r.today(), 1)
		if len(args) > 2 && strings.ToLower(args[0]) != "tomorrow" && strings.ToLower(args[0]) != "утре" {
			d, ok := r.date(strings.Join(args[2:], " "))
			if !ok {
				return crm.Errorf(crm.EINVALID, "error.bad_date", "value", strings.Join(args[2:], " "))
			}
			day = d
		}
		if _, err := s.store.UpdateTask(ctx, id, func(t *crm.Task) error { t.Due = day; return nil }); err != nil {
			return err
		}
		msg = r.t("task.moved", "id", idRef("T", id), "date", r.fmtDate(day))
	default:
		return crm.Errorf(crm.EINVALID, "task.usage")
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Edit: r.Button})
}

// agendaItem is one line of /today.
type agendaItem struct {
	Due     time.Time
	Text    string
	Buttons []bot.Button
}

// agendaSource adds items due by until for the given owners (tasks come
// from here; claims, promises and contact plans from their own files).
type agendaSource func(ctx context.Context, r *request, owners []uint64, until time.Time) ([]agendaItem, error)

// todayCmd shows the sender's overdue and due-today work, soonest first.
func (s *Service) todayCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	owners, err := r.visibleOwners("mine")
	if err != nil {
		return err
	}
	until := dates.AddDays(r.today(), 1)
	items, err := s.taskAgenda(ctx, r, owners, until)
	if err != nil {
		return err
	}
	for _, src := range s.agenda {
		more, err := src(ctx, r, owners, until)
		if err != nil {
			return err
		}
		items = append(items, more...)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Due.Before(items[j].Due) })
	if len(items) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.t("today.empty")})
	}
	const maxItems = 20
	rep := bot.Reply{Title: r.t("today.title", "date", r.fmtDate(r.now), "count", len(items))}
	var lines []string
	for i, it := range items {
		if i == maxItems {
			lines = append(lines, r.t("list.more", "count", len(items)-maxItems))
			break
		}
		lines = append(lines, it.Text)
		if len(it.Buttons) > 0 {
			rep.Buttons = append(rep.Buttons, it.Buttons)
		}
	}
	rep.Text = strings.Join(lines, "\n")
	return w.Reply(ctx, rep)
}

func (s *Service) taskAgenda(ctx context.Context, r *request, owners []uint64, until time.Time) ([]agendaItem, error) {
	var items []agendaItem
	today := r.today()
	var all []*crm.Task
	var ids []uint64
	for _, o := range owners {
		tasks, err := s.store.OpenTasks(ctx, o, until)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			all = append(all, t)
			if t.ClientID != 0 {
				ids = append(ids, t.ClientID)
			}
		}
	}
	names, err := s.clientNamesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		o := t.AssigneeID
		ref := idRef("T", t.ID)
		line := ref + " · "
		if t.Due.Before(today) {
			line = "⚠ " + line + r.t("today.overdue_since", "date", r.fmtDate(t.Due)) + " · "
		}
		if name := names[t.ClientID]; name != "" {
			line += name + ": "
		}
		line += t.Text
		if o != r.me.ID {
			line += " (" + r.t("today.for", "name", r.personName(o)) + ")"
		}
		items = append(items, agendaItem{Due: t.Due, Text: line, Buttons: []bot.Button{
			{Label: "✓ " + ref, Data: "/task done " + ref},
			{Label: "→ " + r.t("button.tomorrow"), Data: "/task tomorrow " + ref},
		}})
	}
	return items, nil
}
