// Package claims is the claims family: /claim and /claims (recording,
// the lifecycle, lists, the report and the SLA settings), the claims on the
// client card, in /today, in the facts drafts rely on and in digests, their
// export, and the escalation of breached claims to the owner's supervisor.
// Its words are in i18n/locales/{en,bg}/claims.toml; its data goes through
// Store. It registers itself with Register and meets other families only
// through the hooks of handlers/core.
package claims

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// Store is the claims family's port: the claims themselves, and the few
// reads of clients and people that claims show (15 methods).
type Store interface {
	ClaimStore
	// Client returns the client with id, or crm.ErrNotFound.
	Client(ctx context.Context, id uint64) (*crm.Client, error)
	// ClientNames returns the names of the clients with the given ids;
	// ids of clients that do not exist are left out (no error).
	ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error)
	// People returns everyone, dismissed people included, by id. The
	// people may be shared with other callers: they must not be modified.
	People(ctx context.Context) ([]*crm.Person, error)
}

// ClaimStore keeps claims, their indexes and the SLA settings. It follows
// the rules every port shares (handlers/service.go): a missing record is
// crm.ErrNotFound, an update's fn may be re-run, the delivery key makes a
// redelivered write crm.ErrDuplicate.
type ClaimStore interface {
	// CreateClaim stores c, a claim of an existing client, giving it the
	// next claim id (never reused, also after a crash) and its first
	// history entry. An unknown client is crm.ErrNotFound.
	CreateClaim(ctx context.Context, c *crm.Claim) error
	// Claim returns the claim with id, or crm.ErrNotFound.
	Claim(ctx context.Context, id uint64) (*crm.Claim, error)
	// UpdateClaim applies fn (normally crm.ApplyClaimEvent; it may be
	// re-run) to a copy of the claim and stores what it returns, with the
	// indexes and one history entry per changed field, in one
	// transaction.
	UpdateClaim(ctx context.Context, id uint64, fn func(crm.Claim) (crm.Claim, error)) (*crm.Claim, error)
	// ClaimsOf returns the summaries (crm.ClaimSummary: no text or
	// timeline) of the claims owned by or assigned to one of people, the
	// open or the closed ones, each once, by id.
	ClaimsOf(ctx context.Context, people []uint64, open bool) ([]crm.ClaimSummary, error)
	// ReadClaimsAhead says that the claims of people, the open ones, the
	// closed ones or both, are about to be listed with their clients'
	// names (ClaimsOf, then ClientNames), so that an engine that pays a
	// round trip per read reads them at once; it changes no answer.
	ReadClaimsAhead(ctx context.Context, people []uint64, open, closed bool) error
	// ClientClaims returns every claim of the client, oldest first.
	ClientClaims(ctx context.Context, clientID uint64) ([]*crm.Claim, error)
	// ClaimsByID returns the claims with the given ids in that order,
	// leaving out those that do not exist.
	ClaimsByID(ctx context.Context, ids []uint64) ([]*crm.Claim, error)
	// ClaimsReceived calls fn with each claim q picks, oldest first,
	// until fn returns false. fn runs inside a read transaction: it must
	// not call the store.
	ClaimsReceived(ctx context.Context, q crm.ClaimsReceivedQuery, fn func(*crm.Claim) bool) error
	// ClaimSettings returns the SLA settings, the defaults for what was
	// never saved.
	ClaimSettings(ctx context.Context) (crm.ClaimSettings, error)
	// SaveClaimSettings stores cs with one history entry (kind
	// "claim_settings") per changed value, made by by at at.
	SaveClaimSettings(ctx context.Context, cs crm.ClaimSettings, by crm.Actor, at time.Time) error
	// EscalateClaims decides the escalations due at now, once each: every
	// open claim whose resolve deadline passed before now and whose
	// breach was not escalated yet (at most limit, the oldest breaches
	// first) gets the escalation step and a pending delivery to the person
	// route names (none for 0), in one transaction. It returns every
	// pending delivery, the new ones and those still undelivered, by
	// claim id.
	EscalateClaims(ctx context.Context, now time.Time, limit int, route crm.EscalationRoute) ([]crm.ClaimEscalation, error)
	// FinishEscalation records one delivery attempt of the claim's
	// pending escalation: a delivered one, or one that failed maxAttempts
	// times, is dropped. A claim with none pending is no error.
	FinishEscalation(ctx context.Context, claimID uint64, delivered bool, maxAttempts int) error
}

const (
	// maxClaimList is how many claims a list shows.
	maxClaimList = 30
	// maxRemedyRunes is the longest requested remedy or root cause kept.
	maxRemedyRunes = 500
	// escalationBatch is how many breaches one scheduler tick decides, so
	// that one transaction stays small after a long downtime.
	escalationBatch = 200
	// maxEscalationAttempts is how many ticks an undeliverable escalation
	// is retried (30 s apart) before it is given up and logged.
	maxEscalationAttempts = 20
)

// service answers the claims commands and hooks.
type service struct {
	kit   *core.Kit
	store Store
	words *words
}

// Register adds /claim and /claims, the claims in /today, on the client
// card, in drafts' facts, in digests, in exports and in calendar feeds,
// and the escalation of breached claims, to the service behind reg.
func Register(reg core.Registry, st Store) {
	s := &service{kit: reg.Kit(), store: st, words: core.LoadWords(reg, "claims", newWords)}
	defer reg.Family("claims")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "claim", Run: s.claimCmd}, &core.Spec{Name: "claims", Run: s.claimsCmd})
	reg.AddAgenda(s.claimAgenda)
	reg.AddCardSection(s.claimCardSection)
	reg.AddJob(core.Job{Name: "claims.escalate", Run: s.escalateClaims})
	reg.AddFacts(s.claimFacts)
	reg.AddDigestSection("claims", s.claimsDigest)
	reg.AddExport("claims", s.writeClaimsCSV)
	reg.AddClientRecords("claims", func(ctx context.Context, r *core.Request, c *crm.Client) (any, error) {
		return s.store.ClientClaims(ctx, c.ID)
	})
	reg.AddCalendar(s.claimCalendar)
}

// claimSteps are the steps "/claim WORD C-12" takes, their words
// "words.claim.step.*"; claimKeys the key=value keys of claims
// ("words.claim.key.*").
var (
	claimSteps = []crm.ClaimStepKind{crm.StepAck, crm.StepInvestigate, crm.StepNote, crm.StepAssign,
		crm.StepRespond, crm.StepResolve, crm.StepReject, crm.StepReopen, crm.StepSatisfied}
	claimKeys = []string{"severity", "category", "remedy", "cause", "action"}
)

// words are the claims' typed-word tables, read from the translation
// files when the family registers.
type words struct {
	steps  map[string]crm.ClaimStepKind
	keys   map[string]string
	status map[string]string // "/claims WORD": open, overdue, closed, all
	scope  map[string]string // "/claims WORD": mine, team
}

// newWords reads the tables from cat; missing are the entries some
// language lacks.
func newWords(cat *i18n.Catalog) (*words, []string) {
	v := &core.Vocabs{Cat: cat}
	var steps []string
	for _, st := range claimSteps {
		steps = append(steps, string(st))
	}
	w := &words{steps: map[string]crm.ClaimStepKind{}, keys: v.Table("claim.key", claimKeys...),
		status: v.Table("claims.status", "open", "overdue", "closed", "all"), scope: v.Table("claims.scope", "mine", "team")}
	for f, st := range v.Table("claim.step", steps...) {
		w.steps[f] = crm.ClaimStepKind(st)
	}
	return w, v.Missing
}

// takeClaimKV removes key=value words with the wanted canonical keys from
// free text, keeping everything else as typed; values may be quoted.
func (w *words) takeClaimKV(text string, wanted ...string) (string, map[string]string) {
	kv := map[string]string{}
	out := core.KeyValueRe.ReplaceAllStringFunc(text, func(m string) string {
		sub := core.KeyValueRe.FindStringSubmatch(m)
		k, ok := w.keys[strings.ToLower(sub[2])]
		if !ok || !slices.Contains(wanted, k) {
			return m
		}
		v := sub[3]
		if ws := bot.Split(v); strings.HasPrefix(v, `"`) {
			v = strings.Join(ws, " ")
		}
		kv[k] = strings.TrimSpace(v)
		return sub[1]
	})
	return strings.Join(strings.Fields(out), " "), kv
}

// firstField returns the first word of s.
func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// isClientName reports whether name refers to exactly one client the
// sender sees.
func (s *service) isClientName(ctx context.Context, r *core.Request, name string) bool {
	c, err := r.Client(ctx, name)
	return err == nil && c != nil
}

// claimCmd dispatches "/claim …".
func (s *service) claimCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "claim.usage")
	}
	first := strings.ToLower(args[0])
	if kind, ok := s.words.steps[first]; ok {
		rest := core.AfterWord(r.Command.Rest)
		// "/claim Note Ltd: …" is a claim of a client whose name starts
		// with a step word, not a note.
		if _, isRef := crm.ParseClaimRef(strings.TrimRight(firstField(rest), ":")); isRef || !strings.Contains(r.Command.Rest, ":") {
			return s.claimStep(ctx, w, r, kind, rest)
		}
		return s.claimAdd(ctx, w, r, r.Command.Rest)
	}
	switch {
	case r.Is(first, "claim.add"):
		// Unless the whole name is a client's ("Нова Звезда: …").
		if name, _, ok := bot.CutName(r.Command.Rest); !ok || !s.isClientName(ctx, r, name) {
			return s.claimAdd(ctx, w, r, core.AfterWord(r.Command.Rest))
		}
	}
	if len(args) == 1 {
		if id, ok := crm.ParseClaimRef(args[0]); ok {
			return s.claimShow(ctx, w, r, id)
		}
	}
	return s.claimAdd(ctx, w, r, r.Command.Rest)
}

// claimAdd records a claim: "NAME: TEXT [severity=] [category=] [remedy=]".
func (s *service) claimAdd(ctx context.Context, w bot.ReplyWriter, r *core.Request, rest string) error {
	name, text, ok := bot.CutName(rest)
	if !ok {
		return crm.Errorf(crm.EINVALID, "claim.usage")
	}
	text, kv := s.words.takeClaimKV(text, "severity", "category", "remedy")
	if text == "" {
		return crm.Errorf(crm.EINVALID, "claim.usage")
	}
	if utf8.RuneCountInString(text) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	sev := crm.SeverityMedium
	if v, ok := kv["severity"]; ok {
		if sev, ok = crm.ParseSeverity(v); !ok {
			return crm.Errorf(crm.EINVALID, "claim.bad_severity", "value", v)
		}
	}
	category := "other"
	if v, ok := kv["category"]; ok {
		if category, ok = crm.ParseCategory(v); !ok {
			return crm.Errorf(crm.EINVALID, "claim.bad_category", "max", crm.MaxCategoryRunes)
		}
	}
	remedy := kv["remedy"]
	if utf8.RuneCountInString(remedy) > maxRemedyRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", maxRemedyRunes)
	}
	c, actor, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return err
	}
	settings, err := s.store.ClaimSettings(ctx)
	if err != nil {
		return err
	}
	ack, resolve := settings.Due(sev, r.Now, r.TZ)
	files, err := s.kit.Files.Take(ctx, r)
	if err != nil {
		return err
	}
	cl := crm.NewClaim(c.ID, c.OwnerID, actor, r.Now, text, remedy, sev, category, ack, resolve)
	if err := s.store.CreateClaim(ctx, &cl); err != nil {
		return err
	}
	attached, err := s.kit.Files.Keep(ctx, r, c.ID, crm.AttachedToClaim, cl.ID, files)
	if err != nil {
		return err
	}
	msg := r.T("claim.saved", "id", cl.Ref(), "name", c.Name, "severity", r.T("claim.severity."+string(sev)), "category", categoryName(r.T, category)) +
		"\n" + r.T("claim.due", "ack", r.FmtTime(ack), "resolve", r.FmtTime(resolve)) + attached
	if remedy != "" {
		msg += "\n" + r.T("claim.remedy_line", "remedy", remedy)
	}
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: claimButtons(r, &cl, true)})
}

// claimShow answers "/claim C-12" with the claim's card and timeline.
func (s *service) claimShow(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	c, _, err := s.visibleClaim(ctx, r, id)
	if err != nil {
		return err
	}
	client, err := s.store.Client(ctx, c.ClientID)
	if err != nil {
		return err
	}
	rep, err := s.kit.Files.Show(ctx, r, s.claimCard(r, c, client), c.ClientID, crm.AttachedToClaim, c.ID)
	if err != nil {
		return err
	}
	return w.Reply(ctx, rep)
}

// visibleClaim loads a claim the sender may see and change (the client's
// owner, their supervisor, a head, the assignee, or a deputy of one of
// them), with the actor to record. Others are told it does not exist.
func (s *service) visibleClaim(ctx context.Context, r *core.Request, id uint64) (*crm.Claim, crm.Actor, error) {
	c, err := s.store.Claim(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return nil, crm.Actor{}, crm.Errorf(crm.ENOTFOUND, "claim.not_found", "id", crm.ClaimRef(id))
		}
		return nil, crm.Actor{}, err
	}
	if a := r.ClaimRights(c.OwnerID, c.AssigneeID); a != nil {
		return c, *a, nil
	}
	return nil, crm.Actor{}, crm.Errorf(crm.ENOTFOUND, "claim.not_found", "id", crm.ClaimRef(id))
}

// claimStep runs one lifecycle step: "ack C-12", "note C-12: TEXT",
// "assign C-12 @person", "respond C-12: TEXT", "resolve C-12: TEXT cause=…
// [action=…]", "reject C-12: reason", "reopen C-12: reason",
// "satisfied C-12 1..5", "investigate C-12".
func (s *service) claimStep(ctx context.Context, w bot.ReplyWriter, r *core.Request, kind crm.ClaimStepKind, rest string) error {
	usage := "claim." + string(kind) + "_usage"
	refEnd := strings.IndexAny(rest, " \t\n:")
	if refEnd < 0 {
		refEnd = len(rest)
	}
	id, ok := crm.ParseClaimRef(rest[:refEnd])
	if !ok {
		return crm.Errorf(crm.EINVALID, usage)
	}
	text := strings.TrimSpace(rest[refEnd:])
	ev := crm.ClaimEvent{Kind: kind, At: r.Now}
	if kind == crm.StepResolve {
		var kv map[string]string
		text, kv = s.words.takeClaimKV(text, "cause", "action")
		ev.Cause = kv["cause"]
		if v, ok := kv["action"]; ok {
			a, ok := crm.ParseCorrectiveAction(v)
			if !ok {
				return crm.Errorf(crm.EINVALID, "claim.bad_action", "value", v)
			}
			ev.Action = a
		}
		if utf8.RuneCountInString(ev.Cause) > maxRemedyRunes {
			return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", maxRemedyRunes)
		}
	}
	text = strings.TrimSpace(strings.TrimPrefix(text, ":"))
	var assignee *crm.Person
	switch kind {
	case crm.StepAssign:
		if text == "" {
			return crm.Errorf(crm.EINVALID, usage)
		}
		p, err := r.ResolvePerson(strings.Join(bot.Split(text), " "))
		if err != nil {
			return err
		}
		if !p.Active() {
			return crm.Errorf(crm.EINVALID, "person.dismissed", "name", p.Name)
		}
		assignee, ev.Person, text = p, p.ID, ""
	case crm.StepSatisfied:
		score, comment, _ := strings.Cut(text, ":")
		score = strings.TrimSuffix(strings.TrimSpace(score), "/5")
		n, err := strconv.Atoi(score)
		if err != nil {
			return crm.Errorf(crm.EINVALID, "claim.bad_score")
		}
		ev.Score, text = n, strings.TrimSpace(comment)
	}
	if utf8.RuneCountInString(text) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	ev.Text = text
	c, actor, err := s.visibleClaim(ctx, r, id)
	if err != nil {
		return err
	}
	if assignee != nil {
		if err := r.DeputyMayHandTo(actor, assignee); err != nil {
			return err
		}
	}
	files, err := s.kit.Files.Take(ctx, r)
	if err != nil {
		return err
	}
	ev.By = actor
	if kind == crm.StepReopen {
		settings, err := s.store.ClaimSettings(ctx)
		if err != nil {
			return err
		}
		ev.AckDue, ev.ResolveDue = settings.Due(c.Severity, r.Now, r.TZ)
	}
	updated, err := s.store.UpdateClaim(ctx, id, func(x crm.Claim) (crm.Claim, error) { return crm.ApplyClaimEvent(x, ev) })
	if err != nil {
		return claimError(r, err)
	}
	ref := updated.Ref()
	var msg string
	switch kind {
	case crm.StepAck:
		msg = r.T("claim.acked", "id", ref, "resolve", r.FmtTime(updated.ResolveDue))
	case crm.StepInvestigate:
		msg = r.T("claim.investigating", "id", ref)
	case crm.StepNote:
		msg = r.T("claim.noted", "id", ref)
	case crm.StepAssign:
		msg = r.T("claim.assigned", "id", ref, "name", assignee.Name)
		if assignee.ID != r.Me.ID {
			s.tellAssignee(ctx, r, updated, assignee)
		}
	case crm.StepRespond:
		msg = r.T("claim.responded", "id", ref)
	case crm.StepResolve:
		msg = r.T("claim.resolved", "id", ref, "cause", updated.Cause, "action", r.T("claim.action."+string(updated.Action)))
		if updated.ResolvedAt.After(updated.ResolveDue) {
			msg += "\n" + r.T("claim.resolved_late", "due", r.FmtTime(updated.ResolveDue))
		} else {
			msg += "\n" + r.T("claim.resolved_in_time")
		}
		msg += "\n" + r.T("claim.ask_satisfaction", "id", ref)
	case crm.StepReject:
		msg = r.T("claim.rejected", "id", ref, "reason", updated.RejectReason)
	case crm.StepReopen:
		msg = r.T("claim.reopened", "id", ref) + "\n" + r.T("claim.due", "ack", r.FmtTime(updated.AckDue), "resolve", r.FmtTime(updated.ResolveDue))
	case crm.StepSatisfied:
		msg = r.T("claim.rated", "id", ref, "score", updated.Satisfaction)
	}
	attached, err := s.kit.Files.Keep(ctx, r, updated.ClientID, crm.AttachedToClaim, updated.ID, files)
	if err != nil {
		return err
	}
	msg += attached
	return w.Reply(ctx, bot.Reply{Text: msg, Buttons: claimButtons(r, updated, true), Edit: r.Button})
}

// tellAssignee lets a newly assigned person know, on their platforms.
func (s *service) tellAssignee(ctx context.Context, r *core.Request, c *crm.Claim, p *crm.Person) {
	loc, tz := s.kit.PersonLocale(p)
	name := ""
	if cl, err := s.store.Client(ctx, c.ClientID); err == nil {
		name = cl.Name
	}
	text := loc.T("claim.assigned_to_you", "id", c.Ref(), "name", name, "by", r.Me.Name,
		"resolve", dates.FormatTime(c.ResolveDue.In(tz), loc.Lang())) + "\n" + quoteText(loc.Lang(), c.Text, 300)
	s.kit.Notify(ctx, p, bot.Reply{Text: text, Buttons: [][]bot.Button{{{Label: loc.T("claim.button.card", "id", c.Ref()), Data: "/claim " + c.Ref()}}}})
}

// claimError puts the translated status and step into a refused step's
// message, since the router translates only the message key.
func claimError(r *core.Request, err error) error {
	var ce *crm.Error
	if !errors.As(err, &ce) || ce.Args == nil {
		return err
	}
	out := &crm.Error{Code: ce.Code, Key: ce.Key, Err: ce.Err, Args: map[string]any{}}
	for k, v := range ce.Args {
		out.Args[k] = v
	}
	if st, ok := ce.Args["status"].(crm.ClaimStatus); ok {
		out.Args["status"] = r.T("claim.status." + string(st))
		if !st.Open() && ce.Key == "claim.bad_transition" {
			out.Key = "claim.closed"
		}
	}
	if k, ok := ce.Args["step"].(crm.ClaimStepKind); ok {
		out.Args["step"] = r.T("claim.verb." + string(k))
	}
	return out
}

// claimButtons offers the next steps that need no typing.
func claimButtons(r *core.Request, c *crm.Claim, withCard bool) [][]bot.Button {
	ref := c.Ref()
	var row []bot.Button
	if crm.CanApply(c.Status, crm.StepAck) {
		row = append(row, bot.Button{Label: "✓ " + r.T("claim.button.ack"), Data: "/claim ack " + ref})
	}
	if crm.CanApply(c.Status, crm.StepInvestigate) {
		row = append(row, bot.Button{Label: "🔍 " + r.T("claim.button.investigate"), Data: "/claim investigate " + ref})
	}
	if withCard {
		row = append(row, bot.Button{Label: r.T("claim.button.card", "id", ref), Data: "/claim " + ref})
	}
	var rows [][]bot.Button
	// The satisfaction scores come first, so that in the console 1 to 5
	// are the scores themselves.
	if !c.Status.Open() && c.Satisfaction == 0 {
		var scores []bot.Button
		for i := 1; i <= 5; i++ {
			scores = append(scores, bot.Button{Label: strconv.Itoa(i) + "★", Data: "/claim satisfied " + ref + " " + strconv.Itoa(i)})
		}
		rows = append(rows, scores)
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// categoryName translates a known category and keeps a custom one.
func categoryName(t func(string, ...any) string, c string) string {
	if crm.IsKnownCategory(c) {
		return t("claim.category." + c)
	}
	return c
}

// quoteText shows a claim's text in quotes, shortened.
// quoteText quotes a claim's text as the reader's language does: „…“ in
// Bulgarian, “…” in English.
func quoteText(lang, s string, n int) string {
	if lang == "bg" {
		return "„" + core.Truncate(s, n) + "“"
	}
	return "“" + core.Truncate(s, n) + "”"
}

// claimCard is the card of one claim: its facts, then the text and the
// timeline.
func (s *service) claimCard(r *core.Request, c *crm.Claim, client *crm.Client) bot.Reply {
	rep := bot.Reply{Title: r.T("claim.card_title", "id", c.Ref(), "name", client.Name)}
	add := func(label, value string) {
		if value != "" {
			rep.Fields = append(rep.Fields, bot.Field{Label: label, Value: value})
		}
	}
	status := r.T("claim.status." + string(c.Status))
	if c.Overdue(r.Now) {
		status += " ⚠ " + r.T("claim.overdue")
	}
	add(r.T("claim.field.status"), status)
	add(r.T("claim.field.severity"), r.T("claim.severity."+string(c.Severity)))
	add(r.T("claim.field.category"), categoryName(r.T, c.Category))
	add(r.T("card.owner"), r.PersonName(c.OwnerID))
	if c.AssigneeID != 0 {
		add(r.T("claim.field.assignee"), r.PersonName(c.AssigneeID))
	}
	add(r.T("claim.field.reporter"), r.PersonName(c.ReporterID))
	add(r.T("claim.field.received"), r.FmtTime(c.CreatedAt))
	add(r.T("claim.field.remedy"), c.Remedy)

	ack := r.FmtTime(c.AckDue)
	switch {
	case c.AckOverdue(r.Now):
		ack += " ⚠ " + r.T("claim.overdue")
	case !c.AckedAt.IsZero():
		ack += " · " + r.T("claim.acked_at", "time", r.FmtTime(c.AckedAt))
	}
	add(r.T("claim.field.ack_due"), ack)
	resolve := r.FmtTime(c.ResolveDue)
	switch {
	case c.ResolveOverdue(r.Now):
		resolve += " ⚠ " + r.T("claim.overdue")
	case c.Status == crm.ClaimResolved && c.ResolvedAt.After(c.ResolveDue):
		resolve += " · " + r.T("claim.resolved_at_late", "time", r.FmtTime(c.ResolvedAt))
	case c.Status == crm.ClaimResolved:
		resolve += " · " + r.T("claim.resolved_at", "time", r.FmtTime(c.ResolvedAt))
	}
	add(r.T("claim.field.resolve_due"), resolve)
	add(r.T("claim.field.response"), c.Response)
	if c.Cause != "" {
		add(r.T("claim.field.cause"), c.Cause+" · "+r.T("claim.action."+string(c.Action)))
	}
	add(r.T("claim.field.resolution"), c.Resolution)
	add(r.T("claim.field.reject_reason"), c.RejectReason)
	if c.Satisfaction > 0 {
		add(r.T("claim.field.satisfaction"), strconv.Itoa(c.Satisfaction)+"/5")
	}

	// The timeline follows the facts, one step a line, the latest last.
	rep.Text = quoteText(r.Loc.Lang(), c.Text, core.MaxTextRunes)
	steps := c.Timeline
	const maxSteps = 30
	if len(steps) > maxSteps {
		add(r.T("claim.timeline"), r.T("list.earlier", "count", len(steps)-maxSteps))
		steps = steps[len(steps)-maxSteps:]
	}
	for _, st := range steps {
		add(r.FmtTime(st.At)+" · "+stepActor(r, st), stepText(r, st))
	}
	add(r.T("claim.next"), claimHint(r, c))
	rep.Buttons = claimButtons(r, c, false)
	rep.Buttons = append(rep.Buttons, []bot.Button{{Label: r.T("button.card") + ": " + client.Name, Data: "/client " + core.ClientRef(client)}})
	return rep
}

// stepActor names who took a step (the bot for escalations).
func stepActor(r *core.Request, st crm.ClaimStep) string {
	if st.By == 0 {
		return r.T("claim.bot")
	}
	return r.ActorName(st.By, st.OnBehalfOf)
}

// stepText says what a step did.
func stepText(r *core.Request, st crm.ClaimStep) string {
	with := func(s string) string {
		if st.Text == "" {
			return s
		}
		return s + ": " + core.Truncate(st.Text, 300)
	}
	switch st.Kind {
	case crm.StepReceived:
		// The text is the claim's own, shown above the timeline.
		return r.T("claim.step.received")
	case crm.StepAssign:
		return r.T("claim.step.assign", "name", r.PersonName(st.Person))
	case crm.StepResolve:
		return with(r.T("claim.step.resolve")) + " (" + r.T("claim.step.cause", "cause", st.Cause, "action", r.T("claim.action."+string(st.Action))) + ")"
	case crm.StepSatisfied:
		return with(r.T("claim.step.satisfied", "score", st.Score))
	case crm.StepEscalated:
		if st.Person == 0 {
			return r.T("claim.step.breached")
		}
		return r.T("claim.step.escalated", "name", r.PersonName(st.Person))
	}
	return with(r.T("claim.step." + string(st.Kind)))
}

// claimHint tells what to type for the next steps that need text.
func claimHint(r *core.Request, c *crm.Claim) string {
	if c.Status.Open() {
		return r.T("claim.hint_open", "id", c.Ref())
	}
	return r.T("claim.hint_closed", "id", c.Ref())
}

// claimLine is one claim in a list, /today or the client card.
func claimLine(r *core.Request, s *crm.ClaimSummary, clientName string, withOwner bool) string {
	var b strings.Builder
	if s.Overdue(r.Now) {
		b.WriteString("⚠ ")
	}
	b.WriteString(crm.ClaimRef(s.ID))
	if clientName != "" {
		b.WriteString(" · " + clientName)
	}
	b.WriteString(" · " + r.T("claim.severity."+string(s.Severity)) + " · " + categoryName(r.T, s.Category) + " · " + r.T("claim.status."+string(s.Status)))
	switch {
	case s.AckOverdue(r.Now):
		b.WriteString(" · " + r.T("claim.ack_overdue_since", "time", r.FmtTime(s.AckDue)))
	case s.ResolveOverdue(r.Now):
		b.WriteString(" · " + r.T("claim.resolve_overdue_since", "time", r.FmtTime(s.ResolveDue)))
	case s.Status.AwaitsAck():
		b.WriteString(" · " + r.T("claim.ack_by", "time", r.FmtTime(s.AckDue)))
	case s.Status.Open():
		b.WriteString(" · " + r.T("claim.resolve_by", "time", r.FmtTime(s.ResolveDue)))
	default:
		b.WriteString(" " + r.FmtDate(s.ClosedAt))
	}
	if withOwner {
		b.WriteString(" (" + r.PersonName(s.OwnerID))
		if s.AssigneeID != 0 && s.AssigneeID != s.OwnerID {
			b.WriteString(" → " + r.PersonName(s.AssigneeID))
		}
		b.WriteString(")")
	}
	return b.String()
}

// worseFirst orders open claims overdue first, then by severity, then the
// oldest first; closed claims come after them, the latest closed first.
// It sorts small keys rather than the summaries, since lists run to
// thousands of claims.
func worseFirst(now time.Time, list []crm.ClaimSummary) {
	type sortKey struct {
		group int   // 0 open and overdue, 1 open, 2 closed
		rank  int   // severity, most severe first
		at    int64 // received (open, oldest first) or -closed (latest first)
		id    uint64
		i     int
	}
	keys := make([]sortKey, len(list))
	for i := range list {
		sm := &list[i]
		k := sortKey{group: 1, id: sm.ID, i: i}
		switch {
		case !sm.Status.Open():
			k.group, k.at = 2, -sm.ClosedAt.UnixNano()
		default:
			if sm.Overdue(now) {
				k.group = 0
			}
			k.rank, k.at = -sm.Severity.Rank(), sm.CreatedAt.UnixNano()
		}
		keys[i] = k
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.rank, b.rank), cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id))
	})
	sorted := make([]crm.ClaimSummary, len(list))
	for j, k := range keys {
		sorted[j] = list[k.i]
	}
	copy(list, sorted)
}

// claimFilter is what "/claims …" asks for.
type claimFilter struct {
	status   string // open, overdue, closed, all
	scope    string // "" (everything visible), mine, team
	person   *crm.Person
	client   string
	category string
	severity crm.Severity
}

// parseClaimFilter reads the words of "/claims": a status, a scope or
// @person, category= and severity=, and the rest as a client name.
func (s *service) parseClaimFilter(r *core.Request, words []string) (claimFilter, error) {
	f := claimFilter{status: "open"}
	var name []string
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok && k != "" {
			switch s.words.keys[strings.ToLower(k)] {
			case "category":
				c, ok := crm.ParseCategory(v)
				if !ok {
					return f, crm.Errorf(crm.EINVALID, "claim.bad_category", "max", crm.MaxCategoryRunes)
				}
				f.category = c
				continue
			case "severity":
				sev, ok := crm.ParseSeverity(v)
				if !ok {
					return f, crm.Errorf(crm.EINVALID, "claim.bad_severity", "value", v)
				}
				f.severity = sev
				continue
			}
			return f, crm.Errorf(crm.EINVALID, "claims.usage")
		}
		lw := strings.ToLower(w)
		if st, ok := s.words.status[lw]; ok {
			f.status = st
			continue
		}
		if sc, ok := s.words.scope[lw]; ok {
			f.scope = sc
			continue
		}
		if strings.HasPrefix(w, "@") || (strings.Contains(w, ":") && !strings.HasSuffix(w, ":")) {
			p, err := r.ResolvePerson(w)
			if err != nil {
				return f, err
			}
			f.person = p
			continue
		}
		name = append(name, w)
	}
	f.client = strings.Join(name, " ")
	return f, nil
}

// claimScope returns the people whose claims (as owner or assignee) the
// filter covers.
func claimScope(r *core.Request, f claimFilter) (map[uint64]bool, error) {
	set := map[uint64]bool{}
	if f.person != nil {
		if r.RightsOver(f.person.ID) == nil {
			return nil, crm.Errorf(crm.EFORBIDDEN, "error.person_forbidden", "name", f.person.Name)
		}
		set[f.person.ID] = true
		return set, nil
	}
	scope := f.scope
	if scope == "" {
		scope = r.DefaultScope()
	}
	ids, err := r.VisibleOwners(scope)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// claimsCmd dispatches "/claims …": lists, "report" and "settings".
func (s *service) claimsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) > 0 {
		switch a := args[0]; {
		case r.Is(a, "claims.report"):
			return s.claimsReport(ctx, w, r, args[1:])
		case r.Is(a, "claims.settings"):
			return s.claimSettingsCmd(ctx, w, r, args[1:])
		}
	}
	f, err := s.parseClaimFilter(r, args)
	if err != nil {
		return err
	}
	set, err := claimScope(r, f)
	if err != nil {
		return err
	}
	var list []crm.ClaimSummary
	if f.client != "" {
		c, err := r.Client(ctx, f.client)
		if err != nil {
			return err
		}
		claims, err := s.store.ClientClaims(ctx, c.ID)
		if err != nil {
			return err
		}
		explicit := f.scope != "" || f.person != nil
		for _, cl := range claims {
			if !explicit || set[cl.OwnerID] || (cl.AssigneeID != 0 && set[cl.AssigneeID] && r.SeesClaim(cl.OwnerID, cl.AssigneeID)) {
				list = append(list, cl.Summary())
			}
		}
	} else {
		people := make([]uint64, 0, len(set))
		for id := range set {
			people = append(people, id)
		}
		wantOpen, wantClosed := f.status != "closed", f.status != "open" && f.status != "overdue"
		if err := s.store.ReadClaimsAhead(ctx, people, wantOpen, wantClosed); err != nil {
			return err
		}
		for _, open := range []bool{true, false} {
			if (open && !wantOpen) || (!open && !wantClosed) {
				continue
			}
			sums, err := s.store.ClaimsOf(ctx, people, open)
			if err != nil {
				return err
			}
			for _, sm := range sums {
				// ClaimsOf lists the people's claims as owner and as
				// assignee; the second kind only for the assignee.
				if set[sm.OwnerID] || r.SeesClaim(sm.OwnerID, sm.AssigneeID) {
					list = append(list, sm)
				}
			}
		}
	}
	kept := list[:0]
	overdue := 0
	for _, sm := range list {
		switch f.status {
		case "open":
			if !sm.Status.Open() {
				continue
			}
		case "overdue":
			if !sm.Overdue(r.Now) {
				continue
			}
		case "closed":
			if sm.Status.Open() {
				continue
			}
		}
		if f.category != "" && sm.Category != f.category {
			continue
		}
		if f.severity != "" && sm.Severity != f.severity {
			continue
		}
		if sm.Overdue(r.Now) {
			overdue++
		}
		kept = append(kept, sm)
	}
	list = kept
	worseFirst(r.Now, list)
	title := r.T("claims.title."+f.status, "count", len(list))
	if f.status == "open" && overdue > 0 {
		title += " · " + r.T("claims.overdue_count", "count", overdue)
	}
	if len(list) == 0 {
		return w.Reply(ctx, bot.Reply{Text: title})
	}
	pg := r.Page(maxClaimList)
	shown, more := core.PageOf(r, list, pg)
	names, err := s.clientNames(ctx, shown)
	if err != nil {
		return err
	}
	withOwner := len(set) > 1
	lines := make([]string, 0, len(shown)+1)
	var row []bot.Button
	for i, sm := range shown {
		lines = append(lines, claimLine(r, &sm, names[sm.ClientID], withOwner))
		if i < 5 {
			row = append(row, bot.Button{Label: crm.ClaimRef(sm.ID), Data: "/claim " + crm.ClaimRef(sm.ID)})
		}
	}
	if more != "" {
		lines = append(lines, more)
	}
	return w.Reply(ctx, bot.Reply{Title: title, Text: strings.Join(lines, "\n"), Buttons: append([][]bot.Button{row}, r.PageButtons(pg, len(list))...), Edit: r.Paged()})
}

// clientNames returns the names of the clients of the given claims.
func (s *service) clientNames(ctx context.Context, list []crm.ClaimSummary) (map[uint64]string, error) {
	ids := make([]uint64, len(list))
	for i, sm := range list {
		ids[i] = sm.ClientID
	}
	return core.ClientNames(ctx, s.store, ids)
}

// claimAgenda adds to /today the claims of the given people (as owner or
// assignee) whose acknowledge or resolve deadline passed or falls today.
func (s *service) claimAgenda(ctx context.Context, r *core.Request, owners []uint64, until time.Time) ([]core.AgendaItem, error) {
	var due []crm.ClaimSummary
	sums, err := s.store.ClaimsOf(ctx, owners, true)
	if err != nil {
		return nil, err
	}
	for _, sm := range sums {
		if !r.SeesClaim(sm.OwnerID, sm.AssigneeID) {
			continue
		}
		next := sm.ResolveDue
		if sm.Status.AwaitsAck() {
			next = sm.AckDue
		}
		if sm.Overdue(r.Now) || next.Before(until) {
			due = append(due, sm)
		}
	}
	if len(due) == 0 {
		return nil, nil
	}
	names, err := s.clientNames(ctx, due)
	if err != nil {
		return nil, err
	}
	items := make([]core.AgendaItem, 0, len(due))
	for _, sm := range due {
		ref := crm.ClaimRef(sm.ID)
		at := sm.ResolveDue
		if sm.AckOverdue(r.Now) || (sm.Status.AwaitsAck() && !sm.ResolveOverdue(r.Now)) {
			at = sm.AckDue
		}
		line := claimLine(r, &sm, names[sm.ClientID], false)
		if sm.OwnerID != r.Me.ID && sm.AssigneeID != r.Me.ID {
			line += " (" + r.T("today.for", "name", r.PersonName(sm.OwnerID)) + ")"
		}
		buttons := []bot.Button{{Label: r.T("claim.button.card", "id", ref), Data: "/claim " + ref}}
		if sm.Status.AwaitsAck() {
			buttons = append([]bot.Button{{Label: "✓ " + r.T("claim.button.ack") + " " + ref, Data: "/claim ack " + ref}}, buttons...)
		}
		items = append(items, core.AgendaItem{Due: at, Text: line, Buttons: buttons})
	}
	return items, nil
}

// claimCardSection adds the open claims and the 12-month claim count to
// the client card.
func (s *service) claimCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	claims, err := s.store.ClientClaims(ctx, c.ID)
	if err != nil || len(claims) == 0 {
		return nil, err
	}
	since := r.Now.AddDate(-1, 0, 0)
	var open []crm.ClaimSummary
	year := 0
	for _, cl := range claims {
		if !cl.CreatedAt.Before(since) {
			year++
		}
		if cl.Status.Open() {
			open = append(open, cl.Summary())
		}
	}
	worseFirst(r.Now, open)
	fields := []bot.Field{{Label: r.T("claim.card_count"), Value: r.T("claim.card_count_value", "count", year, "open", len(open))}}
	for i, sm := range open {
		if i == 5 {
			fields = append(fields, bot.Field{Label: r.T("claim.card_more"), Value: r.T("list.more", "count", len(open)-5)})
			break
		}
		fields = append(fields, bot.Field{Label: r.T("claim.card_open"), Value: claimLine(r, &sm, "", false)})
	}
	return fields, nil
}

// escalateClaims is the scheduled job: every claim whose resolve deadline
// passed is escalated once to the owner's supervisor. The decision and its
// marker are written in one transaction by the store; delivery follows,
// and an undelivered message is retried on the next ticks.
func (s *service) escalateClaims(ctx context.Context, now time.Time) error {
	people, err := s.store.People(ctx)
	if err != nil {
		return err
	}
	byID := make(map[uint64]*crm.Person, len(people))
	for _, p := range people {
		byID[p.ID] = p
	}
	// Who is told depends only on the owner: a route for every person,
	// and for an owner who is nobody (any more) the one escalationTarget
	// gives someone it does not know.
	route := crm.EscalationRoute{ByOwner: make(map[uint64]uint64, len(people)), Otherwise: escalationTarget(byID, 0)}
	for _, p := range people {
		route.ByOwner[p.ID] = escalationTarget(byID, p.ID)
	}
	pending, err := s.store.EscalateClaims(ctx, now, escalationBatch, route)
	if err != nil {
		return err
	}
	for _, e := range pending {
		p := byID[e.To]
		c, err := s.store.Claim(ctx, e.ClaimID)
		if err != nil || s.kit.Notifier == nil || !p.Active() {
			if err != nil && !crm.IsNotFound(err) {
				return err
			}
			s.kit.Log.Warn("claim escalation not deliverable", "claim", crm.ClaimRef(e.ClaimID), "to", e.To)
			if err := s.store.FinishEscalation(ctx, e.ClaimID, false, 1); err != nil {
				return err
			}
			continue
		}
		ok := s.kit.Notify(ctx, p, s.escalationReply(ctx, p, c, byID))
		if !ok && e.Attempts+1 >= maxEscalationAttempts {
			s.kit.Log.Error("claim escalation given up", "claim", c.Ref(), "to", p.ID)
		}
		if err := s.store.FinishEscalation(ctx, e.ClaimID, ok, maxEscalationAttempts); err != nil {
			return err
		}
	}
	return nil
}

// escalationTarget is the first active person above the owner; with none,
// the first active head other than the owner; 0 when there is nobody.
func escalationTarget(people map[uint64]*crm.Person, owner uint64) uint64 {
	seen := map[uint64]bool{owner: true}
	for p := people[owner]; p != nil && p.ReportsTo != 0 && !seen[p.ReportsTo]; p = people[p.ReportsTo] {
		seen[p.ReportsTo] = true
		if sup := people[p.ReportsTo]; sup.Active() {
			return sup.ID
		}
	}
	var heads []uint64
	for id, p := range people {
		if p.IsHead() && id != owner {
			heads = append(heads, id)
		}
	}
	if len(heads) == 0 {
		return 0
	}
	sort.Slice(heads, func(i, j int) bool { return heads[i] < heads[j] })
	return heads[0]
}

// escalationReply is the message to the supervisor, in their language and
// time zone.
func (s *service) escalationReply(ctx context.Context, to *crm.Person, c *crm.Claim, people map[uint64]*crm.Person) bot.Reply {
	loc, tz := s.kit.PersonLocale(to)
	name := ""
	if cl, err := s.store.Client(ctx, c.ClientID); err == nil {
		name = cl.Name
	}
	owner := "—"
	if p := people[c.OwnerID]; p != nil {
		owner = p.Name
	}
	text := loc.T("claim.escalation", "id", c.Ref(), "name", name, "owner", owner,
		"due", dates.FormatTime(c.ResolveDue.In(tz), loc.Lang()),
		"severity", loc.T("claim.severity."+string(c.Severity)), "category", categoryName(loc.T, c.Category),
		"status", loc.T("claim.status."+string(c.Status))) + "\n" + quoteText(loc.Lang(), c.Text, 300)
	return bot.Reply{Title: loc.T("claim.escalation_title"), Text: text,
		Buttons: [][]bot.Button{{{Label: loc.T("claim.button.card", "id", c.Ref()), Data: "/claim " + c.Ref()}}}}
}
