package assistant

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/llm"
	"accountbot/prompts"
)

// Draft revisions a button asks for.
const (
	reviseShorter = "shorter"
	reviseFormal  = "formal"
	reviseAgain   = "again"
	reviseSent    = "sent"
	reviseEmail   = "email"
)

// FollowupOps are what "/followup WORD F-3" does, the words
// "words.followup.OP"; the buttons send the English ones.
var FollowupOps = []string{reviseShorter, reviseFormal, reviseAgain, reviseSent, reviseEmail}

// followupCmd drafts a follow-up message: "/followup NAME [: goal]", and
// serves its buttons: "/followup shorter|formal|again|sent|email F-3".
func (s *service) followupCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 2 {
		if op, ok := s.followupOps[strings.ToLower(args[0])]; ok {
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
	name, goal, ok := bot.CutName(r.Command.Rest)
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
func draftLang(c *crm.Client, r *core.Request) string {
	if c.Lang == "en" || c.Lang == "bg" {
		return c.Lang
	}
	return r.Lang
}

// clientRef is the exact reference to the client with id ("#12").
func clientRef(id uint64) string { return "#" + strconv.FormatUint(id, 10) }

// followupRevise writes a new draft from draft id: shorter, more formal, or
// again in other words. The new draft gets its own id, so that the buttons
// under each message act on the text shown there.
func (s *service) followupRevise(ctx context.Context, w bot.ReplyWriter, r *core.Request, op string, id uint64) error {
	prev, err := s.ownDraft(ctx, r, id)
	if err != nil {
		return err
	}
	c, err := r.Client(ctx, clientRef(prev.ClientID))
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
func (s *service) ownDraft(ctx context.Context, r *core.Request, id uint64) (*crm.Draft, error) {
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
func (s *service) draftAndReply(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client, d *crm.Draft, previous string) error {
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

// writeDraft fills d's text: with the model when one is configured, and
// with the offline drafter when none is, or when the model fails or is too
// slow (d.Fallback says why).
func (s *service) writeDraft(ctx context.Context, r *core.Request, c *crm.Client, d *crm.Draft, previous string) error {
	a := s.kit.Assistant
	f, err := s.kit.Facts(ctx, r, c)
	if err != nil {
		return err
	}
	f.Lang, f.Goal, f.Short, f.Formal, f.Variant, f.Previous = d.Lang, d.Goal, d.Short, d.Formal, d.Variant, previous
	if a.Model != nil {
		err := s.modelDraft(ctx, r, f, d)
		if err == nil {
			d.Source = crm.DraftLLM
			return nil
		}
		d.Fallback = llm.Reason(err)
		s.kit.Log.Warn("follow-up draft: the language model failed, the offline drafter answers", "client", c.ID, "reason", d.Fallback, "err", err)
	}
	out, err := a.Drafter.Draft(f)
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
func (s *service) modelDraft(ctx context.Context, r *core.Request, f *crm.Facts, d *crm.Draft) error {
	a := s.kit.Assistant
	p, err := a.Prompts.Render("followup", f.Lang, prompts.Followup{Facts: f, StepLang: r.Lang})
	if err != nil {
		return crm.Internal(err)
	}
	temp := float32(0.4)
	if d.Variant > 0 {
		temp = 0.9
	}
	resp, err := a.Model.Complete(ctx, llm.Request{
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
	obj := core.JSONObject(resp.Content)
	switch {
	case len(resp.ToolCalls) > 0:
		if err := core.StrictJSON(resp.ToolCalls[0].Arguments, &args); err != nil {
			return llm.BadReply("write_draft arguments: %v", err)
		}
	case obj != "":
		// Some servers ignore tool_choice and answer the JSON as text.
		if err := core.StrictJSON(obj, &args); err != nil {
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
		body = core.SplitText(body, maxDraftRunes)[0] + "\n…"
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

// showDraft replies with the draft and its buttons.
func (s *service) showDraft(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client, d *crm.Draft) error {
	ref := core.IDRef("F", d.ID)
	var b strings.Builder
	if d.Source == crm.DraftOffline {
		if note := core.FallbackNote(r, d.Fallback); note != "" {
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
	if s.kit.SendMail != nil && core.ClientEmail(c) != "" {
		buttons[1] = append([]bot.Button{{Label: r.T("mail.button.send"), Data: "/followup email " + ref}}, buttons[1]...)
	}
	return core.ReplyLong(ctx, w, r.T("followup.title", "name", c.Name, "id", ref), b.String(), buttons)
}

// changeableDraft loads a draft of the sender's (ownDraft) with its
// client, which the sender must be able to change, and the actor to
// record.
func (s *service) changeableDraft(ctx context.Context, r *core.Request, id uint64) (*crm.Draft, *crm.Client, crm.Actor, error) {
	d, err := s.ownDraft(ctx, r, id)
	if err != nil {
		return nil, nil, crm.Actor{}, err
	}
	c, actor, err := r.ChangeableClient(ctx, clientRef(d.ClientID))
	return d, c, actor, err
}

// followupSent logs the draft as an #email conversation and sets the next
// step it proposes. A draft is marked sent once: a second press says so.
func (s *service) followupSent(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	d, c, actor, err := s.changeableDraft(ctx, r, id)
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
			s.kit.Log.Error("follow-up: could not clear the sent mark", "draft", id, "err", uerr)
		}
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: buttons})
}

// logSentDraft logs a sent draft as an #email conversation with the next
// step it proposes, and says so.
func (s *service) logSentDraft(ctx context.Context, r *core.Request, c *crm.Client, actor crm.Actor, d *crm.Draft) (string, [][]bot.Button, error) {
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

// followupEmail sends draft id to the client's e-mail (core.Kit.SendMail)
// and logs it as an #email conversation once the server accepted it. The
// draft is claimed as sent in the store before sending, so that a second
// press (or the same press delivered again) never sends it twice; a
// failed send releases it.
func (s *service) followupEmail(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	if s.kit.SendMail == nil {
		return crm.Errorf(crm.EINVALID, "mail.not_configured")
	}
	d, c, actor, err := s.changeableDraft(ctx, r, id)
	if err != nil {
		return err
	}
	to := core.ClientEmail(c)
	if to == "" {
		return crm.Errorf(crm.EINVALID, "mail.no_client_email", "name", c.Name)
	}
	ref := core.IDRef("F", id)
	var sentBefore time.Time
	if _, err := s.store.UpdateDraft(ctx, id, func(x *crm.Draft) error {
		if !x.SentAt.IsZero() {
			sentBefore = x.SentAt
			return errAlreadySent
		}
		x.SentAt, x.EmailedTo = r.Now, to
		return nil
	}); err != nil {
		if err == errAlreadySent {
			return w.Reply(ctx, bot.Reply{Text: r.T("followup.already_sent", "id", ref, "date", r.FmtDate(sentBefore))})
		}
		return err
	}
	// From here on the delivery is claimed: later writes must not claim it again.
	wctx := crm.WithoutDeliveryKey(ctx)
	release := func() {
		if _, err := s.store.UpdateDraft(wctx, id, func(x *crm.Draft) error { x.SentAt, x.EmailedTo = time.Time{}, ""; return nil }); err != nil {
			s.kit.Log.Error("follow-up: could not clear the sent mark", "draft", id, "err", err)
		}
	}
	subject := d.Subject
	if subject == "" {
		subject = r.T("mail.default_subject", "name", c.Name)
	}
	m := &crm.OutgoingMail{To: to, ToName: c.Contact, ReplyTo: crm.NormalizeEmail(r.Me.Email), ReplyName: r.Me.Name, Subject: subject, Text: d.Body}
	if err := s.kit.SendMail(ctx, m); err != nil {
		release()
		s.kit.Log.Warn("e-mail not sent", "what", "follow-up "+ref, "err", err)
		return w.Reply(ctx, bot.Reply{Text: core.SendFailed(r, err)})
	}
	d.SentAt, d.EmailedTo, d.MessageID = r.Now, to, m.MessageID
	if _, err := s.store.UpdateDraft(wctx, id, func(x *crm.Draft) error { x.MessageID = m.MessageID; return nil }); err != nil {
		s.kit.Log.Error("follow-up: sent, but its Message-ID was not kept", "draft", id, "err", err)
	}
	msg, buttons, err := s.logSentDraft(wctx, r, c, actor, d)
	if err != nil {
		// Sent, and the mark stays so that it is not sent again; the
		// person is told that the history lacks it.
		s.kit.Log.Error("follow-up: sent but not logged", "draft", id, "err", err)
		return w.Reply(ctx, bot.Reply{Text: r.T("mail.sent_not_logged", "id", ref, "to", to)})
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: buttons})
}
