package clients

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/llm"
	"accountbot/prompts"
)

// The note reader turns a sentence typed after a meeting ("Met Acme today,
// they complain the pumps came late, call back Friday") into proposed
// actions. Nothing is written until the person presses Confirm; then each
// action runs as the command it stands for (/log, /remind, /claim, /deal
// move), through the router, with that command's own checks.

// NoteOps are what "/note WORD N-5" does, the words "words.note.OP"; the
// buttons send the English ones.
var NoteOps = []string{"ok", "edit", "cancel", "pick"}

// noteCmd reads a note ("/note TEXT") or serves a proposal's buttons
// ("/note ok|edit|cancel N-5", "/note pick N-5 #12").
func (s *service) noteCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) >= 2 && len(args) <= 3 {
		if op, ok := s.lex.noteOps[strings.ToLower(args[0])]; ok {
			if id, ok := core.ParseRef("N", args[1]); ok {
				switch {
				case op == "pick" && len(args) == 3:
					return s.notePick(ctx, w, r, id, args[2])
				case op == "ok" && len(args) == 2:
					return s.noteConfirm(ctx, w, r, id)
				case op == "edit" && len(args) == 2:
					return s.noteEdit(ctx, w, r, id)
				case op == "cancel" && len(args) == 2:
					return s.noteCancel(ctx, w, r, id)
				}
			}
		}
	}
	if strings.TrimSpace(r.Command.Rest) == "" {
		return crm.Errorf(crm.EINVALID, "note.usage")
	}
	return s.readNote(ctx, w, r, r.Command.Rest)
}

// readNote proposes actions for a note: with the model when one is
// configured, else (or when it fails) with the rules.
func (s *service) readNote(ctx context.Context, w bot.ReplyWriter, r *core.Request, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if utf8.RuneCountInString(text) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	clients, err := s.visibleClients(ctx, r)
	if err != nil {
		return err
	}
	matches := matchClients(text, clients)
	p := &crm.Proposal{PersonID: r.Me.ID, Note: text, Status: crm.ProposalPending, CreatedAt: r.Now}
	if s.kit.Assistant.Model != nil {
		if err := w.Reply(ctx, bot.Reply{Text: r.T("note.reading")}); err != nil {
			return err
		}
		actions, err := s.modelNote(ctx, r, text, noteCandidates(matches, clients))
		switch {
		case err != nil:
			p.Fallback = llm.Reason(err)
			s.kit.Log.Warn("note: the language model failed, the rules read it", "reason", p.Fallback, "err", err)
		case len(actions) > 0:
			p.Source, p.Actions = "llm", actions
		}
	}
	if len(p.Actions) == 0 {
		p.Source = "rules"
		switch top := topMatches(matches); {
		case len(top) == 0:
			msg := r.T("note.no_client")
			if note := core.FallbackNote(r, p.Fallback); note != "" {
				msg = "⚠ " + note + "\n" + msg
			}
			return w.Reply(ctx, bot.Reply{Text: msg})
		case len(top) == 1:
			p.Actions = []crm.Action{s.ruleAction(r, top[0], text)}
		default:
			for _, c := range top {
				p.Candidates = append(p.Candidates, c.ID)
			}
		}
	}
	if err := s.store.CreateProposal(ctx, p); err != nil {
		return err
	}
	return s.showProposal(ctx, w, r, p)
}

// ownProposal loads a proposal of the sender's; anyone else's is "not
// found".
func (s *service) ownProposal(ctx context.Context, r *core.Request, id uint64) (*crm.Proposal, error) {
	p, err := s.store.Proposal(ctx, id)
	if err != nil {
		if crm.IsNotFound(err) {
			return nil, crm.Errorf(crm.ENOTFOUND, "note.not_found", "id", core.IDRef("N", id))
		}
		return nil, err
	}
	if p.PersonID != r.Me.ID {
		return nil, crm.Errorf(crm.ENOTFOUND, "note.not_found", "id", core.IDRef("N", id))
	}
	return p, nil
}

// showProposal lists the proposed actions with Confirm / Edit / Cancel, or
// asks which client the note is about.
func (s *service) showProposal(ctx context.Context, w bot.ReplyWriter, r *core.Request, p *crm.Proposal) error {
	ref := core.IDRef("N", p.ID)
	var lines []string
	if note := core.FallbackNote(r, p.Fallback); note != "" {
		lines = append(lines, "⚠ "+note)
	}
	if len(p.Actions) == 0 {
		rep := bot.Reply{Title: r.T("note.which_client", "id", ref), Text: strings.Join(lines, "\n")}
		for i, id := range p.Candidates {
			if i == core.MaxChoices {
				break
			}
			c, err := s.store.Client(ctx, id)
			if err != nil || !r.SeesOwner(c.OwnerID) {
				continue
			}
			label := c.Name
			if c.City != "" {
				label += " (" + c.City + ")"
			}
			rep.Buttons = append(rep.Buttons, []bot.Button{{Label: label, Data: "/note pick " + ref + " " + core.ClientRef(c)}})
		}
		rep.Buttons = append(rep.Buttons, []bot.Button{{Label: r.T("note.button.cancel"), Data: "/note cancel " + ref}})
		return w.Reply(ctx, rep)
	}
	for i, a := range p.Actions {
		lines = append(lines, strconv.Itoa(i+1)+". "+actionSummary(r, a))
	}
	lines = append(lines, "", r.T("note.nothing_saved"))
	return core.ReplyLong(ctx, w, r.T("note.title", "id", ref), strings.Join(lines, "\n"), [][]bot.Button{{
		{Label: r.T("note.button.confirm"), Data: "/note ok " + ref},
		{Label: r.T("note.button.edit"), Data: "/note edit " + ref},
		{Label: r.T("note.button.cancel"), Data: "/note cancel " + ref},
	}})
}

var errProposalClosed = errors.New("proposal no longer pending")

// closeProposal moves a pending proposal to status, once.
func (s *service) closeProposal(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64, status string) (*crm.Proposal, bool, error) {
	var was string
	p, err := s.store.UpdateProposal(ctx, id, func(x *crm.Proposal) error {
		if x.Status != crm.ProposalPending {
			was = x.Status
			return errProposalClosed
		}
		x.Status, x.ClosedAt = status, r.Now
		return nil
	})
	if errors.Is(err, errProposalClosed) {
		return nil, false, w.Reply(ctx, bot.Reply{Text: r.T("note.closed."+was, "id", core.IDRef("N", id)), Edit: r.Button})
	}
	if err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// noteConfirm carries out the proposed actions, each as its command.
func (s *service) noteConfirm(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	p, err := s.ownProposal(ctx, r, id)
	if err != nil {
		return err
	}
	if p.Status == crm.ProposalPending && len(p.Actions) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("note.pick_first")})
	}
	p, ok, err := s.closeProposal(ctx, w, r, id, crm.ProposalConfirmed)
	if !ok || err != nil {
		return err
	}
	if err := w.Reply(ctx, bot.Reply{Text: r.T("note.confirmed", "id", core.IDRef("N", id), "count", len(p.Actions)), Edit: r.Button}); err != nil {
		return err
	}
	for _, a := range p.Actions {
		if a.Kind == crm.ActionDealMove {
			// Checked again: the deal may have moved to another client
			// since the proposal, or the person's rights may have ended.
			if _, err := s.actionDeal(ctx, r, a); err != nil {
				if err := w.Reply(ctx, bot.Reply{Text: core.ErrorText(s.kit.Log, r, err)}); err != nil {
					return err
				}
				continue
			}
		}
		if err := s.kit.Run(ctx, w, r, s.lex.actionCommand(a)); err != nil {
			return err
		}
	}
	return nil
}

// noteEdit shows the commands the actions stand for, to copy, change and
// send; the proposal stays open.
func (s *service) noteEdit(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	p, err := s.ownProposal(ctx, r, id)
	if err != nil {
		return err
	}
	ref := core.IDRef("N", id)
	if p.Status != crm.ProposalPending {
		return w.Reply(ctx, bot.Reply{Text: r.T("note.closed."+p.Status, "id", ref)})
	}
	if len(p.Actions) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("note.pick_first")})
	}
	var lines []string
	for _, a := range p.Actions {
		lines = append(lines, s.lex.actionCommand(a))
	}
	return core.ReplyLong(ctx, w, r.T("note.edit_title", "id", ref), strings.Join(lines, "\n")+"\n\n"+r.T("note.edit_hint"), [][]bot.Button{{
		{Label: r.T("note.button.confirm"), Data: "/note ok " + ref},
		{Label: r.T("note.button.cancel"), Data: "/note cancel " + ref},
	}})
}

// noteCancel drops the proposal; nothing was written.
func (s *service) noteCancel(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64) error {
	if _, err := s.ownProposal(ctx, r, id); err != nil {
		return err
	}
	_, ok, err := s.closeProposal(ctx, w, r, id, crm.ProposalCancelled)
	if !ok || err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("note.cancelled", "id", core.IDRef("N", id)), Edit: r.Button})
}

// notePick answers "which client?": the rules read the note again for the
// chosen client.
func (s *service) notePick(ctx context.Context, w bot.ReplyWriter, r *core.Request, id uint64, clientArg string) error {
	p, err := s.ownProposal(ctx, r, id)
	if err != nil {
		return err
	}
	if p.Status != crm.ProposalPending {
		return w.Reply(ctx, bot.Reply{Text: r.T("note.closed."+p.Status, "id", core.IDRef("N", id))})
	}
	cid, ok := core.ParseRef("#", clientArg)
	if !ok || !containsID(p.Candidates, cid) {
		return crm.Errorf(crm.EINVALID, "note.usage")
	}
	c, err := r.Client(ctx, "#"+strconv.FormatUint(cid, 10))
	if err != nil {
		return err
	}
	p, err = s.store.UpdateProposal(ctx, id, func(x *crm.Proposal) error {
		if x.Status != crm.ProposalPending {
			return errProposalClosed
		}
		x.Actions, x.Candidates = []crm.Action{s.ruleAction(r, c, x.Note)}, nil
		return nil
	})
	if errors.Is(err, errProposalClosed) {
		return w.Reply(ctx, bot.Reply{Text: r.T("note.closed.confirmed", "id", core.IDRef("N", id))})
	}
	if err != nil {
		return err
	}
	return s.showProposal(ctx, w, r, p)
}

func containsID(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// actionDeal returns the deal a deal-move action names when it is a deal
// of the action's client that the sender may change; any other deal is
// refused as not found, so a proposal cannot reach another client's deal.
func (s *service) actionDeal(ctx context.Context, r *core.Request, a crm.Action) (*crm.Deal, error) {
	if s.kit.FindDeal == nil {
		return nil, crm.Errorf(crm.ENOTFOUND, "deal.not_found", "id", a.Deal)
	}
	d, err := s.kit.FindDeal(ctx, r, a.Deal)
	if err != nil {
		return nil, err
	}
	if d.ClientID != a.ClientID {
		return nil, crm.Errorf(crm.ENOTFOUND, "note.deal_not_of_client", "deal", d.Ref(), "name", a.Client)
	}
	return d, nil
}

// actionSummary says in the sender's language what an action will do.
func actionSummary(r *core.Request, a crm.Action) string {
	text := core.Truncate(a.Text, 300)
	switch a.Kind {
	case crm.ActionLog:
		s := r.T("note.action.log", "name", a.Client, "text", text)
		if len(a.Channels) > 0 {
			s = r.T("note.action.log_channel", "name", a.Client, "text", text, "channel", r.T("channel."+a.Channels[0]))
		}
		if a.NextText != "" {
			s += "\n   " + r.T("note.action.next_part", "text", core.Truncate(a.NextText, 200), "date", r.FmtDate(a.NextDue))
		}
		return s
	case crm.ActionNext:
		return r.T("note.action.next", "name", a.Client, "text", text, "date", r.FmtDate(a.NextDue))
	case crm.ActionClaim:
		if a.Severity != "" {
			return r.T("note.action.claim_severity", "name", a.Client, "text", text, "severity", a.Severity)
		}
		return r.T("note.action.claim", "name", a.Client, "text", text)
	case crm.ActionDealMove:
		return r.T("note.action.deal_move", "name", a.Client, "deal", a.Deal, "title", core.Truncate(a.Text, 200), "stage", a.Stage)
	}
	return a.Kind
}

// actionCommand is the command line an action stands for. Client text is
// made inert first (cmdText), so it cannot add a next step, a channel tag
// or a key=value to the command.
func (lx *lexicon) actionCommand(a crm.Action) string {
	client := "#" + strconv.FormatUint(a.ClientID, 10)
	switch a.Kind {
	case crm.ActionLog:
		line := "/log " + client + ": " + lx.cmdText(a.Text)
		for _, ch := range a.Channels {
			line += " #" + ch
		}
		if a.NextText != "" && !a.NextDue.IsZero() {
			line += " next: " + lx.cmdText(a.NextText) + " by " + a.NextDue.Format("2006-01-02")
		}
		return line
	case crm.ActionNext:
		return "/remind " + client + ": " + lx.cmdText(a.Text) + " by " + a.NextDue.Format("2006-01-02")
	case crm.ActionClaim:
		line := "/claim " + client + ": " + lx.cmdText(a.Text)
		if a.Severity != "" {
			line += " severity=" + a.Severity
		}
		return line
	case crm.ActionDealMove:
		return "/deal move " + a.Deal + " " + a.Stage
	}
	return ""
}

// actionKinds are the kinds of action that can be carried out: a claim or
// a deal move only when those commands exist.
func (s *service) actionKinds() []string {
	kinds := []string{crm.ActionLog, crm.ActionNext}
	if s.kit.HasCommand("claim") {
		kinds = append(kinds, crm.ActionClaim)
	}
	if s.kit.HasCommand("deal") {
		kinds = append(kinds, crm.ActionDealMove)
	}
	return kinds
}

// clientMatch is a client named in a note, with how well it matched.
type clientMatch struct {
	c     *crm.Client
	score int
}

var wordRe = regexp.MustCompile(`[\p{L}\p{N}]+`)

// matchClients finds the clients a note names: by a client's whole name,
// the name with an ending ("Акмето", "Acme's"), or a capitalised start of
// it of at least four letters ("Acme" for "Acme Pumps"). A longer match
// wins ("Acme Foo" is Acme Foods rather than Acme). Names compare as
// crm.NormalizeName folds them, across scripts.
func matchClients(text string, clients []*crm.Client) []clientMatch {
	words := wordRe.FindAllString(text, -1)
	norm := make([]string, len(words))
	for i, w := range words {
		norm[i] = crm.NormalizeName(w)
	}
	// Index the clients by the first two letters of their folded name, so
	// that each word looks at only a few.
	byHead := map[string][]*crm.Client{}
	names := map[uint64]string{}
	for _, c := range clients {
		n := crm.NormalizeName(c.Name)
		if len(n) < 2 {
			continue
		}
		names[c.ID] = n
		byHead[n[:2]] = append(byHead[n[:2]], c)
	}
	best := map[uint64]clientMatch{}
	for i := range words {
		if len(norm[i]) < 2 {
			continue
		}
		capital := unicode.IsUpper([]rune(words[i])[0]) || unicode.IsDigit([]rune(words[i])[0])
		for _, c := range byHead[norm[i][:2]] {
			cn := names[c.ID]
			seq := ""
			for j := i; j < len(words) && j < i+6; j++ {
				seq += norm[j]
				// The longer the match, the better; at equal length a whole
				// name beats a name with an ending, which beats a start.
				score := 0
				switch {
				case seq == cn:
					score = 10*len(cn) + 3
				case capital && len(cn) >= 4 && strings.HasPrefix(seq, cn) && len(seq)-len(cn) <= 3:
					score = 10*len(cn) + 2
				case capital && len(seq) >= 4 && strings.HasPrefix(cn, seq):
					score = 10*len(seq) + 1
				}
				if score > best[c.ID].score {
					best[c.ID] = clientMatch{c: c, score: score}
				}
				if !strings.HasPrefix(cn, seq) {
					break
				}
			}
		}
	}
	out := make([]clientMatch, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].c.ID < out[j].c.ID
	})
	return out
}

// topMatches returns the best-matching clients: one when it stands out,
// several when they tie.
func topMatches(ms []clientMatch) []*crm.Client {
	var out []*crm.Client
	for _, m := range ms {
		if m.score != ms[0].score {
			break
		}
		out = append(out, m.c)
	}
	return out
}

// maxNoteCandidates bounds the clients a note prompt lists.
const maxNoteCandidates = 15

// noteCandidates are the clients a note prompt may list: those the note
// seems to name, or else the most recently contacted visible ones.
func noteCandidates(ms []clientMatch, all []*crm.Client) []*crm.Client {
	var out []*crm.Client
	for _, m := range ms {
		if len(out) == maxNoteCandidates {
			break
		}
		out = append(out, m.c)
	}
	if len(out) > 0 {
		return out
	}
	recent := append([]*crm.Client(nil), all...)
	sort.Slice(recent, func(i, j int) bool { return recent[i].LastTouch.After(recent[j].LastTouch) })
	if len(recent) > 2*maxNoteCandidates {
		recent = recent[:2*maxNoteCandidates]
	}
	return recent
}

// ruleAction reads a note about c without a model: the note is the
// conversation's text; the first date after today is the next step's due
// date, and the clause around it the step; a word such as "met" or
// "called" gives the channel.
func (s *service) ruleAction(r *core.Request, c *crm.Client, text string) crm.Action {
	a := crm.Action{Kind: crm.ActionLog, ClientID: c.ID, Client: c.Name, Text: core.OneLine(text)}
	rest := text
	if due, start, end, ok := findDate(text, r.Now, r.TZ); ok {
		a.NextDue = due
		cs, ce := clauseAround(text, start, end)
		a.NextText = s.lex.noteStepText(text[cs:start], text[end:ce])
		if a.NextText == "" {
			a.NextText = r.T("note.default_step")
		}
		rest = text[:cs] + " " + text[ce:]
	}
	if ch := s.lex.findChannel(rest); ch != "" {
		a.Channels = []string{ch}
	}
	return a
}

var nonSpace = regexp.MustCompile(`\S+`)

// findDate returns the first date after today that text names, and where
// it stands (byte offsets).
func findDate(text string, now time.Time, tz *time.Location) (time.Time, int, int, bool) {
	type tok struct {
		s          string
		start, end int
	}
	var toks []tok
	for _, loc := range nonSpace.FindAllStringIndex(text, -1) {
		raw := text[loc[0]:loc[1]]
		t := strings.TrimLeft(raw, "(\"'„“")
		start := loc[0] + len(raw) - len(t)
		t = strings.TrimRight(t, ",;:!?)\"'“”.")
		if t == "" {
			continue
		}
		toks = append(toks, tok{s: strings.ToLower(t), start: start, end: start + len(t)})
	}
	today := dates.Day(now, tz)
	for i := range toks {
		for n := 3; n >= 1; n-- {
			if i+n > len(toks) {
				continue
			}
			var parts []string
			for _, t := range toks[i : i+n] {
				parts = append(parts, t.s)
			}
			phrase := strings.Join(parts, " ")
			if _, err := strconv.Atoi(phrase); err == nil {
				continue // a bare number is no date
			}
			if d, ok := dates.Parse(phrase, now, tz); ok && d.After(today) {
				return d, toks[i].start, toks[i+n-1].end, true
			}
		}
	}
	return time.Time{}, 0, 0, false
}

var clauseEnd = regexp.MustCompile(`[,;:!?\n]|\.\s|\s(?:and|then|и|после|а)\s`)

// clauseAround returns the bounds of the clause of text that holds
// [start, end). A colon ends a clause before the date ("Called Acme: call
// back friday") but not after it ("Next week: demo for the engineers").
func clauseAround(text string, start, end int) (int, int) {
	cs, ce := 0, len(text)
	for _, loc := range clauseEnd.FindAllStringIndex(text, -1) {
		if loc[1] <= start && loc[1] > cs {
			cs = loc[1]
		}
		if loc[0] >= end && loc[0] < ce && text[loc[0]] != ':' {
			ce = loc[0]
		}
	}
	return cs, ce
}

const stepPunct = " ,.;:!?-–—()\"'„“”"

// stepText is the clause around a date (the parts before and after it),
// without the prepositions next to the date or at its ends.
// The fillers are "words.list.note_step_filler".
func (lx *lexicon) noteStepText(before, after string) string {
	isFiller := func(w string) bool { return lx.stepFiller[strings.ToLower(strings.Trim(w, stepPunct))] }
	bw, aw := strings.Fields(before), strings.Fields(after)
	for len(bw) > 0 && (isFiller(bw[len(bw)-1]) || strings.Trim(bw[len(bw)-1], stepPunct) == "") {
		bw = bw[:len(bw)-1]
	}
	for len(aw) > 0 && (isFiller(aw[0]) || strings.Trim(aw[0], stepPunct) == "") {
		aw = aw[1:]
	}
	words := append(bw, aw...)
	for len(words) > 0 && isFiller(words[0]) {
		words = words[1:]
	}
	for len(words) > 0 && isFiller(words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	return strings.Trim(strings.Join(words, " "), stepPunct)
}

// noteChannels are the channels a note's words may name: the words are
// "words.note.said.CHANNEL" (a word that starts with one: "презентац")
// and "words.note.said_word.CHANNEL" (a whole word: "met").
var noteChannels = []string{"meeting", "call", "email", "visit", "fair", "presentation"}

// channelStem is a start of a word that names a channel.
type channelStem struct{ ch, stem string }

// findChannel returns the channel the earliest channel word in text names.
func (lx *lexicon) findChannel(text string) string {
	lower := " " + strings.ToLower(core.OneLine(text)) + " "
	best, bestAt := "", len(lower)
	for _, cw := range lx.channelStems {
		// Words match at a word start only.
		for from := 0; ; {
			i := strings.Index(lower[from:], cw.stem)
			if i < 0 {
				break
			}
			i += from
			if i > 0 {
				prev, _ := utf8.DecodeLastRuneInString(lower[:i])
				if unicode.IsLetter(prev) || unicode.IsDigit(prev) {
					from = i + len(cw.stem)
					continue
				}
			}
			if i < bestAt {
				best, bestAt = cw.ch, i
			}
			break
		}
	}
	return best
}

// noteToolSchema is the strict JSON schema of propose_actions for the
// given action kinds.
func noteToolSchema(kinds []string) json.RawMessage {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	enum := func(vals ...string) map[string]any { return map[string]any{"type": "string", "enum": vals} }
	action := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"kind", "client", "text", "channel", "next_step", "next_step_due", "severity", "deal", "stage"},
		"properties": map[string]any{
			"kind":          enum(kinds...),
			"client":        str("the client's ref from the list, such as #12"),
			"text":          str("what was discussed, the step, or the complaint"),
			"channel":       enum(append([]string{""}, crm.Channels...)...),
			"next_step":     str("what happens next, or \"\""),
			"next_step_due": str("the next step's date as YYYY-MM-DD, or \"\""),
			"severity":      enum("", "low", "medium", "high", "critical"),
			"deal":          str("a deal id such as D-7, or \"\""),
			"stage":         enum("", "lead", "qualified", "proposal", "negotiation", "won", "lost"),
		},
	}
	schema := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"actions"},
		"properties":           map[string]any{"actions": map[string]any{"type": "array", "items": action}},
	}
	b, _ := json.Marshal(schema)
	return b
}

type noteArgs struct {
	Actions []struct {
		Kind        string `json:"kind"`
		Client      string `json:"client"`
		Text        string `json:"text"`
		Channel     string `json:"channel"`
		NextStep    string `json:"next_step"`
		NextStepDue string `json:"next_step_due"`
		Severity    string `json:"severity"`
		Deal        string `json:"deal"`
		Stage       string `json:"stage"`
	} `json:"actions"`
}

var dealRef = regexp.MustCompile(`^D-[0-9]{1,12}$`)

// modelNote asks the model for proposed actions and keeps only those that
// hold up: a listed client, a known kind, a real date, a known stage.
func (s *service) modelNote(ctx context.Context, r *core.Request, text string, cands []*crm.Client) ([]crm.Action, error) {
	a := s.kit.Assistant
	kinds := s.actionKinds()
	data := prompts.Note{Person: r.Me.Name, Today: r.Today(), Note: text, Kinds: kinds}
	byRef := map[string]*crm.Client{}
	for i, c := range cands {
		nc := prompts.NoteClient{Ref: core.ClientRef(c), Name: c.Name, City: c.City}
		if i < 5 {
			f := &crm.Facts{Today: r.Today(), Lang: r.Lang}
			if err := s.extraFacts(ctx, r, c, f); err != nil {
				return nil, err
			}
			nc.Deals, nc.Claims = f.Deals, f.Claims
		}
		data.Clients = append(data.Clients, nc)
		byRef[core.ClientRef(c)] = c
	}
	p, err := a.Prompts.Render("note", r.Lang, data)
	if err != nil {
		return nil, crm.Internal(err)
	}
	tool := llm.Tool{Name: "propose_actions", Description: "Propose the CRM actions the note calls for.", Strict: true, Schema: noteToolSchema(kinds)}
	resp, err := a.Model.Complete(ctx, llm.Request{
		Messages:    []llm.Message{{Role: "system", Content: p.System}, {Role: "user", Content: p.User}},
		Tools:       []llm.Tool{tool},
		ToolChoice:  tool.Name,
		Temperature: 0.1,
		MaxTokens:   800,
	})
	if err != nil {
		return nil, err
	}
	// Some OpenAI-compatible servers (small local models) ignore the tool
	// and write its arguments as the message instead.
	raw := core.JSONObject(resp.Content)
	if len(resp.ToolCalls) > 0 {
		raw = resp.ToolCalls[0].Arguments
	}
	if raw == "" {
		return nil, llm.BadReply("no propose_actions call")
	}
	var args noteArgs
	if err := core.StrictJSON(raw, &args); err != nil {
		return nil, llm.BadReply("propose_actions arguments: %v", err)
	}
	today := r.Today()
	due := func(s string) (time.Time, bool) {
		s = strings.TrimSpace(s)
		d, err := time.ParseInLocation("2006-01-02", s, r.TZ)
		if err != nil {
			return time.Time{}, false
		}
		return d, !d.Before(today) && d.Before(today.AddDate(3, 0, 0))
	}
	var out []crm.Action
	for _, x := range args.Actions {
		if !slices.Contains(kinds, x.Kind) {
			continue
		}
		c := byRef[strings.TrimSpace(x.Client)]
		if c == nil {
			// A model may give the name instead of the ref.
			for _, cand := range cands {
				if crm.NormalizeName(cand.Name) == crm.NormalizeName(x.Client) {
					c = cand
				}
			}
		}
		if c == nil {
			continue
		}
		act := crm.Action{Kind: x.Kind, ClientID: c.ID, Client: c.Name, Text: core.Truncate(core.OneLine(x.Text), core.MaxTextRunes)}
		switch x.Kind {
		case crm.ActionLog:
			if act.Text == "" {
				continue
			}
			if slices.Contains(crm.Channels, x.Channel) {
				act.Channels = []string{x.Channel}
			}
			if step := core.Truncate(core.OneLine(x.NextStep), 500); step != "" {
				if d, ok := due(x.NextStepDue); ok {
					act.NextText, act.NextDue = step, d
				}
			}
		case crm.ActionNext:
			if act.Text == "" {
				act.Text = core.Truncate(core.OneLine(x.NextStep), 500)
			}
			d, ok := due(x.NextStepDue)
			if act.Text == "" || !ok {
				continue
			}
			act.NextDue = d
		case crm.ActionClaim:
			if act.Text == "" {
				continue
			}
			switch x.Severity {
			case "low", "medium", "high", "critical":
				act.Severity = x.Severity
			}
		case crm.ActionDealMove:
			deal := strings.ToUpper(strings.TrimSpace(x.Deal))
			switch x.Stage {
			case "lead", "qualified", "proposal", "negotiation", "won", "lost":
			default:
				continue
			}
			if !dealRef.MatchString(deal) {
				continue
			}
			act.Deal, act.Stage, act.Text = deal, x.Stage, ""
			// The model may name any deal: keep only one of the note's
			// client that the person may change, and show its real title.
			d, err := s.actionDeal(ctx, r, act)
			if err != nil {
				continue
			}
			act.Deal, act.Text = d.Ref(), d.Title
		}
		out = append(out, act)
	}
	return mergeNextIntoLog(out), nil
}

// mergeNextIntoLog folds a "next" action into the same client's "log"
// that has no next step yet, so that it becomes the conversation's agreed
// next step (as /log … next: … by … does).
func mergeNextIntoLog(acts []crm.Action) []crm.Action {
	out := make([]crm.Action, 0, len(acts))
	for _, a := range acts {
		if a.Kind != crm.ActionNext {
			out = append(out, a)
		}
	}
	for _, a := range acts {
		if a.Kind != crm.ActionNext {
			continue
		}
		merged := false
		for i := range out {
			if out[i].Kind == crm.ActionLog && out[i].ClientID == a.ClientID && out[i].NextText == "" {
				out[i].NextText, out[i].NextDue = a.Text, a.NextDue
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, a)
		}
	}
	return out
}

// visibleClients returns every client the sender may see in their default
// scope (their own, their team's, or all for a head).
func (s *service) visibleClients(ctx context.Context, r *core.Request) ([]*crm.Client, error) {
	owners, err := r.VisibleOwners(r.DefaultScope())
	if err != nil {
		return nil, err
	}
	return s.store.ClientsByOwner(ctx, owners)
}

// extraFacts runs the facts sections every family added (claims,
// deals…) for c.
func (s *service) extraFacts(ctx context.Context, r *core.Request, c *crm.Client, f *crm.Facts) error {
	for _, sec := range s.hooks.Facts {
		if err := sec(ctx, r, c, f); err != nil {
			return err
		}
	}
	return nil
}

// privateNote reads text that is no command, sent in a direct chat, as a
// note about a client. People who may not log conversations get the usual
// hint about commands.
func (s *service) privateNote(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := core.NewRequest(ctx, s.store, s.kit.Catalog, m, s.kit.Clock.Now(), s.kit.TZ)
	if err != nil {
		return err
	}
	if !r.HasRole(crm.RoleManager) {
		return w.Reply(ctx, bot.Reply{Text: r.T("error.not_a_command")})
	}
	return s.readNote(ctx, w, r, m.Text)
}
