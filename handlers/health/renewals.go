package health

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
	"accountbot/money"
)

// RenewalStore keeps contract renewals (R-n) with their history.
type RenewalStore interface {
	// CreateRenewal stores r, a renewal of an existing client, giving it
	// the next renewal id (never reused) and its history entry; an
	// unknown client is crm.ErrNotFound.
	CreateRenewal(ctx context.Context, r *crm.Renewal) error
	// Renewal returns the renewal with id, or crm.ErrNotFound.
	Renewal(ctx context.Context, id uint64) (*crm.Renewal, error)
	// UpdateRenewal applies fn (which may be re-run) to the renewal with
	// id and stores it with its indexes and one history entry per changed
	// field, by by at at.
	UpdateRenewal(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Renewal) error) (*crm.Renewal, error)
	// ClientRenewals returns every renewal of the client, by id.
	ClientRenewals(ctx context.Context, client uint64) ([]crm.Renewal, error)
	// OpenRenewals returns the open renewals of the owners' clients dated
	// before before, owner by owner in the order given and soonest first
	// within one.
	OpenRenewals(ctx context.Context, owners []uint64, before time.Time) ([]crm.Renewal, error)
}

// renewalCmd: "/renewal NAME DATE [amount=N] [contract=REF]",
// "/renewal R-3", "/renewal done R-3", "/renewal reopen R-3",
// "/renewal edit R-3 date=… amount=… contract=…", "/renewal NAME" (the
// client's renewals).
func (s *service) renewalCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "renewal.usage")
	}
	if len(args) >= 2 {
		switch a := args[0]; {
		case r.Is(a, "renewal.done"):
			if id, ok := parseRenewalRef(args[1]); ok && len(args) == 2 {
				return s.renewalDone(ctx, w, r, id, true)
			}
		case r.Is(a, "renewal.reopen"):
			if id, ok := parseRenewalRef(args[1]); ok && len(args) == 2 {
				return s.renewalDone(ctx, w, r, id, false)
			}
		case r.Is(a, "renewal.edit"):
			if id, ok := parseRenewalRef(args[1]); ok {
				return s.renewalEdit(ctx, w, r, id, strings.Join(args[2:], " "))
			}
		}
	}
	if len(args) == 1 {
		if id, ok := parseRenewalRef(args[0]); ok {
			return s.renewalShow(ctx, w, r, id)
		}
	}
	text, kv := core.TakeKeys(r.Command.Rest, s.words.renewalKeys)
	words := bot.Split(text)
	// The date is the last words, the longest that reads as one ("края на
	// месеца", "15 декември", "next week", "2027-02-24").
	for n := min(3, len(words)-1); n >= 1; n-- {
		day, ok := r.Date(strings.Join(words[len(words)-n:], " "))
		if !ok {
			continue
		}
		return s.renewalAdd(ctx, w, r, strings.Join(words[:len(words)-n], " "), day, kv)
	}
	if len(kv) > 0 {
		return crm.Errorf(crm.EINVALID, "renewal.usage")
	}
	c, err := r.Client(ctx, r.Command.Rest)
	if crm.IsNotFound(err) && len(words) >= 2 {
		// "/renewal Acme someday": a client and a date not understood.
		if _, cerr := r.Client(ctx, strings.Join(words[:len(words)-1], " ")); cerr == nil {
			return crm.Errorf(crm.EINVALID, "error.bad_date", "value", words[len(words)-1])
		}
	}
	if err != nil {
		return err
	}
	return s.renewalList(ctx, w, r, c)
}

// renewalValues applies amount=, currency= and contract= to a renewal.
func (s *service) renewalValues(rn *crm.Renewal, kv map[string]string) error {
	if v, ok := kv["amount"]; ok {
		d, cur, err := core.ParseAmount(v)
		if err != nil {
			return err
		}
		rn.Amount = d
		if cur != "" {
			rn.Currency = cur
		}
	}
	if v, ok := kv["currency"]; ok {
		cur, ok := money.ParseCurrency(v)
		if !ok {
			return crm.Errorf(crm.EINVALID, "deal.bad_currency", "value", v)
		}
		rn.Currency = cur
	}
	if v, ok := kv["contract"]; ok {
		if len([]rune(v)) > 100 {
			return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", 100)
		}
		rn.Contract = v
	}
	if rn.Currency == "" {
		rn.Currency = s.kit.Currency
	}
	return nil
}

func (s *service) renewalAdd(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string, day time.Time, kv map[string]string) error {
	if strings.TrimSpace(name) == "" {
		return crm.Errorf(crm.EINVALID, "renewal.usage")
	}
	if _, ok := kv["date"]; ok {
		return crm.Errorf(crm.EINVALID, "renewal.usage")
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	rn := &crm.Renewal{ClientID: c.ID, Date: day, CreatedBy: actor.PersonID, OnBehalfOf: actor.OnBehalfOf, CreatedAt: r.Now}
	if err := s.renewalValues(rn, kv); err != nil {
		return err
	}
	if err := s.store.CreateRenewal(ctx, rn); err != nil {
		return err
	}
	msg := r.T("renewal.saved", "id", rn.Ref(), "name", c.Name, "date", r.FmtDate(rn.Date))
	if !rn.Amount.IsZero() {
		msg += " · " + money.Format(rn.Amount, rn.Currency, r.Lang)
	}
	if rn.Contract != "" {
		msg += " · " + r.T("renewal.contract", "contract", rn.Contract)
	}
	if day.Before(r.Today()) {
		msg += "\n⚠ " + r.T("renewal.date_past")
	} else {
		msg += "\n" + r.T("renewal.marks")
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: [][]bot.Button{{
		{Label: "✓ " + r.T("renewal.button.done", "id", rn.Ref()), Data: "/renewal done " + rn.Ref()},
		{Label: r.T("button.health"), Data: "/health " + core.ClientRef(c)},
	}}})
}

// visibleRenewal loads a renewal of a client the sender sees.
func (s *service) visibleRenewal(ctx context.Context, r *core.Request, id uint64) (*crm.Renewal, *crm.Client, error) {
	rn, err := s.store.Renewal(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return nil, nil, crm.Errorf(crm.ENOTFOUND, "renewal.not_found", "id", crm.RenewalRef(id))
		}
		return nil, nil, err
	}
	c, err := s.store.Client(ctx, rn.ClientID)
	if err != nil || !r.SeesOwner(c.OwnerID) {
		return nil, nil, crm.Errorf(crm.ENOTFOUND, "renewal.not_found", "id", rn.Ref())
	}
	return rn, c, nil
}

// renewalDone marks a renewal done (renewed), or open again.
func (s *service) renewalDone(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64, done bool) error {
	rn, c, actor, err := core.Changeable(ctx, r, id, s.visibleRenewal)
	if err != nil {
		return err
	}
	if done && !rn.Open() {
		return w.Reply(ctx, bot.Reply{Text: r.T("renewal.already_done", "id", rn.Ref(), "date", r.FmtDate(rn.DoneAt)), Edit: r.Button})
	}
	if !done && rn.Open() {
		return w.Reply(ctx, bot.Reply{Text: r.T("renewal.already_open", "id", rn.Ref())})
	}
	updated, err := s.store.UpdateRenewal(ctx, id, *actor, r.Now, func(x *crm.Renewal) error {
		if done {
			x.DoneAt, x.DoneBy = r.Now, actor.PersonID
		} else {
			x.DoneAt, x.DoneBy = time.Time{}, 0
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !done {
		return w.Reply(ctx, bot.Reply{Text: r.T("renewal.reopened", "id", updated.Ref())})
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("renewal.done", "id", updated.Ref(), "name", c.Name), Edit: r.Button,
		Buttons: [][]bot.Button{{{Label: r.T("renewal.button.next"), Data: "/renewal " + core.ClientRef(c) + " " + dates.Format(updated.Date.AddDate(1, 0, 0), "en")}}}})
}

// renewalEdit changes a renewal's date, amount, currency or contract.
func (s *service) renewalEdit(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64, rest string) error {
	_, kv := core.TakeKeys(rest, s.words.renewalKeys)
	if len(kv) == 0 {
		return crm.Errorf(crm.EINVALID, "renewal.edit_usage")
	}
	rn, c, actor, err := core.Changeable(ctx, r, id, s.visibleRenewal)
	if err != nil {
		return err
	}
	var day time.Time
	if v, ok := kv["date"]; ok {
		d, ok := r.Date(v)
		if !ok {
			return crm.Errorf(crm.EINVALID, "error.bad_date", "value", v)
		}
		day = d
	}
	probe := *rn
	if err := s.renewalValues(&probe, kv); err != nil {
		return err
	}
	updated, err := s.store.UpdateRenewal(ctx, id, *actor, r.Now, func(x *crm.Renewal) error {
		if !day.IsZero() {
			x.Date = day
		}
		return s.renewalValues(x, kv)
	})
	if err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("renewal.edited", "id", updated.Ref()) + "\n" + renewalLine(r, updated, c.Name)})
}

// renewalShow answers "/renewal R-3".
func (s *service) renewalShow(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	rn, c, err := s.visibleRenewal(ctx, r, id)
	if err != nil {
		return err
	}
	rep := bot.Reply{Title: r.T("renewal.card_title", "id", rn.Ref(), "name", c.Name)}
	add := func(label, value string) { rep.Fields = append(rep.Fields, bot.Field{Label: label, Value: value}) }
	add(r.T("renewal.field.date"), r.FmtDate(rn.Date))
	add(r.T("renewal.field.state"), renewalState(r, rn))
	if !rn.Amount.IsZero() {
		add(r.T("renewal.field.amount"), money.Format(rn.Amount, rn.Currency, r.Lang))
	}
	if rn.Contract != "" {
		add(r.T("renewal.field.contract"), rn.Contract)
	}
	add(r.T("renewal.field.recorded"), r.ActorName(rn.CreatedBy, rn.OnBehalfOf)+", "+r.FmtDate(rn.CreatedAt))
	if rn.Open() {
		rep.Buttons = [][]bot.Button{{{Label: "✓ " + r.T("renewal.button.done", "id", rn.Ref()), Data: "/renewal done " + rn.Ref()}}}
	}
	return w.Reply(ctx, rep)
}

// renewalList answers "/renewal NAME": the client's renewals, open ones
// first.
func (s *service) renewalList(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client) error {
	rs, err := s.store.ClientRenewals(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("renewal.none", "name", c.Name, "ref", core.ClientRef(c))})
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Open() != rs[j].Open() {
			return rs[i].Open()
		}
		return rs[i].Date.Before(rs[j].Date)
	})
	var lines []string
	for i := range rs {
		lines = append(lines, "• "+renewalLine(r, &rs[i], ""))
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("renewal.list_title", "name", c.Name, "count", len(rs)), Text: strings.Join(lines, "\n")})
}

// renewalState says where a renewal stands.
func renewalState(r *core.Request, rn *crm.Renewal) string {
	if !rn.Open() {
		return r.T("renewal.state.done", "date", r.FmtDate(rn.DoneAt))
	}
	days := core.DaysBetween(r.Today(), rn.Date)
	switch {
	case days < 0:
		return "⚠ " + r.T("renewal.state.overdue", "count", -days)
	case days == 0:
		return r.T("renewal.state.today")
	}
	return r.T("renewal.state.in", "count", days)
}

// renewalLine is one renewal in a list: "R-1 · 2027-01-15 · Acme ·
// €12,000.00 · K-17 — in 50 days".
func renewalLine(r *core.Request, rn *crm.Renewal, client string) string {
	line := r.T("renewal.line_prefix", "id", rn.Ref()) + " · " + r.FmtDate(rn.Date)
	if client != "" {
		line += " · " + client
	}
	if !rn.Amount.IsZero() {
		line += " · " + money.Format(rn.Amount, rn.Currency, r.Lang)
	}
	if rn.Contract != "" {
		line += " · " + rn.Contract
	}
	return line + " — " + renewalState(r, rn)
}

// nextRenewal is the client's open renewal soonest due, or nil.
func nextRenewal(rs []crm.Renewal) *crm.Renewal {
	var best *crm.Renewal
	for i := range rs {
		if rs[i].Open() && (best == nil || rs[i].Date.Before(best.Date)) {
			best = &rs[i]
		}
	}
	return best
}

// renewalsCmd: "/renewals [month|quarter|year] [mine|team|all]": the open
// renewals of the coming period (and the overdue ones), soonest first,
// with their value and the accounts at risk marked.
func (s *service) renewalsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	scope, months := r.DefaultScope(), 3
	for _, a := range r.Command.Args {
		if sc, ok := r.ScopeWord(a); ok {
			scope = sc
			continue
		}
		switch {
		case r.Is(a, "renewals.month"):
			months = 1
		case r.Is(a, "renewals.quarter"):
			months = 3
		case r.Is(a, "renewals.year"):
			months = 12
		default:
			return crm.Errorf(crm.EINVALID, "renewals.usage")
		}
	}
	owners, err := r.VisibleOwners(scope)
	if err != nil {
		return err
	}
	until := r.Today().AddDate(0, months, 0)
	rows, err := s.store.HealthRows(ctx, owners)
	if err != nil {
		return err
	}
	risky := map[uint64]crm.HealthRow{}
	for _, row := range rows {
		risky[row.ClientID] = row
	}
	type item struct {
		rn    crm.Renewal
		owner uint64
	}
	var items []item
	rs, err := s.store.OpenRenewals(ctx, owners, dates.AddDays(until, 1))
	if err != nil {
		return err
	}
	for _, rn := range rs {
		o := rn.OwnerID
		items = append(items, item{rn, o})
	}
	period := r.T("renewals.period", "count", months)
	if len(items) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("renewals.none", "period", period)})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].rn.Date.Before(items[j].rn.Date) })
	var sums money.Sums
	atRisk := 0
	var lines []string
	pg := r.Page(healthListMax)
	for i := range items {
		it := &items[i]
		sums.Add(it.rn.Currency, it.rn.Amount)
		line := "• " + renewalLine(r, &it.rn, s.clientName(ctx, it.rn.ClientID))
		if row, ok := risky[it.rn.ClientID]; ok {
			atRisk++
			line += " · " + bandMark(row.Band) + " " + bandWord(r, row.Band) + " " + strconv.Itoa(row.Score)
		}
		if it.owner != r.Me.ID {
			line += " (" + r.PersonName(it.owner) + ")"
		}
		if pg.Has(i) {
			lines = append(lines, line)
		}
	}
	if len(items) > pg.End() {
		lines = append(lines, r.T("list.more", "count", len(items)-pg.End()))
	}
	lines = append(lines, "", r.T("renewals.total", "count", len(items), "value", sums.Format(r.Lang, s.kit.Currency), "at_risk", atRisk))
	return w.Reply(ctx, bot.Reply{Title: r.T("renewals.title", "period", period), Text: strings.Join(lines, "\n"), Buttons: r.PageButtons(pg, len(items)), Edit: r.Paged()})
}

// renewalAgenda adds to /today the owners' renewals 90, 60 and 30 days
// ahead, on the day, and overdue ones until they are done.
func (s *service) renewalAgenda(ctx context.Context, r *core.Request, owners []uint64, until time.Time) ([]core.AgendaItem, error) {
	var items []core.AgendaItem
	today := r.Today()
	horizon := dates.AddDays(today, crm.RenewalMarks[0]+1)
	rs, err := s.store.OpenRenewals(ctx, owners, horizon)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		o := rs[i].OwnerID
		rn := &rs[i]
		days, due := rn.RenewalDue(today)
		if !due {
			continue
		}
		line := r.T("today.renewal", "line", renewalLine(r, rn, s.clientName(ctx, rn.ClientID)))
		if days < 0 {
			line = "⚠ " + line
		}
		if o != r.Me.ID {
			line += " (" + r.T("today.for", "name", r.PersonName(o)) + ")"
		}
		at := rn.Date
		if days > 0 {
			at = today
		}
		items = append(items, core.AgendaItem{Due: at, Text: line, Buttons: []bot.Button{
			{Label: "✓ " + rn.Ref(), Data: "/renewal done " + rn.Ref()},
		}})
	}
	return items, nil
}

// csatCmd: "/csat NAME 1..5 [: comment]", "/csat NAME" (the history).
func (s *service) csatCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	return s.satisfactionCmd(ctx, w, r, crm.SatisfactionCSAT)
}

// npsCmd: "/nps NAME 0..10 [: comment]", "/nps NAME" (the history).
func (s *service) npsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	return s.satisfactionCmd(ctx, w, r, crm.SatisfactionNPS)
}

func (s *service) satisfactionCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request, kind string) error {
	usage := "satisfaction.usage_" + kind
	head, comment, hasComment := bot.CutName(r.Command.Rest)
	if !hasComment {
		head = r.Command.Rest
	}
	words := bot.Split(head)
	if len(words) == 0 {
		return crm.Errorf(crm.EINVALID, usage)
	}
	last := strings.TrimSuffix(strings.TrimSuffix(words[len(words)-1], "/5"), "/10")
	n, err := strconv.Atoi(last)
	if err != nil || len(words) < 2 {
		if hasComment {
			return crm.Errorf(crm.EINVALID, usage)
		}
		c, err := r.Client(ctx, r.Command.Rest)
		if err != nil {
			return err
		}
		return s.satisfactionList(ctx, w, r, c)
	}
	sat := &crm.Satisfaction{Kind: kind, Score: n, Comment: strings.TrimSpace(comment), At: r.Now}
	if !sat.Valid() {
		return crm.Errorf(crm.EINVALID, usage)
	}
	if len([]rune(sat.Comment)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	c, actor, err := r.ChangeableClient(ctx, strings.Join(words[:len(words)-1], " "))
	if err != nil {
		return err
	}
	sat.ClientID, sat.By, sat.OnBehalfOf = c.ID, actor.PersonID, actor.OnBehalfOf
	if err := s.store.AddSatisfaction(ctx, sat); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("satisfaction.saved_"+kind, "name", c.Name, "score", n, "who", r.ActorName(sat.By, sat.OnBehalfOf), "date", r.FmtDate(sat.At)),
		Buttons: [][]bot.Button{{{Label: r.T("button.health"), Data: "/health " + core.ClientRef(c)}}}})
}

// satisfactionLine is one score in a history: "2026-11-26 · CSAT 4/5 ·
// Maria Petrova: comment".
func satisfactionLine(r *core.Request, sat *crm.Satisfaction) string {
	line := r.FmtDate(sat.At) + " · " + r.T("satisfaction.score_"+sat.Kind, "score", sat.Score) + " · " + r.ActorName(sat.By, sat.OnBehalfOf)
	if sat.ClaimID != 0 {
		line += " · " + crm.ClaimRef(sat.ClaimID)
	}
	if sat.Comment != "" {
		line += ": " + core.Truncate(sat.Comment, 120)
	}
	return line
}

// satisfactionList answers "/csat NAME": every score, newest first.
func (s *service) satisfactionList(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client) error {
	sats, err := s.store.Satisfactions(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(sats) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("satisfaction.none", "name", c.Name, "ref", core.ClientRef(c))})
	}
	var lines []string
	for i := len(sats) - 1; i >= 0; i-- {
		if len(lines) == healthListMax {
			lines = append(lines, r.T("list.more", "count", i+1))
			break
		}
		lines = append(lines, "• "+satisfactionLine(r, &sats[i]))
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("satisfaction.list_title", "name", c.Name, "count", len(sats)), Text: strings.Join(lines, "\n")})
}

// parseRenewalRef reads "R-3", "r3" or the Cyrillic "Р-3".
func parseRenewalRef(s string) (uint64, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(u, "Р"); ok {
		u = "R" + rest
	}
	if !strings.HasPrefix(u, "R") {
		return 0, false
	}
	return core.ParseRef("R", u)
}
