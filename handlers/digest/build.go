package digest

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

// scope is what one digest covers and for whom, as the sections see it
// (core.DigestScope), with the deputies of the absent owners.
type scope struct {
	*core.DigestScope
	// away maps an absent owner to their deputy, for the rows.
	away map[uint64]uint64
}

// digestRow is one person's figures in the core section.
type digestRow struct {
	ID            uint64
	Name          string
	Conversations int
	Overdue       int
	Stale         int
	Inactive      bool
	Deputy        uint64

	// For the detailed digest, written only for the rows shown.
	overdue []*crm.Task
}

// corePart is the digest's own section: what it adds as any section
// does, and the per-person rows the others add their figures to.
type corePart struct {
	core.DigestPart
	rows []digestRow
}

// coreDetail writes the lines under a person's row in the detailed digest:
// their overdue tasks (unless the "needs you" list already has them) and
// the stale clients, longest untouched first.
func (s *service) coreDetail(ctx context.Context, sc *scope, row digestRow) ([]string, error) {
	var detail []string
	if !sc.Personal() {
		for i, t := range row.overdue {
			if i == digestDetailItems {
				detail = append(detail, sc.T("list.more", "count", len(row.overdue)-i))
				break
			}
			detail = append(detail, "⚠ "+s.taskLine(ctx, sc, t))
		}
	}
	var stale []*crm.Client
	if row.Stale > 0 {
		q := s.stale.Query([]uint64{row.ID}, sc.Now)
		q.Oldest = digestDetailItems
		st, err := s.store.StaleClients(ctx, q)
		if err != nil {
			return nil, err
		}
		stale = st.Clients
	}
	if len(stale) > 0 {
		sort.Slice(stale, func(i, j int) bool { return lastTouch(stale[i]).Before(lastTouch(stale[j])) })
		var names []string
		for _, c := range stale {
			names = append(names, c.Name)
		}
		if more := row.Stale - len(stale); more > 0 {
			names = append(names, sc.T("digest.and_more", "count", more))
		}
		detail = append(detail, sc.T("digest.detail_stale", "names", strings.Join(names, ", ")))
	}
	return detail, nil
}

// Limits that keep a digest to one screen; the detailed one shows all.
const (
	digestNeeds       = 5
	digestRows        = 8
	digestFullNeeds   = 30
	digestFullRows    = 30
	digestDetailItems = core.DigestDetailItems
	inactiveWorkdays  = 3
)

// newScope prepares the scope of subject's digest for reader.
func (s *service) newScope(ctx context.Context, reader, subject *crm.Person, lang string, per core.DigestPeriod, full bool) (*scope, error) {
	if lang == "" {
		lang = reader.Lang
	}
	if lang == "" {
		lang = s.kit.Lang
	}
	r, err := core.NewRequest(ctx, s.store, s.kit.Catalog, &bot.Message{Person: subject, Lang: lang}, s.kit.Clock.Now(), s.kit.TZ)
	if err != nil {
		return nil, err
	}
	// The subject's own scope: standing in for others comes as their own
	// digest, not mixed into this one.
	r.Absent = map[uint64]*crm.Delegation{}
	r.TZ = s.personTZ(reader)
	sc := &scope{DigestScope: &core.DigestScope{Request: r, Reader: reader, Subject: subject, Period: per, Full: full}, away: map[uint64]uint64{}}
	switch subject.Role {
	case crm.RoleHead:
		for _, p := range r.People {
			if p.Active() && p.Role != crm.RoleHead {
				sc.Owners = append(sc.Owners, p.ID)
			}
		}
	case crm.RoleSupervisor:
		for id := range r.ReportsOf(subject.ID) {
			if r.People[id].Active() {
				sc.Owners = append(sc.Owners, id)
			}
		}
	}
	// The subject's own book too (a supervisor's or head's row is left out
	// below when they own nothing).
	sc.Owners = append(sc.Owners, subject.ID)
	sort.Slice(sc.Owners, func(i, j int) bool { return sc.Owners[i] < sc.Owners[j] })
	ds, err := s.store.Delegations(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.ActiveAt(r.Now) {
			sc.away[d.AbsentID] = d.DeputyID
		}
	}
	return sc, nil
}

// buildDigest renders subject's digest for reader: the one-screen digest,
// or the detailed one when full.
func (s *service) buildDigest(ctx context.Context, reader, subject *crm.Person, lang string, per core.DigestPeriod, full bool) (bot.Reply, error) {
	sc, err := s.newScope(ctx, reader, subject, lang, per, full)
	if err != nil {
		return bot.Reply{}, err
	}
	own, err := s.coreDigest(ctx, sc)
	if err != nil {
		return bot.Reply{}, err
	}
	parts := []*core.DigestPart{&own.DigestPart}
	for _, sec := range s.hooks.Sections {
		// Each section gets its own copy of the scope.
		view := *sc.DigestScope
		p, err := sec.Run(ctx, &view)
		if err != nil {
			return bot.Reply{}, err
		}
		if p != nil {
			parts = append(parts, p)
		}
	}
	return s.renderDigest(ctx, sc, own.rows, parts)
}

// coreDigest is the core section: per person, the conversations logged in
// the period, overdue tasks and next steps, and stale clients; "needs
// you" items for overdue work and managers who logged nothing lately.
func (s *service) coreDigest(ctx context.Context, sc *scope) (*corePart, error) {
	part := &corePart{}
	today := dates.Day(sc.Now, sc.TZ)
	quiet := workdaysBefore(today, inactiveWorkdays)
	// The stale counts of everyone at once, from the maintained counts;
	// the names of the longest untouched only for the rows the detailed
	// digest shows (coreDetail).
	q := s.stale.Query(sc.Owners, sc.Now)
	q.CountOnly = true
	staleCounts, err := s.store.StaleClients(ctx, q)
	if err != nil {
		return nil, err
	}
	// Everyone's activity and overdue tasks in two reads, not two per
	// owner.
	acts, err := s.store.OwnerActivity(ctx, crm.ActivityQuery{Owners: sc.Owners, From: sc.Period.From, To: sc.Period.To})
	if err != nil {
		return nil, err
	}
	tasks, err := s.store.OpenTasks(ctx, sc.Owners, today)
	if err != nil {
		return nil, err
	}
	overdueOf := map[uint64][]*crm.Task{}
	for _, t := range tasks {
		overdueOf[t.AssigneeID] = append(overdueOf[t.AssigneeID], t)
	}
	for _, id := range sc.Owners {
		p := sc.People[id]
		act, overdue := acts[id], overdueOf[id]
		row := digestRow{ID: id, Name: p.Name, Conversations: act.Conversations, Overdue: len(overdue), Stale: staleCounts.ByOwner[id], Deputy: sc.away[id],
			overdue: overdue}
		// A supervisor or head without a book of their own is no row.
		if p.Role != crm.RoleManager && act.Clients == 0 && len(overdue) == 0 {
			continue
		}
		if p.Role == crm.RoleManager && row.Deputy == 0 && act.LastTouch.Before(quiet) && p.CreatedAt.Before(quiet) {
			row.Inactive = true
			text := sc.T("digest.need_inactive_never", "name", p.Name, "days", inactiveWorkdays)
			if !act.LastTouch.IsZero() {
				text = sc.T("digest.need_inactive", "name", p.Name, "days", inactiveWorkdays, "date", sc.FmtDate(act.LastTouch))
			}
			part.Needs = append(part.Needs, core.DigestNeed{Rank: core.NeedRankInactive, Since: act.LastTouch, Text: text})
		}
		part.rows = append(part.rows, row)
		if len(overdue) > 0 {
			if sc.Personal() {
				for _, t := range overdue {
					part.Needs = append(part.Needs, core.DigestNeed{Rank: core.NeedRankOverdue, Since: t.Due, Text: s.taskLine(ctx, sc, t)})
				}
			} else {
				part.Needs = append(part.Needs, core.DigestNeed{Rank: core.NeedRankOverdue, Since: overdue[0].Due,
					Text: sc.T("digest.need_overdue", "name", p.Name, "count", len(overdue), "date", sc.FmtDate(overdue[0].Due))})
			}
		}
	}
	return part, nil
}

// lastTouch is when a client was last contacted, or created.
func lastTouch(c *crm.Client) time.Time {
	if c.LastTouch.IsZero() {
		return c.CreatedAt
	}
	return c.LastTouch
}

// taskLine writes an overdue task: "T-3 · overdue since 2026-11-20 · Acme: send the offer".
func (s *service) taskLine(ctx context.Context, sc *scope, t *crm.Task) string {
	text := t.Text
	if t.ClientID != 0 {
		if c, err := s.store.Client(ctx, t.ClientID); err == nil {
			text = c.Name + ": " + text
		}
	}
	key := "digest.task"
	if t.NextStep {
		key = "digest.next_step"
	}
	return sc.T(key, "ref", core.IDRef("T", t.ID), "date", sc.FmtDate(t.Due), "text", text)
}

// workdaysBefore returns midnight of the n-th working day (Monday to
// Friday) before day.
func workdaysBefore(day time.Time, n int) time.Time {
	for n > 0 {
		day = dates.AddDays(day, -1)
		if crm.Workdays.Has(day.Weekday()) {
			n--
		}
	}
	return day
}

// renderDigest puts the parts together: title, "needs you", totals, the
// sections' lines, then one row per person; the image when a section gave
// chart data.
func (s *service) renderDigest(ctx context.Context, sc *scope, rows []digestRow, parts []*core.DigestPart) (bot.Reply, error) {
	var needs []core.DigestNeed
	var charts []core.DigestChart
	perOwner := map[uint64][]string{}
	ownerDetail := map[uint64][]string{}
	for _, p := range parts {
		needs = append(needs, p.Needs...)
		charts = append(charts, p.Charts...)
		for id, v := range p.PerOwner {
			if v != "" {
				perOwner[id] = append(perOwner[id], v)
			}
		}
		for id, v := range p.OwnerDetail {
			ownerDetail[id] = append(ownerDetail[id], v...)
		}
	}
	sort.SliceStable(needs, func(i, j int) bool {
		if needs[i].Rank != needs[j].Rank {
			return needs[i].Rank > needs[j].Rank
		}
		return needs[i].Since.Before(needs[j].Since)
	})
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch {
		case a.Inactive != b.Inactive:
			return a.Inactive
		case a.Overdue != b.Overdue:
			return a.Overdue > b.Overdue
		case a.Stale != b.Stale:
			return a.Stale > b.Stale
		}
		return a.Name < b.Name
	})

	if err := s.writeNeeds(ctx, sc, needs); err != nil {
		return bot.Reply{}, err
	}
	var lines []string
	truncated := false
	// Needs you.
	if len(needs) == 0 {
		lines = append(lines, sc.T("digest.needs_none"))
	} else {
		lines = append(lines, sc.T("digest.needs_title", "count", len(needs)))
		for i, n := range needs {
			if !sc.Full && i == digestNeeds {
				lines = append(lines, sc.T("digest.more", "count", len(needs)-i))
				truncated = true
				break
			}
			if sc.Full && i == digestFullNeeds {
				lines = append(lines, sc.T("list.more", "count", len(needs)-i))
				break
			}
			lines = append(lines, "• "+n.Text)
		}
	}
	// Totals and the sections' summaries.
	var conv, overdue, stale int
	for _, r := range rows {
		conv += r.Conversations
		overdue += r.Overdue
		stale += r.Stale
	}
	lines = append(lines, "", sc.T("digest.totals", "period", sc.periodText(), "conversations", conv, "overdue", overdue, "stale", stale))
	for _, p := range parts[1:] {
		lines = append(lines, p.Lines...)
		if sc.Full {
			lines = append(lines, p.Detail...)
		}
	}
	// One row per person.
	if len(rows) > 0 {
		lines = append(lines, "")
	}
	for i, r := range rows {
		if !sc.Full && i == digestRows {
			lines = append(lines, sc.T("digest.more", "count", len(rows)-i))
			truncated = true
			break
		}
		// Even the detailed digest stays a few messages long; one person's
		// digest is a command away.
		if sc.Full && i == digestFullRows {
			lines = append(lines, sc.T("digest.more_people", "count", len(rows)-i))
			break
		}
		row := sc.T("digest.row", "name", r.Name, "conversations", r.Conversations, "overdue", r.Overdue, "stale", r.Stale)
		for _, v := range perOwner[r.ID] {
			row += ", " + v
		}
		if r.Deputy != 0 {
			row += " " + sc.T("digest.row_away", "deputy", sc.PersonName(r.Deputy))
		}
		if r.Inactive {
			row = "⚠ " + row
		}
		lines = append(lines, row)
		if sc.Full {
			detail, err := s.coreDetail(ctx, sc, r)
			if err != nil {
				return bot.Reply{}, err
			}
			for _, d := range append(detail, ownerDetail[r.ID]...) {
				lines = append(lines, "   "+d)
			}
		}
	}
	if len(rows) == 0 && !sc.Personal() {
		lines = append(lines, sc.T("digest.nobody"))
	}

	rep := bot.Reply{Title: sc.title(), Text: strings.Join(lines, "\n")}
	if !sc.Full {
		label := sc.T("digest.button_full")
		if truncated {
			label = sc.T("digest.button_full_more")
		}
		rep.Buttons = [][]bot.Button{{
			{Label: label, Data: sc.fullCommand()},
			{Label: sc.T("digest.button_settings"), Data: "/digest settings"},
		}}
		if len(charts) > 0 {
			png, err := renderCharts(charts, sc.Loc.Lang())
			if err != nil {
				return bot.Reply{}, err
			}
			rep.Image = &bot.Image{Name: "digest-" + sc.Period.Day.Format(dayLayout) + ".png", PNG: png, Alt: sc.T("digest.chart_alt")}
		}
	}
	return rep, nil
}

// writeNeeds writes the text of the shown needs that carry a Write, with
// their clients' names read in one go: a head's digest has thousands of
// overdue planned items but shows a handful.
func (s *service) writeNeeds(ctx context.Context, sc *scope, needs []core.DigestNeed) error {
	shown := digestNeeds
	if sc.Full {
		shown = digestFullNeeds
	}
	shown = min(shown, len(needs))
	var ids []uint64
	for _, n := range needs[:shown] {
		if n.Write != nil {
			ids = append(ids, n.ClientID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	names, err := core.ClientNames(ctx, s.store, ids)
	if err != nil {
		return err
	}
	for i := range needs[:shown] {
		if n := &needs[i]; n.Write != nil {
			n.Text = n.Write(names[n.ClientID])
		}
	}
	return nil
}

// title is "Daily digest · 2026-11-26", "Weekly digest · 2026-11-16 – 2026-11-22",
// with whose it is when it is not the reader's own.
func (sc *scope) title() string {
	var t string
	if sc.Period.Weekly() {
		t = sc.T("digest.title_weekly", "period", sc.periodText())
	} else {
		t = sc.T("digest.title_daily", "date", sc.FmtDate(sc.Period.Day))
	}
	switch {
	case sc.Subject.ID == sc.Reader.ID:
	case sc.standsIn():
		t += " · " + sc.T("digest.for_absent", "name", sc.Subject.Name)
	default:
		t += " · " + sc.Subject.Name
	}
	if sc.Full {
		t += " · " + sc.T("digest.details")
	}
	return t
}

// standsIn reports whether the reader stands in for the subject now.
func (sc *scope) standsIn() bool {
	return sc.away[sc.Subject.ID] == sc.Reader.ID
}

// periodText writes the days the period covers: "2026-11-25",
// "2026-11-20 – 2026-11-22"; a digest asked for now runs to today.
func (sc *scope) periodText() string {
	p := sc.Period
	last := dates.AddDays(p.To, -1)
	if !p.To.Equal(p.Day) {
		last = dates.Day(p.To, sc.TZ)
	}
	if !last.After(p.From) {
		return sc.FmtDate(p.From)
	}
	return sc.FmtDate(p.From) + " – " + sc.FmtDate(last)
}

// fullCommand is the command of the "Details" button: the same digest,
// in full, for the same day.
func (sc *scope) fullCommand() string {
	cmd := "/digest full"
	if sc.Period.Weekly() {
		cmd += " week"
	} else {
		cmd += " day"
	}
	if sc.Subject.ID != sc.Reader.ID {
		cmd += " @#" + strconv.FormatUint(sc.Subject.ID, 10)
	}
	if sc.Period.To.Equal(sc.Period.Day) {
		cmd += " " + sc.Period.Day.Format(dayLayout)
	}
	return cmd
}

// sortPeople orders people by name.
func sortPeople(ps []*crm.Person) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
}
