package health

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/llm"
	"accountbot/money"
	"accountbot/prompts"
)

// maxQBRRunes bounds the model's brief.
const maxQBRRunes = 3000

// qbrPeriod reads the period at the end of words: "Q3", "Q3 2026",
// "2026-Q3", "last" (the previous quarter), "this" (the quarter so far).
// Without one the period is the last 90 days. It returns the words before
// it, the first and last day, and the period's name.
func qbrPeriod(r *core.Request, words []string) (rest []string, from, to time.Time, name string) {
	today := r.Today()
	quarter := func(year, q int) (time.Time, time.Time, string) {
		start := time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, r.TZ)
		end := dates.AddDays(start.AddDate(0, 3, 0), -1)
		if end.After(today) {
			end = today
		}
		return start, end, "Q" + strconv.Itoa(q) + " " + strconv.Itoa(year)
	}
	parseQ := func(s string) (int, bool) {
		s = strings.ToUpper(s)
		s = strings.TrimPrefix(strings.TrimPrefix(s, "Q"), "К")
		s = strings.TrimPrefix(s, "Т")
		q, err := strconv.Atoi(s)
		return q, err == nil && q >= 1 && q <= 4
	}
	n := len(words)
	if n >= 2 {
		if _, ok := parseQ(words[n-2]); ok && strings.ContainsAny(strings.ToUpper(words[n-2]), "QКТ") {
			if y, err := strconv.Atoi(words[n-1]); err == nil && y > 2000 && y < 2200 {
				q, _ := parseQ(words[n-2])
				from, to, name = quarter(y, q)
				return words[:n-2], from, to, name
			}
		}
	}
	if n >= 2 {
		w := strings.ToUpper(words[n-1])
		if y, qs, ok := strings.Cut(w, "-"); ok {
			if yy, err := strconv.Atoi(y); err == nil && yy > 2000 && yy < 2200 {
				if q, ok := parseQ(qs); ok {
					from, to, name = quarter(yy, q)
					return words[:n-1], from, to, name
				}
			}
		}
		if strings.ContainsAny(w, "QКТ") {
			if q, ok := parseQ(w); ok {
				year := today.Year()
				if time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, r.TZ).After(today) {
					year--
				}
				from, to, name = quarter(year, q)
				return words[:n-1], from, to, name
			}
		}
		switch last := words[n-1]; {
		case r.Is(last, "qbr.last"):
			start := quarterStart(today).AddDate(0, -3, 0)
			from, to, name = quarter(start.Year(), (int(start.Month())-1)/3+1)
			return words[:n-1], from, to, name
		case r.Is(last, "qbr.this"):
			start := quarterStart(today)
			from, to, name = quarter(start.Year(), (int(start.Month())-1)/3+1)
			return words[:n-1], from, to, name
		}
	}
	from, to = dates.AddDays(today, -89), today
	return words, from, to, r.FmtDate(from) + " – " + r.FmtDate(to)
}

// qbrCmd: "/qbr NAME [quarter]" — a brief for a quarterly business review,
// phrased by the model when one is configured, by the offline drafter
// otherwise (and when the model fails).
func (s *service) qbrCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	words := bot.Split(r.Command.Rest)
	if len(words) == 0 {
		return crm.Errorf(crm.EINVALID, "qbr.usage")
	}
	rest, from, to, period := qbrPeriod(r, words)
	if len(rest) == 0 {
		return crm.Errorf(crm.EINVALID, "qbr.usage")
	}
	c, err := r.Client(ctx, strings.Join(rest, " "))
	if err != nil {
		return err
	}
	f, err := s.qbrFacts(ctx, r, c, from, to, period)
	if err != nil {
		return err
	}
	a := s.kit.Assistant
	if a == nil || a.Drafter == nil {
		return crm.Internal(errors.New("health: no assistant registered before /qbr"))
	}
	title := r.T("qbr.title", "name", c.Name, "period", period)
	ref := core.ClientRef(c)
	buttons := [][]bot.Button{{
		{Label: r.T("button.health"), Data: "/health " + ref},
		{Label: r.T("button.card"), Data: "/client " + ref},
	}}
	note := ""
	if a.Phrase != nil {
		text, err := s.modelQBR(ctx, r, f)
		if ce := (*crm.Error)(nil); errors.As(err, &ce) {
			return err
		}
		if err == nil {
			return w.Reply(ctx, bot.Reply{Title: title, Text: text + "\n\n" + r.T("qbr.by_model"), Buttons: buttons})
		}
		reason := llm.Reason(err)
		s.kit.Log.Warn("qbr: the language model failed, the offline drafter answers", "client", c.ID, "reason", reason, "err", err)
		note = "⚠ " + core.FallbackNote(r, reason) + "\n\n"
	}
	text, err := a.Drafter.QBR(f)
	if err != nil {
		return crm.Internal(err)
	}
	return w.Reply(ctx, bot.Reply{Title: title, Text: note + text, Buttons: buttons})
}

// modelQBR asks the model for the brief from the client's facts only.
func (s *service) modelQBR(ctx context.Context, r *core.Request, f *crm.QBRFacts) (string, error) {
	return s.kit.Assistant.Phrase(ctx, "qbr", r.Lang, prompts.QBR{QBRFacts: f}, 900, maxQBRRunes)
}

// qbrFacts gathers one client's period: talks, deals, claims, promises,
// health and renewal, phrased for the reader.
func (s *service) qbrFacts(ctx context.Context, r *core.Request, c *crm.Client, from, to time.Time, period string) (*crm.QBRFacts, error) {
	end := dates.AddDays(to, 1)
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(end) }
	f := &crm.QBRFacts{Lang: r.Lang, Today: r.Today(), Sender: r.Me.Name, Client: c.Name, From: from, To: to, Period: period}

	convs, err := s.store.Conversations(ctx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	channels := map[string]int{}
	for _, v := range convs {
		if !in(v.At) {
			continue
		}
		f.Talks++
		for _, ch := range v.Channels {
			channels[ch]++
		}
		if len(f.Latest) < 3 {
			f.Latest = append(f.Latest, crm.FactConversation{At: v.At.In(r.TZ), Channels: v.Channels, Text: core.Truncate(core.OneLine(v.Text), 200)})
		}
	}
	var chs []string
	for ch := range channels {
		chs = append(chs, ch)
	}
	sort.Slice(chs, func(i, j int) bool {
		if channels[chs[i]] != channels[chs[j]] {
			return channels[chs[i]] > channels[chs[j]]
		}
		return chs[i] < chs[j]
	})
	for _, ch := range chs {
		f.Channels = append(f.Channels, strconv.Itoa(channels[ch])+" "+r.T("channel."+ch))
	}

	deals, err := s.store.DealFactsOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var won, open money.Sums
	for _, d := range deals {
		switch {
		case crm.Stage(d.Stage).Open():
			f.Open++
			open.Add(d.Currency, d.Amount)
			if len(f.Deals) < 5 {
				f.Deals = append(f.Deals, crm.FactDeal{ID: crm.DealRef(d.ID), Title: d.Title, Stage: r.T("deal.stage." + d.Stage), Amount: money.Format(d.Amount, d.Currency, r.Lang)})
			}
		case d.Won() && in(d.ClosedAt):
			f.Won++
			won.Add(d.Currency, d.Amount)
		case d.Lost() && in(d.ClosedAt):
			f.Lost++
		}
	}
	if f.Won > 0 {
		f.WonSum = won.Format(r.Lang, s.kit.Currency)
	}
	if f.Open > 0 {
		f.OpenSum = open.Format(r.Lang, s.kit.Currency)
	}

	claims, err := s.store.ClientClaims(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, cl := range claims {
		if in(cl.CreatedAt) {
			f.ClaimsNew++
		}
		if in(cl.ResolvedAt) {
			f.ClaimsResolved++
		}
		if cl.Status.Open() {
			f.Claims = append(f.Claims, crm.FactClaim{ID: cl.Ref(), Text: core.Truncate(core.OneLine(cl.Text), 120), Status: r.T("claim.status." + string(cl.Status)), Severity: string(cl.Severity)})
		}
	}

	proms, err := s.store.ClientPromises(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for i := range proms {
		p := &proms[i]
		if p.Open() {
			f.PromisesOpen = append(f.PromisesOpen, crm.FactStep{ID: p.Ref(), Text: core.Truncate(core.OneLine(p.Text), 120), Due: p.Due})
		}
		if !in(p.Due) {
			continue
		}
		switch {
		case p.BrokenAt(r.Now):
			f.PromisesBroken++
		case p.KeptAt(r.Now):
			f.PromisesKept++
		}
	}

	sum, err := s.currentHealth(ctx, r, c)
	if err != nil {
		return nil, err
	}
	f.Health, f.Band = sum.Score, bandWord(r, sum.Band)
	if delta, then, ok := s.healthTrend(r, sum); ok {
		f.Trend = r.T("health.trend_short", "trend", core.TrendArrow(delta), "date", r.FmtDate(dayOf(r, then.Day)))
		f.HasHealthHistory = true
	}
	for i, fc := range sum.Factors {
		if i == 3 {
			break
		}
		f.Reasons = append(f.Reasons, effectText(fc.Effect)+": "+healthFactorText(r, fc))
	}
	sats, err := s.store.Satisfactions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for i := len(sats) - 1; i >= 0; i-- {
		if !sats[i].At.After(end) {
			f.Satisfaction = r.T("satisfaction.score_"+sats[i].Kind, "score", sats[i].Score) + " (" + r.FmtDate(sats[i].At) + ")"
			break
		}
	}
	renewals, err := s.store.ClientRenewals(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if next := nextRenewal(renewals); next != nil {
		f.Renewal, f.RenewalRef = renewalLine(r, next, ""), next.Ref()
	}
	return f, nil
}
