package deals

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/money"

	"github.com/shopspring/decimal"
)

// dealScope is whose deals a pipeline or forecast covers.
type dealScope struct {
	owners []uint64
	// label names the scope in the title: a person's name, "team", "all".
	label string
	// arg repeats the scope on a button's command: "mine", "@#12".
	arg string
}

// resolveScope returns the owners of a typed scope ("" for the role's
// default) or of a person, following what the sender may see.
func resolveScope(r *core.Request, scope string, who *crm.Person) (dealScope, error) {
	if who != nil {
		if r.RightsOver(who.ID) == nil {
			return dealScope{}, crm.Errorf(crm.EFORBIDDEN, "error.person_forbidden", "name", who.Name)
		}
		return dealScope{owners: []uint64{who.ID}, label: who.Name, arg: "@#" + strconv.FormatUint(who.ID, 10)}, nil
	}
	if scope == "" {
		scope = r.DefaultScope()
	}
	owners, err := r.VisibleOwners(scope)
	if err != nil {
		return dealScope{}, err
	}
	label := r.T("pipeline.scope." + scope)
	if scope == "mine" {
		label = r.Me.Name
	}
	return dealScope{owners: owners, label: label, arg: scope}, nil
}

// period is a span of whole months [from, to) in the sender's time zone.
type period struct {
	from, to time.Time
	label    string
}

func (p period) firstMonth() int { return crm.MonthOf(p.from) }
func (p period) lastMonth() int  { return crm.MonthOf(p.to.AddDate(0, 0, -1)) }

// months lists the months of p as their first days.
func (p period) months() []time.Time {
	var out []time.Time
	for m := p.from; m.Before(p.to); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

func monthName(r *core.Request, m time.Time) string {
	return r.T("deals.month."+strconv.Itoa(int(m.Month())), "year", m.Year())
}

func monthPeriod(r *core.Request, y int, m time.Month) period {
	from := time.Date(y, m, 1, 0, 0, 0, 0, r.TZ)
	return period{from: from, to: from.AddDate(0, 1, 0), label: monthName(r, from)}
}

func quarterPeriod(r *core.Request, y, q int) period {
	from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, r.TZ)
	return period{from: from, to: from.AddDate(0, 3, 0), label: r.T("deals.quarter."+strconv.Itoa(q), "year", y)}
}

// parsePeriod reads "month", "quarter", "year", "Q2", "2026-Q2", "last
// quarter" and their Bulgarian forms; ok is false for other words.
func parsePeriod(r *core.Request, words []string) (period, bool) {
	now := r.Now.In(r.TZ)
	q := (int(now.Month())-1)/3 + 1
	w := strings.ToLower(strings.Join(words, " "))
	switch {
	case r.Is(w, "period.month"):
		return monthPeriod(r, now.Year(), now.Month()), true
	case r.Is(w, "period.quarter"):
		return quarterPeriod(r, now.Year(), q), true
	case r.Is(w, "period.last_month"):
		m := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, r.TZ)
		return monthPeriod(r, m.Year(), m.Month()), true
	case r.Is(w, "period.last_quarter"):
		if q == 1 {
			return quarterPeriod(r, now.Year()-1, 4), true
		}
		return quarterPeriod(r, now.Year(), q-1), true
	case r.Is(w, "period.year"):
		from := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, r.TZ)
		return period{from: from, to: from.AddDate(1, 0, 0), label: strconv.Itoa(now.Year())}, true
	}
	// "Q2", "Q2 2026", "2026-Q2", "2026 Q2".
	w = strings.NewReplacer(" ", "", "-", "", "/", "").Replace(w)
	year := now.Year()
	if len(w) == 6 && w[4] == 'q' {
		w = w[4:] + w[:4]
	}
	if len(w) >= 2 && w[0] == 'q' && w[1] >= '1' && w[1] <= '4' {
		if len(w) == 6 {
			y, err := strconv.Atoi(w[2:])
			if err != nil {
				return period{}, false
			}
			year = y
		} else if len(w) != 2 {
			return period{}, false
		}
		return quarterPeriod(r, year, int(w[1]-'0')), true
	}
	return period{}, false
}

// pipelineCmd: "/pipeline [mine|team|@person|all] [STAGE|stuck|report
// [PERIOD]]".
func (s *service) pipelineCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	var scope, mode string
	var who *crm.Person
	var stage crm.Stage
	var rest []string
	for i, a := range r.Command.Args {
		if mode == "report" {
			rest = r.Command.Args[i:]
			break
		}
		if ok, err := r.ScopeOrPerson(a, &scope, &who); ok || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		switch {
		case r.Is(a, "pipeline.stuck"):
			mode = "stuck"
			continue
		case r.Is(a, "pipeline.report"):
			mode = "report"
			continue
		}
		if st, ok := s.words.stage(a); ok {
			stage = st
			continue
		}
		return crm.Errorf(crm.EINVALID, "pipeline.usage")
	}
	sc, err := resolveScope(r, scope, who)
	if err != nil {
		return err
	}
	switch mode {
	case "stuck":
		return s.pipelineStuck(ctx, w, r, sc, stage)
	case "report":
		p := quarterPeriod(r, r.Now.In(r.TZ).Year(), (int(r.Now.In(r.TZ).Month())-1)/3+1)
		if len(rest) > 0 {
			var ok bool
			if p, ok = parsePeriod(r, rest); !ok {
				return crm.Errorf(crm.EINVALID, "pipeline.usage")
			}
		}
		return s.pipelineReport(ctx, w, r, sc, p)
	}
	if stage != "" && !stage.Open() {
		return s.pipelineClosed(ctx, w, r, sc, stage)
	}
	return s.pipelineSummary(ctx, w, r, sc, stage)
}

// stageSums are the counts and per-currency sums of one stage.
type stageSums struct {
	count         int
	sum, weighted money.Sums
}

func (a *stageSums) add(t crm.StageTotal) {
	a.count += t.Count
	a.sum.Add(t.Currency, t.Sum)
	a.weighted.Add(t.Currency, t.Weighted)
}

// currentQuarter is the sender's quarter now.
func currentQuarter(r *core.Request) period {
	now := r.Now.In(r.TZ)
	return quarterPeriod(r, now.Year(), (int(now.Month())-1)/3+1)
}

// pipelineSummary shows per open stage the count, sum and weighted sum, the
// totals, won and lost this quarter, and the largest open deals. It reads
// running totals, never every deal.
func (s *service) pipelineSummary(ctx context.Context, w bot.ReplyWriter, r *core.Request, sc dealScope, only crm.Stage) error {
	q := currentQuarter(r)
	if err := s.store.ReadPipelineAhead(ctx, crm.ClosedQuery{Owners: sc.owners, From: q.from, To: q.to}); err != nil {
		return err
	}
	totals, err := s.store.OpenTotals(ctx, sc.owners)
	if err != nil {
		return err
	}
	closed, err := s.store.ClosedTotals(ctx, crm.ClosedQuery{Owners: sc.owners, From: q.from, To: q.to})
	if err != nil {
		return err
	}
	totals = append(totals, closed...)
	by := map[crm.Stage]*stageSums{}
	for _, st := range crm.Stages {
		by[st] = &stageSums{}
	}
	for _, t := range totals {
		by[t.Stage].add(t)
	}
	var open stageSums
	var lines []string
	for _, st := range crm.OpenStages {
		a := by[st]
		open.count += a.count
		open.sum.AddSums(a.sum)
		open.weighted.AddSums(a.weighted)
		if only != "" && st != only {
			continue
		}
		name := r.T("pipeline.stage", "stage", stageName(r, st), "weight", pct(r, st.Weight()))
		if a.count == 0 {
			lines = append(lines, name+": —")
			continue
		}
		lines = append(lines, r.T("pipeline.line", "name", name, "n", a.count, "sum", s.sums(r, a.sum), "weighted", s.sums(r, a.weighted)))
	}
	if only == "" {
		lines = append(lines, r.T("pipeline.total", "n", open.count, "sum", s.sums(r, open.sum), "weighted", s.sums(r, open.weighted)))
		won, lost := by[crm.StageWon], by[crm.StageLost]
		lines = append(lines, "", r.T("pipeline.won", "period", q.label, "n", won.count, "sum", s.sums(r, won.sum)))
		lines = append(lines, r.T("pipeline.lost", "period", q.label, "n", lost.count, "sum", s.sums(r, lost.sum)))
	}
	limit := 5
	if only != "" {
		limit = 15
	}
	top, err := s.store.LargestOpenDeals(ctx, sc.owners, only, limit)
	if err != nil {
		return err
	}
	if len(top) > 0 {
		head := r.T("pipeline.largest")
		if only != "" {
			head = r.T("pipeline.in_stage", "stage", stageName(r, only))
		}
		lines = append(lines, "", head)
		names := s.dealClientNames(ctx, top)
		for i, d := range top {
			line := fmt.Sprintf("%d. %s", i+1, dealLine(r, d, names[d.ClientID]))
			if len(sc.owners) > 1 {
				line += " (" + r.PersonName(d.OwnerID) + ")"
			}
			lines = append(lines, line)
		}
		if only != "" && by[only].count > len(top) {
			lines = append(lines, r.T("list.more", "count", by[only].count-len(top)))
		}
	}
	title := r.T("pipeline.title", "scope", sc.label)
	if only != "" {
		title = r.T("pipeline.title_stage", "scope", sc.label, "stage", stageName(r, only))
	}
	return w.Reply(ctx, bot.Reply{Title: title, Text: strings.Join(lines, "\n"), Buttons: [][]bot.Button{{
		{Label: r.T("deal.button.stuck"), Data: "/pipeline " + sc.arg + " stuck"},
		{Label: r.T("deal.button.report"), Data: "/pipeline " + sc.arg + " report"},
		{Label: r.T("deal.button.forecast"), Data: "/forecast quarter " + sc.arg},
	}}})
}

// dealClientNames returns the names of the deals' clients by id ("—" for
// one that cannot be read).
func (s *service) dealClientNames(ctx context.Context, ds []*crm.Deal) map[uint64]string {
	ids := make([]uint64, len(ds))
	for i, d := range ds {
		ids[i] = d.ClientID
	}
	names, err := core.ClientNames(ctx, s.store, ids)
	if err != nil {
		names = map[uint64]string{}
	}
	for _, id := range ids {
		if names[id] == "" {
			names[id] = "—"
		}
	}
	return names
}

// pipelineClosed lists the deals won or lost this quarter.
func (s *service) pipelineClosed(ctx context.Context, w bot.ReplyWriter, r *core.Request, sc dealScope, st crm.Stage) error {
	q := currentQuarter(r)
	var list []*crm.Deal
	var sum money.Sums
	if err := s.store.ClosedDeals(ctx, sc.owners, q.from, q.to, func(d *crm.Deal) bool {
		if d.Stage == st {
			list = append(list, d)
			sum.Add(d.Currency, d.Amount)
		}
		return true
	}); err != nil {
		return err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ClosedAt.After(list[j].ClosedAt) })
	key := "pipeline.won"
	if st == crm.StageLost {
		key = "pipeline.lost"
	}
	lines := []string{r.T(key, "period", q.label, "n", len(list), "sum", s.sums(r, sum))}
	names := s.dealClientNames(ctx, list)
	const maxList = 20
	pg := r.Page(maxList)
	from, to, more := r.Range(pg, len(list))
	for i := from; i < to; i++ {
		d := list[i]
		line := "• " + dealLine(r, d, names[d.ClientID])
		if d.LossReason != "" {
			line += " · " + core.Truncate(d.LossReason, 60)
		}
		if len(sc.owners) > 1 {
			line += " (" + r.PersonName(d.OwnerID) + ")"
		}
		lines = append(lines, line)
	}
	if more != "" {
		lines = append(lines, more)
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("pipeline.title_stage", "scope", sc.label, "stage", stageName(r, st)), Text: strings.Join(lines, "\n"), Buttons: r.PageButtons(pg, len(list)), Edit: r.Paged()})
}

// pipelineStuck lists open deals with no stage change for longer than the
// setting, or whose expected close date has passed, the longest stuck
// first.
func (s *service) pipelineStuck(ctx context.Context, w bot.ReplyWriter, r *core.Request, sc dealScope, only crm.Stage) error {
	after := s.kit.StuckAfter
	today := r.Today()
	var list []*crm.Deal
	if err := s.store.EachOpenDeal(ctx, sc.owners, func(d *crm.Deal) bool {
		if only != "" && d.Stage != only {
			return true
		}
		if r.Now.Sub(d.StageSince()) > after || (!d.ExpectedClose.IsZero() && d.ExpectedClose.Before(today)) {
			list = append(list, d)
		}
		return true
	}); err != nil {
		return err
	}
	sortStuck(list)
	days := int(after.Hours() / 24)
	title := r.T("pipeline.stuck_title", "scope", sc.label, "n", len(list))
	if len(list) == 0 {
		return w.Reply(ctx, bot.Reply{Title: title, Text: r.T("pipeline.stuck_none", "days", days)})
	}
	lines := []string{r.T("pipeline.stuck_rule", "days", days)}
	names := s.dealClientNames(ctx, list)
	const maxList = 20
	var buttons [][]bot.Button
	pg := r.Page(maxList)
	from, to, more := r.Range(pg, len(list))
	for i := from; i < to; i++ {
		d := list[i]
		line := "• " + d.Ref() + " " + names[d.ClientID] + " — " + d.Title + " · " + fmtMoney(r, d.Amount, d.Currency) + " · " +
			r.T("pipeline.stuck_in", "stage", stageName(r, d.Stage), "count", daysBetween(r, d.StageSince(), r.Now))
		if !d.ExpectedClose.IsZero() && d.ExpectedClose.Before(today) {
			line += " · ⚠ " + r.T("pipeline.close_passed", "date", r.FmtDate(d.ExpectedClose))
		}
		if len(sc.owners) > 1 {
			line += " (" + r.PersonName(d.OwnerID) + ")"
		}
		lines = append(lines, line)
		if i < 5 {
			buttons = append(buttons, []bot.Button{{Label: d.Ref() + " · " + core.Truncate(d.Title, 30), Data: "/deal " + d.Ref()}})
		}
	}
	if more != "" {
		lines = append(lines, more)
	}
	return w.Reply(ctx, bot.Reply{Title: title, Text: strings.Join(lines, "\n"), Buttons: append(buttons, r.PageButtons(pg, len(list))...), Edit: r.Paged()})
}

// counted is a name and how often it came up.
type counted struct {
	name string
	n    int
}

// topNames returns the most frequent names (folded for case and script),
// at most limit, the most frequent first, each under its first spelling.
func topNames(names []string, limit int) []counted {
	idx := map[string]int{}
	var out []counted
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		k := crm.NormalizeName(n)
		if k == "" {
			k = strings.ToLower(n)
		}
		if i, ok := idx[k]; ok {
			out[i].n++
			continue
		}
		idx[k] = len(out)
		out = append(out, counted{name: n, n: 1})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].n > out[j].n })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func joinCounted(cs []counted) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s (%d)", c.name, c.n))
	}
	return strings.Join(parts, ", ")
}

// pipelineReport gives the win/loss analysis of the deals closed in p: win
// rate, average cycle, average deal size, top loss reasons and
// competitors.
func (s *service) pipelineReport(ctx context.Context, w bot.ReplyWriter, r *core.Request, sc dealScope, p period) error {
	var won, lost int
	var wonSum, lostSum money.Sums
	wonPer := map[string]int{}
	var cycleDays int
	var reasons, competitors []string
	if err := s.store.ClosedDeals(ctx, sc.owners, p.from, p.to, func(d *crm.Deal) bool {
		switch d.Stage {
		case crm.StageWon:
			won++
			wonSum.Add(d.Currency, d.Amount)
			wonPer[d.Currency]++
			cycleDays += daysBetween(r, d.CreatedAt, d.ClosedAt)
		case crm.StageLost:
			lost++
			lostSum.Add(d.Currency, d.Amount)
			reasons = append(reasons, d.LossReason)
			competitors = append(competitors, d.Competitor)
		}
		return true
	}); err != nil {
		return err
	}
	title := r.T("pipeline.report_title", "period", p.label, "scope", sc.label)
	if won+lost == 0 {
		return w.Reply(ctx, bot.Reply{Title: title, Text: r.T("pipeline.report_none")})
	}
	rate := core.Percent(won, won+lost)
	lines := []string{
		r.T("pipeline.report_rate", "won", won, "lost", lost, "rate", pct(r, rate)),
		r.T("pipeline.report_sums", "won", s.sums(r, wonSum), "lost", s.sums(r, lostSum)),
	}
	if won > 0 {
		avgCycle := (cycleDays + won/2) / won
		lines = append(lines, r.T("pipeline.report_cycle", "count", avgCycle))
		var avg money.Sums
		for _, c := range wonSum.Currencies(s.kit.Currency) {
			avg.Add(c, wonSum.Get(c).DivRound(decimalInt(wonPer[c]), 6))
		}
		lines = append(lines, r.T("pipeline.report_size", "avg", s.sums(r, avg)))
	}
	if top := topNames(reasons, 3); len(top) > 0 {
		lines = append(lines, r.T("pipeline.report_reasons", "list", joinCounted(top)))
	} else if lost > 0 {
		lines = append(lines, r.T("pipeline.report_reasons", "list", r.T("pipeline.report_no_reasons")))
	}
	if top := topNames(competitors, 3); len(top) > 0 {
		lines = append(lines, r.T("pipeline.report_competitors", "list", joinCounted(top)))
	}
	return w.Reply(ctx, bot.Reply{Title: title, Text: strings.Join(lines, "\n")})
}

// forecastCmd: "/forecast [month|quarter] [mine|team|@person|all]":
// weighted and best-case sums of open deals by expected close month, and
// won so far in the period against the same part of it last year.
func (s *service) forecastCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	var scope string
	var who *crm.Person
	var pwords []string
	for _, a := range r.Command.Args {
		if ok, err := r.ScopeOrPerson(a, &scope, &who); ok || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		pwords = append(pwords, a)
	}
	p := currentQuarter(r)
	if len(pwords) > 0 {
		var ok bool
		if p, ok = parsePeriod(r, pwords); !ok {
			return crm.Errorf(crm.EINVALID, "forecast.usage")
		}
	}
	sc, err := resolveScope(r, scope, who)
	if err != nil {
		return err
	}
	type monthSums struct {
		count          int
		weighted, best money.Sums
	}
	rows := map[int]*monthSums{}
	var total, overdue monthSums
	addRow := func(m, n int, cur string, weighted, best decimal.Decimal) {
		row := rows[m]
		if row == nil {
			row = &monthSums{}
			rows[m] = row
		}
		for _, x := range []*monthSums{row, &total} {
			x.count += n
			x.weighted.Add(cur, weighted)
			x.best.Add(cur, best)
		}
	}
	// Open deals whose close date has passed are counted apart, whatever
	// the period: they are in no month's forecast until someone moves the
	// date or closes them. Months other than the current one come from the
	// running totals by close month; only the current month's deals are
	// read, to tell the passed dates from the coming ones.
	today := r.Today()
	cur := crm.MonthOf(today)
	// The months up to the later of the period's last and the current.
	lastDay := p.to.AddDate(0, 0, -1)
	if crm.MonthOf(today) > crm.MonthOf(lastDay) {
		lastDay = today
	}
	totals, err := s.store.ClosingTotals(ctx, crm.ClosingQuery{Owners: sc.owners, To: lastDay})
	if err != nil {
		return err
	}
	for _, t := range totals {
		switch {
		case t.Month < cur:
			overdue.count += t.Count
			overdue.best.Add(t.Currency, t.Sum)
		case t.Month > cur && t.Month >= p.firstMonth() && t.Month <= p.lastMonth():
			addRow(t.Month, t.Count, t.Currency, t.Weighted, t.Sum)
		}
	}
	inPeriod := cur >= p.firstMonth() && cur <= p.lastMonth()
	if err := s.store.OpenDealsClosing(ctx, crm.ClosingQuery{Owners: sc.owners, From: today, To: today}, func(d *crm.Deal) bool {
		switch {
		case d.ExpectedClose.Before(today):
			overdue.count++
			overdue.best.Add(d.Currency, d.Amount)
		case inPeriod:
			addRow(cur, 1, d.Currency, d.Weighted(), d.Amount)
		}
		return true
	}); err != nil {
		return err
	}
	var lines []string
	for _, m := range p.months() {
		row := rows[crm.MonthOf(m)]
		if row == nil {
			lines = append(lines, monthName(r, m)+": —")
			continue
		}
		lines = append(lines, r.T("forecast.line", "month", monthName(r, m), "n", row.count, "weighted", s.sums(r, row.weighted), "best", s.sums(r, row.best)))
	}
	if len(p.months()) > 1 {
		lines = append(lines, r.T("forecast.total", "n", total.count, "weighted", s.sums(r, total.weighted), "best", s.sums(r, total.best)))
	}
	if overdue.count > 0 {
		lines = append(lines, r.T("forecast.overdue", "count", overdue.count, "best", s.sums(r, overdue.best)))
	}
	// Won so far in the period (today included), and in the same days of
	// it a year ago.
	end := dates.AddDays(today, 1)
	if p.to.Before(end) {
		end = p.to
	}
	if p.from.Before(end) {
		nowWon, _, err := s.closedBetween(ctx, sc.owners, p.from, end)
		if err != nil {
			return err
		}
		lines = append(lines, "", r.T("forecast.won", "n", nowWon.count, "sum", s.sums(r, nowWon.sum)))
		lastWon, lastAny, err := s.closedBetween(ctx, sc.owners, p.from.AddDate(-1, 0, 0), end.AddDate(-1, 0, 0))
		if err != nil {
			return err
		}
		if lastAny > 0 {
			line := r.T("forecast.last_year", "n", lastWon.count, "sum", s.sums(r, lastWon.sum))
			if ch := pctChange(r, nowWon.sum, lastWon.sum); ch != "" {
				line += " " + ch
			}
			lines = append(lines, line)
		}
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("forecast.title", "period", p.label, "scope", sc.label), Text: strings.Join(lines, "\n")})
}

// closedBetween returns the deals won on the days from (a day's start)
// to to (exclusive, a day's start), and how many deals were closed (won or
// lost) then, from the store's running totals.
func (s *service) closedBetween(ctx context.Context, owners []uint64, from, to time.Time) (stageSums, int, error) {
	var won stageSums
	closed := 0
	ts, err := s.store.ClosedTotals(ctx, crm.ClosedQuery{Owners: owners, From: from, To: to})
	if err != nil {
		return won, 0, err
	}
	for _, t := range ts {
		closed += t.Count
		if t.Stage == crm.StageWon {
			won.add(t)
		}
	}
	return won, closed, nil
}

// change writes the change from last to now as a percentage when both
// have a single, same currency.
func pctChange(r *core.Request, now, last money.Sums) string {
	nc, lc := now.Currencies(""), last.Currencies("")
	if len(lc) != 1 || len(nc) > 1 || (len(nc) == 1 && nc[0] != lc[0]) || last.Get(lc[0]).IsZero() {
		return ""
	}
	diff := now.Get(lc[0]).Sub(last.Get(lc[0])).Mul(decimalInt(100)).DivRound(last.Get(lc[0]), 0)
	n := int(diff.IntPart())
	sign := "+"
	if n < 0 {
		sign = "−"
		n = -n
	}
	return "(" + sign + pct(r, n) + ")"
}
