// Package assistant is the assistant family: /followup (a follow-up
// message to a client, drafted by the language model or the offline
// drafter, revised, marked as sent or e-mailed) and /ask (a question about
// one's own data, answered by the model through read-only tools). The
// model, its prompts (package prompts) and the offline drafter (package
// drafter) come from core.Kit.Assistant; the facts a draft relies on from
// core.Kit.Facts. Its words are in i18n/locales/{en,bg}/assistant.toml;
// its data (the drafts) goes through Store. It registers itself with
// Register and meets other families only through the hooks of
// handlers/core.
//
// The note reader (/note, and plain text in a direct chat) shares the
// family's help page and its proposals the port, but still lives in
// package handlers (note.go).
package assistant

import (
	"context"
	"time"

	"accountbot/crm"
	"accountbot/handlers/core"
)

// AssistantStore keeps follow-up drafts under short ids that buttons
// refer to. A draft is a derived copy of client data: it goes with the
// client's erasure (crm.WithClientTrail). (The proposals read from notes
// are the clients family's: clients.ProposalStore.)
type AssistantStore interface {
	// CreateDraft stores d, giving it its id.
	CreateDraft(ctx context.Context, d *crm.Draft) error
	// Draft returns the draft with id, or crm.ErrNotFound.
	Draft(ctx context.Context, id uint64) (*crm.Draft, error)
	// UpdateDraft applies fn (which may be re-run) to the draft with id
	// and stores it.
	UpdateDraft(ctx context.Context, id uint64, fn func(*crm.Draft) error) (*crm.Draft, error)
}

// Store is the assistant family's port: its drafts and proposals, and the
// reads of clients, conversations and tasks that /ask's tools make, with
// the one write of others' records a sent draft makes (10 methods).
type Store interface {
	AssistantStore
	// Client returns the client with id, or crm.ErrNotFound.
	Client(ctx context.Context, id uint64) (*crm.Client, error)
	// ClientsByOwner returns the clients of owners, owner by owner in the
	// order given and by name within an owner.
	ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error)
	// StaleClients returns the stale clients q asks for and how many
	// there are: all of them (owner by owner, by id) or only the
	// q.Oldest longest untouched, oldest first.
	StaleClients(ctx context.Context, q crm.StaleQuery) (crm.StaleList, error)
	// Conversations returns up to limit (0: all) of the client's
	// conversations, newest first.
	Conversations(ctx context.Context, clientID uint64, limit int) ([]*crm.Conversation, error)
	// OpenTasks returns the open tasks of the assignees due before
	// before, assignee by assignee in the order given and soonest first
	// within one.
	OpenTasks(ctx context.Context, assignees []uint64, before time.Time) ([]*crm.Task, error)
	// LogConversation stores conv (giving it its id), moves the client's
	// last touch and next step, and stores next (when not nil) as the
	// next-step task, in one transaction. An unknown client is
	// crm.ErrNotFound.
	LogConversation(ctx context.Context, conv *crm.Conversation, next *crm.Task) error
}

// Config is what the service settles for the family.
type Config struct {
	// AskDeadline bounds one /ask with all its rounds of tool calls.
	AskDeadline time.Duration
	// Stale is when a client is stale (/ask's list_clients with stale).
	Stale core.Stale
	// Note is the note reader's command, which package handlers still
	// answers: /help lists it between /followup and /ask, as before the
	// family moved (nil: none).
	Note *core.Spec
}

// DefaultAskDeadline bounds one /ask when Config.AskDeadline is not set.
const DefaultAskDeadline = 60 * time.Second

// service is the family's state: the kit, the store and its words.
type service struct {
	kit   *core.Kit
	store Store
	cfg   Config
	// followupOps map the words of "/followup WORD F-3" to revisions.
	followupOps map[string]string
}

// Register adds /followup, the note reader cfg.Note and /ask to the
// help page "assistant".
func Register(reg core.Registry, st Store, cfg Config) {
	if cfg.AskDeadline <= 0 {
		cfg.AskDeadline = DefaultAskDeadline
	}
	s := &service{kit: reg.Kit(), store: st, cfg: cfg}
	var missing []string
	s.followupOps, missing = core.Vocab(s.kit.Catalog, "followup", FollowupOps...)
	core.FailMissing(reg, "assistant", missing)
	defer reg.Family("assistant")()
	reg.Add(&core.Spec{Name: "followup", MinRole: crm.RoleManager, Run: s.followupCmd})
	if cfg.Note != nil {
		reg.Add(cfg.Note)
	}
	reg.Add(&core.Spec{Name: "ask", MinRole: crm.RoleManager, Run: s.askCmd})
}

// maxGoalRunes is the longest goal a /followup and the longest question
// an /ask takes.
const maxGoalRunes = 500
