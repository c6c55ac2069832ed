// Package handlers answers every command. Handlers are platform-free: they
// read a bot.Message and write bot.Replies, and depend on small storage
// interfaces declared here that the Badger store (or any other) implements.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/assistant"
	"accountbot/handlers/capture"
	"accountbot/handlers/claims"
	"accountbot/handlers/clients"
	"accountbot/handlers/core"
	"accountbot/handlers/data"
	"accountbot/handlers/deals"
	"accountbot/handlers/digest"
	"accountbot/handlers/health"
	"accountbot/handlers/mail"
	"accountbot/handlers/people"
	"accountbot/handlers/planning"
	"accountbot/handlers/push"
	"accountbot/i18n"
)

// The ports below are what the handlers ask of a store; *store.Store
// (Badger or PostgreSQL underneath) implements them, and store/storetest
// checks any engine against them. Rules every port shares:
//
//   - A missing record is crm.ErrNotFound; a write refused because of what
//     is stored (a taken name, a used code) is a *crm.Error with code
//     crm.ECONFLICT; under crm.WithReadOnly every write is crm.ErrReadOnly.
//   - An Update method reads the record, calls fn with it and stores what
//     fn left, in one transaction. fn may be re-run (the store retries a
//     transaction that lost a conflict with a concurrent writer), so it
//     must only change the record it is given; when it returns an error
//     nothing is stored and that error is returned.
//   - Idempotency (the delivery key): a request handling a platform
//     delivery carries its key (crm.WithDeliveryKey). The first write
//     committed under that context records the key in the same
//     transaction; a write under the same key after that commit, from a
//     redelivery of the message, stores nothing and returns
//     crm.ErrDuplicate. A write that is not the effect of the delivery
//     (bookkeeping) runs under crm.WithoutDeliveryKey. Reads ignore the key.
//   - A "summary" or "brief" holds the fields its type's comment names,
//     read from an index without the full record.

// PeopleStore is what the service reads and writes of people to know who
// sends a message (identify: the configured heads made on first contact,
// the unreachable mark cleared, /lang) and whom the other families'
// records name; the team family's own port is people.Store.
type PeopleStore interface {
	// PersonByIdentity returns the person holding identity (for example
	// "telegram:42"), or crm.ErrNotFound.
	PersonByIdentity(ctx context.Context, identity string) (*crm.Person, error)
	// Person returns the person with id, or crm.ErrNotFound.
	Person(ctx context.Context, id uint64) (*crm.Person, error)
	// People returns everyone, dismissed people included, by id. The
	// people may be shared with other callers: they must not be modified.
	People(ctx context.Context) ([]*crm.Person, error)
	// CreatePerson stores p, giving it its id; an identity someone holds,
	// or the name of another active person, is a crm.ECONFLICT error.
	CreatePerson(ctx context.Context, p *crm.Person) error
	// UpdatePerson applies fn (which may be re-run) to the person with id
	// and stores the result, keeping the identity index in step.
	UpdatePerson(ctx context.Context, id uint64, fn func(*crm.Person) error) (*crm.Person, error)
	// Delegations returns every delegation (one per absence), by id.
	Delegations(ctx context.Context) ([]*crm.Delegation, error)
}

// Store is everything the core handlers need.
type Store interface {
	PeopleStore
	people.Store
	clients.Store
	claims.Store
	deals.Store
	assistant.Store
	data.Store
	digest.Store
	planning.Store
	push.Store
	capture.Store
	health.Store
	mail.Store
}

// Config holds the settings the handlers use.
type Config struct {
	// Lang is the default reply language.
	Lang string
	// TZ is the default time zone.
	TZ *time.Location
	// Currency is the default currency code.
	Currency string
	// Heads are identities that are heads from the start.
	Heads []string
	// StaleTouch is how long without a conversation makes a client stale.
	StaleTouch time.Duration
	// StaleReview is how long without an edit or confirmation makes a
	// client record stale.
	StaleReview time.Duration
	// InviteTTL is how long an invitation code works.
	InviteTTL time.Duration
	// StuckAfter is how long without a stage change makes an open deal
	// stuck (zero: defaultStuckAfter).
	StuckAfter time.Duration
}

// defaultStuckAfter is how long without a stage change makes an open deal
// stuck when Config.StuckAfter is not set.
const defaultStuckAfter = 21 * 24 * time.Hour

// stale is when a client is stale (Config.StaleTouch and StaleReview).
func (s *Service) stale() core.Stale {
	return core.Stale{Touch: s.cfg.StaleTouch, Review: s.cfg.StaleReview}
}

// DefaultConfig returns the settings used when nothing is configured.
func DefaultConfig() Config {
	return Config{
		Lang:        "en",
		TZ:          time.Local,
		Currency:    "EUR",
		Heads:       []string{"console:admin"},
		StaleTouch:  30 * 24 * time.Hour,
		StaleReview: 90 * 24 * time.Hour,
		InviteTTL:   7 * 24 * time.Hour,
	}
}

// Observer is told about every handled command, for metrics: the adapter
// it came through, the command's canonical name and its outcome ("ok", an
// error code, "duplicate", or "choice" for a reference answered with a
// choice).
type Observer interface {
	Observe(adapter, command, outcome string, d time.Duration)
	// AnsweredAgain is told about a request answered again from the
	// start (ServeChat): it had started from a guess of the team that the
	// store found wrong. Many mean the team changes often on another
	// replica, each costing a request twice.
	AnsweredAgain(adapter string)
}

// Service answers commands.
type Service struct {
	store  Store
	clock  dates.Clock
	cat    *i18n.Catalog
	cfg    Config
	log    *slog.Logger
	obs    Observer
	router *bot.Router
	specs  []*spec
	// families are the help pages in the order first declared; curFamily
	// is the one that commands added now belong to (help_pages.go).
	families  []string
	curFamily string
	// clientHooks are what families add to the client card, /today and
	// /client (the clients family reads them).
	clientHooks core.ClientHooks
	// clients is the clients family: the free text it answers.
	clients *clients.Family
	// assist are the assistant's options (assist.go).
	assist assistSettings
	// jobs run on every tick of the scheduler (RunJobs).
	jobs     []core.Job
	notifier bot.Notifier
	handler  bot.Handler
	// exports are the tables and records that families add to /export and
	// "/client export" (the data family reads them).
	exports core.ExportHooks
	// data is the data family: bare CSV files and the console's import and
	// export go to it.
	data *data.Family
	// digests are the sections and snapshots that families add to digests
	// (the digest family reads them).
	digests core.DigestHooks
	// hooked are the named hooks registered so far (registry.once).
	hooked map[string]bool
	// transcriber turns voice notes into text; nil when none is configured.
	transcriber Transcriber
	// capture is the capture family's part in the chain, free text and
	// shutdown (its files, middleware, waiting files and visit outcomes).
	capture capture.Capture
	// mailer sends e-mail (nil: none is sent); publicURL is the base of
	// links to the HTTP server (the mail family's).
	mailer    Mailer
	publicURL string
	// mail decides the client mail read from the mailbox (LogMail) and
	// writes the calendar feeds (CalendarFeed).
	mail mail.Mail
	// refreshHealth brings the health of the clients a request changed up
	// to date once it is answered (the health family's middleware).
	refreshHealth bot.Middleware
	// lex are the typed words parsers look up (words.go).
	lex *lexicon
	// kit is what the family packages share of the service (families.go).
	kit *core.Kit
	// calendars add entries to calendar feeds, per owner (the mail
	// family writes them).
	calendars core.CalendarHooks
	// strangers answer commands from identities the bot does not know yet
	// ("/start CODE", "/link CODE"), in the order registered.
	strangers []stranger
	// errs are mistakes in how the commands and their words were declared,
	// found while New registered them (New returns them).
	errs []error
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default: the machine's).
func WithClock(c dates.Clock) Option { return func(s *Service) { s.clock = c } }

// WithConfig sets the configuration.
func WithConfig(c Config) Option { return func(s *Service) { s.cfg = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithObserver sets the metrics observer.
func WithObserver(o Observer) Option { return func(s *Service) { s.obs = o } }

// Transcriber turns speech into text (the capture family's).
type Transcriber = capture.Transcriber

// WithTranscriber sets the speech-to-text model for voice notes. Pass nil
// (untyped) for none.
func WithTranscriber(t Transcriber) Option { return func(s *Service) { s.transcriber = t } }

// Wait returns true when the background work in hand (the capture
// family's transcriptions) is done, or false after d: the app lets it
// finish before the store closes.
func (s *Service) Wait(d time.Duration) bool { return s.capture.Wait(d) }

// WithNotifier sets how messages reach people outside a conversation
// (digests, escalations, reminders).
func WithNotifier(n bot.Notifier) Option { return func(s *Service) { s.notifier = n } }

// RunJobs runs every scheduled job once; the app calls it every minute.
// A failing job is logged and does not stop the others.
func (s *Service) RunJobs(ctx context.Context) { s.runJobs(ctx, true) }

// RunJob runs the scheduled job called name (core.Job.Name) once, for a
// benchmark of one job; an unknown name is an error.
func (s *Service) RunJob(ctx context.Context, name string) error {
	for _, j := range s.jobs {
		if j.Name == name {
			return j.Run(ctx, s.clock.Now())
		}
	}
	return fmt.Errorf("handlers: no job %q", name)
}

// RunMessageJobs runs the jobs that send messages (reminders, the agenda,
// digests, escalations) and not the upkeep ones, for a caller that must
// not wait for upkeep: the console before it reads its first line.
func (s *Service) RunMessageJobs(ctx context.Context) { s.runJobs(ctx, false) }

func (s *Service) runJobs(ctx context.Context, upkeep bool) {
	now := s.clock.Now()
	for _, j := range s.jobs {
		if j.Upkeep && !upkeep {
			continue
		}
		if err := j.Run(ctx, now); err != nil {
			s.log.Error("scheduled job failed", "job", j.Name, "err", err)
		}
	}
}

// New returns a Service over store with the translation catalog cat (the
// embedded one when nil). It fails when the commands are declared wrongly:
// two commands claim one name or alias, a command has no words in some
// language, a typed form means two things at one place, or an embedded
// template does not parse.
func New(store Store, cat *i18n.Catalog, opts ...Option) (*Service, error) {
	if cat == nil {
		var err error
		if cat, err = i18n.New(); err != nil {
			return nil, err
		}
	}
	s := &Service{store: store, cat: cat, clock: dates.SystemClock{}, cfg: DefaultConfig(), log: slog.Default(),
		assist: assistSettings{convs: defaultDraftConversations}}
	for _, o := range opts {
		o(s)
	}
	if s.cfg.TZ == nil {
		s.cfg.TZ = time.Local
	}
	if s.cfg.Lang == "" {
		s.cfg.Lang = "en"
	}
	s.lex = s.newLexicon()
	s.kit = &core.Kit{Clock: s.clock, Catalog: s.cat, Lang: s.cfg.Lang, TZ: s.cfg.TZ, Log: s.log, Notifier: s.notifier, Serve: s.ServeChat,
		ParseWeekdays: s.lex.parseWeekdays, KeyWord: s.lex.isKeyWord, Currency: s.cfg.Currency, StuckAfter: s.cfg.StuckAfter}
	if s.kit.StuckAfter <= 0 {
		s.kit.StuckAfter = defaultStuckAfter
	}
	s.router = bot.NewRouter(
		bot.WithUnknown(s.unknownCommand),
		bot.WithFallback(bot.HandlerFunc(s.freeText)),
	)
	s.newAssistant()
	// Command families, in the order /help lists them.
	s.registerCore()
	people.Register(registry{s}, s.store, s.cfg.InviteTTL)
	deals.Register(registry{s}, s.store)
	claims.Register(registry{s}, s.store)
	digest.Register(registry{s}, s.store, s.stale())
	assistant.Register(registry{s}, s.store, assistant.Config{AskDeadline: s.assist.askDeadline, Stale: s.stale(), Note: s.clients.NoteSpec()})
	s.data = data.Register(registry{s}, s.store)
	planning.Register(registry{s}, s.store, s.cfg.StaleReview)
	s.clients.RegisterNext(registry{s})
	push.Register(registry{s}, s.store, s.stale())
	// The capture family keeps every family's files (Kit.Files).
	s.capture = capture.Register(registry{s}, s.store, s.transcriber)
	s.kit.Files = s.capture
	s.refreshHealth = health.Register(registry{s}, s.store, s.cfg.StaleTouch)
	// The mail family sends the kit's e-mail (Kit.SendMail, SendMeeting).
	s.mail = mail.Register(registry{s}, s.store, mail.Config{Mailer: s.mailer, PublicURL: s.publicURL})
	s.handler = bot.Chain(s.router, s.answers, s.recoverAndReport, s.limitSize, s.identify, s.refreshHealth, s.capture.Middleware)
	// A name two commands claim (in any letter case) would silently run
	// only the first, and a form with two meanings only one of them: the
	// program refuses to start instead.
	if c := s.router.Conflicts(); len(c) > 0 {
		s.errs = append(s.errs, fmt.Errorf("handlers: command names claimed twice: %s", strings.Join(c, ", ")))
	}
	for _, c := range i18n.Collisions(cat) {
		s.errs = append(s.errs, fmt.Errorf("handlers: typed words collide: %s", c))
	}
	if err := errors.Join(s.errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// ServeChat handles one message: identifies the sender, runs the command
// and turns any error into one short line in the sender's language.
func (s *Service) ServeChat(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	// The clients the request resolves go on a trail, so that every copy
	// of their data the request leaves (button tokens, drafts) is erased
	// with them (store/derived.go).
	// Every text a person sends is cleaned once, here, before any parser
	// or store sees it: NFC, no NUL, control, bidi or zero-width
	// characters (crm.CleanText), so that nothing stored displays other
	// than it reads.
	if c, d := crm.CleanText(m.Text), crm.CleanText(m.DisplayName); c != m.Text || d != m.DisplayName {
		mm := *m
		mm.Text, mm.DisplayName = c, d
		m = &mm
	}
	// The request's reads share one read transaction where that spares
	// round trips (PostgreSQL: store/snapshot.go), until it writes or
	// is answered.
	if crm.RequestScopeOf(ctx) != nil {
		return s.handler.ServeChat(crm.WithClientTrail(ctx), w, m) // a request inside one
	}
	orig := *m
	sctx, end := crm.WithRequestScope(ctx)
	err := s.handler.ServeChat(crm.WithClientTrail(sctx), settled(sctx, w), m)
	sc := crm.RequestScopeOf(sctx)
	end()
	if !sc.Stale() {
		return err
	}
	// The store started the request from a guess of its sender that
	// turned out wrong (store/engine_pg_guess.go): nothing it read after
	// the guess was used, and it neither answered nor wrote, so it is
	// answered again from the start, reading everything.
	s.log.Info("request answered again: the team changed meanwhile", "platform", m.Platform)
	if s.obs != nil {
		s.obs.AnsweredAgain(m.Platform)
	}
	sctx, end = crm.WithRequestScope(ctx)
	defer end()
	crm.RequestScopeOf(sctx).ForbidGuesses()
	again := orig
	return s.handler.ServeChat(crm.WithClientTrail(sctx), w, &again)
}

// settledWriter confirms what the request's store guessed before each
// reply goes out (crm.Settle): a reply never rests on a wrong guess.
type settledWriter struct {
	w   bot.ReplyWriter
	ctx context.Context
}

func (sw settledWriter) Reply(ctx context.Context, r bot.Reply) error {
	if err := crm.Settle(sw.ctx); err != nil {
		return err
	}
	return sw.w.Reply(ctx, r)
}

// settledEditor is a settledWriter over a writer that edits its messages
// (progress), and edits as it does.
type settledEditor struct {
	settledWriter
	ed bot.MessageEditor
}

func (se settledEditor) SendEditable(ctx context.Context, r bot.Reply) (string, error) {
	if err := crm.Settle(se.ctx); err != nil {
		return "", err
	}
	return se.ed.SendEditable(ctx, r)
}

func (se settledEditor) EditMessage(ctx context.Context, ref string, r bot.Reply) error {
	if err := crm.Settle(se.ctx); err != nil {
		return err
	}
	return se.ed.EditMessage(ctx, ref, r)
}

// settled wraps w in a settledWriter that edits when w does.
func settled(ctx context.Context, w bot.ReplyWriter) bot.ReplyWriter {
	sw := settledWriter{w, ctx}
	if ed, ok := w.(bot.MessageEditor); ok {
		return settledEditor{sw, ed}
	}
	return sw
}

var _ bot.Handler = (*Service)(nil)

// LogMail decides one message read from the logged mailbox, once by its
// key: logged on the clients it names, or kept for heads (the mail
// family's Mail.LogMail).
func (s *Service) LogMail(ctx context.Context, in *crm.InboundMail) error {
	return s.mail.LogMail(ctx, in)
}

// CalendarFeed returns the iCalendar feed of the token tok (the name in
// the feed URL without ".ics"), what the app serves at
// /calendar/TOKEN.ics; an unknown or replaced token, or a dismissed
// owner, is crm.ErrNotFound (the mail family's Mail.CalendarFeed).
func (s *Service) CalendarFeed(ctx context.Context, tok string) ([]byte, error) {
	return s.mail.CalendarFeed(ctx, tok)
}

// Mailer sends e-mail (the mail family's mail.Mailer).
type Mailer = mail.Mailer

// WithMailer makes the bot send e-mail: the families send follow-ups
// through core.Kit.SendMail and meeting invitations through
// Kit.SendMeeting, both nil without a mailer (the mail family sets them).
func WithMailer(m Mailer) Option { return func(s *Service) { s.mailer = m } }

// WithPublicURL sets the base URL of links to the HTTP server (calendar
// feeds).
func WithPublicURL(u string) Option {
	return func(s *Service) { s.publicURL = strings.TrimRight(u, "/") }
}

// Catalog returns the translation catalog.
func (s *Service) Catalog() *i18n.Catalog { return s.cat }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// spec describes one command for routing and help.
type spec struct {
	name    string
	aliases []string
	// minRole is the least role that may use it ("" for anyone, even
	// unknown senders).
	minRole crm.Role
	run     func(ctx context.Context, w bot.ReplyWriter, r *request) error
	// family is the help page that lists the command (help_pages.go);
	// empty takes the family its register function declared, and failing
	// that "other".
	family string
	// direct marks a command that needs a direct chat with the bot (a file
	// sent to it): help in a channel leaves it out.
	direct bool
}

// stranger answers the command name from an identity the bot does not
// know (core.Registry.AddStranger), reporting whether it did.
type stranger struct {
	name string
	fn   func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error)
}

// add registers a command under its name and every form of its
// vocabulary entry "words.cmd.NAME" (its aliases, Bulgarian among them).
func (s *Service) add(sp *spec) {
	key := i18n.WordsPrefix + "cmd." + sp.name
	for _, lang := range i18n.Languages {
		if len(s.cat.WordsIn(lang, key)) == 0 {
			s.errs = append(s.errs, fmt.Errorf("handlers: /%s has no %s words (%q)", sp.name, lang, key))
		}
	}
	sp.aliases = nil
	for _, w := range s.cat.Words(key) {
		if w != sp.name {
			sp.aliases = append(sp.aliases, w)
		}
	}
	if sp.family == "" {
		sp.family = s.curFamily
	}
	if sp.family == "" {
		sp.family = familyOther
	}
	s.addFamily(sp.family)
	s.specs = append(s.specs, sp)
	names := append([]string{sp.name}, sp.aliases...)
	s.router.Handle(bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		off, paged := core.TakePage(m, s.cat)
		r, err := s.newRequest(ctx, m)
		if err != nil {
			return err
		}
		r.Offset, r.HasPage = off, paged
		if sp.minRole != "" && !r.HasRole(sp.minRole) {
			return crm.Errorf(crm.EFORBIDDEN, "error.forbidden_command", "command", "/"+sp.name)
		}
		return sp.run(ctx, w, r)
	}), names...)
}

// recoverAndReport is the one place where errors become words: it maps an
// error's code and key to the sender's language, logs internal causes, and
// keeps a panic in one handler from taking the bot down.
func (s *Service) recoverAndReport(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("handler panic", "panic", p, "stack", string(debug.Stack()))
				err = crm.Internal(fmt.Errorf("panic: %v", p))
			}
			outcome := "ok"
			if err != nil {
				outcome = crm.ErrorCode(err)
				var amb *core.AmbiguousError
				switch {
				case errors.Is(err, crm.ErrDuplicate):
					outcome = "duplicate"
				case errors.As(err, &amb):
					// Normal use, not a fault: an alert on internal
					// errors must not fire on it.
					outcome = "choice"
				}
			}
			// A request found resting on a wrong guess is answered again
			// (ServeChat) and observed then: this outcome was nobody's.
			if sc := crm.RequestScopeOf(ctx); s.obs != nil && (sc == nil || !sc.Stale()) {
				name := m.Command.Name
				if _, ok := s.router.Lookup(name); !ok {
					name = "other"
				}
				if m.Command.Name == "" {
					name = "text"
				}
				s.obs.Observe(m.Platform, s.canonical(name), outcome, time.Since(start))
			}
			if err == nil {
				return
			}
			if errors.Is(err, crm.ErrDuplicate) {
				// A platform's retry of something already done: silence.
				err = nil
				return
			}
			err = s.reportError(ctx, w, m, err)
		}()
		return next.ServeChat(ctx, w, m)
	})
}

func (s *Service) canonical(name string) string {
	for _, sp := range s.specs {
		if sp.name == name {
			return name
		}
		for _, a := range sp.aliases {
			if a == name {
				return sp.name
			}
		}
	}
	return name
}

func (s *Service) reportError(ctx context.Context, w bot.ReplyWriter, m *bot.Message, err error) error {
	loc := s.cat.For(m.Lang)
	if m.Lang == "" {
		loc = s.cat.For(s.cfg.Lang)
	}
	var amb *core.AmbiguousError
	if errors.As(err, &amb) {
		return w.Reply(ctx, core.ChoiceReply(loc, m, amb))
	}
	var ce *crm.Error
	if !errors.As(err, &ce) {
		ce = crm.Internal(err)
	}
	if ce.Code == crm.EINTERNAL || ce.Code == crm.EUNAVAILABLE {
		s.log.Error("command failed", "command", m.Command.Name, "identity", m.Identity, "err", err)
	}
	text := loc.TMap(ce.Key, ce.Args)
	if ce.Code == crm.EUNAVAILABLE && ce.Key != crm.ErrDiskFull.Key {
		text = loc.T("error.unavailable")
	}
	if ce.Code == crm.EINTERNAL && ce.Key != "error.corrupt" {
		text = loc.T("error.internal")
	}
	return w.Reply(ctx, bot.Reply{Text: text})
}

// answers handles a pressed answer button (bot.AnswerMark): the mark comes
// off, and the first reply replaces the question the button stood under.
func (s *Service) answers(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		if !m.Button || !strings.HasPrefix(m.Text, bot.AnswerMark) {
			return next.ServeChat(ctx, w, m)
		}
		m.Text = strings.TrimPrefix(m.Text, bot.AnswerMark)
		return next.ServeChat(ctx, &answerWriter{ReplyWriter: w}, m)
	})
}

// answerWriter sends the first reply as an edit of the question.
type answerWriter struct {
	bot.ReplyWriter
	sent bool
}

// Reply sends r, the first time in place of the question.
func (a *answerWriter) Reply(ctx context.Context, r bot.Reply) error {
	if !a.sent {
		a.sent = true
		r.Edit = true
	}
	return a.ReplyWriter.Reply(ctx, r)
}

// limitSize refuses messages too large to be a command, before anything
// reads them.
func (s *Service) limitSize(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		if len(m.Text) > bot.MaxMessageBytes {
			m.Text = ""
			return crm.Errorf(crm.EINVALID, "error.too_long", "max", bot.MaxMessageBytes/1024)
		}
		m.Text = strings.ToValidUTF8(m.Text, "\uFFFD")
		return next.ServeChat(ctx, w, m)
	})
}

// identify resolves the sender. Heads named in the configuration are
// created on first contact; anyone else unknown gets the refusal that names
// their identity, and nothing more (except /start with an invitation code).
func (s *Service) identify(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		m.Lang = i18n.Lang(m.LangHint)
		if m.Lang == "" {
			m.Lang = s.cfg.Lang
		}
		p, err := s.store.PersonByIdentity(ctx, m.Identity)
		if err != nil && !crm.IsNotFound(err) {
			return err
		}
		if p == nil && s.isConfiguredHead(m.Identity) {
			p, err = s.bootstrapHead(crm.WithoutDeliveryKey(ctx), m)
			if err != nil {
				return err
			}
		}
		if p != nil && p.Lang != "" {
			m.Lang = p.Lang
		}
		if p.Active() {
			m.Person = p
			if p.Unreachable {
				_, _ = s.store.UpdatePerson(crm.WithoutDeliveryKey(ctx), p.ID, func(q *crm.Person) error { q.Unreachable = false; return nil })
			}
			return next.ServeChat(ctx, w, m)
		}
		// Unknown or dismissed: only /start with an invitation code, and
		// /link with a code from a known person's other account, are heard
		// (from an unknown identity).
		if cmd, ok := bot.ParseCommand(m.Text); ok && p == nil {
			for _, st := range s.strangers {
				if !s.typed(cmd.Name, "cmd."+st.name) {
					continue
				}
				prev := m.Command
				m.Command = cmd
				if done, err := st.fn(ctx, w, m); done {
					return err
				}
				m.Command = prev
			}
		}
		loc := s.cat.For(m.Lang)
		return w.Reply(ctx, bot.Reply{Text: loc.T("auth.unknown", "identity", m.Identity)})
	})
}

func (s *Service) isConfiguredHead(identity string) bool {
	for _, h := range s.cfg.Heads {
		if strings.EqualFold(strings.TrimSpace(h), identity) {
			return true
		}
	}
	return false
}

func (s *Service) bootstrapHead(ctx context.Context, m *bot.Message) (*crm.Person, error) {
	name := m.DisplayName
	if name == "" {
		_, name, _ = strings.Cut(m.Identity, ":")
	}
	p := &crm.Person{Name: name, Role: crm.RoleHead, Identities: []string{m.Identity}, CreatedAt: s.clock.Now()}
	err := s.store.CreatePerson(ctx, p)
	if core.NameTaken(err) {
		p.Name = name + " (" + m.Identity + ")"
		err = s.store.CreatePerson(ctx, p)
	}
	if err != nil {
		if crm.ErrorCode(err) == crm.ECONFLICT {
			return s.store.PersonByIdentity(ctx, m.Identity)
		}
		return nil, err
	}
	s.log.Info("head registered from configuration", "identity", m.Identity)
	return p, nil
}

func (s *Service) unknownCommand(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	loc := s.cat.For(m.Lang)
	if near := s.router.Nearest(m.Command.Name); near != "" {
		return w.Reply(ctx, bot.Reply{Text: loc.T("error.unknown_command_near", "command", "/"+m.Command.Name, "near", "/"+near)})
	}
	return w.Reply(ctx, bot.Reply{Text: loc.T("error.unknown_command", "command", "/"+m.Command.Name)})
}

// freeText answers text that is not a command.
func (s *Service) freeText(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	if len(m.Attachments) > 0 {
		return s.attachments(ctx, w, m)
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil
	}
	if cmd, ok := s.clients.HomeCommand(m.Text); ok && m.Person != nil {
		return s.homePressed(ctx, w, m, cmd)
	}
	if done, err := s.clients.DialogAnswer(ctx, w, m); done {
		return err
	}
	if done, err := s.capture.Outcome(ctx, w, m); done || err != nil {
		return err
	}
	if m.Private && m.Person != nil {
		return s.clients.Note(ctx, w, m)
	}
	loc := s.cat.For(m.Lang)
	return w.Reply(ctx, bot.Reply{Text: loc.T("error.not_a_command")})
}

// attachments handles a message that brings files but no command: a CSV
// file is a client import (the data family's); any other file waits to be
// attached to a client (the capture family).
func (s *Service) attachments(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.newRequest(ctx, m)
	if err != nil {
		return err
	}
	if !isImport(m.Attachments[0]) {
		return s.capture.Files(ctx, w, m)
	}
	if !r.HasRole(crm.RoleManager) {
		return crm.Errorf(crm.EFORBIDDEN, "error.forbidden_command", "command", "/import")
	}
	return s.data.ImportFiles(ctx, w, r.Request)
}

// isImport reports whether a file sent without a command is a client
// import (a CSV file); anything else waits to be attached.
func isImport(a bot.Attachment) bool {
	if a.Kind != "" && a.Kind != bot.KindDocument {
		return false
	}
	ext := strings.ToLower(path.Ext(a.Name))
	return ext == ".csv" || ext == ".txt" || strings.Contains(a.MIME, "csv")
}

// homePressed runs the command of a pressed home button (the clients
// family's HomeCommand).
func (s *Service) homePressed(ctx context.Context, w bot.ReplyWriter, m *bot.Message, command string) error {
	m.Text = command
	return s.router.ServeChat(ctx, w, m)
}
