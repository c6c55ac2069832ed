package planning

import (
	"context"
	"sort"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// PromiseStore keeps contract promises (P-n) with their history. It
// follows the rules every port shares (handlers/service.go).
type PromiseStore interface {
	// CreatePromise stores p, a promise of an existing client, giving it
	// the next promise id (never reused) and its history entry; an
	// unknown client is crm.ErrNotFound.
	CreatePromise(ctx context.Context, p *crm.Promise) error
	// Promise returns the promise with id, or crm.ErrNotFound.
	Promise(ctx context.Context, id uint64) (*crm.Promise, error)
	// UpdatePromise applies fn (which may be re-run) to the promise with
	// id and stores it with its indexes and one history entry per changed
	// field, made by by at at.
	UpdatePromise(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Promise) error) (*crm.Promise, error)
	// ClientPromises returns every promise of the client, by id.
	ClientPromises(ctx context.Context, client uint64) ([]crm.Promise, error)
	// OpenPromises returns the open promises of the owners' clients due
	// before before, owner by owner in the order given and soonest first
	// within one.
	OpenPromises(ctx context.Context, owners []uint64, before time.Time) ([]crm.Promise, error)
}

// promiseKeys are the key=value keys of /promise, their words
// "words.promise.key.*".
var promiseKeys = []string{"contract", "from"}

// promiseCmd: "/promise NAME: TEXT by DATE [contract=REF] [from=client]",
// "/promise done P-3", "/promise P-3", "/promise NAME" (the client's
// promises).
func (s *service) promiseCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "promise.usage")
	}
	if len(args) == 2 {
		switch a := args[0]; {
		case r.Is(a, "promise.done"):
			if id, ok := core.ParseRef("P", args[1]); ok {
				return s.promiseDone(ctx, w, r, id)
			}
		case r.Is(a, "promise.reopen"):
			if id, ok := core.ParseRef("P", args[1]); ok {
				return s.promiseReopen(ctx, w, r, id)
			}
		}
	}
	if len(args) == 1 && strings.HasPrefix(strings.ToUpper(args[0]), "P-") {
		if id, ok := core.ParseRef("P", args[0]); ok {
			return s.promiseShow(ctx, w, r, id)
		}
	}
	name, text, ok := bot.CutName(r.Command.Rest)
	if !ok {
		c, err := r.Client(ctx, r.Command.Rest)
		if err != nil {
			return err
		}
		return s.promiseList(ctx, w, r, c)
	}
	text, kv := core.TakeKeys(text, s.words.promiseKeys)
	body, due, ok := core.CutMarker(" "+text, r.Words("list.promise_due_by")...)
	body = strings.TrimSpace(body)
	if !ok || body == "" {
		return crm.Errorf(crm.EINVALID, "promise.usage")
	}
	day, ok := r.Date(due)
	if !ok {
		return crm.Errorf(crm.EINVALID, "error.bad_date", "value", due)
	}
	if len([]rune(body)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	fromClient := false
	if v, ok := kv["from"]; ok {
		switch {
		case r.Is(v, "promise.from.client"):
			fromClient = true
		case r.Is(v, "promise.from.us"):
		default:
			return crm.Errorf(crm.EINVALID, "promise.bad_from", "value", v)
		}
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	p := &crm.Promise{ClientID: c.ID, Text: body, Due: day, Contract: kv["contract"], FromClient: fromClient,
		CreatedBy: actor.PersonID, OnBehalfOf: actor.OnBehalfOf, CreatedAt: r.Now}
	if err := s.store.CreatePromise(ctx, p); err != nil {
		return err
	}
	key := "promise.saved"
	if fromClient {
		key = "promise.saved_client"
	}
	msg := r.T(key, "id", p.Ref(), "name", c.Name, "text", p.Text, "date", r.FmtDate(p.Due))
	if p.Contract != "" {
		msg += "\n" + r.T("promise.contract", "contract", p.Contract)
	}
	if day.Before(r.Today()) {
		msg += "\n⚠ " + r.T("promise.due_past")
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: [][]bot.Button{{{Label: "✓ " + r.T("promise.button.done", "id", p.Ref()), Data: "/promise done " + p.Ref()}}}})
}

// visiblePromise loads a promise of a client the sender sees.
func (s *service) visiblePromise(ctx context.Context, r *core.Request, id uint64) (*crm.Promise, *crm.Client, error) {
	p, err := s.store.Promise(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return nil, nil, crm.Errorf(crm.ENOTFOUND, "promise.not_found", "id", crm.PromiseRef(id))
		}
		return nil, nil, err
	}
	c, err := s.store.Client(ctx, p.ClientID)
	if err != nil || !r.SeesOwner(c.OwnerID) {
		return nil, nil, crm.Errorf(crm.ENOTFOUND, "promise.not_found", "id", p.Ref())
	}
	return p, c, nil
}

func (s *service) promiseDone(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	p, c, actor, err := core.Changeable(ctx, r, id, s.visiblePromise)
	if err != nil {
		return err
	}
	if !p.Open() {
		return w.Reply(ctx, bot.Reply{Text: r.T("promise.already_done", "id", p.Ref(), "date", r.FmtDate(p.DoneAt)), Edit: r.Button})
	}
	done, err := s.store.UpdatePromise(ctx, id, *actor, r.Now, func(p *crm.Promise) error {
		p.DoneAt, p.DoneBy = r.Now, actor.PersonID
		return nil
	})
	if err != nil {
		return err
	}
	msg := r.T("promise.done", "id", done.Ref(), "name", c.Name, "text", core.Truncate(done.Text, 120))
	if done.BrokenAt(r.Now) {
		msg += "\n" + r.T("promise.done_late", "date", r.FmtDate(done.Due))
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Edit: r.Button})
}

func (s *service) promiseReopen(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	p, _, actor, err := core.Changeable(ctx, r, id, s.visiblePromise)
	if err != nil {
		return err
	}
	if p.Open() {
		return w.Reply(ctx, bot.Reply{Text: r.T("promise.already_open", "id", p.Ref())})
	}
	if _, err := s.store.UpdatePromise(ctx, id, *actor, r.Now, func(p *crm.Promise) error {
		p.DoneAt, p.DoneBy = time.Time{}, 0
		return nil
	}); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("promise.reopened", "id", p.Ref())})
}

// promiseState says where a promise stands: kept, broken, due today, open.
func promiseState(r *core.Request, p *crm.Promise) string {
	switch {
	case !p.Open() && p.BrokenAt(r.Now):
		return r.T("promise.state.kept_late", "date", r.FmtDate(p.DoneAt))
	case !p.Open():
		return r.T("promise.state.kept", "date", r.FmtDate(p.DoneAt))
	case p.BrokenAt(r.Now):
		return "⚠ " + r.T("promise.state.broken", "count", core.DaysBetween(p.Due, r.Today()))
	case p.Due.Equal(r.Today()):
		return r.T("promise.state.due_today")
	}
	return r.T("promise.state.open")
}

// promiseLine is one promise in a list.
func promiseLine(r *core.Request, p *crm.Promise, client string) string {
	line := p.Ref() + " · " + r.FmtDate(p.Due) + " · "
	if client != "" {
		line += client + ": "
	}
	if p.FromClient {
		line += r.T("promise.from_client_tag") + " "
	}
	line += core.Truncate(p.Text, 120)
	if p.Contract != "" {
		line += " (" + p.Contract + ")"
	}
	return line + " — " + promiseState(r, p)
}

func (s *service) promiseShow(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	p, c, err := s.visiblePromise(ctx, r, id)
	if err != nil {
		return err
	}
	rep := bot.Reply{Title: r.T("promise.card_title", "id", p.Ref(), "name", c.Name), Text: p.Text}
	add := func(label, value string) { rep.Fields = append(rep.Fields, bot.Field{Label: label, Value: value}) }
	add(r.T("promise.field.due"), r.FmtDate(p.Due))
	add(r.T("promise.field.state"), promiseState(r, p))
	if p.FromClient {
		add(r.T("promise.field.side"), r.T("promise.side.client"))
	} else {
		add(r.T("promise.field.side"), r.T("promise.side.us"))
	}
	if p.Contract != "" {
		add(r.T("promise.field.contract"), p.Contract)
	}
	add(r.T("promise.field.recorded"), r.PersonName(p.CreatedBy)+", "+r.FmtDate(p.CreatedAt))
	if p.Open() {
		rep.Buttons = [][]bot.Button{{{Label: "✓ " + r.T("promise.button.done", "id", p.Ref()), Data: "/promise done " + p.Ref()}}}
	}
	return w.Reply(ctx, rep)
}

func (s *service) promiseList(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client) error {
	ps, err := s.store.ClientPromises(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("promise.none", "name", c.Name)})
	}
	// Open ones first, soonest due first; then the kept, newest first.
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Open() != ps[j].Open() {
			return ps[i].Open()
		}
		if ps[i].Open() {
			return ps[i].Due.Before(ps[j].Due)
		}
		return ps[i].DoneAt.After(ps[j].DoneAt)
	})
	var lines []string
	pg := r.Page(30)
	shown, more := core.PageOf(r, ps, pg)
	for i := range shown {
		lines = append(lines, "• "+promiseLine(r, &shown[i], ""))
	}
	if more != "" {
		lines = append(lines, more)
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("promise.list_title", "name", c.Name, "count", len(ps)), Text: strings.Join(lines, "\n"), Buttons: r.PageButtons(pg, len(ps)), Edit: r.Paged()})
}

// promiseAgenda adds to /today the open promises due today or broken.
func (s *service) promiseAgenda(ctx context.Context, r *core.Request, owners []uint64, until time.Time) ([]core.AgendaItem, error) {
	var items []core.AgendaItem
	ps, err := s.store.OpenPromises(ctx, owners, until)
	if err != nil {
		return nil, err
	}
	// The clients' names in one read, not one read per promise.
	ids := make([]uint64, len(ps))
	for i := range ps {
		ids[i] = ps[i].ClientID
	}
	names, err := core.ClientNames(ctx, s.store, ids)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		o := ps[i].OwnerID
		p := &ps[i]
		name := names[p.ClientID]
		line := promiseLine(r, p, name)
		if o != r.Me.ID {
			line += " (" + r.T("today.for", "name", r.PersonName(o)) + ")"
		}
		items = append(items, core.AgendaItem{Due: p.Due, Text: line, Buttons: []bot.Button{
			{Label: "✓ " + p.Ref(), Data: "/promise done " + p.Ref()},
		}})
	}
	return items, nil
}

// promiseCardSection adds the open promises (broken ones marked) and the
// promises broken in the last 12 months to the client card.
func (s *service) promiseCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	ps, err := s.store.ClientPromises(ctx, c.ID)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	since := r.Now.AddDate(-1, 0, 0)
	var fields []bot.Field
	broken, open := 0, 0
	for i := range ps {
		p := &ps[i]
		if p.Due.After(since) && p.BrokenAt(r.Now) {
			broken++
		}
		if p.Open() {
			open++
			if open <= 5 {
				fields = append(fields, bot.Field{Label: r.T("card.promise"), Value: promiseLine(r, p, "")})
			}
		}
	}
	if open > 5 {
		fields = append(fields, bot.Field{Label: r.T("card.promise"), Value: r.T("list.more", "count", open-5)})
	}
	if broken > 0 {
		fields = append(fields, bot.Field{Label: r.T("card.promises_broken"), Value: r.T("card.promises_broken_value", "count", broken)})
	}
	return fields, nil
}
