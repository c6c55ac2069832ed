package handlers

import (
	"context"
	"fmt"
	"sort"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// What the service lends the assistant family (handlers/assistant) and
// the note reader (handlers/clients) through the kit: the model and the offline
// drafter (core.Kit.Assistant), the facts a draft relies on (Kit.Facts),
// and a command line run as if its sender had typed it (Kit.Run).

// Model is a language model: one chat completion, with tools. The llm
// package's Client is one; nil means no model is configured and the
// offline paths (the drafter, the rule-based note reader) serve.
type Model = core.Model

// defaultDraftConversations is how many recent conversations a draft's
// facts hold when WithDraftConversations is not given.
const defaultDraftConversations = 5

// assistSettings are the assistant's options, kept until New builds the
// kit and registers the family.
type assistSettings struct {
	model Model
	// convs is how many recent conversations a draft's facts hold.
	convs int
	// askDeadline bounds a whole /ask, all its rounds of tool calls (0:
	// the family's default).
	askDeadline time.Duration
}

// WithModel sets the language model for drafts, notes and /ask. Pass nil
// (an untyped nil, not a nil *llm.Client) for none.
func WithModel(m Model) Option { return func(s *Service) { s.assist.model = m } }

// WithDraftConversations sets how many recent conversations a follow-up
// draft relies on (default 5).
func WithDraftConversations(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.assist.convs = n
		}
	}
}

// WithAskDeadline bounds one /ask with all its tool rounds (default 60 s).
func WithAskDeadline(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.assist.askDeadline = d
		}
	}
}

// newAssistant sets the kit's assistant (the model, the prompts, the
// drafter) and the hooks the assistant family and the note reader use.
func (s *Service) newAssistant() {
	a, err := core.NewAssistant(s.assist.model)
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("handlers: %w", err))
	}
	s.kit.Assistant = a
	s.kit.Facts = func(ctx context.Context, r *core.Request, c *crm.Client) (*crm.Facts, error) {
		return s.clientFacts(ctx, &request{Request: r, svc: s}, c)
	}
	s.kit.Run = func(ctx context.Context, w bot.ReplyWriter, r *core.Request, line string) error {
		return s.dispatch(ctx, w, &request{Request: r, svc: s}, line)
	}
	s.kit.HasCommand = func(name string) bool { _, ok := s.router.Lookup(name); return ok }
}

// dispatch runs a command line as if the sender had typed it, through the
// router and the error reporting, so that every check of the command
// applies and its answer (or its error) reaches the sender.
func (s *Service) dispatch(ctx context.Context, w bot.ReplyWriter, r *request, line string) error {
	m := *r.Message
	m.Text, m.Button, m.Command = line, false, bot.Command{}
	return bot.Chain(s.router, s.recoverAndReport).ServeChat(ctx, w, &m)
}

// extraFacts runs the registered facts sections (claims, deals…) for c.
func (s *Service) extraFacts(ctx context.Context, r *request, c *crm.Client, f *crm.Facts) error {
	for _, sec := range s.clientHooks.Facts {
		if err := sec(ctx, r.Request, c, f); err != nil {
			return err
		}
	}
	return nil
}

// clientFacts gathers what a draft about c may rely on: the card, the
// latest conversations, the agreed next step, open tasks, and whatever the
// facts sections add (open claims, open deals). Only c's records are read
// (core.Kit.Facts).
func (s *Service) clientFacts(ctx context.Context, r *request, c *crm.Client) (*crm.Facts, error) {
	f := &crm.Facts{Today: r.Today(), Sender: r.Me.Name, Lang: r.Lang}
	f.Client = crm.FactClient{Ref: core.ClientRef(c), Name: c.Name, Contact: c.Contact, City: c.City, Industry: c.Industry,
		Segment: c.Segment, Status: c.Status, Need: c.Need, Level: c.Level, Focus: c.Focus}
	convs, err := s.store.Conversations(ctx, c.ID, s.assist.convs)
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
