// Package deals is the sales family: /deal (recording a deal, its stage
// moves, edits, won, lost, cancelled, its card and history), /deals (a
// client's deals), /pipeline (stages, stuck deals, won and lost, the
// win/loss report) and /forecast, the deals on the client card, in
// /today, in the facts drafts rely on, the pipeline section of digests
// with its daily snapshot, and the deals' exports. It resolves deal
// references for other families (core.DealFinder). Its words are in
// i18n/locales/{en,bg}/deals.toml; its data goes through Store. It
// registers itself with Register and meets other families only through
// the hooks of handlers/core.
package deals

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/i18n"
	"accountbot/money"

	"github.com/shopspring/decimal"
)

// Store is the sales family's port: the deals themselves, and the few
// reads of others' records that deals show (18 methods).
type Store interface {
	DealStore
	// SnapshotReader reads the daily pipeline snapshots back
	// (SnapshotRows), for the digest's "a week ago".
	core.SnapshotReader
	// ClientNamer names the clients of a list of deals (ClientNames).
	core.ClientNamer
	// Client returns the client with id, or crm.ErrNotFound.
	Client(ctx context.Context, id uint64) (*crm.Client, error)
	// People returns everyone, dismissed people included, by id. The
	// people may be shared with other callers: they must not be modified.
	People(ctx context.Context) ([]*crm.Person, error)
	// History returns the changes of the record kind/id (here "deal"),
	// oldest first; a record without any is no error.
	History(ctx context.Context, kind string, id uint64) ([]crm.Change, error)
}

// DealStore keeps deals, their indexes and running totals. Every method
// that lists reads indexes of the owners asked for only, so a person's
// pipeline costs the same however many deals the others have. A deal
// "summary" (the lists' *crm.Deal) holds what the pipeline's indexes keep:
// id, client, owner, title, amount, currency, stage, dates, competitor; no
// notes. It follows the rules every port shares (handlers/service.go): a
// missing record is crm.ErrNotFound, an update's fn may be re-run, the
// delivery key makes a redelivered write crm.ErrDuplicate.
type DealStore interface {
	// CreateDeal stores d, giving it its id, with its first history entry
	// by by. An unknown client is crm.ErrNotFound.
	CreateDeal(ctx context.Context, d *crm.Deal, by crm.Actor) error
	// Deal returns the deal with id, or crm.ErrNotFound.
	Deal(ctx context.Context, id uint64) (*crm.Deal, error)
	// UpdateDeal applies fn (which may be re-run) to the deal with id and
	// stores it with its indexes, its running totals and one history
	// entry per changed field (by by at at), in one transaction.
	UpdateDeal(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Deal) error) (*crm.Deal, error)
	// ClientDeals returns the client's deals, open and closed, by id.
	ClientDeals(ctx context.Context, clientID uint64) ([]*crm.Deal, error)
	// DealFactsOf returns the facts of the client's deals (what drafts,
	// health and campaigns weigh), by deal id.
	DealFactsOf(ctx context.Context, clientID uint64) ([]crm.DealFact, error)
	// OwnerDeals returns every deal of owner, open and closed, by id.
	OwnerDeals(ctx context.Context, owner uint64) ([]*crm.Deal, error)
	// OpenTotals returns the running totals of the owners' open deals,
	// one per owner, stage and currency (Month and Day 0).
	OpenTotals(ctx context.Context, owners []uint64) ([]crm.StageTotal, error)
	// ReadPipelineAhead says that the owners' open totals, the totals of
	// the deals closed in q and their largest open deals are about to be
	// read (/pipeline), so that an engine that pays a round trip per read
	// reads them at once; it changes no answer.
	ReadPipelineAhead(ctx context.Context, q crm.ClosedQuery) error
	// ClosedTotals returns the totals of the won and lost deals q picks,
	// one per owner, stage and currency (Month and Day 0), by owner.
	ClosedTotals(ctx context.Context, q crm.ClosedQuery) ([]crm.StageTotal, error)
	// LargestOpenDeals returns summaries of the owners' open deals with
	// the largest amounts (compared as numbers, whatever the currency),
	// largest first, at most limit; only those in stage unless it is "".
	LargestOpenDeals(ctx context.Context, owners []uint64, stage crm.Stage, limit int) ([]*crm.Deal, error)
	// EachOpenDeal calls fn with the summary of every open deal of the
	// owners (owner by owner, largest first) until fn returns false. fn
	// runs inside a read transaction: it must not call the store.
	EachOpenDeal(ctx context.Context, owners []uint64, fn func(*crm.Deal) bool) error
	// OpenDealsClosing calls fn with the summary of every open deal q
	// picks (owner by owner, by close month) until fn returns false; fn
	// must not call the store.
	OpenDealsClosing(ctx context.Context, q crm.ClosingQuery, fn func(*crm.Deal) bool) error
	// ClosingTotals returns the running totals of the open deals q picks,
	// one per owner, close month (Month, yyyymm) and currency; Stage is
	// empty.
	ClosingTotals(ctx context.Context, q crm.ClosingQuery) ([]crm.StageTotal, error)
	// ClosedDeals calls fn with the summary of every deal of the owners
	// won or lost in [from, to) (a zero time leaves that end open), owner
	// by owner and oldest first, until fn returns false; fn must not call
	// the store.
	ClosedDeals(ctx context.Context, owners []uint64, from, to time.Time, fn func(*crm.Deal) bool) error
}

// Limits of what a deal holds.
const (
	maxDealTitle = 200
	maxDealWord  = 200
)

// service answers the sales commands and hooks.
type service struct {
	kit   *core.Kit
	store Store
	words *words
}

// Register adds /deal, /deals, /pipeline and /forecast, the deals on the
// client card, in /today and in drafts' facts, the pipeline section of
// digests and its daily snapshot, the deals' exports, and the way other
// families resolve a deal reference, to the service behind reg.
func Register(reg core.Registry, st Store) {
	s := &service{kit: reg.Kit(), store: st, words: core.LoadWords(reg, "deals", newWords)}
	defer reg.Family("sales")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "deal", Run: s.dealCmd}, &core.Spec{Name: "deals", Run: s.dealsCmd},
		&core.Spec{Name: "pipeline", Run: s.pipelineCmd}, &core.Spec{Name: "forecast", Run: s.forecastCmd})
	reg.AddCardSection(s.dealCardSection)
	reg.AddAgenda(s.dealAgenda)
	reg.AddFacts(s.dealFacts)
	reg.AddSnapshot(snapshotPipeline, s.pipelineSnapshot)
	reg.AddDigestSection("pipeline", s.pipelineDigest)
	// store/erase.go erases the same records on "/client forget".
	reg.AddExport("deals", s.writeDealsCSV)
	reg.AddClientRecords("deals", func(ctx context.Context, r *core.Request, c *crm.Client) (any, error) {
		return s.store.ClientDeals(ctx, c.ID)
	})
	reg.SetDealFinder(func(ctx context.Context, r *core.Request, ref string) (*crm.Deal, error) {
		d, _, err := s.changeableDeal(ctx, r, ref)
		return d, err
	})
}

// words are the deals' typed-word tables, read from the translation
// files when the family registers.
type words struct {
	// keys map the keys of /deal add and edit ("сума" → amount).
	keys map[string]string
	// stages map typed stage names to stages ("оферта" → proposal).
	stages map[string]string
}

// newWords reads the tables from cat; missing are the entries some
// language lacks.
func newWords(cat *i18n.Catalog) (*words, []string) {
	stages := make([]string, len(crm.Stages))
	for i, st := range crm.Stages {
		stages[i] = string(st)
	}
	v := &core.Vocabs{Cat: cat}
	return &words{keys: v.Table("deal.key", dealKeys...), stages: v.Table("deal.stage", stages...)}, v.Missing
}

// stage reads a stage typed in any language ("оферта", "Proposal").
func (w *words) stage(s string) (crm.Stage, bool) {
	st, ok := w.stages[strings.ToLower(strings.TrimSpace(s))]
	return crm.Stage(st), ok
}

// dealKeys are the keys typed on /deal add and /deal edit, whose words
// ("words.deal.key.NAME": "сума=", "prob=") words.keys maps to them.
var dealKeys = []string{"amount", "currency", "stage", "close", "competitor", "probability", "title", "owner", "reason"}

// dealWords splits the words of "/deal add … TITLE k=v…" into the title
// and the keys. A space-grouped amount typed without quotes
// ("amount=12 500,50") and a currency after it ("amount=300 USD") are
// glued back to the amount.
func (s *service) dealWords(words []string) (title string, kv map[string]string, keys []string, err error) {
	kv = map[string]string{}
	var plain []string
	last := ""
	for i := 0; i < len(words); i++ {
		w := words[i]
		if k, v, ok := s.kit.KeyWord(w); ok {
			ck, known := s.words.keys[strings.ToLower(k)]
			if !known {
				return "", nil, nil, crm.Errorf(crm.EINVALID, "deal.unknown_key", "key", k)
			}
			if _, dup := kv[ck]; !dup {
				keys = append(keys, ck)
			}
			if ck == "close" {
				// "срок=следващата седмица" without quotes.
				n := core.DateWords(v, words[i+1:])
				v = strings.Join(append([]string{v}, words[i+1:i+1+n]...), " ")
				i += n
			}
			kv[ck] = v
			last = ck
			continue
		}
		if last == "amount" && s.amountTail(w) {
			kv["amount"] += " " + w
			continue
		}
		last = ""
		plain = append(plain, w)
	}
	return strings.TrimSpace(strings.Join(plain, " ")), kv, keys, nil
}

var groupTail = regexp.MustCompile(`^\d{3}([.,]\d{1,6})?$`)
var upperCode = regexp.MustCompile(`^[A-Z]{3}$`)

// amountTail reports whether w continues an amount: a group of three
// digits, a currency sign, or a multiplier or currency word
// ("words.deal.amount.tail": "k", "хил.", "лв").
func (s *service) amountTail(w string) bool {
	if groupTail.MatchString(w) || upperCode.MatchString(w) {
		return true
	}
	switch w {
	case "€", "$", "£":
		return true
	}
	return s.kit.Catalog.IsWord(i18n.WordsPrefix+"deal.amount.tail", w)
}

// parseProbability reads "30", "30%" or "none" (a dash, or a word of
// "words.deal.probability.auto"); nil means the stage weight.
func parseProbability(r *core.Request, s string) (*int, error) {
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	switch v {
	case "", "-", "—":
		return nil, nil
	}
	if r.Is(v, "deal.probability.auto") {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 100 {
		return nil, crm.Errorf(crm.EINVALID, "deal.bad_probability", "value", s)
	}
	return &n, nil
}

func (s *service) parseStage(v string) (crm.Stage, error) {
	st, ok := s.words.stage(v)
	if !ok {
		return "", crm.Errorf(crm.EINVALID, "deal.bad_stage", "value", v)
	}
	return st, nil
}

// stageName is a stage in the sender's language.
func stageName(r *core.Request, st crm.Stage) string { return r.T("deal.stage." + string(st)) }

// fmtMoney writes an amount in the sender's language.
func fmtMoney(r *core.Request, d decimal.Decimal, currency string) string {
	return money.Format(d, currency, r.Lang)
}

// sums writes per-currency sums, the default currency first.
func (s *service) sums(r *core.Request, sums money.Sums) string {
	return sums.Format(r.Lang, s.kit.Currency)
}

// pct writes a percentage.
func pct(r *core.Request, n int) string { return r.T("deal.percent", "n", n) }

// daysBetween counts calendar days from a to b in the sender's time zone.
func daysBetween(r *core.Request, a, b time.Time) int {
	return core.DaysBetween(dates.Day(a, r.TZ), dates.Day(b, r.TZ))
}

// competitorArg finds "competitor=NAME" (or quoted, or in Bulgarian) in
// free text.
var competitorArg = regexp.MustCompile(`(?i)(?:^|\s)(competitor|конкурент)=("(?:[^"\\]|\\.)*"|\S+)`)

// unquote removes the quotes of a "quoted" value.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	return s
}

// restAfterFirst returns the raw text after the first occurrence of word.
func restAfterFirst(text, word string) string {
	if i := strings.Index(text, word); i >= 0 {
		return text[i+len(word):]
	}
	return text
}

// decimalInt is n as a decimal.
func decimalInt(n int) decimal.Decimal { return decimal.NewFromInt(int64(n)) }

// dealCmd dispatches "/deal …".
func (s *service) dealCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "deal.usage")
	}
	switch sub := args[0]; {
	case r.Is(sub, "deal.add"):
		return s.dealAdd(ctx, w, r, core.AfterWord(r.Command.Rest))
	case r.Is(sub, "deal.move"):
		return s.dealMove(ctx, w, r, args[1:])
	case r.Is(sub, "deal.edit"):
		return s.dealEdit(ctx, w, r, args[1:])
	case r.Is(sub, "deal.won"):
		if len(args) < 2 {
			return crm.Errorf(crm.EINVALID, "deal.usage")
		}
		return s.dealSetStage(ctx, w, r, args[1], crm.StageWon)
	case r.Is(sub, "deal.lost"):
		return s.dealLost(ctx, w, r, core.AfterWord(r.Command.Rest))
	case r.Is(sub, "deal.reopen"):
		if len(args) < 2 {
			return crm.Errorf(crm.EINVALID, "deal.usage")
		}
		return s.dealReopen(ctx, w, r, args[1])
	case r.Is(sub, "deal.cancel"):
		return s.dealCancel(ctx, w, r, core.AfterWord(r.Command.Rest))
	case r.Is(sub, "deal.history"):
		if len(args) < 2 {
			return crm.Errorf(crm.EINVALID, "deal.usage")
		}
		return s.dealHistory(ctx, w, r, args[1])
	}
	if len(args) == 2 && r.Is(args[1], "deal.history") {
		return s.dealHistory(ctx, w, r, args[0])
	}
	if len(args) != 1 {
		return crm.Errorf(crm.EINVALID, "deal.usage")
	}
	d, err := s.deal(ctx, r, args[0])
	if err != nil {
		return err
	}
	rep, err := s.dealCard(ctx, r, d)
	if err != nil {
		return err
	}
	return w.Reply(ctx, rep)
}

// deal resolves "D-7" among the deals the sender may see: their own and
// their people's, and those of clients they see.
func (s *service) deal(ctx context.Context, r *core.Request, ref string) (*crm.Deal, error) {
	id, ok := core.ParseRef("D", strings.TrimSuffix(ref, ":"))
	if !ok {
		return nil, crm.Errorf(crm.EINVALID, "deal.bad_ref", "ref", ref)
	}
	d, err := s.store.Deal(ctx, id)
	if crm.IsNotFound(err) {
		return nil, crm.Errorf(crm.ENOTFOUND, "deal.not_found", "id", crm.DealRef(id))
	}
	if err != nil {
		return nil, err
	}
	if r.SeesOwner(d.OwnerID) {
		return d, nil
	}
	if c, err := s.store.Client(ctx, d.ClientID); err == nil && r.SeesOwner(c.OwnerID) {
		return d, nil
	}
	return nil, crm.Errorf(crm.ENOTFOUND, "deal.not_found", "id", crm.DealRef(id))
}

// changeableDeal resolves a deal the sender may change, with the actor to
// record: rights over the deal's owner, or else over the client's owner.
func (s *service) changeableDeal(ctx context.Context, r *core.Request, ref string) (*crm.Deal, crm.Actor, error) {
	d, err := s.deal(ctx, r, ref)
	if err != nil {
		return nil, crm.Actor{}, err
	}
	if a := r.RightsOver(d.OwnerID); a != nil {
		return d, *a, nil
	}
	if c, err := s.store.Client(ctx, d.ClientID); err == nil {
		if a := r.RightsOver(c.OwnerID); a != nil {
			return d, *a, nil
		}
	}
	return nil, crm.Actor{}, crm.Errorf(crm.EFORBIDDEN, "deal.forbidden", "id", d.Ref())
}

// dealAdd: "/deal add NAME: TITLE amount=N [currency=] [stage=] [close=]
// [competitor=] [probability=]".
func (s *service) dealAdd(ctx context.Context, w bot.ReplyWriter, r *core.Request, rest string) error {
	name, text, ok := bot.CutName(rest)
	if !ok {
		return crm.Errorf(crm.EINVALID, "deal.add_usage")
	}
	title, kv, keys, err := s.dealWords(bot.Split(text))
	if err != nil {
		return err
	}
	if t, ok := kv["title"]; ok && title == "" {
		title = strings.TrimSpace(t)
	}
	if title == "" {
		return crm.Errorf(crm.EINVALID, "deal.add_usage")
	}
	if len([]rune(title)) > maxDealTitle {
		return crm.Errorf(crm.EINVALID, "deal.title_too_long", "max", maxDealTitle)
	}
	if _, ok := kv["amount"]; !ok {
		return crm.Errorf(crm.EINVALID, "deal.amount_missing")
	}
	d := &crm.Deal{Title: title, Stage: crm.StageLead, Currency: s.kit.Currency, CreatedAt: r.Now.In(r.TZ), CreatedBy: r.Me.ID}
	// An explicit currency= wins over a symbol typed with the amount.
	sort.SliceStable(keys, func(i, j int) bool { return keys[i] != "currency" && keys[j] == "currency" })
	for _, k := range keys {
		switch k {
		case "title":
		case "reason", "owner":
			return crm.Errorf(crm.EINVALID, "deal.add_key", "key", k)
		default:
			if err := s.applyDealKey(r, d, k, kv[k], true); err != nil {
				return err
			}
		}
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	d.ClientID = c.ID
	// A deal is the caller's; a deputy opens it for the absent person.
	d.OwnerID = r.Me.ID
	if actor.OnBehalfOf != 0 {
		d.OwnerID = actor.OnBehalfOf
	}
	d.History = []crm.StageEntry{{Stage: d.Stage, At: d.CreatedAt, By: r.Me.ID}}
	if !d.Open() {
		d.ClosedAt = d.CreatedAt
	}
	if err := s.store.CreateDeal(ctx, d, actor); err != nil {
		return err
	}
	text = r.T("deal.added", "id", d.Ref(), "client", c.Name, "title", d.Title, "amount", fmtMoney(r, d.Amount, d.Currency),
		"stage", stageName(r, d.Stage), "prob", pct(r, d.Prob()))
	if !d.ExpectedClose.IsZero() {
		text += "\n" + r.T("deal.added_close", "date", r.FmtDate(d.ExpectedClose))
	}
	rep := bot.Reply{Text: text, Buttons: [][]bot.Button{{{Label: r.T("button.card"), Data: "/deal " + d.Ref()}}}}
	if next := nextStage(d.Stage); next != "" {
		rep.Buttons[0] = append(rep.Buttons[0], bot.Button{Label: "→ " + stageName(r, next), Data: "/deal move " + d.Ref() + " " + string(next)})
	}
	return w.Reply(ctx, rep)
}

// applyDealKey sets one typed key on d; isNew refuses a close date in the
// past.
func (s *service) applyDealKey(r *core.Request, d *crm.Deal, k, v string, isNew bool) error {
	v = strings.TrimSpace(v)
	switch k {
	case "amount":
		amt, cur, err := core.ParseAmount(v)
		if err != nil {
			return err
		}
		d.Amount = amt
		if cur != "" {
			d.Currency = cur
		}
	case "currency":
		cur, ok := money.ParseCurrency(v)
		if !ok {
			return crm.Errorf(crm.EINVALID, "deal.bad_currency", "value", v)
		}
		d.Currency = cur
	case "stage":
		st, err := s.parseStage(v)
		if err != nil {
			return err
		}
		if isNew {
			d.Stage = st
		}
	case "close":
		if v == "" || v == "-" || v == "—" || r.Is(v, "deal.close.none") {
			d.ExpectedClose = time.Time{}
			return nil
		}
		day, ok := r.Date(v)
		if !ok {
			return crm.Errorf(crm.EINVALID, "error.bad_date", "value", v)
		}
		if isNew && day.Before(r.Today()) {
			return crm.Errorf(crm.EINVALID, "deal.close_past", "date", r.FmtDate(day))
		}
		d.ExpectedClose = day
	case "probability":
		p, err := parseProbability(r, v)
		if err != nil {
			return err
		}
		d.Probability = p
	case "competitor":
		if len([]rune(v)) > maxDealWord {
			return crm.Errorf(crm.EINVALID, "deal.text_too_long", "max", maxDealWord)
		}
		d.Competitor = v
	case "reason":
		if len([]rune(v)) > core.MaxTextRunes {
			return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
		}
		d.LossReason = v
	case "title":
		if v == "" {
			return crm.Errorf(crm.EINVALID, "deal.add_usage")
		}
		if len([]rune(v)) > maxDealTitle {
			return crm.Errorf(crm.EINVALID, "deal.title_too_long", "max", maxDealTitle)
		}
		d.Title = v
	}
	return nil
}

// nextStage is the open stage after st, or "".
func nextStage(st crm.Stage) crm.Stage {
	i := st.Index()
	if i >= 0 && i+1 < len(crm.OpenStages) {
		return crm.OpenStages[i+1]
	}
	return ""
}

// dealMove: "/deal move D-7 STAGE".
func (s *service) dealMove(ctx context.Context, w bot.ReplyWriter, r *core.Request, args []string) error {
	var words []string
	for _, a := range args {
		if r.Is(a, "deal.move.to") {
			continue
		}
		words = append(words, a)
	}
	if len(words) != 2 {
		return crm.Errorf(crm.EINVALID, "deal.move_usage")
	}
	st, err := s.parseStage(words[1])
	if err != nil {
		return err
	}
	return s.dealSetStage(ctx, w, r, words[0], st)
}

// checkMovable refuses, in the sender's words, a move the deal cannot make.
func checkMovable(r *core.Request, d *crm.Deal, st crm.Stage) error {
	if !d.Open() {
		return crm.Errorf(crm.ECONFLICT, "deal.closed", "id", d.Ref(), "stage", stageName(r, d.Stage))
	}
	if d.Stage == st {
		return crm.Errorf(crm.ECONFLICT, "deal.same_stage", "id", d.Ref(), "stage", stageName(r, st))
	}
	return nil
}

// dealSetStage moves a deal to st (won and lost close it).
func (s *service) dealSetStage(ctx context.Context, w bot.ReplyWriter, r *core.Request, ref string, st crm.Stage) error {
	d, actor, err := s.changeableDeal(ctx, r, ref)
	if err != nil {
		return err
	}
	if err := checkMovable(r, d, st); err != nil {
		return err
	}
	from := d.Stage
	at := r.Now.In(r.TZ)
	updated, err := s.store.UpdateDeal(ctx, d.ID, actor, at, func(d *crm.Deal) error {
		return d.MoveTo(st, at, r.Me.ID)
	})
	if err != nil {
		return err
	}
	var head string
	switch st {
	case crm.StageWon:
		head = r.T("deal.won", "id", d.Ref(), "title", d.Title, "amount", fmtMoney(r, d.Amount, d.Currency), "count", daysBetween(r, d.CreatedAt, at))
	case crm.StageLost:
		head = r.T("deal.lost", "id", d.Ref(), "title", d.Title) + "\n" + r.T("deal.lost_hint", "id", d.Ref())
	default:
		head = r.T("deal.moved", "id", d.Ref(), "from", stageName(r, from), "to", stageName(r, st), "prob", pct(r, updated.Prob()))
	}
	return s.replyCard(ctx, w, r, updated, head)
}

// replyCard answers with a headline and the deal's card, replacing the
// card whose button was pressed.
func (s *service) replyCard(ctx context.Context, w bot.ReplyWriter, r *core.Request, d *crm.Deal, head string) error {
	rep, err := s.dealCard(ctx, r, d)
	if err != nil {
		return err
	}
	rep.Text = head
	rep.Edit = r.Button
	return w.Reply(ctx, rep)
}

// dealLost: "/deal lost D-7 [: reason] [competitor=…]". On a deal already
// lost it only records the reason and competitor.
func (s *service) dealLost(ctx context.Context, w bot.ReplyWriter, r *core.Request, rest string) error {
	// The competitor may be named anywhere; the rest after the id is the
	// reason, with or without the colon.
	competitor, hasComp := "", false
	if m := competitorArg.FindStringSubmatch(rest); m != nil {
		competitor, hasComp = strings.TrimSpace(unquote(m[2])), true
		rest = strings.Replace(rest, m[0], " ", 1)
	}
	hw := bot.Split(rest)
	if len(hw) == 0 {
		return crm.Errorf(crm.EINVALID, "deal.lost_usage")
	}
	ref := strings.TrimSuffix(hw[0], ":")
	reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(restAfterFirst(rest, hw[0])), ":"))
	if len([]rune(reason)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	if len([]rune(competitor)) > maxDealWord {
		return crm.Errorf(crm.EINVALID, "deal.text_too_long", "max", maxDealWord)
	}
	d, actor, err := s.changeableDeal(ctx, r, ref)
	if err != nil {
		return err
	}
	if d.Stage != crm.StageLost {
		if err := checkMovable(r, d, crm.StageLost); err != nil {
			return err
		}
	}
	at := r.Now.In(r.TZ)
	updated, err := s.store.UpdateDeal(ctx, d.ID, actor, at, func(d *crm.Deal) error {
		if d.Stage != crm.StageLost {
			if err := d.MoveTo(crm.StageLost, at, r.Me.ID); err != nil {
				return err
			}
		}
		if reason != "" {
			d.LossReason = reason
		}
		if hasComp {
			d.Competitor = competitor
		}
		return nil
	})
	if err != nil {
		return err
	}
	msg := r.T("deal.lost", "id", d.Ref(), "title", d.Title)
	if d.Stage == crm.StageLost {
		msg = r.T("deal.lost_noted", "id", d.Ref())
	}
	if updated.LossReason == "" {
		msg += "\n" + r.T("deal.lost_hint", "id", d.Ref())
	}
	return s.replyCard(ctx, w, r, updated, msg)
}

// dealCancel: "/deal cancel D-7 [: reason]" — the client called the deal
// off, open or already won. It becomes lost and counts against the buyer's
// reliability.
func (s *service) dealCancel(ctx context.Context, w bot.ReplyWriter, r *core.Request, rest string) error {
	hw := bot.Split(rest)
	if len(hw) == 0 {
		return crm.Errorf(crm.EINVALID, "deal.cancel_usage")
	}
	ref := strings.TrimSuffix(hw[0], ":")
	reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(restAfterFirst(rest, hw[0])), ":"))
	if len([]rune(reason)) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	d, actor, err := s.changeableDeal(ctx, r, ref)
	if err != nil {
		return err
	}
	at := r.Now.In(r.TZ)
	updated, err := s.store.UpdateDeal(ctx, d.ID, actor, at, func(d *crm.Deal) error {
		if err := d.Cancel(at, r.Me.ID); err != nil {
			return err
		}
		if reason != "" {
			d.LossReason = reason
		}
		return nil
	})
	if err != nil {
		return err
	}
	msg := r.T("deal.cancelled", "id", d.Ref(), "title", d.Title)
	if d.Stage == crm.StageWon {
		msg += "\n" + r.T("deal.cancelled_won", "amount", fmtMoney(r, d.Amount, d.Currency))
	}
	return s.replyCard(ctx, w, r, updated, msg)
}

// dealReopen: "/deal reopen D-7".
func (s *service) dealReopen(ctx context.Context, w bot.ReplyWriter, r *core.Request, ref string) error {
	d, actor, err := s.changeableDeal(ctx, r, ref)
	if err != nil {
		return err
	}
	if d.Open() {
		return crm.Errorf(crm.ECONFLICT, "deal.not_closed", "id", d.Ref())
	}
	at := r.Now.In(r.TZ)
	updated, err := s.store.UpdateDeal(ctx, d.ID, actor, at, func(d *crm.Deal) error { return d.Reopen(at, r.Me.ID) })
	if err != nil {
		return err
	}
	return s.replyCard(ctx, w, r, updated, r.T("deal.reopened", "id", d.Ref(), "stage", stageName(r, updated.Stage)))
}

// dealEdit: "/deal edit D-7 amount=… close=… probability=… …".
func (s *service) dealEdit(ctx context.Context, w bot.ReplyWriter, r *core.Request, args []string) error {
	if len(args) < 2 {
		return crm.Errorf(crm.EINVALID, "deal.edit_usage")
	}
	rest, kv, keys, err := s.dealWords(args[1:])
	if err != nil {
		return err
	}
	if rest != "" || len(keys) == 0 {
		return crm.Errorf(crm.EINVALID, "deal.edit_usage")
	}
	d, actor, err := s.changeableDeal(ctx, r, args[0])
	if err != nil {
		return err
	}
	// Check and prepare everything before writing, so a bad value changes
	// nothing.
	probe := d.Clone()
	var moveTo crm.Stage
	var newOwner *crm.Person
	for _, k := range keys {
		switch k {
		case "stage":
			st, err := s.parseStage(kv[k])
			if err != nil {
				return err
			}
			if err := checkMovable(r, d, st); err != nil {
				return err
			}
			moveTo = st
		case "owner":
			p, err := r.ResolvePerson(kv[k])
			if err != nil {
				return err
			}
			if actor.OnBehalfOf == 0 && p.Active() && r.RightsOver(p.ID) == nil {
				return crm.Errorf(crm.EFORBIDDEN, "error.person_forbidden", "name", p.Name)
			}
			if err := r.MayHandTo(actor, p); err != nil {
				return err
			}
			newOwner = p
		default:
			if err := s.applyDealKey(r, probe, k, kv[k], false); err != nil {
				return err
			}
		}
	}
	at := r.Now.In(r.TZ)
	updated, err := s.store.UpdateDeal(ctx, d.ID, actor, at, func(cur *crm.Deal) error {
		for _, k := range keys {
			if k != "stage" && k != "owner" {
				if err := s.applyDealKey(r, cur, k, kv[k], false); err != nil {
					return err
				}
			}
		}
		if newOwner != nil {
			cur.OwnerID = newOwner.ID
		}
		if moveTo != "" {
			return cur.MoveTo(moveTo, at, r.Me.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var lines []string
	for _, ch := range crm.Diff(d.Fields(), updated.Fields()) {
		lines = append(lines, dealChange(r, d, updated, ch))
	}
	head := r.T("deal.unchanged", "id", d.Ref())
	if len(lines) > 0 {
		head = r.T("deal.saved", "id", d.Ref()) + "\n" + strings.Join(lines, "\n")
	}
	return s.replyCard(ctx, w, r, updated, head)
}

// dealChange writes one changed field in the sender's words.
func dealChange(r *core.Request, old, cur *crm.Deal, ch crm.FieldChange) string {
	val := func(d *crm.Deal, v string) string {
		if v == "" {
			return "—"
		}
		switch ch.Field {
		case "amount":
			if a, err := decimal.NewFromString(v); err == nil {
				return fmtMoney(r, a, d.Currency)
			}
		case "stage":
			return stageName(r, crm.Stage(v))
		case "probability":
			if n, err := strconv.Atoi(v); err == nil {
				return pct(r, n)
			}
		case "close":
			if t, err := time.Parse("2006-01-02", v); err == nil {
				return dates.Format(t, r.Lang)
			}
		case "owner":
			return r.PersonName(personID(v))
		}
		return v
	}
	return r.T("deal.field."+ch.Field) + ": " + val(old, ch.Old) + " → " + val(cur, ch.New)
}

// personID reads the person id a deal's history keeps for its owner (0
// for none).
func personID(v string) uint64 {
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// dealHistory: "/deal D-7 history".
func (s *service) dealHistory(ctx context.Context, w bot.ReplyWriter, r *core.Request, ref string) error {
	d, err := s.deal(ctx, r, ref)
	if err != nil {
		return err
	}
	hist, err := s.store.History(ctx, "deal", d.ID)
	if err != nil {
		return err
	}
	var lines []string
	for _, h := range hist {
		who := r.ActorName(h.By, h.OnBehalfOf)
		what := r.T("history.created")
		if h.Field != "created" {
			what = dealChange(r, d, d, h.FieldChange)
		}
		lines = append(lines, fmt.Sprintf("%s · %s · %s", r.FmtTime(h.At), who, what))
	}
	const maxLines = 50
	if len(lines) > maxLines {
		lines = append([]string{r.T("list.earlier", "count", len(lines)-maxLines)}, lines[len(lines)-maxLines:]...)
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("deal.history_title", "id", d.Ref(), "title", d.Title), Text: strings.Join(lines, "\n")})
}

// dealCard builds the card of one deal: the facts, the stage history with
// days in each stage, and buttons for the moves it can make.
func (s *service) dealCard(ctx context.Context, r *core.Request, d *crm.Deal) (bot.Reply, error) {
	client := "—"
	if c, err := s.store.Client(ctx, d.ClientID); err == nil {
		client = c.Name
	} else if !crm.IsNotFound(err) {
		return bot.Reply{}, err
	}
	rep := bot.Reply{Title: d.Ref() + " · " + d.Title}
	add := func(label, value string) {
		if value != "" {
			rep.Fields = append(rep.Fields, bot.Field{Label: label, Value: value})
		}
	}
	add(r.T("deal.card.client"), client)
	add(r.T("card.owner"), r.PersonName(d.OwnerID))
	add(r.T("deal.card.amount"), fmtMoney(r, d.Amount, d.Currency))
	stage := stageName(r, d.Stage)
	if d.Open() {
		stage += " · " + pct(r, d.Prob())
		if d.Probability != nil {
			stage += " " + r.T("deal.card.own_prob", "weight", pct(r, d.Stage.Weight()))
		}
		add(r.T("deal.card.stage"), stage)
		add(r.T("deal.card.weighted"), fmtMoney(r, d.Weighted(), d.Currency))
	} else {
		if d.Cancelled {
			stage += " · " + r.T("deal.card.cancelled")
		}
		add(r.T("deal.card.stage"), stage)
	}
	if !d.ExpectedClose.IsZero() {
		v := r.FmtDate(d.ExpectedClose)
		if d.Open() && d.ExpectedClose.Before(r.Today()) {
			v += " ⚠ " + r.T("deal.card.close_passed")
		}
		add(r.T("deal.card.close"), v)
	}
	add(r.T("deal.card.competitor"), d.Competitor)
	add(r.T("deal.card.reason"), d.LossReason)
	add(r.T("deal.card.created"), r.FmtDate(d.CreatedAt))
	if !d.Open() {
		add(r.T("deal.card.closed"), r.T("deal.card.closed_after", "date", r.FmtDate(d.ClosedAt), "count", daysBetween(r, d.CreatedAt, d.ClosedAt)))
	}
	var hist []string
	for _, sp := range d.Spans() {
		end := sp.To
		if end.IsZero() {
			end = r.Now
		}
		line := stageName(r, sp.Stage) + " · " + r.FmtDate(sp.From)
		switch {
		case !sp.Stage.Open() && sp.To.IsZero():
		case sp.To.IsZero():
			line += " · " + r.T("deal.card.days_now", "count", daysBetween(r, sp.From, end))
		default:
			line += " · " + r.T("deal.card.days", "count", daysBetween(r, sp.From, end))
		}
		if sp.By != 0 && sp.By != d.OwnerID {
			line += " (" + r.PersonName(sp.By) + ")"
		}
		hist = append(hist, line)
	}
	add(r.T("deal.card.history"), strings.Join(hist, "\n"))

	ref := d.Ref()
	if d.Open() {
		var moves []bot.Button
		for _, st := range crm.OpenStages {
			if st != d.Stage {
				moves = append(moves, bot.Button{Label: "→ " + stageName(r, st), Data: "/deal move " + ref + " " + string(st)})
			}
		}
		rep.Buttons = append(rep.Buttons, moves,
			[]bot.Button{{Label: "✓ " + r.T("deal.button.won"), Data: "/deal won " + ref}, {Label: "✗ " + r.T("deal.button.lost"), Data: "/deal lost " + ref}})
	} else {
		rep.Buttons = append(rep.Buttons, []bot.Button{{Label: "↺ " + r.T("deal.button.reopen"), Data: "/deal reopen " + ref}})
	}
	rep.Buttons = append(rep.Buttons, []bot.Button{{Label: r.T("button.history"), Data: "/deal " + ref + " history"}})
	return rep, nil
}

// dealsCmd: "/deals NAME" lists a client's deals, open ones first.
func (s *service) dealsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Command.Args) == 0 {
		return crm.Errorf(crm.EINVALID, "deals.usage")
	}
	c, err := r.Client(ctx, strings.Join(r.Command.Args, " "))
	if err != nil {
		return err
	}
	ds, err := s.store.ClientDeals(ctx, c.ID)
	if err != nil {
		return err
	}
	var open, closed []*crm.Deal
	var openSum, openW, won money.Sums
	wonN := 0
	for _, d := range ds {
		if d.Open() {
			open = append(open, d)
			openSum.Add(d.Currency, d.Amount)
			openW.Add(d.Currency, d.Weighted())
			continue
		}
		closed = append(closed, d)
		if d.Stage == crm.StageWon {
			won.Add(d.Currency, d.Amount)
			wonN++
		}
	}
	sort.SliceStable(open, func(i, j int) bool {
		if open[i].Stage != open[j].Stage {
			return open[i].Stage.Index() > open[j].Stage.Index()
		}
		return open[i].Amount.GreaterThan(open[j].Amount)
	})
	sort.SliceStable(closed, func(i, j int) bool { return closed[i].ClosedAt.After(closed[j].ClosedAt) })
	title := r.T("deals.title", "name", c.Name, "n", len(ds))
	if len(ds) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("deals.none", "name", c.Name, "ref", core.ClientRef(c))})
	}
	var lines []string
	if len(open) > 0 {
		lines = append(lines, r.T("deals.open", "count", len(open), "sum", s.sums(r, openSum), "weighted", s.sums(r, openW)))
	}
	const maxList = 20
	showOwner := false
	for _, d := range ds {
		if d.OwnerID != c.OwnerID {
			showOwner = true
		}
	}
	pg := r.Page(maxList)
	shown := append(append([]*crm.Deal{}, open...), closed...)
	from, to, more := r.Range(pg, len(shown))
	for i := from; i < to; i++ {
		d := shown[i]
		line := "• " + dealLine(r, d, "")
		if showOwner {
			line += " (" + r.PersonName(d.OwnerID) + ")"
		}
		lines = append(lines, line)
	}
	if more != "" {
		lines = append(lines, more)
	}
	if wonN > 0 {
		lines = append(lines, r.T("deals.won_total", "n", wonN, "sum", s.sums(r, won)))
	}
	var buttons []bot.Button
	for i, d := range open {
		if i == 4 {
			break
		}
		buttons = append(buttons, bot.Button{Label: d.Ref(), Data: "/deal " + d.Ref()})
	}
	rep := bot.Reply{Title: title, Text: strings.Join(lines, "\n"), Edit: r.Paged()}
	if len(buttons) > 0 {
		rep.Buttons = [][]bot.Button{buttons}
	}
	rep.Buttons = append(rep.Buttons, r.PageButtons(pg, len(ds))...)
	return w.Reply(ctx, rep)
}

// dealLine is one deal on a list: "D-7 Acme — Pumps · €12,500.00 ·
// proposal · 2026-06-30" (the client is left out when clientName is "").
func dealLine(r *core.Request, d *crm.Deal, clientName string) string {
	line := d.Ref() + " "
	if clientName != "" {
		line += clientName + " — "
	}
	line += d.Title + " · " + fmtMoney(r, d.Amount, d.Currency) + " · " + stageName(r, d.Stage)
	switch {
	case d.Open() && d.Probability != nil:
		line += " " + pct(r, *d.Probability)
	}
	if d.Open() && !d.ExpectedClose.IsZero() {
		line += " · " + r.FmtDate(d.ExpectedClose)
		if d.ExpectedClose.Before(r.Today()) {
			line += " ⚠"
		}
	}
	if !d.Open() {
		line += " · " + r.FmtDate(d.ClosedAt)
	}
	return line
}

// dealCardSection puts the client's open deals and total won on the
// client card.
func (s *service) dealCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	ds, err := s.store.ClientDeals(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var open []*crm.Deal
	var openSum, openW, won money.Sums
	wonN := 0
	for _, d := range ds {
		switch {
		case d.Open():
			open = append(open, d)
			openSum.Add(d.Currency, d.Amount)
			openW.Add(d.Currency, d.Weighted())
		case d.Stage == crm.StageWon:
			won.Add(d.Currency, d.Amount)
			wonN++
		}
	}
	var out []bot.Field
	if len(open) == 0 {
		out = append(out, bot.Field{Label: r.T("deal.card.open_deals"), Value: r.T("deal.card.no_open")})
	} else {
		out = append(out, bot.Field{Label: r.T("deal.card.open_deals"), Value: r.T("deals.open", "count", len(open), "sum", s.sums(r, openSum), "weighted", s.sums(r, openW))})
		sort.SliceStable(open, func(i, j int) bool { return open[i].Amount.GreaterThan(open[j].Amount) })
		for i, d := range open {
			if i == 3 {
				out = append(out, bot.Field{Label: "…", Value: r.T("list.more", "count", len(open)-3) + " — /deals " + core.ClientRef(c)})
				break
			}
			out = append(out, bot.Field{Label: d.Ref(), Value: strings.TrimPrefix(dealLine(r, d, ""), d.Ref()+" ")})
		}
	}
	if wonN > 0 {
		out = append(out, bot.Field{Label: r.T("deal.card.won_total"), Value: r.T("deal.card.won_value", "n", wonN, "sum", s.sums(r, won))})
	}
	return out, nil
}

// dealAgenda puts open deals whose expected close is due on /today.
func (s *service) dealAgenda(ctx context.Context, r *core.Request, owners []uint64, until time.Time) ([]core.AgendaItem, error) {
	var items []core.AgendaItem
	var due []*crm.Deal
	err := s.store.OpenDealsClosing(ctx, crm.ClosingQuery{Owners: owners, To: until.In(r.TZ)}, func(d *crm.Deal) bool {
		if d.ExpectedClose.Before(until) {
			due = append(due, d)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	// The clients' names in one read, not one read per deal.
	ids := make([]uint64, len(due))
	for i, d := range due {
		ids[i] = d.ClientID
	}
	names, err := core.ClientNames(ctx, s.store, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range due {
		name := names[d.ClientID]
		text := r.T("deal.agenda_today", "line", dealLine(r, d, name))
		if d.ExpectedClose.Before(r.Today()) {
			text = "⚠ " + r.T("deal.agenda_overdue", "line", dealLine(r, d, name))
		}
		if d.OwnerID != r.Me.ID {
			text += " (" + r.T("today.for", "name", r.PersonName(d.OwnerID)) + ")"
		}
		ref := d.Ref()
		items = append(items, core.AgendaItem{Due: d.ExpectedClose, Text: text, Buttons: []bot.Button{
			{Label: "✓ " + r.T("deal.button.won"), Data: "/deal won " + ref},
			{Label: r.T("button.card") + " " + ref, Data: "/deal " + ref},
		}})
	}
	return items, nil
}
