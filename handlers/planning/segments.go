package planning

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"

	"accountbot/handlers/core"
	"github.com/shopspring/decimal"
)

// segmentBy are the fields /segments groups by, their words
// "words.segments.by.*".
var segmentBy = crm.SegmentFields

// maxSegmentGroups is how many groups /segments lists.
const maxSegmentGroups = 20

// segmentGroup is one group's figures.
type segmentGroup struct {
	label              string
	clients, prospects int
	// newNow and newBefore are the records created in the last 12 months
	// and in the 12 months before.
	newNow, newBefore int
	wonNow, wonBefore amounts
	pipeline          amounts
	claims            int
}

func (g *segmentGroup) total() int { return g.clients + g.prospects }

// SegmentStore makes the segment analysis. It follows the rules every
// port shares (handlers/service.go).
type SegmentStore interface {
	// SegmentReport returns the analysis of the clients of q.Owners
	// grouped by q.By, made at q.Now: its groups in no particular order
	// and the figures of all of them. The store decides how (maintained
	// figures when the owners hold every client, or a count of their
	// clients); both count by whole UTC days.
	SegmentReport(ctx context.Context, q crm.SegmentQuery) (*crm.SegmentReport, error)
}

// segmentReport is the whole analysis.
type segmentReport struct {
	by     string
	groups []*segmentGroup
	all    segmentGroup
}

// segmentsCmd: "/segments [by=segment|industry|need|level|city] [mine|team|all]".
func (s *service) segmentsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	by, scope := "segment", ""
	for _, a := range r.Command.Args {
		k, v, isKV := strings.Cut(a, "=")
		lw := strings.ToLower(a)
		switch {
		case isKV && r.Is(k, "segments.key.by"):
			f, ok := s.words.segmentBy[strings.ToLower(v)]
			if !ok {
				return crm.Errorf(crm.EINVALID, "segments.bad_by", "value", v)
			}
			by = f
		default:
			if sc, ok := r.ScopeWord(a); ok {
				scope = sc
				continue
			}
			if f, ok := s.words.segmentBy[lw]; ok {
				by = f
				continue
			}
			return crm.Errorf(crm.EINVALID, "segments.usage")
		}
	}
	if scope == "" {
		scope = r.DefaultScope()
	}
	owners, err := r.VisibleOwners(scope)
	if err != nil {
		return err
	}
	rep, err := s.segments(ctx, r.Now, owners, by)
	if err != nil {
		return err
	}
	return w.Reply(ctx, s.segmentsReply(r, rep))
}

// segments returns the analysis of the owners' clients grouped by the
// field by, as of now, its groups in the order shown: the largest first,
// the unset group last.
func (s *service) segments(ctx context.Context, now time.Time, owners []uint64, by string) (*segmentReport, error) {
	kept, err := s.store.SegmentReport(ctx, crm.SegmentQuery{Owners: owners, By: by, Now: now})
	if err != nil {
		return nil, err
	}
	rep := &segmentReport{by: by, all: groupOf(&kept.All, "")}
	for _, g := range kept.Groups {
		label := g.Label
		if g.Key == "" {
			label = "" // the unset group, whatever forms of nothing it has
		}
		sg := groupOf(&g.SegmentFigures, label)
		rep.groups = append(rep.groups, &sg)
	}
	sort.Slice(rep.groups, func(i, j int) bool {
		a, b := rep.groups[i], rep.groups[j]
		if (a.label == "") != (b.label == "") {
			return b.label == ""
		}
		if a.total() != b.total() {
			return a.total() > b.total()
		}
		return crm.NormalizeName(a.label) < crm.NormalizeName(b.label)
	})
	return rep, nil
}

// groupOf is a group's figures as the reply writes them.
func groupOf(f *crm.SegmentFigures, label string) segmentGroup {
	return segmentGroup{label: label, clients: f.Clients, prospects: f.Prospects, newNow: f.NewNow, newBefore: f.NewBefore,
		wonNow: amountsOf(f.WonNow), wonBefore: amountsOf(f.WonBefore), pipeline: amountsOf(f.Pipeline), claims: f.Claims}
}

func amountsOf(m map[string]decimal.Decimal) amounts {
	a := amounts{}
	for c, v := range m {
		a.add(c, v)
	}
	return a
}

// growth orders groups by how much they grew: revenue won in the last 12
// months against the 12 months before (in the default currency), then new
// records against the year before.
func (s *service) growth(g *segmentGroup) (decimal.Decimal, int) {
	return g.wonNow.get(s.kit.Currency).Sub(g.wonBefore.get(s.kit.Currency)), g.newNow - g.newBefore
}

// segmentsReply writes the analysis.
func (s *service) segmentsReply(r *core.Request, rep *segmentReport) bot.Reply {
	cur := s.kit.Currency
	title := r.T("segments.title", "by", strings.ToLower(r.T("field."+rep.by)), "count", rep.all.total())
	if rep.all.total() == 0 {
		return bot.Reply{Text: r.T("segments.empty")}
	}
	var lines []string
	lines = append(lines, r.T("segments.legend"))
	for i, g := range rep.groups {
		if i == maxSegmentGroups {
			lines = append(lines, r.T("list.more", "count", len(rep.groups)-maxSegmentGroups))
			break
		}
		lines = append(lines, "• "+s.groupLabel(r, g)+" — "+s.groupFigures(r, g, cur, rep.all.claims > 0))
	}
	lines = append(lines, "", r.T("segments.total")+": "+s.groupFigures(r, &rep.all, cur, rep.all.claims > 0))
	// The groups that grow and shrink most.
	var grow, shrink []*segmentGroup
	for _, g := range rep.groups {
		rev, n := s.growth(g)
		switch {
		case rev.IsPositive() || rev.IsZero() && n > 0:
			grow = append(grow, g)
		case rev.IsNegative() || rev.IsZero() && n < 0:
			shrink = append(shrink, g)
		}
	}
	less := func(a, b *segmentGroup) bool {
		ra, na := s.growth(a)
		rb, nb := s.growth(b)
		if c := ra.Cmp(rb); c != 0 {
			return c > 0
		}
		if na != nb {
			return na > nb
		}
		return crm.NormalizeName(a.label) < crm.NormalizeName(b.label)
	}
	sort.SliceStable(grow, func(i, j int) bool { return less(grow[i], grow[j]) })
	sort.SliceStable(shrink, func(i, j int) bool { return less(shrink[j], shrink[i]) })
	if len(grow)+len(shrink) > 0 {
		lines = append(lines, "")
	}
	if line := s.growthLine(r, grow); line != "" {
		lines = append(lines, "↑ "+r.T("segments.grows", "groups", line))
	}
	if line := s.growthLine(r, shrink); line != "" {
		lines = append(lines, "↓ "+r.T("segments.shrinks", "groups", line))
	}
	var buttons [][]bot.Button
	var row []bot.Button
	for _, f := range []string{"segment", "industry", "need", "level", "city"} {
		if f != rep.by {
			row = append(row, bot.Button{Label: r.T("field." + f), Data: "/segments by=" + f})
		}
	}
	buttons = append(buttons, row)
	return bot.Reply{Title: title, Text: strings.Join(lines, "\n"), Buttons: buttons}
}

func (s *service) groupLabel(r *core.Request, g *segmentGroup) string {
	if g.label == "" {
		return r.T("segments.unset")
	}
	return g.label
}

// groupFigures is one group's figures.
func (s *service) groupFigures(r *core.Request, g *segmentGroup, cur string, withClaims bool) string {
	parts := []string{
		r.T("segments.counts", "count", g.total(), "clients", g.clients, "prospects", g.prospects),
		r.T("segments.conversion", "percent", core.Percent(g.clients, g.total())),
	}
	if won := g.wonNow.text(r.Lang, cur); won != "—" {
		parts = append(parts, r.T("segments.won", "sum", won))
	}
	if p := g.pipeline.text(r.Lang, cur); p != "—" {
		parts = append(parts, r.T("segments.pipeline", "sum", p))
	}
	if withClaims && g.clients > 0 {
		parts = append(parts, r.T("segments.claims", "value", decimalText(r, float64(g.claims)/float64(g.clients))))
	}
	return strings.Join(parts, " · ")
}

// growthLine names the first two groups with their change.
func (s *service) growthLine(r *core.Request, groups []*segmentGroup) string {
	var parts []string
	for i, g := range groups {
		if i == 2 {
			break
		}
		parts = append(parts, s.groupLabel(r, g)+" "+s.growthText(r, g))
	}
	return strings.Join(parts, "; ")
}

// growthText explains a group's change: revenue and new records against
// the year before.
func (s *service) growthText(r *core.Request, g *segmentGroup) string {
	rev, n := s.growth(g)
	var parts []string
	if !rev.IsZero() {
		sign := "+"
		if rev.IsNegative() {
			sign = "−"
		}
		parts = append(parts, r.T("segments.growth_revenue", "sum", sign+fmtMoney(rev.Abs(), s.kit.Currency, r.Lang)))
	}
	if n != 0 {
		sign := "+"
		if n < 0 {
			sign = "−"
		}
		if n < 0 {
			n = -n
		}
		parts = append(parts, r.T("segments.growth_new", "sign", sign, "count", n))
	}
	return "(" + strings.Join(parts, "; ") + ")"
}

// decimalText writes a number with one decimal in the sender's language.
func decimalText(r *core.Request, x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	if r.Lang == "bg" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
