package deals

import (
	"context"
	"sort"
	"strings"
	"time"

	"accountbot/crm"
	"accountbot/money"

	"accountbot/handlers/core"
	"github.com/shopspring/decimal"
)

// The pipeline section of a digest: the weighted pipeline per stage now
// against the same day last week, the deals that moved most in the
// period, the stuck deals, and big deals slipping under "needs you".
//
// Costs: "now" is the running totals (OpenTotals); "last week" is the
// daily snapshot of those totals (pipelineSnapshot); moves, stuck and
// slipping deals come from one pass over the summaries of the open deals
// of the people covered plus those closed in the period. Full deals (with
// their stage history) are read only for the few candidates of "moved
// most", largest first, and only while a candidate could still make the
// top five.
//
// "Moved most" ranks deals by how much their weighted value changed in
// the period through a change of stage: a new deal (from nothing), a move
// between stages, won or lost, a reopening. The value before is the
// amount times the weight of the stage the deal was in when the period
// began. Changes of amount or close date on a deal that kept its stage
// are not counted: they are only in each deal's change log, and reading
// that for every open deal would cost a read per deal. Deals in different
// currencies are ranked by the number alone; sums never add currencies.
//
// A deal is stuck as in "/pipeline stuck": no stage change for longer
// than Kit.StuckAfter (21 days unless configured), or its expected close date passed. A
// big deal slipping ("needs you") is one of the digestSlipping largest
// open deals whose expected close date has passed.

const (
	// snapshotPipeline is the kind of the daily pipeline snapshot.
	snapshotPipeline = "pipeline"
	// digestMoved is how many deals "moved most" lists.
	digestMoved = 5
	// digestSlipping is how many slipping deals go to "needs you".
	digestSlipping = 3
	// chartCurrencies is how many currencies get a pipeline chart (the
	// default currency first); the text has them all. Each chart costs a
	// panel of the image to draw and encode.
	chartCurrencies = 1
)

// pipelineSnapshot returns the day's pipeline snapshot rows: per person,
// open stage and currency, the count, sum and weighted sum of the open
// deals, read from the running totals.
func (s *service) pipelineSnapshot(ctx context.Context, _ time.Time) ([]crm.SnapshotRow, error) {
	people, err := s.store.People(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	totals, err := s.store.OpenTotals(ctx, ids)
	if err != nil {
		return nil, err
	}
	rows := make([]crm.SnapshotRow, 0, len(totals))
	for _, t := range totals {
		rows = append(rows, crm.SnapshotRow{PersonID: t.OwnerID, Bucket: string(t.Stage) + "/" + t.Currency,
			Count: int64(t.Count), Sum: t.Sum, Weighted: t.Weighted})
	}
	return rows, nil
}

// weightedByStage is the weighted sum of open deals per stage.
type weightedByStage map[crm.Stage]*money.Sums

func (w weightedByStage) add(st crm.Stage, currency string, d decimal.Decimal) {
	if w[st] == nil {
		w[st] = &money.Sums{}
	}
	w[st].Add(currency, d)
}

func (w weightedByStage) get(st crm.Stage) money.Sums {
	if s := w[st]; s != nil {
		return *s
	}
	return money.Sums{}
}

func (w weightedByStage) total() money.Sums {
	var t money.Sums
	for _, s := range w {
		t.AddSums(*s)
	}
	return t
}

// dealMove is a deal that changed stage in the period.
type dealMove struct {
	deal *crm.Deal
	// from is the stage when the period began ("" for a new deal).
	from   crm.Stage
	change decimal.Decimal
}

// pipelineDigest is the pipeline section (see core.DigestSection).
func (s *service) pipelineDigest(ctx context.Context, sc *core.DigestScope) (*core.DigestPart, error) {
	per := sc.Period
	totals, err := s.store.OpenTotals(ctx, sc.Owners)
	if err != nil {
		return nil, err
	}
	now := weightedByStage{}
	for _, t := range totals {
		now.add(t.Stage, t.Currency, t.Weighted)
	}
	// The same calendar day a week before the digest's day, in the company
	// time zone the snapshots are kept in.
	d := per.Day
	rows, lastDay, err := core.SnapshotOn(ctx, s.store, snapshotPipeline, time.Date(d.Year(), d.Month(), d.Day()-7, 12, 0, 0, 0, s.kit.TZ), s.kit.TZ, sc.Owners)
	if err != nil {
		return nil, err
	}
	last := weightedByStage{}
	for _, r := range rows {
		st, cur, ok := strings.Cut(r.Bucket, "/")
		if ok && crm.Stage(st).Open() {
			last.add(crm.Stage(st), cur, r.Weighted)
		}
	}

	// One pass over the open deals: stuck, slipping and moved candidates.
	today := sc.Today()
	after := s.kit.StuckAfter
	in := func(t time.Time) bool { return !t.Before(per.From) && t.Before(per.To) }
	var stuck, slipping, candidates []*crm.Deal
	type ownerDeals struct{ won, lost, moved, added int }
	byOwner := map[uint64]*ownerDeals{}
	of := func(id uint64) *ownerDeals {
		if byOwner[id] == nil {
			byOwner[id] = &ownerDeals{}
		}
		return byOwner[id]
	}
	if err := s.store.EachOpenDeal(ctx, sc.Owners, func(d *crm.Deal) bool {
		since := d.StageSince()
		passed := !d.ExpectedClose.IsZero() && d.ExpectedClose.Before(today)
		if sc.Now.Sub(since) > after || passed {
			stuck = append(stuck, d)
		}
		if passed {
			slipping = append(slipping, d)
		}
		if in(since) {
			candidates = append(candidates, d)
			if since.Equal(d.CreatedAt) {
				of(d.OwnerID).added++
			} else {
				of(d.OwnerID).moved++
			}
		}
		return true
	}); err != nil {
		return nil, err
	}
	if err := s.store.ClosedDeals(ctx, sc.Owners, per.From, per.To, func(d *crm.Deal) bool {
		candidates = append(candidates, d)
		if d.Stage == crm.StageWon {
			of(d.OwnerID).won++
		} else {
			of(d.OwnerID).lost++
		}
		return true
	}); err != nil {
		return nil, err
	}
	if len(totals) == 0 && len(rows) == 0 && len(candidates) == 0 {
		return nil, nil
	}
	moved, err := s.movedMost(ctx, per.From, candidates)
	if err != nil {
		return nil, err
	}

	part := &core.DigestPart{PerOwner: map[uint64]string{}}
	s.pipelineLines(sc, part, now, last, lastDay)

	// Everything written below names clients.
	var named []*crm.Deal
	for _, m := range moved {
		named = append(named, m.deal)
	}
	sortStuck(stuck)
	named = append(named, stuck[:min(len(stuck), core.DigestDetailItems)]...)
	sort.SliceStable(slipping, func(i, j int) bool { return slipping[i].Amount.GreaterThan(slipping[j].Amount) })
	slipping = slipping[:min(len(slipping), digestSlipping)]
	named = append(named, slipping...)
	names := s.dealClientNames(ctx, named)
	owner := func(d *crm.Deal) string {
		if sc.Personal() {
			return ""
		}
		return " (" + sc.PersonName(d.OwnerID) + ")"
	}

	if len(moved) > 0 {
		var short []string
		part.Detail = append(part.Detail, sc.T("digest.pipeline.moved_title"))
		for _, m := range moved {
			change := signedMoney(sc, m.change, m.deal.Currency)
			from := sc.T("digest.pipeline.new")
			if m.from != "" {
				from = stageName(sc.Request, m.from)
			}
			short = append(short, sc.T("digest.pipeline.moved_short", "ref", m.deal.Ref(), "from", from, "to", stageName(sc.Request, m.deal.Stage), "change", change))
			part.Detail = append(part.Detail, "• "+sc.T("digest.pipeline.moved_line", "ref", m.deal.Ref(), "client", names[m.deal.ClientID], "title", m.deal.Title,
				"amount", fmtMoney(sc.Request, m.deal.Amount, m.deal.Currency), "from", from, "to", stageName(sc.Request, m.deal.Stage), "change", change)+owner(m.deal))
		}
		part.Lines = append(part.Lines, sc.T("digest.pipeline.moved", "list", strings.Join(short, " · ")))
	}

	days := int(after.Hours() / 24)
	if len(stuck) > 0 {
		d := stuck[0]
		longest := d.Ref() + " " + names[d.ClientID] + ", " + sc.T("pipeline.stuck_in", "stage", stageName(sc.Request, d.Stage), "count", daysBetween(sc.Request, d.StageSince(), sc.Now))
		part.Lines = append(part.Lines, sc.T("digest.pipeline.stuck", "count", len(stuck), "days", days, "longest", longest))
		part.Detail = append(part.Detail, sc.T("digest.pipeline.stuck_title"))
		for i, d := range stuck {
			if i == core.DigestDetailItems {
				part.Detail = append(part.Detail, sc.T("list.more", "count", len(stuck)-i))
				break
			}
			line := "• " + d.Ref() + " " + names[d.ClientID] + " — " + d.Title + " · " + fmtMoney(sc.Request, d.Amount, d.Currency) + " · " +
				sc.T("pipeline.stuck_in", "stage", stageName(sc.Request, d.Stage), "count", daysBetween(sc.Request, d.StageSince(), sc.Now))
			if !d.ExpectedClose.IsZero() && d.ExpectedClose.Before(today) {
				line += " · ⚠ " + sc.T("pipeline.close_passed", "date", sc.FmtDate(d.ExpectedClose))
			}
			part.Detail = append(part.Detail, line+owner(d))
		}
	}

	for _, d := range slipping {
		part.Needs = append(part.Needs, core.DigestNeed{Rank: core.NeedRankSlipping, Since: d.ExpectedClose,
			Text: sc.T("digest.pipeline.need_slipping", "ref", d.Ref(), "client", names[d.ClientID], "title", d.Title,
				"amount", fmtMoney(sc.Request, d.Amount, d.Currency), "date", sc.FmtDate(d.ExpectedClose), "stage", stageName(sc.Request, d.Stage)) + owner(d)})
	}

	for id, f := range byOwner {
		var parts []string
		for _, p := range []struct {
			key string
			n   int
		}{{"digest.pipeline.owner_won", f.won}, {"digest.pipeline.owner_lost", f.lost}, {"digest.pipeline.owner_moved", f.moved}, {"digest.pipeline.owner_new", f.added}} {
			if p.n > 0 {
				parts = append(parts, sc.T(p.key, "count", p.n))
			}
		}
		if len(parts) > 0 {
			part.PerOwner[id] = sc.T("digest.pipeline.owner", "list", strings.Join(parts, ", "))
		}
	}

	part.Charts = s.pipelineCharts(sc, now, last, !lastDay.IsZero())
	return part, nil
}

// pipelineLines writes the weighted pipeline now against last week's
// snapshot (taken on lastDay; zero when there is none): the totals, then
// one line per stage that has deals now or had them then.
func (s *service) pipelineLines(sc *core.DigestScope, part *core.DigestPart, now, last weightedByStage, lastDay time.Time) {
	cur := s.kit.Currency
	if lastDay.IsZero() {
		part.Lines = append(part.Lines, sc.T("digest.pipeline.total_new", "now", now.total().Format(sc.Lang, cur)))
	} else {
		part.Lines = append(part.Lines, sc.T("digest.pipeline.total", "now", now.total().Format(sc.Lang, cur),
			"date", sc.FmtDate(lastDay), "last", last.total().Format(sc.Lang, cur), "change", s.sumsChange(sc, now.total(), last.total())))
	}
	for _, st := range crm.OpenStages {
		n, l := now.get(st), last.get(st)
		if n.Empty() && l.Empty() {
			continue
		}
		if lastDay.IsZero() {
			part.Lines = append(part.Lines, "• "+sc.T("digest.pipeline.stage_new", "stage", stageName(sc.Request, st), "now", n.Format(sc.Lang, cur)))
			continue
		}
		key := "digest.pipeline.stage"
		if sc.Full {
			key = "digest.pipeline.stage_full"
		}
		part.Lines = append(part.Lines, "• "+sc.T(key, "stage", stageName(sc.Request, st), "now", n.Format(sc.Lang, cur),
			"last", l.Format(sc.Lang, cur), "change", s.sumsChange(sc, n, l)))
	}
}

// pipelineCharts draws the weighted pipeline per open stage, this week
// against last week's snapshot (grey), one chart per currency with data:
// the default currency first, at most chartCurrencies.
func (s *service) pipelineCharts(sc *core.DigestScope, now, last weightedByStage, haveLast bool) []core.DigestChart {
	all := now.total()
	all.AddSums(last.total())
	var charts []core.DigestChart
	for i, cur := range all.Currencies(s.kit.Currency) {
		if i == chartCurrencies {
			break
		}
		cats := make([]string, len(crm.OpenStages))
		thisWeek := make([]float64, len(crm.OpenStages))
		lastWeek := make([]float64, len(crm.OpenStages))
		hasData := false
		for j, st := range crm.OpenStages {
			cats[j] = stageName(sc.Request, st)
			thisWeek[j] = now.get(st).Get(cur).InexactFloat64()
			lastWeek[j] = last.get(st).Get(cur).InexactFloat64()
			hasData = hasData || thisWeek[j] > 0 || lastWeek[j] > 0
		}
		if !hasData {
			continue
		}
		c := core.DigestChart{Title: sc.T("digest.pipeline.chart_title", "currency", cur), Categories: cats}
		if haveLast {
			c.Series = append(c.Series, core.ChartSeries{Name: sc.T("digest.pipeline.chart_last"), Values: lastWeek, Muted: true})
		}
		c.Series = append(c.Series, core.ChartSeries{Name: sc.T("digest.pipeline.chart_now"), Values: thisWeek})
		charts = append(charts, c)
	}
	return charts
}

// movedMost returns the deals whose weighted value changed most through a
// change of stage since from, at most digestMoved, largest change first.
// A change is at most the deal's amount, so candidates are read largest
// amount first and reading stops once no amount left can beat the
// smallest change kept.
func (s *service) movedMost(ctx context.Context, from time.Time, candidates []*crm.Deal) ([]dealMove, error) {
	sort.SliceStable(candidates, func(i, j int) bool {
		if c := candidates[i].Amount.Cmp(candidates[j].Amount); c != 0 {
			return c > 0
		}
		return candidates[i].ID < candidates[j].ID
	})
	var out []dealMove
	smallest := func() decimal.Decimal { return out[len(out)-1].change.Abs() }
	for _, c := range candidates {
		if len(out) == digestMoved && c.Amount.LessThanOrEqual(smallest()) {
			break
		}
		d, err := s.store.Deal(ctx, c.ID)
		if err != nil {
			if crm.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		var before crm.Stage
		for _, h := range d.History {
			if h.At.Before(from) {
				before = h.Stage
			}
		}
		if d.CreatedAt.Before(from) && before == "" {
			before = crm.StageLead // created before the period without a recorded stage
		}
		if before == d.Stage {
			continue // moved away and back
		}
		change := d.Weighted().Sub(money.Percent(d.Amount, before.Weight()))
		if change.IsZero() {
			continue
		}
		m := dealMove{deal: d, from: before, change: change}
		i := sort.Search(len(out), func(i int) bool { return out[i].change.Abs().LessThan(change.Abs()) })
		out = append(out, dealMove{})
		copy(out[i+1:], out[i:])
		out[i] = m
		if len(out) > digestMoved {
			out = out[:digestMoved]
		}
	}
	return out, nil
}

// sortStuck orders stuck deals as "/pipeline stuck" does: the longest in
// their stage first.
func sortStuck(list []*crm.Deal) {
	sort.SliceStable(list, func(i, j int) bool {
		if !list[i].StageSince().Equal(list[j].StageSince()) {
			return list[i].StageSince().Before(list[j].StageSince())
		}
		return list[i].ID < list[j].ID
	})
}

// signedMoney writes an amount with its sign: "+€1,500.00", "−€200.00".
func signedMoney(sc *core.DigestScope, d decimal.Decimal, currency string) string {
	switch d.Sign() {
	case 1:
		return "+" + fmtMoney(sc.Request, d, currency)
	case -1:
		return "−" + fmtMoney(sc.Request, d.Neg(), currency)
	}
	return "±" + fmtMoney(sc.Request, d, currency)
}

// sumsChange writes the change from last to now, per currency, never
// adding currencies: "+€1,500.00, −$200.00", or "no change".
func (s *service) sumsChange(sc *core.DigestScope, now, last money.Sums) string {
	var all money.Sums
	all.AddSums(now)
	all.AddSums(last)
	var parts []string
	for _, cur := range all.Currencies(s.kit.Currency) {
		if d := now.Get(cur).Sub(last.Get(cur)); !d.IsZero() {
			parts = append(parts, signedMoney(sc, d, cur))
		}
	}
	if len(parts) == 0 {
		return sc.T("digest.pipeline.no_change")
	}
	return strings.Join(parts, ", ")
}
