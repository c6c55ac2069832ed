package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/llm"
	"accountbot/prompts"
)

// maxGoalRunes is the longest goal a /followup takes.
const maxGoalRunes = 500

// Draft revisions a button asks for.
const (
	reviseShorter = "shorter"
	reviseFormal  = "formal"
	reviseAgain   = "again"
	reviseSent    = "sent"
	reviseEmail   = "email"
)

// followupOps are what "/followup WORD F-3" does, the words
// "words.followup.OP"; the buttons send the English ones.
var followupOps = []string{reviseShorter, reviseFormal, reviseAgain, reviseSent, reviseEmail}

// followupCmd drafts a follow-up message: "/followup NAME [: goal]", and
// serves its buttons: "/followup shorter|formal|again|sent F-3".
func (s *Service) followupCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	args := r.Command.Args
	if len(args) == 2 {
		if op, ok := s.lex.followupOps[strings.ToLower(args[0])]; ok {
			if id, ok := core.ParseRef("F", args[1]); ok {
				if op == reviseSent {
					return s.followupSent(ctx, w, r, id)
				}
				if op == reviseEmail {
					return s.followupEmail(ctx, w, r, id)
				}
				return s.followupRevise(ctx, w, r, op, id)
			}
		}
	}
	name, goal, ok := splitNameText(r.Command.Rest)
	if !ok {
		name, goal = strings.Join(args, " "), ""
	}
	if strings.TrimSpace(name) == "" {
		return crm.Errorf(crm.EINVALID, "followup.usage")
	}
	goal = core.OneLine(goal)
	if len([]rune(goal)) > maxGoalRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", maxGoalRunes)
	}
	c, err := r.Client(ctx, name)
	if err != nil {
		return err
	}
	d := &crm.Draft{ClientID: c.ID, PersonID: r.Me.ID, Lang: draftLang(c, r), CallerLang: r.Lang, Goal: goal, CreatedAt: r.Now}
	return s.draftAndReply(ctx, w, r, c, d, "")
}

// draftLang is the client's language, else the sender's.
func draftLang(c *crm.Client, r *request) string {
	if c.Lang == "en" || c.Lang == "bg" {
		return c.Lang
	}
	return r.Lang
}

// followupRevise writes a new draft from draft id: shorter, more formal, or
// again in other words. The new draft gets its own id, so that the buttons
// under each message act on the text shown there.
func (s *Service) followupRevise(ctx context.Context, w bot.ReplyWriter, r *request, op string, id uint64) error {
	prev, err := s.ownDraft(ctx, r, id)
	if err != nil {
		return err
	}
	c, err := r.Client(ctx, "#"+itoa(prev.ClientID))
	if err != nil {
		return err
	}
	d := &crm.Draft{ParentID: prev.ID, ClientID: c.ID, PersonID: r.Me.ID, Lang: prev.Lang, CallerLang: r.Lang,
		Goal: prev.Goal, Short: prev.Short, Formal: prev.Formal, Variant: prev.Variant, CreatedAt: r.Now}
	previous := ""
	switch op {
	case reviseShorter:
		d.Short, previous = true, prev.Text()
	case reviseFormal:
		d.Formal, previous = true, prev.Text()
	case reviseAgain:
		d.Variant++
	}
	return s.draftAndReply(ctx, w, r, c, d, previous)
}

// ownDraft loads a draft of the sender's; anyone else's is "not found".
func (s *Service) ownDraft(ctx context.Context, r *request, id uint64) (*crm.Draft, error) {
	d, err := s.store.Draft(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return nil, crm.Errorf(crm.ENOTFOUND, "followup.not_found", "id", core.IDRef("F", id))
		}
		return nil, err
	}
	if d.PersonID != r.Me.ID {
		return nil, crm.Errorf(crm.ENOTFOUND, "followup.not_found", "id", core.IDRef("F", id))
	}
	return d, nil
}

// draftAndReply says "drafting…" at once, writes the draft (with the
// model, or offline), keeps it and shows it with its buttons.
func (s *Service) draftAndReply(ctx context.Context, w bot.ReplyWriter, r *request, c *crm.Client, d *crm.Draft, previous string) error {
	if err := w.Reply(ctx, bot.Reply{Text: r.T("followup.drafting", "name", c.Name)}); err != nil {
		return err
	}
	if err := s.writeDraft(ctx, r, c, d, previous); err != nil {
		return err
	}
	if err := s.store.CreateDraft(ctx, d); err != nil {
		return err
	}
	return s.showDraft(ctx, w, r, c, d)
}

// clientFacts gathers what a draft about c may rely on: the card, the
// latest conversations, the agreed next step, open tasks, and whatever the
// facts sections add (open claims, open deals). Only c's records are read.
func (s *Service) clientFacts(ctx context.Context, r *request, c *crm.Client) (*crm.Facts, error) {
	f := &crm.Facts{Today: r.Today(), Sender: r.Me.Name, Lang: r.Lang}
	f.Client = crm.FactClient{Ref: core.ClientRef(c), Name: c.Name, Contact: c.Contact, City: c.City, Industry: c.Industry,
		Segment: c.Segment, Status: c.Status, Need: c.Need, Level: c.Level, Focus: c.Focus}
	convs, err := s.store.Conversations(ctx, c.ID, s.assistant().convs)
	if err != nil {
		return nil, err
	}
	for _, v := range convs {
		f.Conversations = append(f.Conversations, crm.FactConversation{At: v.At.In(r.TZ), Channels: v.Channels, Text: v.Text})
	}
	tasks, err := s.store.ClientTasks(ctx, c.ID, true)
	if err != nil {
		return nil, err
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Due.Before(tasks[j].Due) })
	for _, t := range tasks {
		st := crm.FactStep{ID: core.IDRef("T", t.ID), Text: t.Text, Due: t.Due.In(r.TZ)}
		if f.NextStep == nil && t.NextStep && t.Text == c.NextStep && t.Due.Equal(c.NextStepDue) {
			f.NextStep = &st
			continue
		}
		f.Tasks = append(f.Tasks, st)
	}
	if f.NextStep == nil && c.NextStep != "" {
		f.NextStep = &crm.FactStep{Text: c.NextStep, Due: c.NextStepDue.In(r.TZ)}
	}
	if err := s.extraFacts(ctx, r, c, f); err != nil {
		return nil, err
	}
	return f, nil
}

// writeDraft fills d's text: with the model when one is configured, and
// with the offline drafter when none is, or when the model fails or is too
// slow (d.Fallback says why).
func (s *Service) writeDraft(ctx context.Context, r *request, c *crm.Client, d *crm.Draft, previous string) error {
	a := s.assistant()
	f, err := s.clientFacts(ctx, r, c)
	if err != nil {
		return err
	}
	f.Lang, f.Goal, f.Short, f.Formal, f.Variant, f.Previous = d.Lang, d.Goal, d.Short, d.Formal, d.Variant, previous
	if a.model != nil {
		err := s.modelDraft(ctx, r, f, d)
		if err == nil {
			d.Source = crm.DraftLLM
			return nil
		}
		d.Fallback = llm.Reason(err)
		s.log.Warn("follow-up draft: the language model failed, the offline drafter answers", "client", c.ID, "reason", d.Fallback, "err", err)
	}
	out, err := a.drafter.Draft(f)
	if err != nil {
		return crm.Internal(err)
	}
	d.Source, d.Subject, d.Body = crm.DraftOffline, out.Subject, out.Body
	d.NextStep, d.NextDue = "", time.Time{}
	if !out.CallDue.IsZero() {
		who := c.Contact
		if who == "" {
			who = c.Name
		}
		d.NextStep, d.NextDue = r.T("followup.step_call", "name", who), out.CallDue
	}
	return nil
}

// draftTool is the function the model answers a draft request with. With
// strict mode every property is required; "" stands for none.
var draftTool = llm.Tool{
	Name:        "write_draft",
	Description: "Return the follow-up message.",
	Strict:      true,
	Schema: json.RawMessage(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["subject", "body", "next_step", "next_step_due"],
  "properties": {
    "subject": {"type": "string", "description": "the subject line"},
    "body": {"type": "string", "description": "the message, from the greeting to the signature"},
    "next_step": {"type": "string", "description": "the next step the message commits the sender to, as a short task, or \"\""},
    "next_step_due": {"type": "string", "description": "the step's date as YYYY-MM-DD, or \"\""}
  }
}`),
}

type draftArgs struct {
	Subject     string `json:"subject"`
	Body        string `json:"body"`
	NextStep    string `json:"next_step"`
	NextStepDue string `json:"next_step_due"`
}

// maxDraftRunes bounds a model's draft; a longer one is cut at a sentence.
const maxDraftRunes = 6000

// modelDraft asks the model for the draft and checks its answer.
func (s *Service) modelDraft(ctx context.Context, r *request, f *crm.Facts, d *crm.Draft) error {
	a := s.assistant()
	p, err := a.prompts.Render("followup", f.Lang, prompts.Followup{Facts: f, StepLang: r.Lang})
	if err != nil {
		return crm.Internal(err)
	}
	temp := float32(0.4)
	if d.Variant > 0 {
		temp = 0.9
	}
	resp, err := a.model.Complete(ctx, llm.Request{
		Messages:    []llm.Message{{Role: "system", Content: p.System}, {Role: "user", Content: p.User}},
		Tools:       []llm.Tool{draftTool},
		ToolChoice:  draftTool.Name,
		Temperature: temp,
		MaxTokens:   1200,
	})
	if err != nil {
		return err
	}
	var args draftArgs
	obj := jsonObject(resp.Content)
	switch {
	case len(resp.ToolCalls) > 0:
		if err := strictJSON(resp.ToolCalls[0].Arguments, &args); err != nil {
			return llm.BadReply("write_draft arguments: %v", err)
		}
	case obj != "":
		// Some servers ignore tool_choice and answer the JSON as text.
		if err := strictJSON(obj, &args); err != nil {
			return llm.BadReply("draft JSON in the content: %v", err)
		}
	case strings.HasPrefix(strings.TrimSpace(resp.Content), "{"):
		return llm.BadReply("broken JSON in the content")
	default:
		args.Body = resp.Content
	}
	body := strings.TrimSpace(args.Body)
	if body == "" {
		return llm.BadReply("empty draft")
	}
	if len([]rune(body)) > maxDraftRunes {
		body = splitText(body, maxDraftRunes)[0] + "\n…"
	}
	if !strings.Contains(body, r.Me.Name) {
		body += "\n\n" + r.Me.Name
	}
	d.Subject = core.Truncate(core.OneLine(args.Subject), 200)
	d.Body = body
	d.NextStep, d.NextDue = "", time.Time{}
	if step := core.Truncate(core.OneLine(args.NextStep), 300); step != "" {
		if due, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(args.NextStepDue), r.TZ); err == nil && !due.Before(r.Today()) {
			d.NextStep, d.NextDue = step, due
		}
	}
	return nil
}

// strictJSON decodes one JSON object into v, refusing unknown fields and
// trailing data: a model's output is checked, never trusted.
func strictJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailingData
	}
	return nil
}

var errTrailingData = errors.New("data after the JSON object")

// showDraft replies with the draft and its buttons.
func (s *Service) showDraft(ctx context.Context, w bot.ReplyWriter, r *request, c *crm.Client, d *crm.Draft) error {
	ref := core.IDRef("F", d.ID)
	var b strings.Builder
	if d.Source == crm.DraftOffline {
		if note := core.FallbackNote(r.Request, d.Fallback); note != "" {
			b.WriteString("⚠ " + note + "\n\n")
		} else {
			b.WriteString(r.T("followup.offline") + "\n\n")
		}
	}
	if d.Subject != "" {
		b.WriteString(r.T("followup.subject", "subject", d.Subject) + "\n\n")
	}
	b.WriteString(d.Body)
	if d.NextStep != "" {
		b.WriteString("\n\n" + r.T("followup.proposes_step", "text", d.NextStep, "date", r.FmtDate(d.NextDue)))
	}
	buttons := [][]bot.Button{
		{
			{Label: r.T("followup.button.shorter"), Data: "/followup shorter " + ref},
			{Label: r.T("followup.button.formal"), Data: "/followup formal " + ref},
			{Label: r.T("followup.button.again"), Data: "/followup again " + ref},
		},
		{{Label: r.T("followup.button.sent"), Data: "/followup sent " + ref}},
	}
	if s.mailer != nil && len(crm.Emails(c.Email)) > 0 {
		buttons[1] = append([]bot.Button{{Label: r.T("mail.button.send"), Data: "/followup email " + ref}}, buttons[1]...)
	}
	return replyLong(ctx, w, r.T("followup.title", "name", c.Name, "id", ref), b.String(), buttons)
}

// followupSent logs the draft as an #email conversation and sets the next
// step it proposes. A draft is marked sent once: a second press says so.
func (s *Service) followupSent(ctx context.Context, w bot.ReplyWriter, r *request, id uint64) error {
	d, err := s.ownDraft(ctx, r, id)
	if err != nil {
		return err
	}
	c, actor, err := r.ChangeableClient(ctx, "#"+itoa(d.ClientID))
	if err != nil {
		return err
	}
	ref := core.IDRef("F", id)
	already := func(at time.Time) error {
		return w.Reply(ctx, bot.Reply{Text: r.T("followup.already_sent", "id", ref, "date", r.FmtDate(at))})
	}
	if !d.SentAt.IsZero() {
		return already(d.SentAt)
	}
	var sentBefore time.Time
	if _, err := s.store.UpdateDraft(ctx, id, func(x *crm.Draft) error {
		if !x.SentAt.IsZero() {
			sentBefore = x.SentAt
			return errAlreadySent
		}
		x.SentAt = r.Now
		return nil
	}); err != nil {
		if err == errAlreadySent {
			return already(sentBefore)
		}
		return err
	}
	msg, buttons, err := s.logSentDraft(ctx, r, c, actor, d)
	if err != nil {
		// Not logged: let the person press again.
		if _, uerr := s.store.UpdateDraft(ctx, id, func(x *crm.Draft) error { x.SentAt = time.Time{}; return nil }); uerr != nil {
			s.log.Error("follow-up: could not clear the sent mark", "draft", id, "err", uerr)
		}
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: buttons})
}

// logSentDraft logs a sent draft as an #email conversation with the next
// step it proposes, and says so.
func (s *Service) logSentDraft(ctx context.Context, r *request, c *crm.Client, actor crm.Actor, d *crm.Draft) (string, [][]bot.Button, error) {
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: actor.PersonID, OnBehalfOf: actor.OnBehalfOf,
		Channels: []string{"email"}, Text: core.Truncate(d.Text(), core.MaxTextRunes), At: r.Now}
	var next *crm.Task
	if d.NextStep != "" && !d.NextDue.IsZero() && !d.NextDue.Before(r.Today()) {
		next = &crm.Task{ClientID: c.ID, AssigneeID: c.OwnerID, Text: d.NextStep, Due: d.NextDue, NextStep: true, CreatedAt: r.Now, CreatedBy: r.Me.ID}
	}
	if err := s.store.LogConversation(ctx, conv, next); err != nil {
		return "", nil, err
	}
	msg := r.T("followup.sent", "name", c.Name, "id", core.IDRef("F", d.ID))
	if d.EmailedTo != "" {
		msg = r.T("mail.sent", "name", c.Name, "id", core.IDRef("F", d.ID), "to", d.EmailedTo)
	}
	var buttons [][]bot.Button
	if next != nil {
		msg += "\n" + r.T("log.next_saved", "id", core.IDRef("T", next.ID), "text", next.Text, "date", r.FmtDate(next.Due))
		buttons = append(buttons, []bot.Button{{Label: r.T("button.done"), Data: "/task done " + core.IDRef("T", next.ID)}})
	}
	return msg, buttons, nil
}

// errAlreadySent stops a second "mark as sent" inside the transaction.
var errAlreadySent = crm.Errorf(crm.ECONFLICT, "followup.already_sent")
