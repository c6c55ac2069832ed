// Package planning is the account-planning family: the audience analysis
// (/segments), contact plans and relationship plan notes (/plan), meetings
// with their reminders, outcome questions and e-mailed invitations
// (/meeting), campaigns and their leads (/campaign, /campaigns, /lead),
// payment reliability (/reliability, /payment), competitors (/competitor,
// /competitors) and contract promises (/promise); with their lines in
// /today, on the client card, in digests, in the calendar feed and in a
// client's export. Its words are in i18n/locales/{en,bg}/planning.toml;
// its data goes through Store. It registers itself with Register and meets
// other families only through the hooks of handlers/core: invitations go
// out through the mail family (core.Kit.SendMeeting). /next, on the
// same help page, is the service's (it phrases its advice with the
// language model).
package planning

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// Store is the planning family's port: its own records (contact plans,
// meetings, promises, campaigns, payments, competitors, the audience
// rows), and the few reads of other families' records it weighs: clients
// and people, the client's claims, deals and conversations (37 methods of
// its own ports, 7 reads).
type Store interface {
	ContactPlanStore
	MeetingStore
	PromiseStore
	CampaignStore
	ReliabilityStore
	CompetitorStore
	SegmentStore
	// Client returns the client with id, or crm.ErrNotFound.
	Client(ctx context.Context, id uint64) (*crm.Client, error)
	// ClientNames returns the names of the clients with the given ids;
	// ids of clients that do not exist are left out (no error).
	ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error)
	// Person returns the person with id, or crm.ErrNotFound.
	Person(ctx context.Context, id uint64) (*crm.Person, error)
	// ClientClaims returns every claim of the client, oldest first
	// (reliability weighs them).
	ClientClaims(ctx context.Context, clientID uint64) ([]*crm.Claim, error)
	// DealFactsOf returns the facts of the client's deals (reliability
	// and campaign reports weigh them), by deal id.
	DealFactsOf(ctx context.Context, clientID uint64) ([]crm.DealFact, error)
	// ClosedDeals calls fn with the summary of every deal of the owners
	// won or lost in [from, to) (a zero time leaves that end open), owner
	// by owner and oldest first, until fn returns false; fn must not call
	// the store (competitors count the deals lost to them).
	ClosedDeals(ctx context.Context, owners []uint64, from, to time.Time, fn func(*crm.Deal) bool) error
	// Conversations returns up to limit (0: all) of the client's
	// conversations, newest first (a campaign's report counts them).
	Conversations(ctx context.Context, clientID uint64, limit int) ([]*crm.Conversation, error)
}

// ContactPlanStore keeps contact plans (how often a client is to be
// touched) and relationship plan notes. It follows the rules every port
// shares (handlers/service.go).
type ContactPlanStore interface {
	// SetContactPlan stores p as its client's contact plan (one per
	// client), with a history entry by by; a plan with a zero cadence
	// removes it. It returns the plan it replaced, or nil.
	SetContactPlan(ctx context.Context, p *crm.ContactPlan, by crm.Actor) (*crm.ContactPlan, error)
	// ContactPlan returns the client's contact plan, or nil (no error)
	// when it has none.
	ContactPlan(ctx context.Context, client uint64) (*crm.ContactPlan, error)
	// PlannedClients calls fn with each contact plan of the owners'
	// clients and the client itself, owner by owner in the order given
	// and by client id within one, until fn returns false. fn runs inside
	// a read transaction: it must not call the store.
	PlannedClients(ctx context.Context, owners []uint64, fn func(*crm.ContactPlan, *crm.Client) bool) error
	// AddPlanNote stores n, giving it its id.
	AddPlanNote(ctx context.Context, n *crm.PlanNote) error
	// DropPlanNote removes note id of the client's plan, keeping it in
	// the client's history (by by at at), and returns it; an unknown note
	// is crm.ErrNotFound.
	DropPlanNote(ctx context.Context, client, id uint64, by crm.Actor, at time.Time) (*crm.PlanNote, error)
	// PlanNotes returns the notes of the client's plan, oldest first.
	PlanNotes(ctx context.Context, client uint64) ([]*crm.PlanNote, error)
}

// service answers the planning family's commands and hooks.
type service struct {
	kit   *core.Kit
	store Store
	words *words
	// staleReview is how long without an edit or confirmation makes a
	// client record stale (reliability's record factor).
	staleReview time.Duration
}

// Register adds account planning and market intelligence to the service
// behind reg: audience analysis, contact and relationship plans,
// meetings, campaigns, reliability, competitors and contract promises,
// with their lines in /today, on the client card, in digests, in the
// calendar feed and in a client's export, and the meetings' reminders in
// the scheduler. staleReview is the service's Config.StaleReview. The
// caller adds /next to the same help page after it.
func Register(reg core.Registry, st Store, staleReview time.Duration) {
	s := &service{kit: reg.Kit(), store: st, staleReview: staleReview, words: core.LoadWords(reg, "planning", newWords)}
	defer reg.Family("planning")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "segments", Run: s.segmentsCmd}, &core.Spec{Name: "plan", Run: s.planCmd},
		&core.Spec{Name: "meeting", Run: s.meetingCmd}, &core.Spec{Name: "campaign", Run: s.campaignCmd},
		&core.Spec{Name: "campaigns", Run: s.campaignsCmd}, &core.Spec{Name: "lead", Run: s.leadCmd},
		&core.Spec{Name: "reliability", Run: s.reliabilityCmd}, &core.Spec{Name: "payment", Run: s.paymentCmd},
		&core.Spec{Name: "competitor", Run: s.competitorCmd}, &core.Spec{Name: "competitors", Run: s.competitorsCmd},
		&core.Spec{Name: "promise", Run: s.promiseCmd})
	reg.AddAgenda(s.touchAgenda)
	reg.AddAgenda(s.promiseAgenda)
	reg.AddAgenda(s.meetingAgenda)
	reg.AddCardSection(s.planCardSection)
	reg.AddCardSection(s.promiseCardSection)
	reg.AddCardSection(s.reliabilityCardSection)
	reg.AddJob(core.Job{Name: "planning.meetings", Run: s.meetingJob})
	reg.AddDigestSection("planning", s.planningDigest)
	reg.AddClientRecords("planning", s.planningExport)
	reg.AddCalendar(s.calendar)
}

// planCmd: "/plan NAME", "/plan NAME every 2w #call [until DATE]",
// "/plan NAME goal|risk|person: TEXT", "/plan NAME off", "/plan NAME drop N".
func (s *service) planCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	rest := strings.TrimSpace(r.Command.Rest)
	if rest == "" {
		return crm.Errorf(crm.EINVALID, "plan.usage")
	}
	// A relationship plan note: "NAME goal: TEXT".
	if head, text, ok := bot.CutName(rest); ok {
		words := bot.Split(head)
		if n := len(words); n >= 2 {
			if kind, ok := s.words.planNoteKinds[strings.ToLower(strings.TrimSpace(words[n-1]))]; ok {
				return s.planNote(ctx, w, r, strings.Join(words[:n-1], " "), kind, text)
			}
		}
	}
	words := bot.Split(rest)
	for i := 1; i < len(words); i++ {
		switch wd := words[i]; {
		case r.Is(wd, "plan.off"):
			if i == len(words)-1 {
				return s.planSet(ctx, w, r, strings.Join(words[:i], " "), crm.Cadence{}, nil)
			}
		case r.Is(wd, "plan.drop"):
			if i == len(words)-2 {
				id, err := strconv.ParseUint(strings.TrimPrefix(words[i+1], "#"), 10, 64)
				if err != nil {
					return crm.Errorf(crm.EINVALID, "plan.drop_usage")
				}
				return s.planDrop(ctx, w, r, strings.Join(words[:i], " "), id)
			}
		}
		if cad, n := crm.ParseCadence(words[i:], s.words.cadence); n > 0 {
			return s.planSet(ctx, w, r, strings.Join(words[:i], " "), cad, words[i+n:])
		}
	}
	c, err := r.Client(ctx, rest)
	if err != nil {
		if crm.IsNotFound(err) && looksLikePlan(r, words) {
			return crm.Errorf(crm.EINVALID, "plan.usage")
		}
		return err
	}
	return s.planShow(ctx, w, r, c)
}

// looksLikePlan reports whether words hold something meant as a cadence
// that was not understood ("every fortnight-ish"), so the answer is the
// usage rather than "no such client".
func looksLikePlan(r *core.Request, words []string) bool {
	for _, w := range words {
		if r.Is(w, "list.plan_every") || strings.HasPrefix(w, "#") {
			return true
		}
	}
	return false
}

// planSet sets (or, with a zero cadence, stops) a contact plan; extra are
// the words after the cadence: #channel and "until DATE".
func (s *service) planSet(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string, cad crm.Cadence, extra []string) error {
	text, tags := core.TakeTags(strings.Join(extra, " "), s.words.channels)
	var until time.Time
	if strings.TrimSpace(text) != "" {
		before, due, ok := core.CutMarker(" "+text, r.Words("list.plan_until")...)
		if strings.TrimSpace(before) != "" {
			return crm.Errorf(crm.EINVALID, "plan.usage")
		}
		if !ok || due == "" {
			return crm.Errorf(crm.EINVALID, "plan.usage")
		}
		d, ok := r.Date(due)
		if !ok {
			return crm.Errorf(crm.EINVALID, "error.bad_date", "value", due)
		}
		if d.Before(r.Today()) {
			return crm.Errorf(crm.EINVALID, "plan.until_past", "date", r.FmtDate(d))
		}
		until = d
	}
	if len(tags) > 1 {
		return crm.Errorf(crm.EINVALID, "plan.one_channel")
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	p := &crm.ContactPlan{ClientID: c.ID, Every: cad, Until: until, SetBy: actor.PersonID, SetAt: r.Now}
	if len(tags) == 1 {
		p.Channel = tags[0]
	}
	old, err := s.store.SetContactPlan(ctx, p, actor)
	if err != nil {
		return err
	}
	if cad.IsZero() {
		if old == nil {
			return w.Reply(ctx, bot.Reply{Text: r.T("plan.none", "name", c.Name)})
		}
		return w.Reply(ctx, bot.Reply{Text: r.T("plan.stopped", "name", c.Name)})
	}
	next := p.NextTouch(c.LastTouch, r.TZ)
	msg := r.T("plan.saved", "name", c.Name, "plan", planText(r, p), "date", r.FmtDate(next))
	if next.Before(r.Today()) {
		msg += " ⚠ " + r.T("plan.overdue_now")
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: [][]bot.Button{{
		{Label: r.T("button.plan"), Data: "/plan " + core.ClientRef(c)},
		{Label: r.T("button.log"), Data: "/log " + core.ClientRef(c)},
	}}})
}

// cadenceText says a cadence in words: "every 2 weeks", "monthly".
func cadenceText(r *core.Request, c crm.Cadence) string {
	switch {
	case c.Months == 1:
		return r.T("cadence.monthly")
	case c.Months > 0 && c.Months%12 == 0:
		return r.T("cadence.years", "count", c.Months/12)
	case c.Months > 0:
		return r.T("cadence.months", "count", c.Months)
	case c.Days == 7:
		return r.T("cadence.weekly")
	case c.Days%7 == 0:
		return r.T("cadence.weeks", "count", c.Days/7)
	case c.Days == 1:
		return r.T("cadence.daily")
	}
	return r.T("cadence.days", "count", c.Days)
}

// planText says a whole plan: "every 2 weeks #call until 2027-06-30".
func planText(r *core.Request, p *crm.ContactPlan) string {
	s := cadenceText(r, p.Every)
	if p.Channel != "" {
		s += " #" + r.T("channel."+p.Channel)
	}
	if !p.Until.IsZero() {
		s += " " + r.T("plan.until", "date", r.FmtDate(p.Until))
	}
	return s
}

func (s *service) planNote(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string, kind crm.PlanNoteKind, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return crm.Errorf(crm.EINVALID, "plan.usage")
	}
	if len([]rune(text)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	n := &crm.PlanNote{ClientID: c.ID, Kind: kind, Text: text, By: actor.PersonID, OnBehalfOf: actor.OnBehalfOf, At: r.Now}
	if err := s.store.AddPlanNote(ctx, n); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("plan.note_saved", "name", c.Name, "kind", r.T("plan.kind."+string(kind)), "id", n.ID),
		Buttons: [][]bot.Button{{{Label: r.T("button.plan"), Data: "/plan " + core.ClientRef(c)}}}})
}

func (s *service) planDrop(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string, id uint64) error {
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	n, err := s.store.DropPlanNote(ctx, c.ID, id, actor, r.Now)
	if crm.IsNotFound(err) {
		return crm.Errorf(crm.ENOTFOUND, "plan.note_not_found", "id", id, "name", c.Name)
	}
	if err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("plan.note_dropped", "id", id, "text", core.Truncate(n.Text, 80))})
}

// planShow answers "/plan NAME": the contact plan with its next touch,
// then the relationship plan notes by kind, with dates and authors, and
// the meetings ahead.
func (s *service) planShow(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client) error {
	ps := s.store
	p, err := ps.ContactPlan(ctx, c.ID)
	if err != nil {
		return err
	}
	notes, err := ps.PlanNotes(ctx, c.ID)
	if err != nil {
		return err
	}
	rep := bot.Reply{Title: r.T("plan.title", "name", c.Name)}
	var lines []string
	if p == nil {
		lines = append(lines, r.T("plan.no_cadence", "ref", core.ClientRef(c)))
	} else {
		lines = append(lines, r.T("plan.cadence_line", "plan", planText(r, p), "who", r.PersonName(p.SetBy), "date", r.FmtDate(p.SetAt)))
		lines = append(lines, s.touchLine(r, p, c))
	}
	for _, kind := range crm.PlanNoteKinds {
		var ks []string
		for _, n := range notes {
			if n.Kind != kind {
				continue
			}
			who := r.PersonName(n.By)
			if n.OnBehalfOf != 0 {
				who = r.T("history.on_behalf", "deputy", who, "absent", r.PersonName(n.OnBehalfOf))
			}
			ks = append(ks, "  ["+strconv.FormatUint(n.ID, 10)+"] "+n.Text+" — "+who+", "+r.FmtDate(n.At))
		}
		if len(ks) > 0 {
			lines = append(lines, "", r.T("plan.kind_title."+string(kind))+":")
			lines = append(lines, ks...)
		}
	}
	if len(notes) == 0 {
		lines = append(lines, "", r.T("plan.no_notes"))
	}
	meetings, err := ps.ClientMeetings(ctx, c.ID)
	if err != nil {
		return err
	}
	var ahead []string
	for _, m := range meetings {
		if m.CancelledAt.IsZero() && !m.At.Before(r.Today()) {
			ahead = append(ahead, "  "+meetingLine(r, m, ""))
		}
	}
	if len(ahead) > 0 {
		lines = append(lines, "", r.T("plan.meetings")+":")
		lines = append(lines, ahead...)
	}
	rep.Text = strings.Join(lines, "\n")
	rep.Buttons = [][]bot.Button{{
		{Label: r.T("button.log"), Data: "/log " + core.ClientRef(c)},
		{Label: r.T("button.next"), Data: "/next " + core.ClientRef(c)},
		{Label: r.T("button.card"), Data: "/client " + core.ClientRef(c)},
	}}
	return w.Reply(ctx, rep)
}

// touchLine says when the next touch is due and whether it is late.
func (s *service) touchLine(r *core.Request, p *crm.ContactPlan, c *crm.Client) string {
	if !p.ActiveOn(r.Today()) {
		return r.T("plan.ended", "date", r.FmtDate(p.Until))
	}
	next := p.NextTouch(c.LastTouch, r.TZ)
	last := r.T("card.never")
	if !c.LastTouch.IsZero() {
		last = r.FmtDate(c.LastTouch) + " (" + r.Ago(c.LastTouch) + ")"
	}
	line := r.T("plan.next_touch", "date", r.FmtDate(next), "last", last)
	switch {
	case next.Before(r.Today()):
		line += " ⚠ " + r.T("plan.overdue_days", "count", core.DaysBetween(next, r.Today()))
	case next.Equal(r.Today()):
		line += " · " + r.T("plan.due_today")
	}
	return line
}

// Item is one due or overdue piece of planned work: a contact planned by
// a contact plan, a contract promise, or a meeting.
type Item struct {
	// Kind is "touch", "promise" or "meeting".
	Kind     string
	Ref      string
	ClientID uint64
	Client   string
	OwnerID  uint64
	Due      time.Time
	Overdue  bool
	// Text is the promise's text or the meeting's topic; Channel the
	// planned way of contact of a touch.
	Text    string
	Channel string
}

// Due returns the planned work of the owners due before until, soonest
// first: contacts due by their contact plans (at midnight of the due day
// in loc), open contract promises and meetings not cancelled from today
// on. It is what digests show of planning (planningDigest).
func Due(ctx context.Context, st Store, owners []uint64, now, until time.Time, loc *time.Location) ([]Item, error) {
	out, err := due(ctx, st, owners, now, until, loc)
	if err != nil {
		return nil, err
	}
	if err := itemNames(ctx, st, out); err != nil {
		return nil, err
	}
	return out, nil
}

// itemNames fills in the client names of the promises and meetings among
// items, in one read.
func itemNames(ctx context.Context, st Store, items []Item) error {
	var ids []uint64
	for i := range items {
		if items[i].Client == "" {
			ids = append(ids, items[i].ClientID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	names, err := st.ClientNames(ctx, ids)
	if err != nil {
		return err
	}
	for i := range items {
		if items[i].Client == "" {
			items[i].Client = names[items[i].ClientID]
		}
	}
	return nil
}

// due is Due without the names of the promises' and meetings' clients (a
// contact's name comes with its client), so that a digest reads names
// only for the lines it shows.
func due(ctx context.Context, st Store, owners []uint64, now, until time.Time, loc *time.Location) ([]Item, error) {
	today := dates.Day(now, loc)
	var out []Item
	// Each kind is asked for every owner at once (a head's digest covers
	// every person: one call per owner and kind was hundreds of reads).
	err := st.PlannedClients(ctx, owners, func(p *crm.ContactPlan, c *crm.Client) bool {
		if !p.ActiveOn(today) {
			return true
		}
		if next := p.NextTouch(c.LastTouch, loc); next.Before(until) {
			out = append(out, Item{Kind: "touch", ClientID: c.ID, Client: c.Name, OwnerID: c.OwnerID, Due: next,
				Overdue: next.Before(today), Channel: p.Channel})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	proms, err := st.OpenPromises(ctx, owners, until)
	if err != nil {
		return nil, err
	}
	for _, p := range proms {
		out = append(out, Item{Kind: "promise", Ref: p.Ref(), ClientID: p.ClientID, OwnerID: p.OwnerID, Due: p.Due,
			Overdue: p.Due.Before(today), Text: p.Text})
	}
	ms, err := st.MeetingsOf(ctx, owners, today, until)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.CancelledAt.IsZero() {
			out = append(out, Item{Kind: "meeting", Ref: m.Ref(), ClientID: m.ClientID, OwnerID: m.PersonID, Due: m.At, Text: m.Topic})
		}
	}
	// By time; at the same time owner by owner in the order given, and
	// for one owner contacts, promises, meetings (each kind in the
	// store's order).
	rank := make(map[uint64]int, len(owners))
	for i, o := range owners {
		if _, ok := rank[o]; !ok {
			rank[o] = i
		}
	}
	kind := map[string]int{"touch": 0, "promise": 1, "meeting": 2}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		if rank[a.OwnerID] != rank[b.OwnerID] {
			return rank[a.OwnerID] < rank[b.OwnerID]
		}
		return kind[a.Kind] < kind[b.Kind]
	})
	return out, nil
}

// planningDigest is the digest's section of planned work: contacts due by
// contact plans, promises due or broken, and today's meetings of the
// people the digest covers; overdue items go to the "needs you" list.
func (s *service) planningDigest(ctx context.Context, sc *core.DigestScope) (*core.DigestPart, error) {
	items, err := due(ctx, s.store, sc.Owners, sc.Now, dates.AddDays(sc.Today(), 1), sc.TZ)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	if sc.Full {
		// The detailed digest shows every item that is not overdue.
		var shown []Item
		for _, it := range items {
			if !it.Overdue {
				shown = append(shown, it)
			}
		}
		if err := itemNames(ctx, s.store, shown); err != nil {
			return nil, err
		}
		j := 0
		for i := range items {
			if !items[i].Overdue {
				items[i] = shown[j]
				j++
			}
		}
	}
	var touches, late, promises, broken, meetings int
	part := &core.DigestPart{}
	for _, it := range items {
		switch it.Kind {
		case "touch":
			touches++
			if it.Overdue {
				late++
			}
		case "promise":
			promises++
			if it.Overdue {
				broken++
			}
		case "meeting":
			meetings++
		}
		// The line is written once the client's name is known: for an
		// overdue item only if the "needs you" list shows it.
		line := func(client string) string {
			it := it
			if it.Client == "" {
				it.Client = client
			}
			line := planningItemLine(sc.Request, it)
			if !sc.Personal() && it.OwnerID != sc.Subject.ID {
				line += " (" + sc.PersonName(it.OwnerID) + ")"
			}
			return line
		}
		if it.Overdue {
			part.Needs = append(part.Needs, core.DigestNeed{Rank: core.NeedRankOverdue, Since: it.Due, ClientID: it.ClientID,
				Write: func(client string) string { return "⚠ " + line(client) }})
			continue
		}
		if sc.Full {
			part.Detail = append(part.Detail, line(""))
		}
	}
	part.Lines = []string{sc.T("digest.planning.summary", "touches", touches, "late", late, "promises", promises, "broken", broken, "meetings", meetings)}
	return part, nil
}

// planningItemLine writes one item of planned work.
func planningItemLine(r *core.Request, it Item) string {
	switch it.Kind {
	case "touch":
		ch := ""
		if it.Channel != "" {
			ch = " #" + r.T("channel."+it.Channel)
		}
		return r.T("digest.planning.touch", "name", it.Client, "date", r.FmtDate(it.Due), "channel", ch)
	case "promise":
		return r.T("digest.planning.promise", "id", it.Ref, "name", it.Client, "text", core.Truncate(it.Text, 80), "date", r.FmtDate(it.Due))
	}
	return r.T("digest.planning.meeting", "id", it.Ref, "name", it.Client, "time", it.Due.In(r.TZ).Format("15:04"))
}

// touchAgenda adds to /today the contacts due or overdue by the owners'
// contact plans.
func (s *service) touchAgenda(ctx context.Context, r *core.Request, owners []uint64, until time.Time) ([]core.AgendaItem, error) {
	var items []core.AgendaItem
	today := r.Today()
	err := s.store.PlannedClients(ctx, owners, func(p *crm.ContactPlan, c *crm.Client) bool {
		o := c.OwnerID
		if !p.ActiveOn(today) {
			return true
		}
		next := p.NextTouch(c.LastTouch, r.TZ)
		if !next.Before(until) {
			return true
		}
		ch := ""
		if p.Channel != "" {
			ch = " #" + r.T("channel."+p.Channel)
		}
		line := r.T("today.touch", "name", c.Name, "plan", cadenceText(r, p.Every), "channel", ch)
		if next.Before(today) {
			line = "⚠ " + line + " · " + r.T("plan.overdue_days", "count", core.DaysBetween(next, today))
		}
		if o != r.Me.ID {
			line += " (" + r.T("today.for", "name", r.PersonName(o)) + ")"
		}
		items = append(items, core.AgendaItem{Due: next, Text: line, Buttons: []bot.Button{
			{Label: r.T("button.log_name", "name", core.Truncate(c.Name, 20)), Data: "/log " + core.ClientRef(c)},
		}})
		return true
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// planCardSection adds the contact plan and the next touch to the card.
func (s *service) planCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	p, err := s.store.ContactPlan(ctx, c.ID)
	if err != nil || p == nil {
		return nil, err
	}
	return []bot.Field{{Label: r.T("card.contact_plan"), Value: planText(r, p) + " · " + s.touchLine(r, p, c)}}, nil
}
