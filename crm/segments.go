package crm

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// SegmentFields are the client fields a segment analysis (/segments)
// groups by.
var SegmentFields = []string{"segment", "industry", "need", "level", "city", "size", "focus", "source"}

// SegmentDay is the day of t, counted in whole UTC days since 1970. A
// segment analysis compares records by day, so that figures kept per day
// (the store's maintained ones) and figures counted from the records agree
// to the last record.
func SegmentDay(t time.Time) int32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}

// SegmentPeriods are the two years a segment analysis compares, in
// SegmentDay days: "now" is the days after YearAgo up to Today, "before"
// the days after TwoYearsAgo up to YearAgo.
type SegmentPeriods struct {
	Today, YearAgo, TwoYearsAgo int32
}

// SegmentPeriodsAt returns the periods of an analysis made at now.
func SegmentPeriodsAt(now time.Time) SegmentPeriods {
	return SegmentPeriods{
		Today:       SegmentDay(now),
		YearAgo:     SegmentDay(now.AddDate(-1, 0, 0)),
		TwoYearsAgo: SegmentDay(now.AddDate(-2, 0, 0)),
	}
}

// Period values of SegmentPeriods.Of.
const (
	PeriodNone = iota
	PeriodNow
	PeriodBefore
)

// Of tells which period a day falls in.
func (p SegmentPeriods) Of(day int32) int {
	switch {
	case day > p.YearAgo && day <= p.Today:
		return PeriodNow
	case day > p.TwoYearsAgo && day <= p.YearAgo:
		return PeriodBefore
	}
	return PeriodNone
}

// CreatedIn tells which period a record created on day counts as new in:
// "now" has no end, so that a record dated later than the clock (moved
// clocks, imports) still counts as new.
func (p SegmentPeriods) CreatedIn(day int32) int {
	if day > p.YearAgo {
		return PeriodNow
	}
	return p.Of(day)
}

// ClaimsFrom and ClaimsTo bound the claims of the "now" period as times:
// [ClaimsFrom, ClaimsTo).
func (p SegmentPeriods) ClaimsFrom() time.Time { return dayStart(p.YearAgo + 1) }

// ClaimsTo is the end of the "now" period (the start of the day after
// Today).
func (p SegmentPeriods) ClaimsTo() time.Time { return dayStart(p.Today + 1) }

func dayStart(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// SegmentValues are the group values a client has in one of
// SegmentFields, trimmed: one value, the comma-separated values of
// "need", or the unset value "" when it has none.
func SegmentValues(row *AudienceRow, field string) []string {
	v := row.Field(field)
	if field == "need" {
		if vs := SplitValues(v); len(vs) > 0 {
			return vs
		}
		return []string{""}
	}
	return []string{strings.TrimSpace(v)}
}

// SegmentFigures are the figures of one group of a segment analysis.
type SegmentFigures struct {
	// Clients are the buyers (IsBuyer), Prospects the others.
	Clients, Prospects int
	// NewNow and NewBefore are the records created in the two periods.
	NewNow, NewBefore int
	// WonNow and WonBefore are the won deals closed in the two periods,
	// by currency; Pipeline the open deals.
	WonNow, WonBefore, Pipeline map[string]decimal.Decimal
	// Claims are the claims the group's buyers raised in the "now" period.
	Claims int
}

// DropZero deletes the zero sums of the figures (DropZeroAmounts).
func (f *SegmentFigures) DropZero() {
	f.WonNow, f.WonBefore, f.Pipeline = DropZeroAmounts(f.WonNow), DropZeroAmounts(f.WonBefore), DropZeroAmounts(f.Pipeline)
}

// String is the figures on one line, for logs and test failures.
func (f *SegmentFigures) String() string {
	return fmt.Sprintf("%d/%d new %d/%d won %v/%v open %v claims %d", f.Clients, f.Prospects, f.NewNow, f.NewBefore, f.WonNow, f.WonBefore, f.Pipeline, f.Claims)
}

// Total is the group's records.
func (f *SegmentFigures) Total() int { return f.Clients + f.Prospects }

// AddAmount adds amount in currency to the sums of m, which it makes when
// nil, and returns m.
func AddAmount(m map[string]decimal.Decimal, currency string, amount decimal.Decimal) map[string]decimal.Decimal {
	if m == nil {
		m = map[string]decimal.Decimal{}
	}
	m[currency] = m[currency].Add(amount)
	return m
}

// DropZeroAmounts deletes the currencies of m whose sum is zero (deals of
// no amount, or sums that cancel) and returns m, nil when none is left, so
// that figures kept by adding and taking off equal figures counted afresh.
func DropZeroAmounts(m map[string]decimal.Decimal) map[string]decimal.Decimal {
	for cur, amt := range m {
		if amt.IsZero() {
			delete(m, cur)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// SegmentGroup is one group: its key (NormalizeName of its values, ""
// for the unset group), the label it is shown with (the trimmed form most
// of its records have, the smaller on a tie) and its figures.
type SegmentGroup struct {
	Key, Label string
	SegmentFigures
}

// SegmentReport is a whole analysis: the groups in no particular order
// and the figures of all the records together.
type SegmentReport struct {
	Groups []*SegmentGroup
	All    SegmentFigures
}

// String is the report a line per group, after the figures of all, for
// logs and test failures.
func (r *SegmentReport) String() string {
	out := "all " + r.All.String()
	for _, g := range r.Groups {
		out += fmt.Sprintf("\n%q %q %s", g.Key, g.Label, g.SegmentFigures.String())
	}
	return out
}

// SegmentQuery asks for a segment analysis of the clients of Owners,
// grouped by By (one of SegmentFields), made at Now.
type SegmentQuery struct {
	Owners []uint64
	By     string
	Now    time.Time
}

// SegmentClient is one client as a segment analysis sees it: its audience
// row, the sums of its open and won deals (lost ones are left out) and how
// many claims it raised in the "now" period.
type SegmentClient struct {
	Row    AudienceRow
	Deals  []DealSum
	Claims int
}

// SegmentTally counts a segment analysis client by client: the reference
// that maintained figures must equal.
type SegmentTally struct {
	by      string
	periods SegmentPeriods
	all     SegmentFigures
	groups  map[string]*SegmentGroup
	forms   map[string]map[string]int
}

// NewSegmentTally starts an analysis grouped by the field by.
func NewSegmentTally(by string, p SegmentPeriods) *SegmentTally {
	return &SegmentTally{by: by, periods: p, groups: map[string]*SegmentGroup{}, forms: map[string]map[string]int{}}
}

// Add counts one client.
func (t *SegmentTally) Add(sc *SegmentClient) {
	hasWon := false
	for _, d := range sc.Deals {
		hasWon = hasWon || d.Stage == StageWon
	}
	buyer := IsBuyer(sc.Row.Status, hasWon)
	t.add(&t.all, sc, buyer)
	for _, v := range SegmentValues(&sc.Row, t.by) {
		k := NormalizeName(v)
		g := t.groups[k]
		if g == nil {
			g = &SegmentGroup{Key: k}
			t.groups[k] = g
			t.forms[k] = map[string]int{}
		}
		t.forms[k][v]++
		t.add(&g.SegmentFigures, sc, buyer)
	}
}

func (t *SegmentTally) add(f *SegmentFigures, sc *SegmentClient, buyer bool) {
	if buyer {
		f.Clients++
		f.Claims += sc.Claims
	} else {
		f.Prospects++
	}
	switch t.periods.CreatedIn(SegmentDay(sc.Row.CreatedAt)) {
	case PeriodNow:
		f.NewNow++
	case PeriodBefore:
		f.NewBefore++
	}
	for _, d := range sc.Deals {
		switch {
		case d.Stage.Open():
			f.Pipeline = AddAmount(f.Pipeline, d.Currency, d.Amount)
		case d.Stage == StageWon:
			switch t.periods.Of(SegmentDay(d.ClosedAt)) {
			case PeriodNow:
				f.WonNow = AddAmount(f.WonNow, d.Currency, d.Amount)
			case PeriodBefore:
				f.WonBefore = AddAmount(f.WonBefore, d.Currency, d.Amount)
			}
		}
	}
}

// Report returns the analysis counted so far.
func (t *SegmentTally) Report() *SegmentReport {
	rep := &SegmentReport{All: t.all}
	rep.All.DropZero()
	for k, g := range t.groups {
		g.Label = SegmentLabel(t.forms[k])
		g.DropZero()
		rep.Groups = append(rep.Groups, g)
	}
	sort.Slice(rep.Groups, func(i, j int) bool { return rep.Groups[i].Key < rep.Groups[j].Key })
	return rep
}

// SegmentLabel picks a group's label from the number of records of each
// of its forms: the most used, the smaller on a tie, so that the label
// does not depend on the order records are read in.
func SegmentLabel(forms map[string]int) string {
	best, n := "", -1
	for f, c := range forms {
		if c > n || c == n && f < best {
			best, n = f, c
		}
	}
	return best
}
