package handlers

import (
	"context"
	"fmt"
	"strings"

	"accountbot/bot"
	"accountbot/handlers/core"
)

// registry is how a family package (handlers/claims…) registers with the
// service. Each hook goes into the same list as this package's own, so a
// family outside the package takes its place in cards, /today, digests
// and exports exactly where it registers.
type registry struct{ s *Service }

var _ core.Registry = registry{}

// Kit returns the service's kit.
func (g registry) Kit() *core.Kit { return g.s.kit }

// Family makes the commands added until done belong to a help page.
func (g registry) Family(family string) (done func()) { return g.s.inFamily(family) }

// Add registers a command.
func (g registry) Add(sp *core.Spec) {
	g.s.add(&spec{name: sp.Name, minRole: sp.MinRole, family: sp.Family, direct: sp.Direct,
		run: func(ctx context.Context, w bot.ReplyWriter, r *request) error { return sp.Run(ctx, w, r.Request) }})
	if sp.Stranger != nil {
		g.AddStranger(sp.Name, sp.Stranger)
	}
}

// AddStranger makes fn answer the command name from unknown identities.
func (g registry) AddStranger(name string, fn func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error)) {
	g.s.strangers = append(g.s.strangers, stranger{name, fn})
}

// AddAgenda adds items to /today.
func (g registry) AddAgenda(src core.AgendaSource) {
	g.s.clientHooks.Agenda = append(g.s.clientHooks.Agenda, src)
}

// AddCardSection adds lines to the client card.
func (g registry) AddCardSection(sec core.CardSection) {
	g.s.clientHooks.Card = append(g.s.clientHooks.Card, sec)
}

// AddCardButtons adds buttons under the client card.
func (g registry) AddCardButtons(b core.CardButtons) {
	g.s.clientHooks.Buttons = append(g.s.clientHooks.Buttons, b)
}

// AddFacts adds records to the facts drafts rely on.
func (g registry) AddFacts(sec core.FactsSection) {
	g.s.clientHooks.Facts = append(g.s.clientHooks.Facts, sec)
}

// AddJob adds work to every tick of the scheduler.
func (g registry) AddJob(j core.Job) { g.s.jobs = append(g.s.jobs, j) }

// Fail makes New return err.
func (g registry) Fail(err error) { g.s.errs = append(g.s.errs, err) }

// AddDigestSection adds a section to every digest.
func (g registry) AddDigestSection(name string, sec core.DigestSection) {
	if g.once(fmt.Sprintf("digest section %q", name)) {
		g.s.digests.Sections = append(g.s.digests.Sections, core.NamedDigestSection{Name: name, Run: sec})
	}
}

// Digests returns what the families add to digests.
func (g registry) Digests() *core.DigestHooks { return &g.s.digests }

// AddExport makes "/export NAME" send a CSV, after the tables added
// before it (the clients' comes first, the data family's own).
func (g registry) AddExport(name string, write core.ExportWriter) {
	g.s.words("export." + name) // New fails when a language lacks them
	if g.once(fmt.Sprintf("export %q", name)) {
		g.s.exports.Tables = append(g.s.exports.Tables, core.ExportKind{Name: name, Write: write})
	}
}

// AddClientRecords adds a kind of record to "/client export NAME". The
// store's erasure hook list (store/erase.go clientErasers) must erase the
// same records on "/client forget".
func (g registry) AddClientRecords(name string, collect core.ClientRecords) {
	if g.once(fmt.Sprintf("client records %q", name)) {
		g.s.exports.Records = append(g.s.exports.Records, core.RecordKind{Name: name, Collect: collect})
	}
}

// Exports returns what the families add to exports.
func (g registry) Exports() *core.ExportHooks { return &g.s.exports }

// AddCalendar adds entries to the calendar feed.
func (g registry) AddCalendar(src core.CalendarSource) {
	g.s.calendars.Sources = append(g.s.calendars.Sources, src)
}

// Calendars returns what the families add to calendar feeds.
func (g registry) Calendars() *core.CalendarHooks { return &g.s.calendars }

// AddSnapshot adds a daily snapshot that digests compare against.
func (g registry) AddSnapshot(kind string, take core.SnapshotSource) {
	if g.once(fmt.Sprintf("daily snapshot %q", kind)) {
		g.s.digests.Snapshots = append(g.s.digests.Snapshots, core.NamedSnapshot{Kind: kind, Take: take})
	}
}

// once reports whether the hook what is registered for the first time;
// a second time makes New fail.
func (g registry) once(what string) bool {
	if g.s.hooked[what] {
		g.Fail(fmt.Errorf("handlers: %s added twice", what))
		return false
	}
	if g.s.hooked == nil {
		g.s.hooked = map[string]bool{}
	}
	g.s.hooked[what] = true
	return true
}

// SetDealFinder makes find resolve the deal references of other families.
func (g registry) SetDealFinder(find core.DealFinder) { g.s.kit.FindDeal = find }

// AddClientSub makes "/client WORD …" run sub.
func (g registry) AddClientSub(name string, sub core.ClientSub) {
	for _, w := range g.s.words("client." + name) {
		g.s.clientHooks.Subs[strings.ToLower(w)] = sub
	}
}

// ClientHooks returns what the families add to the clients family's views.
func (g registry) ClientHooks() *core.ClientHooks { return &g.s.clientHooks }

// SetClientViews puts the clients family's views in the kit.
func (g registry) SetClientViews(v core.ClientViews) {
	k := g.s.kit
	k.Today, k.Home, k.Reassign, k.Card, k.AdviceText = v.Today, v.Home, v.Reassign, v.Card, v.AdviceText
}
