package planning

import (
	"context"
	"sort"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"

	"accountbot/handlers/core"
	"github.com/shopspring/decimal"
)

// CampaignStore keeps campaigns and their leads. A client is a lead of a
// campaign when /lead tied it, or when its source is the campaign's name. It
// follows the rules every port shares (handlers/service.go).
type CampaignStore interface {
	// CreateCampaign stores c, giving it its id; a campaign of the same
	// name (as names compare) is a crm.ECONFLICT error.
	CreateCampaign(ctx context.Context, c *crm.Campaign) error
	// Campaigns returns every campaign, by id.
	Campaigns(ctx context.Context) ([]*crm.Campaign, error)
	// CampaignByName returns the campaign whose name equals name as names
	// compare, or crm.ErrNotFound.
	CampaignByName(ctx context.Context, name string) (*crm.Campaign, error)
	// AddLead records l and sets the client's source to the campaign's
	// name (in its history, by by), in one transaction; it reports false,
	// changing nothing, when the client already was a lead of it.
	AddLead(ctx context.Context, l *crm.Lead, by crm.Actor) (bool, error)
	// CampaignLeads returns the leads of c, by client id; a lead by
	// source has the client's creation as its time and no author.
	CampaignLeads(ctx context.Context, c *crm.Campaign) ([]crm.Lead, error)
	// CampaignLeadCount returns how many leads CampaignLeads would list,
	// reading no lead or client.
	CampaignLeadCount(ctx context.Context, c *crm.Campaign) (int, error)
	// ClientLeads returns the leads /lead recorded for the client, one
	// per campaign, by campaign id.
	ClientLeads(ctx context.Context, client uint64) ([]crm.Lead, error)
}

// campaignKeys are the keys of /campaign add (after canonicalKey), their
// words "words.campaign.key.*".
var campaignKeys = []string{"kind", "date", "city", "budget", "currency"}

// campaignCmd: "/campaign add \"NAME\" kind=… date=DATE [city=…]
// [budget=N]", "/campaign NAME", "/campaign NAME report".
func (s *service) campaignCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "campaign.usage")
	}
	if r.Is(args[0], "campaign.add") {
		return s.campaignAdd(ctx, w, r, args[1:])
	}
	if len(args) > 1 && r.Is(args[len(args)-1], "campaign.report") {
		c, err := s.findCampaign(ctx, strings.Join(args[:len(args)-1], " "))
		if err != nil {
			return err
		}
		return s.campaignReport(ctx, w, r, c)
	}
	c, err := s.findCampaign(ctx, strings.Join(args, " "))
	if err != nil {
		return err
	}
	return s.campaignShow(ctx, w, r, c)
}

func (s *service) campaignAdd(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	a := core.SplitKV(words, s.kit.KeyWord)
	name := strings.TrimSpace(strings.Join(a.Plain, " "))
	if name == "" || crm.NormalizeName(name) == "" {
		return crm.Errorf(crm.EINVALID, "campaign.add_usage")
	}
	if len([]rune(name)) > 200 {
		return crm.Errorf(crm.EINVALID, "campaign.name_too_long")
	}
	kv := map[string]string{}
	for _, k := range a.Keys {
		ck, ok := s.words.campaignKeys[k]
		if !ok {
			return crm.Errorf(crm.EINVALID, "campaign.bad_key", "key", k)
		}
		kv[ck] = strings.TrimSpace(a.KV[k])
	}
	kind, ok := s.words.campaignKinds[strings.ToLower(strings.TrimSpace(kv["kind"]))]
	if !ok {
		return crm.Errorf(crm.EINVALID, "campaign.bad_kind", "value", kv["kind"])
	}
	day, ok := r.Date(kv["date"])
	if !ok {
		if kv["date"] == "" {
			return crm.Errorf(crm.EINVALID, "campaign.add_usage")
		}
		return crm.Errorf(crm.EINVALID, "error.bad_date", "value", kv["date"])
	}
	c := &crm.Campaign{Name: name, Kind: kind, Date: day, City: kv["city"], CreatedBy: r.Me.ID, CreatedAt: r.Now}
	if b := kv["budget"]; b != "" {
		if kv["currency"] != "" {
			b += " " + kv["currency"]
		}
		amount, cur, err := parseMoney(b, s.kit.Currency)
		if err != nil {
			return err
		}
		c.Budget, c.Currency, c.HasBudget = amount, cur, true
	}
	if err := s.store.CreateCampaign(ctx, c); err != nil {
		return err
	}
	msg := r.T("campaign.saved", "name", c.Name, "kind", r.T("campaign.kind."+c.Kind), "date", r.FmtDate(c.Date))
	return w.Reply(ctx, bot.Reply{Text: msg + "\n" + r.T("campaign.lead_hint", "name", bot.Quote(c.Name)),
		Buttons: [][]bot.Button{{{Label: r.T("campaign.button.report"), Data: "/campaign " + bot.Quote(c.Name) + " report"}}}})
}

// findCampaign resolves a campaign by its exact name or a unique prefix.
func (s *service) findCampaign(ctx context.Context, name string) (*crm.Campaign, error) {
	name = strings.TrimSpace(name)
	if c, err := s.store.CampaignByName(ctx, name); err == nil {
		return c, nil
	} else if !crm.IsNotFound(err) {
		return nil, err
	}
	all, err := s.store.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	norm := crm.NormalizeName(name)
	var matches []*crm.Campaign
	for _, c := range all {
		if norm != "" && strings.HasPrefix(crm.NormalizeName(c.Name), norm) {
			matches = append(matches, c)
		}
	}
	return core.OneOf(name, matches, crm.Errorf(crm.ENOTFOUND, "campaign.not_found", "name", name), func(c *crm.Campaign) core.Choice {
		return core.Choice{Label: c.Name, Ref: bot.Quote(c.Name)}
	})
}

// campaignHead is a campaign's kind, date and city: "fair · 2027-03-10 · Plovdiv".
func campaignHead(r *core.Request, c *crm.Campaign) string {
	parts := []string{r.T("campaign.kind." + c.Kind), r.FmtDate(c.Date)}
	if c.City != "" {
		parts = append(parts, c.City)
	}
	return strings.Join(parts, " · ")
}

// campaignLeads splits a campaign's leads into the clients the sender sees
// and how many others there are.
func (s *service) campaignLeads(ctx context.Context, r *core.Request, c *crm.Campaign) ([]crm.Lead, map[uint64]*crm.Client, int, error) {
	leads, err := s.store.CampaignLeads(ctx, c)
	if err != nil {
		return nil, nil, 0, err
	}
	clients := map[uint64]*crm.Client{}
	var seen []crm.Lead
	hidden := 0
	for _, l := range leads {
		cl, err := s.store.Client(ctx, l.ClientID)
		if err != nil {
			if crm.IsNotFound(err) {
				continue
			}
			return nil, nil, 0, err
		}
		if !r.SeesOwner(cl.OwnerID) {
			hidden++
			continue
		}
		clients[cl.ID] = cl
		seen = append(seen, l)
	}
	return seen, clients, hidden, nil
}

func (s *service) campaignShow(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Campaign) error {
	leads, clients, hidden, err := s.campaignLeads(ctx, r, c)
	if err != nil {
		return err
	}
	rep := bot.Reply{Title: c.Name}
	add := func(label, value string) { rep.Fields = append(rep.Fields, bot.Field{Label: label, Value: value}) }
	add(r.T("campaign.field.kind"), r.T("campaign.kind."+c.Kind))
	add(r.T("campaign.field.date"), r.FmtDate(c.Date))
	if c.City != "" {
		add(r.T("field.city"), c.City)
	}
	if c.HasBudget {
		add(r.T("campaign.field.budget"), fmtMoney(c.Budget, c.Currency, r.Lang))
	}
	add(r.T("campaign.field.leads"), r.T("campaign.leads_value", "count", len(leads)+hidden, "hidden", hidden))
	sort.Slice(leads, func(i, j int) bool { return leads[i].At.After(leads[j].At) })
	for i, l := range leads {
		if i == 10 {
			add(r.T("campaign.field.lead"), r.T("list.more", "count", len(leads)-10))
			break
		}
		add(r.T("campaign.field.lead"), clients[l.ClientID].Name+" · "+r.FmtDate(l.At))
	}
	add(r.T("campaign.field.created"), r.PersonName(c.CreatedBy)+", "+r.FmtDate(c.CreatedAt))
	rep.Buttons = [][]bot.Button{{{Label: r.T("campaign.button.report"), Data: "/campaign " + bot.Quote(c.Name) + " report"}}}
	return w.Reply(ctx, rep)
}

// campaignFigures are the results of a campaign among the leads counted.
type campaignFigures struct {
	Leads, Talked, Conversations int
	Opened, Won                  int
	Revenue                      amounts
}

// campaignFigures counts, for each lead from the day it came (or the
// campaign's day, if earlier), its conversations and the deals opened,
// won, and their revenue.
func (s *service) campaignFigures(ctx context.Context, r *core.Request, c *crm.Campaign, leads []crm.Lead) (campaignFigures, error) {
	f := campaignFigures{Leads: len(leads), Revenue: amounts{}}
	for _, l := range leads {
		since := dates.Day(l.At, r.TZ)
		if c.Date.Before(since) {
			since = c.Date
		}
		convs, err := s.store.Conversations(ctx, l.ClientID, 0)
		if err != nil {
			return f, err
		}
		n := 0
		for _, v := range convs {
			if !v.At.Before(since) {
				n++
			}
		}
		f.Conversations += n
		if n > 0 {
			f.Talked++
		}
		deals, err := s.store.DealFactsOf(ctx, l.ClientID)
		if err != nil {
			return f, err
		}
		for _, d := range deals {
			if d.CreatedAt.Before(since) {
				continue
			}
			f.Opened++
			if d.Won() {
				f.Won++
				f.Revenue.add(d.Currency, d.Amount)
			}
		}
	}
	return f, nil
}

// campaignReport answers "/campaign NAME report".
func (s *service) campaignReport(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Campaign) error {
	leads, _, hidden, err := s.campaignLeads(ctx, r, c)
	if err != nil {
		return err
	}
	f, err := s.campaignFigures(ctx, r, c, leads)
	if err != nil {
		return err
	}
	lines := []string{
		r.T("campaign.report.leads", "count", f.Leads),
		r.T("campaign.report.talks", "count", f.Conversations, "leads", f.Talked),
		r.T("campaign.report.deals", "opened", f.Opened, "won", f.Won, "revenue", f.Revenue.text(r.Lang, s.kit.Currency)),
	}
	if f.Leads > 0 {
		lines = append(lines, r.T("campaign.report.conversion", "percent", core.Percent(f.Won, f.Leads)))
	}
	switch {
	case !c.HasBudget:
		lines = append(lines, r.T("campaign.report.no_budget", "name", bot.Quote(c.Name)))
	case hidden > 0:
		lines = append(lines, r.T("campaign.report.budget", "budget", fmtMoney(c.Budget, c.Currency, r.Lang)),
			r.T("campaign.report.cost_hidden", "count", hidden))
	default:
		line := r.T("campaign.report.budget", "budget", fmtMoney(c.Budget, c.Currency, r.Lang))
		if f.Leads > 0 {
			line += " · " + r.T("campaign.report.per_lead", "cost", fmtMoney(c.Budget.Div(decimal.NewFromInt(int64(f.Leads))), c.Currency, r.Lang))
		}
		if f.Won > 0 {
			line += " · " + r.T("campaign.report.per_won", "cost", fmtMoney(c.Budget.Div(decimal.NewFromInt(int64(f.Won))), c.Currency, r.Lang))
		} else {
			line += " · " + r.T("campaign.report.no_won")
		}
		lines = append(lines, line)
	}
	if hidden > 0 {
		lines = append(lines, r.T("campaign.report.hidden", "count", hidden))
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("campaign.report.title", "name", c.Name, "head", campaignHead(r, c)), Text: strings.Join(lines, "\n")})
}

// campaignsCmd lists the campaigns, the latest first, with their leads.
func (s *service) campaignsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	all, err := s.store.Campaigns(ctx)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("campaigns.none") + "\n" + r.T("campaign.add_usage")})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Date.After(all[j].Date) })
	var lines []string
	var buttons [][]bot.Button
	pg := r.Page(30)
	from, to, more := r.Range(pg, len(all))
	for i := from; i < to; i++ {
		c := all[i]
		// The list shows every lead, seen or not: a count from the
		// indexes, without reading the leads' clients.
		n, err := s.store.CampaignLeadCount(ctx, c)
		if err != nil {
			return err
		}
		lines = append(lines, "• "+c.Name+" — "+campaignHead(r, c)+" · "+r.T("campaigns.leads", "count", n))
		if i < 5 {
			buttons = append(buttons, []bot.Button{{Label: r.T("campaign.button.report_of", "name", core.Truncate(c.Name, 30)), Data: "/campaign " + bot.Quote(c.Name) + " report"}})
		}
	}
	if more != "" {
		lines = append(lines, more)
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("campaigns.title", "count", len(all)), Text: strings.Join(lines, "\n"), Buttons: append(buttons, r.PageButtons(pg, len(all))...), Edit: r.Paged()})
}

// leadCmd ties a client to a campaign: "/lead NAME campaign=\"…\"".
func (s *service) leadCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	a := core.SplitKV(r.Command.Args, s.kit.KeyWord)
	var campName string
	for _, k := range a.Keys {
		switch {
		case r.Is(k, "lead.key.campaign"):
			campName = a.KV[k]
		default:
			return crm.Errorf(crm.EINVALID, "lead.usage")
		}
	}
	name := strings.Join(a.Plain, " ")
	if name == "" || strings.TrimSpace(campName) == "" {
		return crm.Errorf(crm.EINVALID, "lead.usage")
	}
	camp, err := s.findCampaign(ctx, campName)
	if err != nil {
		return err
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	added, err := s.store.AddLead(ctx, &crm.Lead{CampaignID: camp.ID, ClientID: c.ID, At: r.Now, By: actor.PersonID}, actor)
	if err != nil {
		return err
	}
	key := "lead.saved"
	if !added {
		key = "lead.already"
	}
	return w.Reply(ctx, bot.Reply{Text: r.T(key, "name", c.Name, "campaign", camp.Name)})
}
