package clients

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// client dispatches "/client …".
func (s *service) clientCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "client.usage")
	}
	switch a := args[0]; {
	case r.Is(a, "client.add"):
		return s.clientAdd(ctx, w, r, args[1:])
	case r.Is(a, "client.edit"):
		return s.clientEdit(ctx, w, r, args[1:])
	case r.Is(a, "client.reassign"):
		return s.clientReassign(ctx, w, r, args[1:])
	}
	if sub, ok := s.hooks.Subs[strings.ToLower(args[0])]; ok {
		return sub(ctx, w, r, args[1:])
	}
	last := args[len(args)-1]
	name := strings.Join(args[:len(args)-1], " ")
	switch {
	case r.Is(last, "client.tail.ok"):
		if name != "" {
			return s.clientConfirm(ctx, w, r, name)
		}
	case r.Is(last, "client.tail.history"):
		if name != "" {
			return s.clientHistory(ctx, w, r, name)
		}
	}
	c, err := r.Client(ctx, strings.Join(args, " "))
	if err != nil {
		return err
	}
	rep, err := s.clientCard(ctx, r, c)
	if err != nil {
		return err
	}
	return w.Reply(ctx, rep)
}

func (s *service) clientAdd(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	name, kv := s.nameAndFields(words)
	name = strings.TrimSpace(name)
	if name == "" || crm.NormalizeName(name) == "" {
		return crm.Errorf(crm.EINVALID, "client.add_usage")
	}
	if len([]rune(name)) > 200 {
		return crm.Errorf(crm.EINVALID, "client.name_too_long")
	}
	now := r.Now
	c := &crm.Client{Name: name, OwnerID: r.Me.ID, CreatedAt: now, ReviewedAt: now}
	for _, k := range kv.Keys {
		if k == "owner" || k == "name" {
			continue
		}
		if err := core.ValidField(k, kv.KV[k]); err != nil {
			return err
		}
		c.SetField(k, kv.KV[k])
	}
	if o, ok := kv.KV["owner"]; ok {
		p, err := r.ResolvePerson(o)
		if err != nil {
			return err
		}
		if r.RightsOver(p.ID) == nil {
			return crm.Errorf(crm.EFORBIDDEN, "client.owner_forbidden", "name", p.Name)
		}
		c.OwnerID = p.ID
	}
	if err := s.store.CreateClient(ctx, c, r.Actor()); err != nil {
		return s.nameConflict(ctx, r, err)
	}
	return w.Reply(ctx, bot.Reply{
		Text: r.T("client.added", "name", c.Name),
		Buttons: [][]bot.Button{{
			{Label: r.T("button.card"), Data: "/client " + core.ClientRef(c)},
			{Label: r.T("button.log"), Data: "/log " + core.ClientRef(c)},
		}},
	})
}

func (s *service) clientEdit(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	name, kv := s.nameAndFields(words)
	if name == "" || len(kv.Keys) == 0 {
		return crm.Errorf(crm.EINVALID, "client.edit_usage")
	}
	if done, err := s.offerFieldValues(ctx, w, r, name, kv); done || err != nil {
		return err
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	for _, k := range kv.Keys {
		if k == "owner" {
			return crm.Errorf(crm.EINVALID, "client.edit_owner")
		}
		if k == "name" && crm.NormalizeName(kv.KV[k]) == "" {
			return crm.Errorf(crm.EINVALID, "client.add_usage")
		}
		if err := core.ValidField(k, kv.KV[k]); err != nil {
			return err
		}
	}
	updated, err := s.store.UpdateClient(ctx, c.ID, actor, r.Now, func(c *crm.Client) error {
		for _, k := range kv.Keys {
			c.SetField(k, kv.KV[k])
		}
		c.ReviewedAt = r.Now
		return nil
	})
	if err != nil {
		return s.nameConflict(ctx, r, err)
	}
	var lines []string
	for _, ch := range crm.Diff(c.Fields(), updated.Fields()) {
		lines = append(lines, fmt.Sprintf("%s: %s → %s", s.fieldLabel(r, ch.Field), dash(ch.Old), dash(ch.New)))
	}
	text := r.T("client.saved", "name", updated.Name)
	if len(lines) == 0 {
		text = r.T("client.unchanged", "name", updated.Name)
	}
	return w.Reply(ctx, bot.Reply{Text: text + "\n" + strings.Join(lines, "\n")})
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (s *service) clientConfirm(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string) error {
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	if _, err := s.store.UpdateClient(ctx, c.ID, actor, r.Now, func(c *crm.Client) error {
		c.ReviewedAt = r.Now
		return nil
	}); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("client.confirmed", "name", c.Name, "date", r.FmtDate(r.Now)), Edit: r.Button})
}

func (s *service) clientHistory(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string) error {
	c, err := r.Client(ctx, name)
	if err != nil {
		return err
	}
	hist, err := s.store.History(ctx, "client", c.ID)
	if err != nil {
		return err
	}
	var lines []string
	for _, h := range hist {
		who := r.ActorName(h.By, h.OnBehalfOf)
		var what string
		switch h.Field {
		case "created":
			what = r.T("history.created")
		case "confirmed":
			what = r.T("history.confirmed")
		case "owner":
			what = r.T("history.owner", "old", r.PersonName(parseUint(h.Old)), "new", r.PersonName(parseUint(h.New)))
		default:
			what = fmt.Sprintf("%s: %s → %s", s.fieldLabel(r, h.Field), dash(h.Old), dash(h.New))
		}
		lines = append(lines, fmt.Sprintf("%s · %s · %s", r.FmtTime(h.At), who, what))
	}
	const maxLines = 50
	if len(lines) > maxLines {
		lines = append([]string{r.T("list.earlier", "count", len(lines)-maxLines)}, lines[len(lines)-maxLines:]...)
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("client.history_title", "name", c.Name), Text: strings.Join(lines, "\n")})
}

// fieldLabel names a changed field in the reader's language: "Град",
// "План за контакт"; a custom field (from an import) keeps the name it
// was given.
func (s *service) fieldLabel(r *core.Request, field string) string {
	key := "field." + field
	if s.kit.Catalog.Has(r.Loc.Lang(), key) {
		return r.T(key)
	}
	return strings.ReplaceAll(field, "_", " ")
}

// fieldKey is the key=value key to show in an example: the first form of
// "words.field.NAME" in the reader's language (the Bulgarian word in
// Bulgarian replies; the English keys work too).
func fieldKey(r *core.Request, field string) string {
	if w := r.Loc.WordsIn(i18n.WordsPrefix + "field." + field); len(w) > 0 {
		return w[0]
	}
	return field
}

func parseUint(s string) uint64 {
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

func (s *service) clientReassign(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	if len(words) < 2 || !strings.HasPrefix(words[len(words)-1], "@") && !strings.Contains(words[len(words)-1], ":") {
		return crm.Errorf(crm.EINVALID, "client.reassign_usage")
	}
	to, err := r.ResolvePerson(words[len(words)-1])
	if err != nil {
		return err
	}
	c, actor, err := r.ChangeableClient(ctx, strings.Join(words[:len(words)-1], " "))
	if err != nil {
		return err
	}
	if err := s.reassign(ctx, r, c, to, actor); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("client.reassigned", "name", c.Name, "person", to.Name)})
}

// nameConflict words the store's refusal of a client name for the sender:
// the other client's name and spelling only when the sender may see that
// client; otherwise only that a client of that name (or one that looks
// like it) exists, so that /client add cannot probe other managers'
// clients.
func (s *service) nameConflict(ctx context.Context, r *core.Request, err error) error {
	var ce *crm.Error
	if !errors.As(err, &ce) || (ce.Key != "client.exists" && ce.Key != "client.lookalike") {
		return err
	}
	id, _ := ce.Args["id"].(uint64)
	if c, cerr := s.store.Client(ctx, id); cerr == nil && r.SeesOwner(c.OwnerID) {
		return err
	}
	return crm.Errorf(ce.Code, ce.Key+"_hidden")
}

// reassign moves a client and its open tasks of the old owner to a new
// owner the sender has rights over.
func (s *service) reassign(ctx context.Context, r *core.Request, c *crm.Client, to *crm.Person, actor crm.Actor) error {
	if err := r.MayHandTo(actor, to); err != nil {
		return err
	}
	from := c.OwnerID
	if _, err := s.store.UpdateClient(ctx, c.ID, actor, r.Now, func(c *crm.Client) error {
		c.OwnerID = to.ID
		return nil
	}); err != nil {
		return err
	}
	return core.MoveOpenTasks(ctx, s.store, c.ID, from, to.ID)
}

// clientCard builds the card of one client.
func (s *service) clientCard(ctx context.Context, r *core.Request, c *crm.Client) (bot.Reply, error) {
	rep := bot.Reply{Title: c.Name}
	add := func(label, value string) {
		if value != "" {
			rep.Fields = append(rep.Fields, bot.Field{Label: label, Value: value})
		}
	}
	add(r.T("card.owner"), r.PersonName(c.OwnerID))
	for _, f := range []string{"status", "segment", "industry", "size", "city", "need", "level", "focus", "source", "lang", "rating"} {
		add(r.T("field."+f), c.Field(f))
	}
	contact := strings.Join(nonEmpty(c.Contact, c.Phone, c.Email), ", ")
	add(r.T("card.contact"), contact)
	var custom []string
	for k := range c.Custom {
		custom = append(custom, k)
	}
	sort.Strings(custom)
	for _, k := range custom {
		add(k, c.Custom[k])
	}
	if c.LastTouch.IsZero() {
		add(r.T("card.last_touch"), r.T("card.never"))
	} else {
		add(r.T("card.last_touch"), r.FmtDate(c.LastTouch)+" ("+r.Ago(c.LastTouch)+")")
	}
	if c.NextStep != "" {
		step := c.NextStep
		if !c.NextStepDue.IsZero() {
			step += " — " + r.FmtDate(c.NextStepDue)
			if c.NextStepDue.Before(r.Today()) {
				step += " ⚠ " + r.T("card.overdue")
			}
		}
		add(r.T("card.next_step"), step)
	}
	if s.cfg.Stale.Is(c, r.Now) {
		add(r.T("card.stale"), r.T("card.stale_hint", "ref", core.ClientRef(c)))
	}
	convs, err := s.store.Conversations(ctx, c.ID, 3)
	if err != nil {
		return rep, err
	}
	for _, v := range convs {
		add(r.T("card.conversation", "date", r.FmtDate(v.At)), channelsText(r, v.Channels)+core.Truncate(v.Text, 200))
	}
	tasks, err := s.store.ClientTasks(ctx, c.ID, true)
	if err != nil {
		return rep, err
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Due.Before(tasks[j].Due) })
	for _, t := range tasks {
		add(core.IDRef("T", t.ID), r.FmtDate(t.Due)+" · "+t.Text)
	}
	for _, sec := range s.hooks.Card {
		fields, err := sec(ctx, r, c)
		if err != nil {
			return rep, err
		}
		rep.Fields = append(rep.Fields, fields...)
	}
	ref := core.ClientRef(c)
	rep.Buttons = [][]bot.Button{
		{{Label: r.T("button.confirm_current"), Data: "/client " + ref + " ok"}, {Label: r.T("button.history"), Data: "/client " + ref + " history"}},
	}
	for _, b := range s.hooks.Buttons {
		rows, err := b(ctx, r, c)
		if err != nil {
			return rep, err
		}
		rep.Buttons = append(rep.Buttons, rows...)
	}
	return rep, nil
}

func channelsText(r *core.Request, chs []string) string {
	if len(chs) == 0 {
		return ""
	}
	var out []string
	for _, c := range chs {
		out = append(out, "#"+r.T("channel."+c))
	}
	return strings.Join(out, " ") + " "
}

func nonEmpty(xs ...string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// clientsCmd lists clients: "/clients [mine|team|all|@person|stale] [k=v…]".
func (s *service) clientsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	scope, stale := "", false
	var who *crm.Person
	kv := s.splitKV(r.Command.Args)
	for _, wd := range kv.Plain {
		if sc, ok := r.ScopeWord(wd); ok {
			scope = sc
			continue
		}
		switch {
		case r.Is(wd, "clients.stale"):
			stale = true
		default:
			if strings.HasPrefix(wd, "@") || strings.Contains(wd, ":") {
				p, err := r.ResolvePerson(wd)
				if err != nil {
					return err
				}
				who = p
				continue
			}
			return crm.Errorf(crm.EINVALID, "clients.usage")
		}
	}
	var owners []uint64
	switch {
	case who != nil:
		if r.RightsOver(who.ID) == nil {
			return crm.Errorf(crm.EFORBIDDEN, "error.person_forbidden", "name", who.Name)
		}
		owners = []uint64{who.ID}
	default:
		if scope == "" {
			scope = r.DefaultScope()
		}
		var err error
		if owners, err = r.VisibleOwners(scope); err != nil {
			return err
		}
	}
	match := func(c *crm.Client) bool {
		for _, k := range kv.Keys {
			if !core.FieldMatches(c.Field(k), kv.KV[k]) {
				return false
			}
		}
		return !stale || s.cfg.Stale.Is(c, r.Now)
	}
	const maxList = 30
	pg := r.Page(maxList)
	if len(kv.Keys) == 0 {
		// The plain or stale list: one page in list order, read through
		// the name or owner index, and the count from the maintained
		// counts or the owner index's times.
		page, err := s.store.ClientPage(ctx, crm.ClientPageQuery{Owners: owners, Offset: pg.Offset, Limit: pg.Limit,
			Stale: stale, TouchBefore: r.Now.Add(-s.cfg.Stale.Touch), ReviewBefore: r.Now.Add(-s.cfg.Stale.Review)})
		if err != nil {
			return err
		}
		return w.Reply(ctx, s.clientsReply(r, page.Clients, page.Total, stale, len(owners) > 1, pg))
	}
	var cs []*crm.Client
	var err error
	if stale {
		var st crm.StaleList
		st, err = s.store.StaleClients(ctx, s.cfg.Stale.Query(owners, r.Now))
		cs = st.Clients
	} else {
		cs, err = s.store.ClientsByOwner(ctx, owners)
	}
	if err != nil {
		return err
	}
	var list []*crm.Client
	for _, c := range cs {
		if match(c) {
			list = append(list, c)
		}
	}
	crm.SortByName(list)
	shown, _ := core.PageOf(r, list, pg)
	return w.Reply(ctx, s.clientsReply(r, shown, len(list), stale, len(owners) > 1, pg))
}

// clientsReply writes one page of a client list: its title with the
// total, the page's clients (list) and how many more there are, with the
// More and Back buttons.
func (s *service) clientsReply(r *core.Request, list []*crm.Client, total int, stale, showOwner bool, pg core.Page) bot.Reply {
	title := r.T("clients.title", "count", total)
	if stale {
		title = r.T("clients.stale_title", "count", total)
	}
	if total == 0 {
		return bot.Reply{Text: title}
	}
	var lines []string
	for i, c := range list {
		if i == pg.Limit {
			break
		}
		line := "• " + c.Name
		if extra := strings.Join(nonEmpty(c.City, c.Status), ", "); extra != "" {
			line += " — " + extra
		}
		if stale {
			if c.LastTouch.IsZero() {
				line += " · " + r.T("card.never")
			} else {
				line += " · " + r.Ago(c.LastTouch)
			}
		}
		if showOwner {
			line += " (" + r.PersonName(c.OwnerID) + ")"
		}
		lines = append(lines, line)
	}
	if total > pg.End() {
		lines = append(lines, r.T("list.more", "count", total-pg.End()))
	}
	return bot.Reply{Title: title, Text: strings.Join(lines, "\n"), Buttons: r.PageButtons(pg, total), Edit: r.Paged()}
}
