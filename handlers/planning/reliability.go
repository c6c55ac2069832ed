package planning

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// ReliabilityStore keeps how clients paid and the weights of the
// reliability model. It follows the rules every port shares
// (handlers/service.go).
type ReliabilityStore interface {
	// AddPayment records how the client paid one invoice, giving p its id.
	AddPayment(ctx context.Context, p *crm.Payment) error
	// Payments returns the client's payments, oldest first.
	Payments(ctx context.Context, client uint64) ([]crm.Payment, error)
	// ReliabilityWeights returns the saved weights over the defaults.
	ReliabilityWeights(ctx context.Context) (crm.ReliabilityWeights, error)
	// SaveReliabilityWeights stores w with one history entry (kind
	// "reliability_weights") per changed weight, by by at at.
	SaveReliabilityWeights(ctx context.Context, w crm.ReliabilityWeights, by crm.Actor, at time.Time) error
}

// trendDays is how far back the card's trend compares the score.
const trendDays = 90

// reliabilityFacts gathers what the score of one client is computed from.
func (s *service) reliabilityFacts(ctx context.Context, c *crm.Client) (crm.ReliabilityFacts, error) {
	ps := s.store
	f := crm.ReliabilityFacts{Client: c, StaleReview: s.staleReview}
	var err error
	if f.Payments, err = ps.Payments(ctx, c.ID); err != nil {
		return f, err
	}
	claims, err := s.store.ClientClaims(ctx, c.ID)
	if err != nil {
		return f, err
	}
	for _, cl := range claims {
		cf := crm.ClaimFact{CreatedAt: cl.CreatedAt, Severity: cl.Severity}
		if cl.Status == crm.ClaimRejected {
			cf.RejectedAt = cl.ClosedAt
			if cf.RejectedAt.IsZero() {
				cf.RejectedAt = cl.CreatedAt
			}
		}
		f.Claims = append(f.Claims, cf)
	}
	if f.Promises, err = ps.ClientPromises(ctx, c.ID); err != nil {
		return f, err
	}
	if f.Deals, err = ps.DealFactsOf(ctx, c.ID); err != nil {
		return f, err
	}
	return f, nil
}

// reliabilityNow returns the client's score now and trendDays ago.
func (s *service) reliabilityNow(ctx context.Context, r *core.Request, c *crm.Client) (now, before crm.Reliability, err error) {
	f, err := s.reliabilityFacts(ctx, c)
	if err != nil {
		return now, before, err
	}
	w, err := s.store.ReliabilityWeights(ctx)
	if err != nil {
		return now, before, err
	}
	return crm.ScoreReliability(f, w, r.Now), crm.ScoreReliability(f, w, r.Now.AddDate(0, 0, -trendDays)), nil
}

// reliabilityCmd: "/reliability NAME", "/reliability settings [factor=N…|reset]".
func (s *service) reliabilityCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "reliability.usage")
	}
	if r.Is(args[0], "reliability.settings") {
		return s.reliabilitySettings(ctx, w, r, args[1:])
	}
	c, err := r.Client(ctx, r.Command.Rest)
	if err != nil {
		return err
	}
	now, before, err := s.reliabilityNow(ctx, r, c)
	if err != nil {
		return err
	}
	rep := bot.Reply{Title: r.T("reliability.title", "name", c.Name, "score", now.Score)}
	var lines []string
	if !now.Enough {
		rep.Title = r.T("reliability.title_no_data", "name", c.Name)
		lines = append(lines, r.T("reliability.not_enough", "count", now.Evidence, "min", crm.MinReliabilityEvidence))
	} else {
		lines = append(lines, trendLine(r, now, before))
	}
	lines = append(lines, "")
	for _, f := range now.Factors {
		lines = append(lines, factorLine(r, f, now.Enough))
	}
	lines = append(lines, "", r.T("reliability.model"))
	rep.Text = strings.Join(lines, "\n")
	ref := core.ClientRef(c)
	rep.Buttons = [][]bot.Button{{
		{Label: r.T("reliability.button.on_time"), Data: "/payment " + ref + " on-time"},
		{Label: r.T("button.card"), Data: "/client " + ref},
	}}
	return w.Reply(ctx, rep)
}

// trendLine compares the score with the one trendDays ago.
func trendLine(r *core.Request, now, before crm.Reliability) string {
	date := r.FmtDate(r.Now.AddDate(0, 0, -trendDays))
	if !before.Enough {
		return r.T("reliability.trend_none", "date", date)
	}
	return r.T("reliability.trend", "trend", core.TrendArrow(now.Score-before.Score), "date", date, "score", before.Score)
}

// factorLine explains one factor: its points and the facts behind them.
func factorLine(r *core.Request, f crm.Factor, scored bool) string {
	name := r.T("reliability.factor." + f.Name)
	args := []any{}
	for k, v := range f.Facts {
		args = append(args, k, v)
	}
	var facts string
	switch f.Name {
	case crm.FactorRecord:
		cur := r.T("reliability.record_stale")
		if f.Facts["current"] == true {
			cur = r.T("reliability.record_current")
		}
		facts = r.T("reliability.facts.record", "filled", f.Facts["filled"], "fields", f.Facts["fields"], "current", cur)
	case crm.FactorRating:
		if !f.HasData {
			facts = r.T("reliability.facts.rating_none")
		} else {
			facts = r.T("reliability.facts.rating", args...)
		}
	default:
		facts = r.T("reliability.facts."+f.Name, args...)
	}
	switch {
	case f.Weight <= 0:
		return "• " + name + ": " + r.T("reliability.weight_zero") + " — " + facts
	case !f.HasData:
		return "• " + name + ": " + r.T("reliability.no_data") + " — " + facts
	case !scored:
		return "• " + name + " — " + facts
	}
	return fmt.Sprintf("• %s %s — %s", name, r.T("reliability.points", "points", int(math.Round(f.Points)), "max", int(math.Round(f.Max))), facts)
}

// reliabilitySettings shows the weights or (heads only) changes them.
func (s *service) reliabilitySettings(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	ps := s.store
	cur, err := ps.ReliabilityWeights(ctx)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		if r.Me.Role != crm.RoleHead {
			return crm.Errorf(crm.EFORBIDDEN, "reliability.settings_forbidden")
		}
		next := crm.ReliabilityWeights{}
		for k, v := range cur {
			next[k] = v
		}
		if len(words) == 1 && r.Is(words[0], "reset") {
			next = crm.DefaultReliabilityWeights()
		} else {
			for _, wd := range words {
				k, v, ok := strings.Cut(wd, "=")
				f, known := s.words.factors[strings.ToLower(strings.TrimSpace(k))]
				if !ok || !known {
					return crm.Errorf(crm.EINVALID, "reliability.settings_usage")
				}
				n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(v, "%")))
				if err != nil || n < 0 || n > crm.MaxReliabilityWeight {
					return crm.Errorf(crm.EINVALID, "reliability.bad_weight", "value", v, "max", crm.MaxReliabilityWeight)
				}
				next[f] = n
			}
		}
		total := 0
		for _, v := range next {
			total += v
		}
		if total == 0 {
			return crm.Errorf(crm.EINVALID, "reliability.all_zero")
		}
		if err := ps.SaveReliabilityWeights(ctx, next, r.Actor(), r.Now); err != nil {
			return err
		}
		cur = next
	}
	total := 0
	var parts []string
	for _, f := range crm.ReliabilityFactors {
		total += cur[f]
		parts = append(parts, r.T("reliability.factor."+f)+" "+strconv.Itoa(cur[f]))
	}
	text := r.T("reliability.weights", "weights", strings.Join(parts, " · "), "total", total) + "\n" + r.T("reliability.settings_hint")
	if len(words) > 0 {
		text = r.T("reliability.settings_saved") + "\n" + text
	}
	return w.Reply(ctx, bot.Reply{Text: text})
}

// paymentCmd records how a client paid an invoice:
// "/payment NAME on-time|late 12d [: invoice]".
func (s *service) paymentCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	head, invoice, _ := bot.CutName(r.Command.Rest)
	if head == "" {
		head = r.Command.Rest
	}
	words := bot.Split(head)
	idx, onTime, days := paymentWords(r, words)
	if idx < 1 {
		return crm.Errorf(crm.EINVALID, "payment.usage")
	}
	if len([]rune(invoice)) > 200 {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", 200)
	}
	c, actor, err := r.ChangeableClient(ctx, strings.Join(words[:idx], " "))
	if err != nil {
		return err
	}
	p := &crm.Payment{ClientID: c.ID, OnTime: onTime, DaysLate: days, Invoice: strings.TrimSpace(invoice), At: r.Now, By: actor.PersonID, OnBehalfOf: actor.OnBehalfOf}
	if err := s.store.AddPayment(ctx, p); err != nil {
		return err
	}
	msg := r.T("payment.saved_on_time", "name", c.Name)
	if !onTime {
		msg = r.T("payment.saved_late", "name", c.Name, "count", days)
	}
	if p.Invoice != "" {
		msg += " " + r.T("payment.invoice", "invoice", p.Invoice)
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: [][]bot.Button{{{Label: r.T("reliability.button.score"), Data: "/reliability " + core.ClientRef(c)}}}})
}

// paymentWords finds how a payment went at the end of words: "on-time",
// "on time", "навреме", "на време" (one or two words of
// "words.payment.on_time"), or "late 12d", "закъсняло 12 дни"
// ("words.payment.late"). It returns where the client's name ends (-1
// when not found), whether the payment was on time and how many days late
// it was.
func paymentWords(r *core.Request, words []string) (end int, onTime bool, days int) {
	n := len(words)
	if n == 0 {
		return -1, false, 0
	}
	last := words[n-1]
	if r.Is(last, "payment.on_time") {
		return n - 1, true, 0
	}
	if n >= 2 && r.Is(words[n-2]+" "+last, "payment.on_time") {
		return n - 2, true, 0
	}
	for i := n - 2; i >= 1; i-- {
		if !r.Is(words[i], "payment.late") {
			continue
		}
		d, used := parseLateDays(r, words[i+1:])
		if d > 0 && i+1+used == n {
			return i, false, d
		}
	}
	return -1, false, 0
}

// parseLateDays reads "12d", "12", "12 days", "12 дни", "с 12 дни".
func parseLateDays(r *core.Request, words []string) (int, int) {
	if len(words) == 0 {
		return 0, 0
	}
	used := 0
	if r.Is(words[0], "list.late_by") {
		words, used = words[1:], 1
	}
	if len(words) == 0 {
		return 0, 0
	}
	num := strings.ToLower(words[0])
	num = strings.TrimRight(num, "dд")
	for _, u := range r.Words("list.late_glued") {
		num = strings.TrimSuffix(num, u)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > 3650 {
		return 0, 0
	}
	used++
	if len(words) > 1 {
		if r.Is(words[1], "list.late_unit") {
			used++
		}
	}
	return n, used
}

// reliabilityCardSection adds the score and its trend to the card.
func (s *service) reliabilityCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	now, before, err := s.reliabilityNow(ctx, r, c)
	if err != nil {
		return nil, err
	}
	value := r.T("reliability.card_no_data")
	if now.Enough {
		value = r.T("reliability.card_value", "score", now.Score)
		if before.Enough {
			value += " " + r.T("reliability.card_trend", "trend", core.TrendArrow(now.Score-before.Score), "count", trendDays)
		}
	}
	return []bot.Field{{Label: r.T("card.reliability"), Value: value}}, nil
}
