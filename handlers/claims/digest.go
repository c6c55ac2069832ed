package claims

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// The claims section of a digest: what came in and what was resolved in
// the period, the claims past their SLA (each one first under "needs
// you"), root causes that recur at several clients, a figure per person
// and a chart of the last weeks.
//
// It reads the claim summaries kept in the per-person indexes (ClaimsOf,
// open and closed, as owner or assignee) of the people the digest covers,
// and full claims only for those resolved in the period, whose root cause
// is not in the summary.

// chartWeeks is how many weeks the claims chart shows.
const chartWeeks = 8

// claimsDigest is the claims section (see core.DigestSection).
func (s *service) claimsDigest(ctx context.Context, sc *core.DigestScope) (*core.DigestPart, error) {
	per := sc.Period
	inScope := make(map[uint64]bool, len(sc.Owners))
	for _, id := range sc.Owners {
		inScope[id] = true
	}
	// The chart's weeks: the week of the period's last day and the ones
	// before it, Monday to Sunday in the reader's time zone.
	lastWeek := mondayOf(per.To.Add(-time.Nanosecond), sc.TZ)
	chartFrom := dates.AddDays(lastWeek, -7*(chartWeeks-1))
	weekOf := func(t time.Time) int {
		if t.Before(chartFrom) || !t.Before(per.To) {
			return -1
		}
		days := int(math.Round(dates.Day(t, sc.TZ).Sub(chartFrom).Hours() / 24))
		if w := days / 7; w < chartWeeks {
			return w
		}
		return -1
	}

	type ownerFigures struct{ opened, overdue int }
	var (
		opened, resolved, open int
		breached               []crm.ClaimSummary
		resolvedIDs            []uint64
		weekOpened             = make([]float64, chartWeeks)
		weekResolved           = make([]float64, chartWeeks)
		chartData              bool
		byOwner                = map[uint64]*ownerFigures{}
		seen                   = map[uint64]bool{}
	)
	in := func(t time.Time) bool { return !t.Before(per.From) && t.Before(per.To) }
	// Everyone's claims are read at once (a head's digest covers every
	// person), then taken person by person as ClaimsOf gives one
	// person's: owned by or assigned to them, by id.
	var of [2]map[uint64][]crm.ClaimSummary
	for n, openOnes := range []bool{true, false} {
		list, err := s.store.ClaimsOf(ctx, sc.Owners, openOnes)
		if err != nil {
			return nil, err
		}
		of[n] = map[uint64][]crm.ClaimSummary{}
		for _, sm := range list {
			of[n][sm.OwnerID] = append(of[n][sm.OwnerID], sm)
			if sm.AssigneeID != sm.OwnerID {
				of[n][sm.AssigneeID] = append(of[n][sm.AssigneeID], sm)
			}
		}
	}
	for _, id := range sc.Owners {
		for n := range of {
			for _, sm := range of[n][id] {
				// A claim assigned to someone in scope counts only when
				// its owner is in scope too, or it is assigned to the
				// subject or reader in person: another team's claim does
				// not reach a supervisor through their report.
				if seen[sm.ID] || !(inScope[sm.OwnerID] || sm.AssigneeID == sc.Subject.ID || sm.AssigneeID == sc.Reader.ID) {
					continue
				}
				seen[sm.ID] = true
				// A claim counts for its owner when the digest covers the
				// owner, else for the assignee who brought it in.
				who := sm.OwnerID
				if !inScope[who] {
					who = id
				}
				f := byOwner[who]
				if f == nil {
					f = &ownerFigures{}
					byOwner[who] = f
				}
				if in(sm.CreatedAt) {
					opened++
					f.opened++
				}
				if w := weekOf(sm.CreatedAt); w >= 0 {
					weekOpened[w]++
					chartData = true
				}
				if sm.Status.Open() {
					open++
					if sm.Overdue(sc.Now) {
						breached = append(breached, sm)
						f.overdue++
					}
					continue
				}
				if sm.Status != crm.ClaimResolved {
					continue
				}
				if in(sm.ClosedAt) {
					resolved++
					resolvedIDs = append(resolvedIDs, sm.ID)
				}
				if w := weekOf(sm.ClosedAt); w >= 0 {
					weekResolved[w]++
					chartData = true
				}
			}
		}
	}
	if opened == 0 && resolved == 0 && open == 0 && !chartData {
		return nil, nil
	}

	part := &core.DigestPart{PerOwner: map[uint64]string{}}
	part.Lines = append(part.Lines, sc.T("digest.claims.summary", "opened", opened, "resolved", resolved, "breached", len(breached), "open", open))
	for id, f := range byOwner {
		var parts []string
		if f.opened > 0 {
			parts = append(parts, sc.T("digest.claims.owner_new", "count", f.opened))
		}
		if f.overdue > 0 {
			parts = append(parts, sc.T("digest.claims.owner_overdue", "count", f.overdue))
		}
		if len(parts) > 0 {
			part.PerOwner[id] = sc.T("digest.claims.owner", "list", strings.Join(parts, ", "))
		}
	}

	needs, err := s.breachedClaimNeeds(ctx, sc, breached)
	if err != nil {
		return nil, err
	}
	part.Needs = needs

	lines, detail, err := s.claimCauses(ctx, sc, resolvedIDs)
	if err != nil {
		return nil, err
	}
	part.Lines = append(part.Lines, lines...)
	part.Detail = append(part.Detail, detail...)

	if chartData {
		cats := make([]string, chartWeeks)
		for i := range cats {
			_, wk := dates.AddDays(chartFrom, 7*i).ISOWeek()
			cats[i] = sc.T("digest.claims.week", "n", wk)
		}
		part.Charts = append(part.Charts, core.DigestChart{
			Title:      sc.T("digest.claims.chart_title", "count", chartWeeks),
			Categories: cats,
			Series: []core.ChartSeries{
				{Name: sc.T("digest.claims.chart_opened"), Values: weekOpened},
				{Name: sc.T("digest.claims.chart_resolved"), Values: weekResolved},
			},
		})
	}
	return part, nil
}

// mondayOf returns midnight of the Monday of t's week in tz.
func mondayOf(t time.Time, tz *time.Location) time.Time {
	d := dates.Day(t, tz)
	return dates.AddDays(d, -((int(d.Weekday()) + 6) % 7))
}

// breachedClaimNeeds makes one "needs you" item per claim past its SLA:
// the most severe first, then the longest overdue (ranked above every
// other item, since a breached claim is a broken promise to a client).
func (s *service) breachedClaimNeeds(ctx context.Context, sc *core.DigestScope, breached []crm.ClaimSummary) ([]core.DigestNeed, error) {
	if len(breached) == 0 {
		return nil, nil
	}
	// The text is written with the client's name only for the items the
	// digest shows (a head's digest has thousands of breaches).
	needs := make([]core.DigestNeed, 0, len(breached))
	for _, sm := range breached {
		key, due := "digest.claims.need_ack", sm.AckDue
		if sm.ResolveOverdue(sc.Now) {
			key, due = "digest.claims.need_resolve", sm.ResolveDue
		}
		write := func(client string) string {
			text := sc.T(key, "ref", crm.ClaimRef(sm.ID), "client", client,
				"severity", sc.T("claim.severity."+string(sm.Severity)), "due", sc.FmtTime(due))
			if !sc.Personal() {
				text += " — " + sc.PersonName(sm.OwnerID)
			}
			return text
		}
		needs = append(needs, core.DigestNeed{Rank: core.NeedRankBreach + sm.Severity.Rank(), Since: due, ClientID: sm.ClientID, Write: write})
	}
	return needs, nil
}

// claimCauses reads the claims resolved in the period and returns a line
// for each root cause found at two clients or more (it needs corrective
// action, unless every one of its claims recorded one), and, for the
// detailed digest, the causes with their counts.
func (s *service) claimCauses(ctx context.Context, sc *core.DigestScope, ids []uint64) (lines, detail []string, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	claims, err := s.store.ClaimsByID(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	groups := map[string]*causeGroup{}
	var keys []string
	for _, c := range claims {
		if c.Cause == "" {
			continue
		}
		k := crm.NormalizeName(c.Cause)
		if k == "" {
			k = strings.ToLower(c.Cause)
		}
		g := groups[k]
		if g == nil {
			g = &causeGroup{label: c.Cause, clients: map[uint64]bool{}}
			groups[k] = g
			keys = append(keys, k)
		}
		g.n++
		g.clients[c.ClientID] = true
		if c.Action == crm.ActionCorrective || c.Action == crm.ActionPreventive {
			g.corrective++
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := groups[keys[i]], groups[keys[j]]
		if len(a.clients) != len(b.clients) {
			return len(a.clients) > len(b.clients)
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return keys[i] < keys[j]
	})
	var counts []string
	for _, k := range keys {
		g := groups[k]
		counts = append(counts, sc.T("digest.claims.cause_item", "cause", g.label, "n", g.n))
		if len(g.clients) < 2 {
			continue
		}
		clientIDs := make([]uint64, 0, len(g.clients))
		for id := range g.clients {
			clientIDs = append(clientIDs, id)
		}
		names, err := core.ClientNames(ctx, s.store, clientIDs)
		if err != nil {
			return nil, nil, err
		}
		list := make([]string, 0, len(names))
		for _, id := range clientIDs {
			if n := names[id]; n != "" {
				list = append(list, n)
			}
		}
		sort.Strings(list)
		key := "digest.claims.recurring"
		if g.corrective == g.n {
			key = "digest.claims.recurring_done"
		}
		lines = append(lines, "⚠ "+sc.T(key, "cause", g.label, "count", len(g.clients), "clients", strings.Join(list, ", ")))
	}
	if len(counts) > 0 {
		detail = append(detail, sc.T("digest.claims.causes", "list", strings.Join(counts, " · ")))
	}
	return lines, detail, nil
}
