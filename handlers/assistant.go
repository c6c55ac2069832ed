package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/drafter"
	"accountbot/handlers/core"
	"accountbot/llm"
	"accountbot/prompts"
)

// Model is a language model: one chat completion, with tools. The llm
// package's Client is one; nil means no model is configured and the
// offline paths (the drafter, the rule-based note reader) serve.
type Model interface {
	Complete(ctx context.Context, req llm.Request) (*llm.Response, error)
}

var _ Model = (*llm.Client)(nil)

// AssistantStore keeps follow-up drafts and the proposals read from notes,
// under short ids that buttons refer to. Both are derived copies of client
// data: they go with the client's erasure (crm.WithClientTrail).
type AssistantStore interface {
	// CreateDraft stores d, giving it its id.
	CreateDraft(ctx context.Context, d *crm.Draft) error
	// Draft returns the draft with id, or crm.ErrNotFound.
	Draft(ctx context.Context, id uint64) (*crm.Draft, error)
	// UpdateDraft applies fn (which may be re-run) to the draft with id
	// and stores it.
	UpdateDraft(ctx context.Context, id uint64, fn func(*crm.Draft) error) (*crm.Draft, error)
	// CreateProposal stores p, giving it its id.
	CreateProposal(ctx context.Context, p *crm.Proposal) error
	// Proposal returns the proposal with id, or crm.ErrNotFound.
	Proposal(ctx context.Context, id uint64) (*crm.Proposal, error)
	// UpdateProposal applies fn (which may be re-run) to the proposal with
	// id and stores it; concurrent updates are serialised, so a check in
	// fn (still pending?) holds when it commits.
	UpdateProposal(ctx context.Context, id uint64, fn func(*crm.Proposal) error) (*crm.Proposal, error)
}

// factsSection adds one kind of open record (claims, deals, promises…) to
// the facts about a client that drafts and the note reader use. Deals
// register theirs from their own file, as they do card sections; a family
// package (claims) through core.Registry.AddFacts.
type factsSection func(ctx context.Context, r *request, c *crm.Client, f *crm.Facts) error

// assistant is the state of the LLM-backed features: /followup, the note
// reader and /ask.
type assistant struct {
	model   Model
	prompts *prompts.Set
	drafter *drafter.Drafter
	// convs is how many recent conversations a draft's facts hold.
	convs int
	// askDeadline bounds a whole /ask, all its rounds of tool calls.
	askDeadline time.Duration
}

// Defaults of the assistant's settings.
const (
	defaultDraftConversations = 5
	defaultAskDeadline        = 60 * time.Second
	// maxReplyRunes is the most text one reply carries (core's).
	maxReplyRunes = core.MaxReplyRunes
)

func (s *Service) assistant() *assistant {
	if s.assist == nil {
		s.assist = &assistant{convs: defaultDraftConversations, askDeadline: defaultAskDeadline}
	}
	return s.assist
}

// WithModel sets the language model for drafts, notes and /ask. Pass nil
// (an untyped nil, not a nil *llm.Client) for none.
func WithModel(m Model) Option { return func(s *Service) { s.assistant().model = m } }

// WithDraftConversations sets how many recent conversations a follow-up
// draft relies on (default 5).
func WithDraftConversations(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.assistant().convs = n
		}
	}
}

// WithAskDeadline bounds one /ask with all its tool rounds (default 60 s).
func WithAskDeadline(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.assistant().askDeadline = d
		}
	}
}

// registerFollowup adds /followup, /ask and /note (the note reader that
// also serves plain text in a direct chat).
func (s *Service) registerFollowup() {
	defer s.inFamily("assistant")()
	a := s.assistant()
	var err error
	if a.prompts, err = prompts.New(); err != nil {
		s.errs = append(s.errs, fmt.Errorf("handlers: the embedded prompts do not parse: %w", err))
	}
	if a.drafter, err = drafter.New(); err != nil {
		s.errs = append(s.errs, fmt.Errorf("handlers: the embedded draft templates do not parse: %w", err))
	}
	s.kit.Assistant = &core.Assistant{Drafter: a.drafter}
	if a.model != nil {
		s.kit.Assistant.Phrase = s.phrase
	}
	s.add(&spec{name: "followup", minRole: crm.RoleManager, run: s.followupCmd})
	s.add(&spec{name: "note", minRole: crm.RoleManager, run: s.noteCmd})
	s.add(&spec{name: "ask", minRole: crm.RoleManager, run: s.askCmd})
}

// privateNote reads text that is no command, sent in a direct chat, as a
// note about a client. People who may not log conversations get the usual
// hint about commands.
func (s *Service) privateNote(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.newRequest(ctx, m)
	if err != nil {
		return err
	}
	if s.assist == nil || !r.HasRole(crm.RoleManager) {
		return w.Reply(ctx, bot.Reply{Text: r.T("error.not_a_command")})
	}
	return s.readNote(ctx, w, r, m.Text)
}

// dispatch runs a command line as if the sender had typed it, through the
// router and the error reporting, so that every check of the command
// applies and its answer (or its error) reaches the sender.
func (s *Service) dispatch(ctx context.Context, w bot.ReplyWriter, r *request, line string) error {
	m := *r.Message
	m.Text, m.Button, m.Command = line, false, bot.Command{}
	return bot.Chain(s.router, s.recoverAndReport).ServeChat(ctx, w, &m)
}

// replyLong sends text in as many replies as it takes, split at paragraph,
// line or word boundaries; the title goes on the first, the buttons on the
// last.
func replyLong(ctx context.Context, w bot.ReplyWriter, title, text string, buttons [][]bot.Button) error {
	parts := splitText(text, maxReplyRunes)
	for i, p := range parts {
		rep := bot.Reply{Text: p}
		if i == 0 {
			rep.Title = title
		}
		if i == len(parts)-1 {
			rep.Buttons = buttons
		}
		if err := w.Reply(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// splitText cuts text into pieces of at most max runes, preferring a
// blank line, then a line end, then a sentence end, then a space; a word
// longer than max is cut between runes (never inside one).
func splitText(text string, max int) []string {
	text = strings.TrimSpace(text)
	var out []string
	for utf8.RuneCountInString(text) > max {
		head := string([]rune(text)[:max])
		cut := -1
		for _, sep := range []string{"\n\n", "\n", ". ", " "} {
			if i := strings.LastIndex(head, sep); i > len(head)/3 {
				cut = i + len(sep)
				break
			}
		}
		if cut < 0 {
			cut = len(head)
		}
		out = append(out, strings.TrimSpace(text[:cut]))
		text = strings.TrimSpace(text[cut:])
	}
	if text != "" || len(out) == 0 {
		out = append(out, text)
	}
	return out
}

// visibleClients returns every client the sender may see in their default
// scope (their own, their team's, or all for a head).
func (s *Service) visibleClients(ctx context.Context, r *request) ([]*crm.Client, error) {
	owners, err := r.VisibleOwners(r.DefaultScope())
	if err != nil {
		return nil, err
	}
	return s.store.ClientsByOwner(ctx, owners)
}

// extraFacts runs the registered facts sections (claims, deals…) for c.
func (s *Service) extraFacts(ctx context.Context, r *request, c *crm.Client, f *crm.Facts) error {
	for _, sec := range s.facts {
		if err := sec(ctx, r, c, f); err != nil {
			return err
		}
	}
	return nil
}

// phrase asks the model to write prose from the prompt task's template
// filled with data (the facts it may use, nothing else), and returns the
// text, cut at maxRunes. An answer with no text, or a tool call instead,
// is the model's failure (llm.BadReply); a template that does not render
// is ours (crm.Internal).
func (s *Service) phrase(ctx context.Context, task, lang string, data any, maxTokens, maxRunes int) (string, error) {
	a := s.assistant()
	p, err := a.prompts.Render(task, lang, data)
	if err != nil {
		return "", crm.Internal(err)
	}
	resp, err := a.model.Complete(ctx, llm.Request{
		Messages:    []llm.Message{{Role: "system", Content: p.System}, {Role: "user", Content: p.User}},
		Temperature: 0.3,
		MaxTokens:   maxTokens,
	})
	if err != nil {
		return "", err
	}
	text := strings.TrimSpace(resp.Content)
	if body, ok := strings.CutPrefix(text, "```"); ok {
		text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(body), "```"))
	}
	if text == "" || len(resp.ToolCalls) > 0 {
		return "", llm.BadReply("no %s text", task)
	}
	if len([]rune(text)) > maxRunes {
		text = splitText(text, maxRunes)[0] + " …"
	}
	return text, nil
}
