package core

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/csvio"
	"accountbot/dates"
	"accountbot/i18n"
)

// A family (claims, deals, …) is a package that registers its commands
// and what it adds to the views of others through a Registry, in its
// Register function, and answers through the Requests the service hands
// it. Families never import each other: a client card, /today, a digest
// or an export shows what every family added to it, in the order the
// families registered.

// Spec declares one command.
type Spec struct {
	// Name is the command's canonical (English) name; its aliases in
	// every language are the words "words.cmd.NAME" of the translations.
	Name string
	// MinRole is the least role that may use it ("" for anyone, even
	// unknown senders).
	MinRole crm.Role
	// Run answers the command.
	Run func(ctx context.Context, w bot.ReplyWriter, r *Request) error
	// Family is the help page that lists the command; empty takes the
	// family being registered (Registry.Family).
	Family string
	// Direct marks a command that needs a direct chat with the bot (a file
	// sent to it): help in a channel leaves it out.
	Direct bool
	// Stranger, when set, may answer the command sent by an identity the
	// bot does not know yet (a new account's "/link CODE"), with m.Command
	// parsed and m.Lang the platform's hint; it reports whether it did.
	// Every other stranger gets the refusal that names their identity.
	Stranger func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (handled bool, err error)
}

// AgendaItem is one line of /today.
type AgendaItem struct {
	Due     time.Time
	Text    string
	Buttons []bot.Button
}

// AgendaSource adds to /today the items of the given owners due by until
// (overdue ones too), seen with r's rights.
type AgendaSource func(ctx context.Context, r *Request, owners []uint64, until time.Time) ([]AgendaItem, error)

// CardSection adds lines to a client card (nil: nothing to say).
type CardSection func(ctx context.Context, r *Request, c *crm.Client) ([]bot.Field, error)

// CardButtons adds rows of buttons under a client card (nil: none).
type CardButtons func(ctx context.Context, r *Request, c *crm.Client) ([][]bot.Button, error)

// FactsSection adds one kind of open record (claims, deals, promises…)
// to the facts that drafts and the note reader rely on.
type FactsSection func(ctx context.Context, r *Request, c *crm.Client, f *crm.Facts) error

// Job is work done on a schedule: it looks at the time and the store and
// does what is due. Each job makes itself idempotent (a marker in the
// store), so a restart or two ticks together never do it twice.
type Job struct {
	Name string
	Run  func(ctx context.Context, now time.Time) error
	// Upkeep marks a job that keeps derived data current and sends
	// nothing (health scores); RunMessageJobs leaves it out.
	Upkeep bool
}

// ExportWriter writes one table of "/export KIND": the header, then the
// rows r may see.
type ExportWriter func(ctx context.Context, r *Request, w *csvio.Writer) error

// ClientRecords returns one kind of record in "/client export NAME":
// everything of that kind about the client (JSON-encodable), or nil when
// there is none. The store's erasure (store/erase.go) must erase the same
// records on "/client forget".
type ClientRecords func(ctx context.Context, r *Request, c *crm.Client) (any, error)

// ExportHooks are what the families add to the data family's views, in
// the order they registered: the tables of "/export KIND"
// (Registry.AddExport) and the kinds of record in "/client export NAME"
// (Registry.AddClientRecords). The registry appends to them while the
// service is being made; the data family reads them (Registry.Exports)
// each time a command runs, so the families registered after it are in
// them too.
type ExportHooks struct {
	Tables  []ExportKind
	Records []RecordKind
}

// ExportKind is one table of "/export NAME".
type ExportKind struct {
	// Name is the canonical kind ("deals"); its typed forms are the
	// vocabulary entry "words.export.NAME".
	Name  string
	Write ExportWriter
}

// RecordKind is one kind of record in "/client export NAME", under Name
// in the file.
type RecordKind struct {
	Name    string
	Collect ClientRecords
}

// ClientSub answers "/client WORD ARGS…": args are the words after WORD.
type ClientSub func(ctx context.Context, w bot.ReplyWriter, r *Request, args []string) error

// CalendarItem is one entry of a person's calendar feed (/calendar).
type CalendarItem struct {
	// UID is the entry's stable id (EventUID).
	UID string
	// Client is the client the entry is about (0: none).
	Client uint64
	// Start and End bound the entry; an all-day entry has its day's
	// midnight as Start.
	Start, End time.Time
	AllDay     bool
	Desc       string
	// Summary writes the entry's title once the client's name is known.
	Summary func(clientName string) string
}

// CalendarSource adds the entries of owner due by until to the calendar
// feed of r's sender (who sees owner), after the tasks of the same owner
// and the entries of the sources added before it.
type CalendarSource func(ctx context.Context, r *Request, owner uint64, until time.Time) ([]CalendarItem, error)

// CalendarHooks are the calendar sources the families add
// (Registry.AddCalendar), in the order they registered, which is their
// order in every feed. The registry appends to them while the service is
// being made; the mail family reads them (Registry.Calendars) each time it
// writes a feed, so the families registered after it are in them too.
type CalendarHooks struct {
	Sources []CalendarSource
}

// FeedPast is how far back from now a calendar feed shows entries (the
// meetings held); until, ahead, is the feed's own.
const FeedPast = 60 * 24 * time.Hour

// DealFinder resolves a typed deal reference ("D-7") to a deal the sender
// of r may change: rights over the deal's owner or its client's owner. A
// deal they may not see is crm.ENOTFOUND, one they may only see
// crm.EFORBIDDEN, both in the deals family's words. Families that act on
// deals without owning them (the note reader's proposed stage moves) use
// it.
type DealFinder func(ctx context.Context, r *Request, ref string) (*crm.Deal, error)

// EventUID is the stable UID of a record's calendar entry.
func EventUID(kind string, id uint64) string {
	return "accountbot-" + kind + "-" + strconv.FormatUint(id, 10) + "@accountbot"
}

// Registry is where a family registers itself; the service implements it.
type Registry interface {
	// Kit returns what the family's handlers use of the service.
	Kit() *Kit
	// Family makes the commands added until done is called belong to the
	// help page family (the order of first use is the order of /help).
	Family(family string) (done func())
	// Add registers a command.
	Add(sp *Spec)
	// AddStranger makes fn answer the command name (registered by the
	// service or another family) when an identity the bot does not know
	// sends it, as Spec.Stranger does for a family's own command: "/start
	// CODE" accepting an invitation. Strangers are asked in the order
	// added; the first that handles the message answers it.
	AddStranger(name string, fn func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (handled bool, err error))
	// AddAgenda adds items to /today and the morning agenda.
	AddAgenda(src AgendaSource)
	// AddCardSection adds lines to the client card.
	AddCardSection(sec CardSection)
	// AddCardButtons adds rows of buttons under the client card, after
	// those added before them (the attachments' "send it back").
	AddCardButtons(b CardButtons)
	// AddFacts adds records to the facts drafts rely on.
	AddFacts(sec FactsSection)
	// AddJob adds work to every tick of the scheduler.
	AddJob(j Job)
	// AddDigestSection adds a section to every digest, after those added
	// before it; a name added twice makes New fail.
	AddDigestSection(name string, sec DigestSection)
	// Digests returns the sections and snapshots every family added, and
	// will add, to digests: what the digest family builds digests from.
	Digests() *DigestHooks
	// AddExport makes "/export NAME" send the CSV that write writes;
	// some language lacking the words "words.export.NAME" makes New fail.
	AddExport(name string, write ExportWriter)
	// AddClientRecords adds a kind of record to "/client export NAME".
	AddClientRecords(name string, collect ClientRecords)
	// Exports returns the tables and records every family added, and
	// will add, to exports: what the data family sends.
	Exports() *ExportHooks
	// AddClientSub makes "/client WORD …" run sub for every form of the
	// vocabulary entry "words.client.NAME" (the clients family
	// dispatches /client; "/client export" is the data family's).
	AddClientSub(name string, sub ClientSub)
	// AddCalendar adds entries to the calendar feed, after those added
	// before them.
	AddCalendar(src CalendarSource)
	// Calendars returns the calendar sources every family added, and will
	// add: what the mail family writes feeds from.
	Calendars() *CalendarHooks
	// AddSnapshot makes the daily snapshot job store, once a company day
	// and before that day's digests, the rows take returns under kind;
	// digest sections read them back with SnapshotOn; a kind added twice
	// makes New fail.
	AddSnapshot(kind string, take SnapshotSource)
	// SetDealFinder makes find the way other families resolve a deal
	// reference (Kit.FindDeal; the deals family sets it).
	SetDealFinder(find DealFinder)
	// ClientHooks returns what every family added, and will add, to the
	// client card, /today, a client's facts and /client: what the clients
	// family reads.
	ClientHooks() *ClientHooks
	// SetClientViews makes v the views of clients the other families use
	// (Kit.Today, Kit.Home, Kit.Reassign, Kit.Card, Kit.AdviceText): the
	// clients family sets them.
	SetClientViews(v ClientViews)
	// Fail records a mistake in how the family declared itself (words
	// missing from a language): the service refuses to start.
	Fail(err error)
}

// FailMissing makes New fail, through reg.Fail, once for each
// vocabulary entry in missing (what Vocab found lacking in some
// language), naming the family whose words they are.
func FailMissing(reg Registry, family string, missing []string) {
	for _, m := range missing {
		reg.Fail(fmt.Errorf("%s: no words for %q in some language", family, m))
	}
}

// LoadWords returns the tables read builds from reg's catalog (a family's
// newWords), and makes New fail (FailMissing) once for each entry read
// found lacking in some language.
func LoadWords[W any](reg Registry, family string, read func(*i18n.Catalog) (W, []string)) W {
	w, missing := read(reg.Kit().Catalog)
	FailMissing(reg, family, missing)
	return w
}

// AddCommands registers the commands of specs in their order, each for
// role and up unless it names its own MinRole.
func AddCommands(reg Registry, role crm.Role, specs ...*Spec) {
	for _, sp := range specs {
		if sp.MinRole == "" {
			sp.MinRole = role
		}
		reg.Add(sp)
	}
}

// Stale is when a client is stale: no conversation for Touch, or no edit
// or confirmation for Review (the service's Config.StaleTouch and
// StaleReview), for the families that count stale clients.
type Stale struct{ Touch, Review time.Duration }

// Query asks for the clients of owners stale at now, all of them (set
// Oldest or CountOnly on it for fewer).
func (st Stale) Query(owners []uint64, now time.Time) crm.StaleQuery {
	return crm.StaleQuery{Owners: owners, TouchBefore: now.Add(-st.Touch), ReviewBefore: now.Add(-st.Review)}
}

// Is reports whether c is stale at now: its last touch (its review when
// it was never touched) is older than Touch, or its review older than
// Review.
func (st Stale) Is(c *crm.Client, now time.Time) bool {
	last := c.LastTouch
	if last.IsZero() {
		last = c.ReviewedAt
	}
	return last.Before(now.Add(-st.Touch)) || c.ReviewedAt.Before(now.Add(-st.Review))
}

// Kit is what every family's handlers share besides the request: the
// clock, the translations, the defaults, the log, messages sent outside a
// conversation, and the files a message brings.
type Kit struct {
	Clock   dates.Clock
	Catalog *i18n.Catalog
	// Lang and TZ are the company's defaults.
	Lang string
	TZ   *time.Location
	Log  *slog.Logger
	// Notifier reaches people outside a conversation; nil when none is
	// configured (nothing is sent by itself).
	Notifier bot.Notifier
	// Files keeps the files a message brings (the capture family); nil
	// when no family provides it.
	Files Files
	// Serve handles m as a message its sender sent in the chat, through
	// the whole service: identification, every middleware, the commands,
	// and free text (a dialog's answer, a note that becomes /log proposals
	// with Confirm). A family that turns input other than text into text
	// hands it on here, exactly as if it had been typed (a voice note's
	// transcript): m.Person must be nil, for identification to set it.
	Serve func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error
	// ParseWeekdays reads typed days ("mon-fri", "пн,ср", "workdays") in
	// any language.
	ParseWeekdays func(s string) (crm.Weekdays, bool)
	// KeyWord reads a typed key=value word as the service's own parsers
	// do (core.KeyWord), the key in English when it is a client field's
	// typed form ("град=" → "city").
	KeyWord func(w string) (key, value string, ok bool)
	// Currency is the company's currency: amounts typed without one are
	// in it, and sums of several currencies list it first.
	Currency string
	// StuckAfter is how long without a stage change makes an open deal
	// stuck (the configured time, 21 days when none is).
	StuckAfter time.Duration
	// Today builds /today for r's sender (the clients family's), the items every family adds to
	// it (AddAgenda) among them, and says how many items it holds (0:
	// nothing is due), for a family that sends it unasked.
	Today func(ctx context.Context, r *Request) (rep bot.Reply, items int, err error)
	// Home is the home keyboard of p, in loc's language lang: what a
	// person gets with a greeting (the clients family's).
	Home func(loc i18n.Localizer, lang string, p *crm.Person) *bot.Home
	// Assistant is the language model and the offline drafter, set by
	// the service before any family registers.
	Assistant *Assistant
	// Facts gathers what a draft about a client may rely on (the
	// service's facts, with what every family adds through AddFacts), for
	// the families that write to or about a client.
	Facts FactsSource
	// Card is the client card as "/client NAME" shows it to r's sender,
	// with every family's sections (the clients family's).
	Card func(ctx context.Context, r *Request, c *crm.Client) (bot.Reply, error)
	// Run runs a command line as if r's sender had typed it, through the
	// router and the error reporting, so that every check of the command
	// applies and its answer (or its error, in words) reaches w.
	Run func(ctx context.Context, w bot.ReplyWriter, r *Request, line string) error
	// HasCommand reports whether the command with the canonical name is
	// registered (a family may be left out of a service).
	HasCommand func(name string) bool
	// SendMail sends one e-mail through the configured mail server and
	// returns once the server accepted it (m.MessageID set), or with the
	// reason it did not. It is nil when no mailer is configured (no
	// e-mail is sent). The mail family sets it when it registers: read it
	// when sending, not when registering.
	SendMail func(ctx context.Context, m *crm.OutgoingMail) error
	// AdviceText writes a step of /next in the reader's words (the
	// clients family's), for a family that hands one on (a playbook
	// task).
	AdviceText AdviceText
	// FindDeal resolves a typed deal reference for a family that acts on
	// deals without owning them (the note reader's proposed stage moves):
	// the deals family's, set through Registry.SetDealFinder; nil when no
	// family set it.
	FindDeal DealFinder
	// Reassign gives client c to the owner to, with the open tasks of its
	// old owner on it, as actor (who must have the right, MayHandTo): the
	// clients family's "/client reassign", for a family that moves clients
	// (a handover). It writes the client's history.
	Reassign func(ctx context.Context, r *Request, c *crm.Client, to *crm.Person, actor crm.Actor) error
	// SendMeeting e-mails the client c of meeting m, at m.InvitedTo, the
	// iCalendar invitation (method "REQUEST", also for a changed one: the
	// caller bumps m.Sequence) or its cancellation ("CANCEL"), in the
	// client's language, with the person who meets the client as the
	// organizer; it returns once the mail server accepted the message, or
	// with the reason it did not. It is nil when the service sends no
	// e-mail (no mailer is configured). The mail family sets it when it
	// registers, as SendMail.
	SendMeeting func(ctx context.Context, r *Request, m *crm.Meeting, c *crm.Client, method string) error
}

// MeetingLength is how long a meeting lasts in calendars and invitations
// (a meeting has a start only).
const MeetingLength = time.Hour

// Notify sends r to a person on every platform identity they have, and
// reports whether any delivery succeeded.
func (k *Kit) Notify(ctx context.Context, p *crm.Person, r bot.Reply) bool {
	if k.Notifier == nil || p == nil {
		return false
	}
	if err := crm.Settle(ctx); err != nil {
		return false // nothing leaves on a guess the store has not confirmed
	}
	ok := false
	for _, id := range p.Identities {
		if err := k.Notifier.Notify(ctx, id, r); err != nil {
			k.Log.Warn("notification not delivered", "person", p.ID, "identity", id, "err", err)
			continue
		}
		ok = true
	}
	return ok
}

// PersonLocale is the language and time zone of a person outside a
// conversation (notifications): theirs, else the company's.
func (k *Kit) PersonLocale(p *crm.Person) (loc i18n.Localizer, tz *time.Location) {
	lang := k.Lang
	if p != nil && p.Lang != "" {
		lang = p.Lang
	}
	tz = k.TZ
	if p != nil && p.TZ != "" {
		if l, err := time.LoadLocation(p.TZ); err == nil {
			tz = l
		}
	}
	return k.Catalog.For(lang), tz
}

// MaxAttachmentBytes is the largest file kept with a record: one sent in
// chat or one that came with a logged e-mail.
const MaxAttachmentBytes = 20 << 20

// File is an attachment's bytes, downloaded before any record is
// written, so that a file too large is refused with nothing saved.
type File struct {
	Att  bot.Attachment
	Data []byte
}

// Files keeps the files that come with a message on the record the
// message makes.
type Files interface {
	// Take downloads the files of r's message (nil when there are none);
	// a file over the size limit is an error and nothing is kept.
	Take(ctx context.Context, r *Request) ([]File, error)
	// Keep stores files with the record kind/id of the client and returns
	// the lines that say so, each after a newline ("" for no files).
	Keep(ctx context.Context, r *Request, clientID uint64, kind string, id uint64, files []File) (string, error)
	// Show adds to rep the files kept with the record kind/id of the
	// client: a line for each and a button that sends it.
	Show(ctx context.Context, r *Request, rep bot.Reply, clientID uint64, kind string, id uint64) (bot.Reply, error)
}
