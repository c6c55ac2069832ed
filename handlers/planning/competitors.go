package planning

import (
	"context"
	"sort"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// CompetitorStore keeps competitors and the notes about them. It follows
// the rules every port shares (handlers/service.go).
type CompetitorStore interface {
	// AddCompetitorNote stores n about the competitor named name,
	// creating the competitor when it is new, and returns the competitor.
	AddCompetitorNote(ctx context.Context, name string, n *crm.CompetitorNote) (*crm.Competitor, error)
	// Competitors returns every competitor, by key.
	Competitors(ctx context.Context) ([]*crm.Competitor, error)
	// CompetitorNotes returns the notes about the competitor with key
	// made at or after since (zero: all), oldest first.
	CompetitorNotes(ctx context.Context, key string, since time.Time) ([]*crm.CompetitorNote, error)
	// CompetitorNotesFrom returns the notes sourced from the client, by id.
	CompetitorNotesFrom(ctx context.Context, client uint64) ([]*crm.CompetitorNote, error)
	// CompetitorNoteCounts returns, by competitor key, how many notes
	// since since came from clients of the owners or from no client.
	CompetitorNoteCounts(ctx context.Context, owners []uint64, since time.Time) (map[string]int, error)
	// ReadCompetitorsAhead says /competitors is about to read the owners'
	// deals closed since since, the competitors and the owners' notes
	// since since, so that an engine that pays a round trip per read
	// reads them at once; it changes no answer.
	ReadCompetitorsAhead(ctx context.Context, owners []uint64, since time.Time) error
}

// competitorWindow is the period /competitors ranks by: six months.
const competitorWindow = 6

// competitorKeys are the key=value keys of /competitor, their words
// "words.competitor.key.*".
var competitorKeys = []string{"aspect", "client"}

// competitorCmd: "/competitor NAME: NOTE [aspect=…] [client=…]",
// "/competitor NAME".
func (s *service) competitorCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	rest := strings.TrimSpace(r.Command.Rest)
	if rest == "" {
		return crm.Errorf(crm.EINVALID, "competitor.usage")
	}
	name, text, ok := bot.CutName(rest)
	if !ok {
		return s.competitorShow(ctx, w, r, strings.Join(bot.Split(rest), " "))
	}
	text, kv := core.TakeKeys(text, s.words.competitorKeys)
	if text == "" {
		return crm.Errorf(crm.EINVALID, "competitor.usage")
	}
	if len([]rune(text)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	if len([]rune(name)) > 100 || crm.NormalizeName(name) == "" {
		return crm.Errorf(crm.EINVALID, "competitor.bad_name")
	}
	aspect := crm.AspectGeneral
	if a, ok := kv["aspect"]; ok {
		if aspect, ok = s.words.aspects[strings.ToLower(strings.TrimSpace(a))]; !ok {
			return crm.Errorf(crm.EINVALID, "competitor.bad_aspect", "value", a)
		}
	}
	n := &crm.CompetitorNote{Aspect: aspect, Text: text, By: r.Me.ID, At: r.Now}
	var source *crm.Client
	if ref, ok := kv["client"]; ok {
		c, err := r.Client(ctx, ref)
		if err != nil {
			return err
		}
		source, n.ClientID = c, c.ID
	}
	comp, err := s.store.AddCompetitorNote(ctx, name, n)
	if err != nil {
		return err
	}
	msg := r.T("competitor.saved", "name", comp.Name, "aspect", strings.ToLower(r.T("competitor.aspect."+aspect)))
	if source != nil {
		msg += " " + r.T("competitor.source", "name", source.Name)
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: [][]bot.Button{{{Label: r.T("competitor.button.summary"), Data: "/competitor " + bot.Quote(comp.Name)}}}})
}

// competitorInfo is what one competitor's line or summary shows.
type competitorInfo struct {
	comp  *crm.Competitor
	notes int
	// lostRecent are the deals lost in the window; lostSum their amounts.
	lostRecent int
	lostSum    amounts
}

// seenOwners lists the people whose records the sender sees (SeesOwner).
func seenOwners(r *core.Request) []uint64 {
	var out []uint64
	for id := range r.People {
		if r.SeesOwner(id) {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// lostDeals returns, by competitor key, the deals lost to a competitor that
// the sender sees and closed at or after since (zero: ever), newest first.
// It reads the closed deals of the owners the sender sees, in the window,
// never anyone else's.
func (s *service) lostDeals(ctx context.Context, r *core.Request, since time.Time) (map[string][]crm.DealFact, map[string]string, error) {
	byKey := map[string][]crm.DealFact{}
	names := map[string]string{}
	err := s.store.ClosedDeals(ctx, seenOwners(r), since, time.Time{}, func(deal *crm.Deal) bool {
		d := crm.FactOfDeal(deal)
		if d.Lost() && d.Competitor != "" {
			k := crm.NormalizeName(d.Competitor)
			byKey[k] = append(byKey[k], d)
			if names[k] == "" {
				names[k] = d.Competitor
			}
		}
		return true
	})
	for _, ds := range byKey {
		sort.Slice(ds, func(i, j int) bool { return ds[i].ClosedAt.After(ds[j].ClosedAt) })
	}
	return byKey, names, err
}

// findCompetitor resolves a competitor by exact name or unique prefix,
// among the competitors with notes and those deals were lost to.
func (s *service) findCompetitor(ctx context.Context, r *core.Request, name string, lost map[string]string) (*crm.Competitor, error) {
	comps, err := s.store.Competitors(ctx)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, c := range comps {
		known[c.Key] = true
	}
	for k, n := range lost {
		if !known[k] {
			comps = append(comps, &crm.Competitor{Key: k, Name: n})
		}
	}
	norm := crm.NormalizeName(name)
	var matches []*crm.Competitor
	for _, c := range comps {
		if c.Key == norm {
			return c, nil
		}
		if norm != "" && strings.HasPrefix(c.Key, norm) {
			matches = append(matches, c)
		}
	}
	sort.Slice(matches, func(i, j int) bool { return matches[i].Key < matches[j].Key })
	return core.OneOf(name, matches, crm.Errorf(crm.ENOTFOUND, "competitor.not_found", "name", name), func(c *crm.Competitor) core.Choice {
		return core.Choice{Label: c.Name, Ref: bot.Quote(c.Name)}
	})
}

// visibleNote reports whether the sender may read a note: notes without a
// source are everyone's; a sourced one follows its client.
func (s *service) visibleNote(ctx context.Context, r *core.Request, n *crm.CompetitorNote, clients map[uint64]*crm.Client) (*crm.Client, bool) {
	if n.ClientID == 0 {
		return nil, true
	}
	c, ok := clients[n.ClientID]
	if !ok {
		c, _ = s.store.Client(ctx, n.ClientID)
		clients[n.ClientID] = c
	}
	return c, c != nil && r.SeesOwner(c.OwnerID)
}

// competitorShow summarises what is known of one competitor, by aspect,
// with dates and sources, and the deals lost to it.
func (s *service) competitorShow(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string) error {
	lost, lostNames, err := s.lostDeals(ctx, r, time.Time{})
	if err != nil {
		return err
	}
	comp, err := s.findCompetitor(ctx, r, name, lostNames)
	if err != nil {
		return err
	}
	notes, err := s.store.CompetitorNotes(ctx, comp.Key, time.Time{})
	if err != nil {
		return err
	}
	clients := map[uint64]*crm.Client{}
	byAspect := map[string][]string{}
	count := 0
	for i := len(notes) - 1; i >= 0; i-- { // newest first
		n := notes[i]
		src, ok := s.visibleNote(ctx, r, n, clients)
		if !ok {
			continue
		}
		count++
		line := "  " + r.FmtDate(n.At) + " · " + r.PersonName(n.By)
		if src != nil {
			line += " · " + r.T("competitor.from", "name", src.Name)
		}
		byAspect[n.Aspect] = append(byAspect[n.Aspect], line+": "+core.Truncate(n.Text, 300))
	}
	ds := lost[comp.Key]
	since := r.Now.AddDate(0, -competitorWindow, 0)
	recent := 0
	for _, d := range ds {
		if !d.ClosedAt.Before(since) {
			recent++
		}
	}
	rep := bot.Reply{Title: r.T("competitor.title", "name", comp.Name)}
	lines := []string{r.T("competitor.counts", "count", count, "lost", len(ds), "recent", recent)}
	for _, a := range crm.Aspects {
		if len(byAspect[a]) == 0 {
			continue
		}
		lines = append(lines, "", r.T("competitor.aspect."+a)+":")
		const maxPerAspect = 10
		for i, l := range byAspect[a] {
			if i == maxPerAspect {
				lines = append(lines, "  "+r.T("list.more", "count", len(byAspect[a])-maxPerAspect))
				break
			}
			lines = append(lines, l)
		}
	}
	if len(ds) > 0 {
		lines = append(lines, "", r.T("competitor.lost_title")+":")
		for i, d := range ds {
			if i == 10 {
				lines = append(lines, "  "+r.T("list.more", "count", len(ds)-10))
				break
			}
			cname := ""
			if c, err := s.store.Client(ctx, d.ClientID); err == nil {
				cname = c.Name
			}
			lines = append(lines, "  "+crm.DealRef(d.ID)+" · "+r.FmtDate(d.ClosedAt)+" · "+cname+": "+d.Title+" · "+fmtMoney(d.Amount, d.Currency, r.Lang))
		}
	}
	if count == 0 && len(ds) == 0 {
		lines = append(lines, r.T("competitor.nothing_visible"))
	}
	rep.Text = strings.Join(lines, "\n")
	return w.Reply(ctx, rep)
}

// competitorsCmd lists the competitors by mentions and deals lost in the
// last six months.
func (s *service) competitorsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	// Only the window counts: a competitor known from older lost deals
	// alone has neither notes (notes make a competitor known) nor recent
	// losses, and is not listed.
	since := r.Now.AddDate(0, -competitorWindow, 0)
	if err := s.store.ReadCompetitorsAhead(ctx, seenOwners(r), since); err != nil {
		return err
	}
	lost, lostNames, err := s.lostDeals(ctx, r, since)
	if err != nil {
		return err
	}
	comps, err := s.store.Competitors(ctx)
	if err != nil {
		return err
	}
	noteCounts, err := s.store.CompetitorNoteCounts(ctx, seenOwners(r), since)
	if err != nil {
		return err
	}
	infos := map[string]*competitorInfo{}
	for _, c := range comps {
		infos[c.Key] = &competitorInfo{comp: c, lostSum: amounts{}}
	}
	for k, n := range lostNames {
		if infos[k] == nil {
			infos[k] = &competitorInfo{comp: &crm.Competitor{Key: k, Name: n}, lostSum: amounts{}}
		}
	}
	for k, in := range infos {
		in.notes = noteCounts[k]
		for _, d := range lost[k] {
			if !d.ClosedAt.Before(since) {
				in.lostRecent++
				in.lostSum.add(d.Currency, d.Amount)
			}
		}
	}
	var list []*competitorInfo
	for _, in := range infos {
		if in.notes > 0 || in.lostRecent > 0 {
			list = append(list, in)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.notes+a.lostRecent != b.notes+b.lostRecent {
			return a.notes+a.lostRecent > b.notes+b.lostRecent
		}
		if a.lostRecent != b.lostRecent {
			return a.lostRecent > b.lostRecent
		}
		return a.comp.Key < b.comp.Key
	})
	if len(list) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("competitors.none", "months", competitorWindow) + "\n" + r.T("competitor.usage")})
	}
	var lines []string
	var buttons [][]bot.Button
	pg := r.Page(30)
	from, to, more := r.Range(pg, len(list))
	for i := from; i < to; i++ {
		in := list[i]
		line := "• " + in.comp.Name + " — " + r.T("competitors.mentions", "count", in.notes)
		if in.lostRecent > 0 {
			line += " · " + r.T("competitors.lost", "count", in.lostRecent, "sum", in.lostSum.text(r.Lang, s.kit.Currency))
		}
		lines = append(lines, line)
		if i < 5 {
			buttons = append(buttons, []bot.Button{{Label: in.comp.Name, Data: "/competitor " + bot.Quote(in.comp.Name)}})
		}
	}
	if more != "" {
		lines = append(lines, more)
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("competitors.title", "count", len(list), "months", competitorWindow), Text: strings.Join(lines, "\n"), Buttons: append(buttons, r.PageButtons(pg, len(list))...), Edit: r.Paged()})
}
