package claims

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
)

// reportPeriod reads "month", "quarter", "year" (optionally with "last"),
// or "DATE..DATE", and returns [from, to) in the sender's time zone; the
// default is the current month.
func reportPeriod(r *core.Request, words []string) (from, to time.Time, rest []string, err error) {
	today := r.Today()
	unit, back := "month", 0
	var explicit bool
	for _, w := range words {
		lw := strings.ToLower(w)
		switch lw {
		case "month", "месец", "месеца":
			unit = "month"
			continue
		case "quarter", "тримесечие":
			unit = "quarter"
			continue
		case "year", "година", "годината":
			unit = "year"
			continue
		case "last", "previous", "prev", "миналия", "миналото", "миналата", "предишния", "предишното", "предишната":
			back = 1
			continue
		}
		if a, b, ok := strings.Cut(w, ".."); ok {
			d1, ok1 := r.Date(a)
			d2, ok2 := r.Date(b)
			if !ok1 || !ok2 || d2.Before(d1) {
				return from, to, nil, crm.Errorf(crm.EINVALID, "claims.report_usage")
			}
			from, to, explicit = d1, dates.AddDays(d2, 1), true
			continue
		}
		rest = append(rest, w)
	}
	if explicit {
		return from, to, rest, nil
	}
	y, m := today.Year(), today.Month()
	switch unit {
	case "month":
		from = time.Date(y, m-time.Month(back), 1, 0, 0, 0, 0, r.TZ)
		to = time.Date(from.Year(), from.Month()+1, 1, 0, 0, 0, 0, r.TZ)
	case "quarter":
		q := (int(m) - 1) / 3
		from = time.Date(y, time.Month(q*3+1-3*back), 1, 0, 0, 0, 0, r.TZ)
		to = time.Date(from.Year(), from.Month()+3, 1, 0, 0, 0, 0, r.TZ)
	case "year":
		from = time.Date(y-back, 1, 1, 0, 0, 0, 0, r.TZ)
		to = time.Date(y-back+1, 1, 1, 0, 0, 0, 0, r.TZ)
	}
	return from, to, rest, nil
}

// countOf is a label and how often it occurs.
type countOf struct {
	label string
	n     int
}

func sortedCounts(m map[string]int, label func(string) string) []countOf {
	out := make([]countOf, 0, len(m))
	for k, n := range m {
		out = append(out, countOf{label(k), n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].label < out[j].label
	})
	return out
}

func joinCounts(cs []countOf, max int) string {
	var parts []string
	for i, c := range cs {
		if i == max {
			break
		}
		parts = append(parts, c.label+" "+strconv.Itoa(c.n))
	}
	return strings.Join(parts, " · ")
}

// fmtWork writes a working-time duration in working days (of length day;
// none when day is 0), hours and minutes: "1d 2h", "45min".
func fmtWork(t func(string, ...any) string, d, day time.Duration) string {
	d = d.Round(time.Minute)
	days := 0
	if day > 0 {
		days = int(d / day)
		d -= time.Duration(days) * day
	}
	hours := int(d / time.Hour)
	mins := int((d % time.Hour) / time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, t("claim.unit.d", "n", days))
	}
	if hours > 0 {
		parts = append(parts, t("claim.unit.h", "n", hours))
	}
	if mins > 0 || len(parts) == 0 {
		parts = append(parts, t("claim.unit.m", "n", mins))
	}
	return strings.Join(parts, " ")
}

func fmtSpan(t func(string, ...any) string, sp crm.Span, h crm.BusinessHours) string {
	return fmtWork(t, h.Duration(sp), h.DayLength())
}

// causeGroup gathers the claims with one root cause.
type causeGroup struct {
	label      string
	n          int
	corrective int
	clients    map[uint64]bool
}

// claimsReport answers "/claims report [month|quarter|year|last …|DATE..DATE]
// [mine|team|@person]" over the claims received in the period.
func (s *service) claimsReport(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	from, to, rest, err := reportPeriod(r, words)
	if err != nil {
		return err
	}
	f, err := s.parseClaimFilter(r, rest)
	if err != nil {
		return err
	}
	if f.client != "" || f.status != "open" {
		return crm.Errorf(crm.EINVALID, "claims.report_usage")
	}
	set, err := claimScope(r, f)
	if err != nil {
		return err
	}
	settings, err := s.store.ClaimSettings(ctx)
	if err != nil {
		return err
	}
	hours := settings.Hours
	var (
		total, open, overdue, resolved, rejected int
		ackIn, ackN, resIn, resN                 int
		scoreSum, scoreN                         int
		byCat, bySev                             = map[string]int{}, map[string]int{}
		byClient                                 = map[uint64]int{}
		causes                                   = map[string]*causeGroup{}
		ackTimes, resTimes                       = map[crm.Severity][]time.Duration{}, map[crm.Severity][]time.Duration{}
	)
	people := make([]uint64, 0, len(set))
	for id := range set {
		people = append(people, id)
	}
	q := crm.ClaimsReceivedQuery{From: from, To: to, People: people, Category: f.category}
	err = s.store.ClaimsReceived(ctx, q, func(c *crm.Claim) bool {
		// An assignee's claim counts only for those who may see it.
		if !set[c.OwnerID] && !r.SeesClaim(c.OwnerID, c.AssigneeID) {
			return true
		}
		total++
		byCat[c.Category]++
		bySev[string(c.Severity)]++
		byClient[c.ClientID]++
		term := settings.Term(c.Severity)
		if !c.AckedAt.IsZero() {
			d := hours.Between(c.CreatedAt, c.AckedAt, r.TZ)
			ackTimes[c.Severity] = append(ackTimes[c.Severity], d)
			ackN++
			if d <= hours.Duration(term.Ack) {
				ackIn++
			}
		}
		switch c.Status {
		case crm.ClaimResolved:
			resolved++
			d := hours.Between(c.CreatedAt, c.ResolvedAt, r.TZ)
			resTimes[c.Severity] = append(resTimes[c.Severity], d)
			resN++
			if d <= hours.Duration(term.Resolve) {
				resIn++
			}
		case crm.ClaimRejected:
			rejected++
		default:
			open++
			if c.Overdue(r.Now) {
				overdue++
			}
		}
		if c.Satisfaction > 0 {
			scoreSum += c.Satisfaction
			scoreN++
		}
		if c.Cause != "" {
			k := crm.NormalizeName(c.Cause)
			if k == "" {
				k = strings.ToLower(c.Cause)
			}
			g := causes[k]
			if g == nil {
				g = &causeGroup{label: c.Cause, clients: map[uint64]bool{}}
				causes[k] = g
			}
			g.n++
			g.clients[c.ClientID] = true
			if c.Action == crm.ActionCorrective || c.Action == crm.ActionPreventive {
				g.corrective++
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	period := r.FmtDate(from) + " – " + r.FmtDate(to.Add(-time.Second))
	title := r.T("claims.report_title", "period", period, "count", total)
	if total == 0 {
		return w.Reply(ctx, bot.Reply{Title: title, Text: r.T("claims.report_empty")})
	}
	var lines []string
	lines = append(lines, r.T("claims.report_by_category", "list", joinCounts(sortedCounts(byCat, func(k string) string { return categoryName(r.T, k) }), 10)))
	var sevs []string
	for _, sev := range crm.Severities {
		if n := bySev[string(sev)]; n > 0 {
			sevs = append(sevs, r.T("claim.severity."+string(sev))+" "+strconv.Itoa(n))
		}
	}
	lines = append(lines, r.T("claims.report_by_severity", "list", strings.Join(sevs, " · ")))
	lines = append(lines, r.T("claims.report_status", "open", open, "overdue", overdue, "resolved", resolved, "rejected", rejected))

	lines = append(lines, "", r.T("claims.report_times"))
	dash := "—"
	for _, sev := range crm.Severities {
		if bySev[string(sev)] == 0 {
			continue
		}
		term := settings.Term(sev)
		ack, res := dash, dash
		if m, ok := core.Median(ackTimes[sev]); ok {
			ack = fmtWork(r.T, m, hours.DayLength())
		}
		if m, ok := core.Median(resTimes[sev]); ok {
			res = fmtWork(r.T, m, hours.DayLength())
		}
		lines = append(lines, r.T("claims.report_time_line", "severity", r.T("claim.severity."+string(sev)),
			"ack", ack, "ack_sla", fmtSpan(r.T, term.Ack, hours), "resolve", res, "resolve_sla", fmtSpan(r.T, term.Resolve, hours)))
	}
	lines = append(lines, r.T("claims.report_ack_share", "in", ackIn, "of", ackN, "pct", core.Percent(ackIn, ackN)))
	lines = append(lines, r.T("claims.report_resolve_share", "in", resIn, "of", resN, "pct", core.Percent(resIn, resN)))
	if scoreN > 0 {
		avg := fmt.Sprintf("%.1f", float64(scoreSum)/float64(scoreN))
		if r.Lang == "bg" {
			avg = strings.Replace(avg, ".", ",", 1) // Bulgarian writes a decimal comma
		}
		lines = append(lines, r.T("claims.report_satisfaction", "avg", avg, "count", scoreN))
	} else {
		lines = append(lines, r.T("claims.report_no_satisfaction"))
	}

	// Every client the report may name, read at once (a head's report
	// names hundreds).
	ids := make([]uint64, 0, len(byClient))
	for id := range byClient {
		ids = append(ids, id)
	}
	for _, g := range causes {
		if len(g.clients) >= 2 {
			for id := range g.clients {
				if _, ok := byClient[id]; !ok {
					ids = append(ids, id)
				}
			}
		}
	}
	names, err := core.ClientNames(ctx, s.store, ids)
	if err != nil {
		return err
	}
	if len(causes) > 0 {
		byCause := map[string]int{}
		for _, g := range causes {
			byCause[g.label] = g.n
		}
		lines = append(lines, "", r.T("claims.report_causes", "list", joinCounts(sortedCounts(byCause, func(k string) string { return k }), 10)))
		keys := make([]string, 0, len(causes))
		for k := range causes {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, b := causes[keys[i]], causes[keys[j]]
			if len(a.clients) != len(b.clients) {
				return len(a.clients) > len(b.clients)
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			g := causes[k]
			if len(g.clients) < 2 {
				continue
			}
			var named []string
			for id := range g.clients {
				if n := names[id]; n != "" {
					named = append(named, n)
				}
			}
			sort.Strings(named)
			line := "⚠ " + r.T("claims.report_recurring", "cause", g.label, "count", len(g.clients), "clients", strings.Join(named, ", "))
			if g.corrective > 0 {
				line += " " + r.T("claims.report_action_taken", "done", g.corrective, "of", g.n)
			}
			lines = append(lines, line)
		}
	}

	top := make([]countOf, 0, len(byClient))
	for id, n := range byClient {
		name := names[id]
		if name == "" {
			name = "#" + strconv.FormatUint(id, 10)
		}
		top = append(top, countOf{name, n})
	}
	sort.Slice(top, func(i, j int) bool {
		if top[i].n != top[j].n {
			return top[i].n > top[j].n
		}
		return top[i].label < top[j].label
	})
	lines = append(lines, "", r.T("claims.report_top_clients", "list", joinCounts(top, 5)))
	return w.Reply(ctx, bot.Reply{Title: title, Text: strings.Join(lines, "\n"),
		Buttons: [][]bot.Button{{{Label: r.T("claims.button.overdue"), Data: "/claims overdue"}}}})
}

// isoDay numbers weekdays Monday 1 … Sunday 7.
func isoDay(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// fmtWeekdays writes working days as "Mon–Fri" or "Mon, Wed, Fri".
func fmtWeekdays(t func(string, ...any) string, days []time.Weekday) string {
	sorted := append([]time.Weekday(nil), days...)
	sort.Slice(sorted, func(i, j int) bool { return isoDay(sorted[i]) < isoDay(sorted[j]) })
	name := func(d time.Weekday) string { return t("claim.weekday." + strings.ToLower(d.String()[:3])) }
	contiguous := len(sorted) > 2
	for i := 1; i < len(sorted); i++ {
		if isoDay(sorted[i]) != isoDay(sorted[i-1])+1 {
			contiguous = false
		}
	}
	if contiguous {
		return name(sorted[0]) + "–" + name(sorted[len(sorted)-1])
	}
	var parts []string
	for _, d := range sorted {
		parts = append(parts, name(d))
	}
	return strings.Join(parts, ", ")
}

func clockText(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// claimSettingsText describes the SLA settings.
func claimSettingsText(r *core.Request, cs crm.ClaimSettings) string {
	t := r.T
	h := cs.Hours
	lines := []string{t("claims.settings_hours", "days", fmtWeekdays(t, h.Days), "from", clockText(h.Start), "to", clockText(h.End), "day", fmtWork(t, h.DayLength(), 0)), daysOffText(r, h)}
	for _, sev := range crm.Severities {
		term := cs.Term(sev)
		lines = append(lines, t("claims.settings_line", "severity", t("claim.severity."+string(sev)), "ack", fmtSpan(t, term.Ack, h), "resolve", fmtSpan(t, term.Resolve, h)))
	}
	return strings.Join(lines, "\n")
}

// claimSettingsCmd shows the SLA settings, and lets a head change them:
// "/claims settings critical=4h/2d high=1d/5d hours=09:00-18:00
// days=mon-fri", or "/claims settings reset".
func (s *service) claimSettingsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	cs, err := s.store.ClaimSettings(ctx)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		return w.Reply(ctx, bot.Reply{Title: r.T("claims.settings_title"), Text: claimSettingsText(r, cs) + "\n\n" + r.T("claims.settings_hint")})
	}
	if r.Me.Role != crm.RoleHead {
		return crm.Errorf(crm.EFORBIDDEN, "claims.settings_forbidden")
	}
	next := cs.Clone()
	if len(words) == 1 && r.Is(words[0], "reset") {
		next = crm.DefaultClaimSettings()
	} else {
		for _, wd := range words {
			k, v, ok := strings.Cut(wd, "=")
			if !ok {
				return crm.Errorf(crm.EINVALID, "claims.settings_usage")
			}
			k = strings.ToLower(k)
			if sev, ok := crm.ParseSeverity(k); ok {
				a, b, ok := strings.Cut(v, "/")
				ack, ok1 := crm.ParseSpan(a)
				res, ok2 := crm.ParseSpan(b)
				if !ok || !ok1 || !ok2 {
					return crm.Errorf(crm.EINVALID, "claims.bad_sla", "value", v)
				}
				next.SLA[sev] = crm.SLATerm{Ack: ack, Resolve: res}
				continue
			}
			switch k {
			case "hours", "часове", "време", "работно_време":
				a, b, ok := strings.Cut(v, "-")
				h1, m1, ok1 := dates.ParseClock(a)
				h2, m2, ok2 := dates.ParseClock(b)
				if b == "24:00" {
					h2, m2, ok2 = 24, 0, true
				}
				if !ok || !ok1 || !ok2 || h1*60+m1 >= h2*60+m2 {
					return crm.Errorf(crm.EINVALID, "claims.bad_hours", "value", v)
				}
				next.Hours.Start, next.Hours.End = h1*60+m1, h2*60+m2
			case "days", "дни":
				days, ok := s.kit.ParseWeekdays(v)
				if !ok || days == 0 {
					return crm.Errorf(crm.EINVALID, "claims.bad_days", "value", v)
				}
				next.Hours.Days = days.List()
			case "holidays", "празници":
				switch strings.ToLower(v) {
				case "bg", "bulgaria", "бг", "българия":
					next.Hours.Holidays = crm.HolidaysBulgaria
				case "none", "off", "no", "няма", "не", "без":
					next.Hours.Holidays = ""
				default:
					return crm.Errorf(crm.EINVALID, "claims.bad_holidays", "value", v)
				}
			case "closed", "почивни":
				closed, ok := closedDays(r, v)
				if !ok {
					return crm.Errorf(crm.EINVALID, "claims.bad_closed", "value", v)
				}
				next.Hours.Closed = closed
			default:
				return crm.Errorf(crm.EINVALID, "claims.settings_usage")
			}
		}
	}
	if err := s.store.SaveClaimSettings(ctx, next, r.Actor(), r.Now); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("claims.settings_saved"), Text: claimSettingsText(r, next) + "\n" + r.T("claims.settings_note")})
}

// closedDays reads "2026-12-31,02.01.2027" (any date form) into sorted
// dates without repeats; "none" clears the list.
func closedDays(r *core.Request, v string) ([]string, bool) {
	switch strings.ToLower(v) {
	case "none", "off", "no", "няма", "не", "без":
		return nil, true
	}
	seen := map[string]bool{}
	var out []string
	for _, part := range strings.Split(v, ",") {
		d, ok := r.Date(strings.TrimSpace(part))
		if !ok {
			return nil, false
		}
		if s := d.Format(time.DateOnly); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, true
}

// daysOffText says which days off besides the weekly ones stop SLA time,
// with the next few, so that a head can check the calendar.
func daysOffText(r *core.Request, h crm.BusinessHours) string {
	if h.Holidays == "" && len(h.Closed) == 0 {
		return r.T("claims.settings_no_days_off")
	}
	today := r.Today()
	from := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	var upcoming []time.Time
	for _, y := range []int{from.Year(), from.Year() + 1} {
		upcoming = append(upcoming, crm.PublicHolidays(h.Holidays, y)...)
	}
	for _, c := range h.Closed {
		if d, err := time.Parse(time.DateOnly, c); err == nil {
			upcoming = append(upcoming, d)
		}
	}
	sort.Slice(upcoming, func(i, j int) bool { return upcoming[i].Before(upcoming[j]) })
	var next []string
	for i, d := range upcoming {
		if d.Before(from) || (i > 0 && d.Equal(upcoming[i-1])) {
			continue
		}
		if len(next) == 5 {
			break
		}
		// A date, not a moment: shown as the same calendar day everywhere.
		next = append(next, dates.Format(d, r.Lang))
	}
	var what []string
	if h.Holidays != "" {
		what = append(what, r.T("claims.holidays."+h.Holidays))
	}
	if len(h.Closed) > 0 {
		what = append(what, r.T("claims.closed_days", "count", len(h.Closed)))
	}
	if len(next) == 0 {
		next = append(next, "—")
	}
	return r.T("claims.settings_days_off", "what", strings.Join(what, "; "), "next", strings.Join(next, ", "))
}
