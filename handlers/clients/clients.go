// Package clients is the family of a manager's everyday work with
// clients: the client card and its edits ("/client NAME", add, edit, ok,
// history, reassign, and the "/client WORD" sub-commands other families
// add), the client list (/clients), conversations (/log, with its
// one-question-at-a-time dialog on phones), the note reader (a sentence
// typed after a meeting, in a direct chat or with /note, becomes proposed
// /log, /remind, /claim and /deal move actions that run only on Confirm),
// tasks and reminders (/remind, /task), the agenda (/today), the
// recommended next step (/next, on the card too) and the home keyboard.
// Its words are in i18n/locales/{en,bg}/clients.toml, with those it shares
// with other families in core.toml (card lines, fields, channels,
// buttons), the note reader's in assistant.toml (note.*), /next's in
// planning.toml (next.*) and the home keyboard's in push.toml (home.*);
// its data goes through Store.
//
// The card, /today and /client show what every family adds to them
// (core.ClientHooks, read when a command runs); the other families use
// the card, /today, the home keyboard and the reassignment of a client
// through the views this family sets (core.ClientViews in the Kit).
// It registers itself with Register and meets other families only
// through the hooks of handlers/core.
package clients

import (
	"context"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// Store is the clients family's port: its own records (ClientStore,
// ActivityStore, the proposals read from notes: ProposalStore), the
// dialog a person is in (DialogStore), the audience rows whose values
// /client edit offers and whose peers /next weighs (AudienceStore), the
// team as a request reads it (core.Directory), and the four reads of
// others' records /next weighs (32 methods). It follows the rules every
// port shares (handlers/service.go).
type Store interface {
	ClientStore
	ActivityStore
	ProposalStore
	DialogStore
	AudienceStore
	core.Directory
	// ContactPlan returns the client's contact plan, or nil (no error)
	// when it has none.
	ContactPlan(ctx context.Context, client uint64) (*crm.ContactPlan, error)
	// ClientClaims returns every claim of the client, oldest first.
	ClientClaims(ctx context.Context, clientID uint64) ([]*crm.Claim, error)
	// ClientPromises returns every promise of the client, by id.
	ClientPromises(ctx context.Context, client uint64) ([]crm.Promise, error)
	// DealFactsOf returns the facts of the client's deals, by deal id.
	DealFactsOf(ctx context.Context, clientID uint64) ([]crm.DealFact, error)
	// ReadNextAhead says the advice rules are about to read the client
	// (the four reads above and its peers), so that an engine that pays a
	// round trip per read reads just those at once; it changes no answer.
	ReadNextAhead(ctx context.Context, client uint64) error
}

// ClientStore keeps clients and their history.
type ClientStore interface {
	// Client returns the client with id, or crm.ErrNotFound.
	Client(ctx context.Context, id uint64) (*crm.Client, error)
	// CreateClient stores c, giving it its id, with a history entry by by;
	// a client of the same normalised name is a crm.ECONFLICT error that
	// names it.
	CreateClient(ctx context.Context, c *crm.Client, by crm.Actor) error
	// UpdateClient applies fn (which may be re-run) to the client with id
	// and stores it with one history entry per changed field, made by by
	// at at. It returns the stored client.
	UpdateClient(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Client) error) (*crm.Client, error)
	// FindClients returns the clients whose normalised name starts with
	// the normalised query, by name, at most limit (0: no limit).
	FindClients(ctx context.Context, query string, limit int) ([]*crm.Client, error)
	// ClientNames returns the names of the clients with the given ids;
	// ids of clients that do not exist are left out (no error).
	ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error)
	// ClientsByOwner returns the clients of owners, owner by owner in the
	// order given and by name within an owner.
	ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error)
	// StaleClients returns the stale clients q asks for and how many
	// there are: all of them (owner by owner, by id) or only the
	// q.Oldest longest untouched, oldest first.
	StaleClients(ctx context.Context, q crm.StaleQuery) (crm.StaleList, error)
	// EachClient calls fn with every client, by id, until fn returns
	// false. fn runs inside a read transaction: it must not call the
	// store.
	EachClient(ctx context.Context, fn func(*crm.Client) bool) error
	// CountClients returns how many clients each owner has (owners with
	// none are left out).
	CountClients(ctx context.Context) (map[uint64]int, error)
	// ClientPage returns one page of the owners' clients in list order
	// (folded name, owner, id) and how many the list holds; its clients
	// are briefs (see crm.ClientPage).
	ClientPage(ctx context.Context, q crm.ClientPageQuery) (crm.ClientPage, error)
	// CustomFields returns the names of the custom fields some client
	// has, sorted.
	CustomFields(ctx context.Context) ([]string, error)
	// History returns the changes of the record kind/id ("client", "deal",
	// "claim", …), oldest first; a record without any is no error.
	History(ctx context.Context, kind string, id uint64) ([]crm.Change, error)
}

// ActivityStore keeps conversations and tasks.
type ActivityStore interface {
	// LogConversation stores conv (giving it its id), moves the client's
	// last touch and next step, and stores next (when not nil) as the
	// next-step task, in one transaction. An unknown client is
	// crm.ErrNotFound.
	LogConversation(ctx context.Context, conv *crm.Conversation, next *crm.Task) error
	// Conversations returns up to limit (0: all) of the client's
	// conversations, newest first.
	Conversations(ctx context.Context, clientID uint64, limit int) ([]*crm.Conversation, error)
	// CreateTask stores t, giving it its id.
	CreateTask(ctx context.Context, t *crm.Task) error
	// Task returns the task with id, or crm.ErrNotFound.
	Task(ctx context.Context, id uint64) (*crm.Task, error)
	// UpdateTask applies fn (which may be re-run) to the task with id and
	// stores it; when it is the client's current next step, the client's
	// next step follows it.
	UpdateTask(ctx context.Context, id uint64, fn func(*crm.Task) error) (*crm.Task, error)
	// OpenTasks returns the open tasks of the assignees due before
	// before, assignee by assignee in the order given and soonest first
	// within one.
	OpenTasks(ctx context.Context, assignees []uint64, before time.Time) ([]*crm.Task, error)
	// ReadAgendaAhead says the agenda of owners up to until is about to be
	// read (/today: the tasks here and every family's agenda source, the
	// meetings from from on), so that an engine that pays a round trip per
	// read reads it at once; it changes no answer.
	ReadAgendaAhead(ctx context.Context, owners []uint64, from, until time.Time) error
	// ClientTasks returns the client's tasks (only the open ones when
	// openOnly), by id.
	ClientTasks(ctx context.Context, clientID uint64, openOnly bool) ([]*crm.Task, error)
}

// ProposalStore keeps the actions proposed for a note (/note, or plain
// text in a direct chat) until they are confirmed or cancelled, under the
// short ids ("N-5") that buttons refer to. A proposal is a derived copy of
// client data: it goes with the client's erasure (crm.WithClientTrail).
type ProposalStore interface {
	// CreateProposal stores p, giving it its id.
	CreateProposal(ctx context.Context, p *crm.Proposal) error
	// Proposal returns the proposal with id, or crm.ErrNotFound.
	Proposal(ctx context.Context, id uint64) (*crm.Proposal, error)
	// UpdateProposal applies fn (which may be re-run) to the proposal with
	// id and stores it; concurrent updates are serialised, so a check in
	// fn (still pending?) holds when it commits.
	UpdateProposal(ctx context.Context, id uint64, fn func(*crm.Proposal) error) (*crm.Proposal, error)
}

// DialogStore keeps the dialog a person is in (a key-value with a time to
// live; the store's button tokens serve).
type DialogStore interface {
	// PutToken keeps value under token for ttl, replacing what was there.
	PutToken(ctx context.Context, token, value string, ttl time.Duration) error
	// Token returns the value kept under token, or crm.ErrNotFound when it
	// is unknown or expired.
	Token(ctx context.Context, token string) (string, error)
}

// AudienceStore reads the compact audience rows kept for analyses (never
// a client record): the values in use that /client edit offers, and what
// peers of a segment bought, which /next weighs. The planning family's
// /segments reads them through its own port (planning.SegmentStore).
type AudienceStore interface {
	// Audience calls fn with the audience row of every client, by client
	// id, until fn returns false; fn runs inside a read transaction and
	// must not call the store.
	Audience(ctx context.Context, fn func(crm.AudienceRow) bool) error
	// PeerPurchases returns what the peers q picks bought in won deals
	// (how many bought anything, each product with its buyers, most
	// bought first), from the maintained "products won per segment".
	PeerPurchases(ctx context.Context, q crm.PeerQuery) (crm.PeerPurchases, error)
}

// Config is what the family needs of the service's settings.
type Config struct {
	// Stale is when a client is stale (/clients stale, the card's hint).
	Stale core.Stale
	// Route serves a message whose sender is identified through the
	// commands alone (no middleware): the /log dialog's last answer runs
	// as the /log command it stands for, its error going back to the
	// caller.
	Route func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error
}

// service is the family's handlers over its store.
type service struct {
	kit   *core.Kit
	store Store
	cfg   Config
	hooks *core.ClientHooks
	lex   *lexicon
}

// Family is what the clients family gives the service besides its
// commands: the free text it answers (a pressed home button, an answer
// of the /log dialog, a note in a direct chat), the note reader's
// command and /next.
type Family struct{ s *service }

// Register adds /today, /client, /clients, /log, /remind and /task to the
// "clients" help page, and sets the views of clients the other families
// use (core.ClientViews: /today, the home keyboard, the card, a client's
// reassignment, /next's words for a step). The note reader's /note
// (NoteSpec) and /next (RegisterNext) stand on other families' help
// pages: the service registers them where /help lists them.
func Register(reg core.Registry, st Store, cfg Config) *Family {
	s := &service{kit: reg.Kit(), store: st, cfg: cfg, hooks: reg.ClientHooks(), lex: core.LoadWords(reg, "clients", newLexicon)}
	reg.SetClientViews(core.ClientViews{Today: s.today, Home: s.home, Reassign: s.reassign, Card: s.clientCard, AdviceText: adviceText})
	defer reg.Family("clients")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "today", Run: s.todayCmd}, &core.Spec{Name: "client", Run: s.clientCmd},
		&core.Spec{Name: "clients", Run: s.clientsCmd}, &core.Spec{Name: "log", Run: s.logCmd},
		&core.Spec{Name: "remind", Run: s.remindCmd}, &core.Spec{Name: "task", Run: s.taskCmd})
	return &Family{s}
}

// HomeCommand returns the command of a home keyboard label typed or
// pressed (a pressed home button arrives as its label's text), in any
// language; ok is false for any other text.
func (f *Family) HomeCommand(text string) (command string, ok bool) { return f.s.homeCommand(text) }

// DialogAnswer takes a plain message as the answer to the /log dialog
// its sender is in, and reports false when they are in none (the text is
// someone else's to answer).
func (f *Family) DialogAnswer(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error) {
	return f.s.dialogAnswer(ctx, w, m)
}

// personTZ is the person's time zone, else the company's.
func (s *service) personTZ(p *crm.Person) *time.Location {
	_, tz := s.kit.PersonLocale(p)
	return tz
}

// NoteSpec is the note reader's command, "/note TEXT" and the buttons of
// its proposals ("/note ok|edit|cancel N-5", "/note pick N-5 #12"), which
// the assistant family lists on its help page.
func (f *Family) NoteSpec() *core.Spec {
	return &core.Spec{Name: "note", MinRole: crm.RoleManager, Run: f.s.noteCmd}
}

// Note reads text that is no command, sent in a direct chat, as a note
// about a client: the actions it calls for, proposed with Confirm, Edit
// and Cancel (nothing is written before Confirm). Someone who may not log
// conversations gets the hint that commands start with "/".
func (f *Family) Note(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	return f.s.privateNote(ctx, w, m)
}

// RegisterNext adds /next and the recommended step on the client card
// (after the card sections registered before it) to the planning help
// page; the service calls it once the planning family has registered.
func (f *Family) RegisterNext(reg core.Registry) { f.s.registerNext(reg) }
