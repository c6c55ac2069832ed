package assistant

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/llm"
	"accountbot/prompts"
)

// /ask answers a question about the sender's own data. The model looks
// things up by calling read-only tools, which run with the sender's rights
// (the same queries and visibility as the commands), and cites the records
// it used. Nothing it does can write.

// maxAskRounds bounds the rounds of tool calls of one question.
const maxAskRounds = 5

// maxToolResult bounds one tool result put into the conversation.
const maxToolResult = 12000

// askTool is a read-only query the model may call.
type askTool struct {
	tool llm.Tool
	run  func(ctx context.Context, r *core.Request, args json.RawMessage, seen map[string]string) (any, error)
}

// askCmd answers "/ask QUESTION".
func (s *service) askCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	q := strings.TrimSpace(r.Command.Rest)
	if q == "" {
		return crm.Errorf(crm.EINVALID, "ask.usage")
	}
	if len([]rune(q)) > maxGoalRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", maxGoalRunes)
	}
	a := s.kit.Assistant
	if a.Model == nil {
		return w.Reply(ctx, bot.Reply{Text: r.T("ask.no_llm") + "\n" + s.askPointers(r)})
	}
	if err := w.Reply(ctx, bot.Reply{Text: r.T("ask.thinking")}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AskDeadline)
	defer cancel()
	answer, seen, err := s.askModel(ctx, r, q)
	if err != nil {
		s.kit.Log.Warn("ask: the language model failed", "reason", llm.Reason(err), "err", err)
		return w.Reply(ctx, bot.Reply{Text: "⚠ " + core.FallbackNote(r, llm.Reason(err)) + "\n" + r.T("ask.failed") + "\n" + s.askPointers(r)})
	}
	if cited := citedRecords(answer, seen); cited != "" {
		answer += "\n\n" + r.T("ask.sources", "refs", cited)
	}
	return core.ReplyLong(ctx, w, "", answer, nil)
}

// askPointers lists the commands that answer common questions without a
// model.
func (s *service) askPointers(r *core.Request) string {
	var lines []string
	for _, name := range []string{"today", "clients", "client", "next", "claims", "pipeline", "deals", "forecast"} {
		if s.kit.HasCommand(name) {
			lines = append(lines, "• "+r.T("help."+name+".usage")+" — "+r.T("help."+name+".desc"))
		}
		if name == "clients" {
			lines = append(lines, "• /clients stale — "+r.T("ask.hint_stale"))
		}
	}
	return strings.Join(lines, "\n")
}

// askModel runs the conversation with the model: it answers or calls
// tools, whose results go back to it, for at most maxAskRounds rounds.
// seen maps the refs of the records the tools returned to their labels.
func (s *service) askModel(ctx context.Context, r *core.Request, q string) (string, map[string]string, error) {
	a := s.kit.Assistant
	p, err := a.Prompts.Render("ask", r.Lang, prompts.Ask{Person: r.Me.Name, Role: r.T("role." + string(r.Me.Role)), Today: r.Today(), Question: q})
	if err != nil {
		return "", nil, crm.Internal(err)
	}
	tools := s.askTools()
	byName := map[string]askTool{}
	var defs []llm.Tool
	for _, t := range tools {
		byName[t.tool.Name] = t
		defs = append(defs, t.tool)
	}
	msgs := []llm.Message{{Role: "system", Content: p.System}, {Role: "user", Content: p.User}}
	seen := map[string]string{}
	// The tools run under a read-only request: the store refuses any
	// write they reach, whatever the model asked for (a note in the data
	// may tell it to).
	toolCtx := crm.WithReadOnly(ctx)
	for round := 0; round < maxAskRounds; round++ {
		choice := "auto"
		if round == maxAskRounds-1 {
			choice = "none" // the last round must answer
		}
		resp, err := a.Model.Complete(ctx, llm.Request{Messages: msgs, Tools: defs, ToolChoice: choice, Temperature: 0.2, MaxTokens: 900})
		if err != nil {
			return "", nil, err
		}
		if len(resp.ToolCalls) == 0 {
			answer := strings.TrimSpace(resp.Content)
			if answer == "" {
				return "", nil, llm.BadReply("empty answer")
			}
			return answer, seen, nil
		}
		calls := resp.ToolCalls
		for i := range calls {
			if calls[i].ID == "" {
				calls[i].ID = "call_" + strconv.Itoa(round) + "_" + strconv.Itoa(i)
			}
		}
		msgs = append(msgs, llm.Message{Role: "assistant", Content: resp.Content, ToolCalls: calls})
		for _, tc := range calls {
			var result any
			t, ok := byName[tc.Name]
			if !ok {
				result = map[string]string{"error": "unknown tool " + tc.Name}
			} else if out, err := t.run(toolCtx, r, json.RawMessage(tc.Arguments), seen); err != nil {
				result = map[string]string{"error": core.ErrorText(s.kit.Log, r, err)}
			} else {
				result = out
			}
			b, err := json.Marshal(result)
			if err != nil {
				return "", nil, crm.Internal(err)
			}
			msgs = append(msgs, llm.Message{Role: "tool", ToolCallID: tc.ID, Content: core.Truncate(string(b), maxToolResult)})
		}
	}
	return "", nil, llm.BadReply("no answer after %d rounds", maxAskRounds)
}

var citeRe = regexp.MustCompile(`#[0-9]+|\b[TCDPF]-[0-9]+\b`)

// citedRecords lists the records the answer cites that the tools really
// returned, with their names: "#12 Acme, T-3".
func citedRecords(answer string, seen map[string]string) string {
	var out []string
	done := map[string]bool{}
	for _, ref := range citeRe.FindAllString(answer, -1) {
		label, ok := seen[ref]
		if !ok || done[ref] {
			continue
		}
		done[ref] = true
		if label != "" {
			ref += " " + label
		}
		out = append(out, ref)
	}
	return strings.Join(out, ", ")
}

func schema(s string) json.RawMessage { return json.RawMessage(s) }

// askQuery is a command the model may run through run_query: an explicit
// allow-list entry. reads are its sub-command words that only read (the
// first word of the arguments may be one of them or a filter); writes are
// its sub-command words that change something, which run_query refuses
// before any parser sees them. The read-only request context (see
// askModel) stops a write that a future sub-command might add anyway.
type askQuery struct {
	name string
	// writes is the vocabulary entry of the first words that make the
	// command change something ("words.claims.settings"), if any.
	writes string
}

// readOnlyQueries are the commands the model may run through run_query
// when they exist ("claims" and "pipeline" come with their own features).
var readOnlyQueries = []askQuery{
	{name: "today"},
	{name: "claims", writes: "claims.settings"},
	{name: "pipeline"},
	{name: "deals"},
	{name: "forecast"},
	{name: "segments"},
	{name: "competitors"},
}

// WritingWords are the vocabulary entries of the first words that make a
// command run_query offers change something ("claims.settings"): the
// words run_query refuses.
func WritingWords() []string {
	var out []string
	for _, q := range readOnlyQueries {
		if q.writes != "" {
			out = append(out, q.writes)
		}
	}
	return out
}

// askQueryAllowed reports whether the model may run command with args.
func askQueryAllowed(r *core.Request, queries []askQuery, command, args string) bool {
	for _, q := range queries {
		if q.name != command {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimSpace(args), " ")
		first = strings.Trim(strings.ToLower(first), `"`)
		return q.writes == "" || !r.Is(first, q.writes)
	}
	return false
}

// askTools are the read-only queries offered to the model.
func (s *service) askTools() []askTool {
	scope := `{"type": "string", "enum": ["mine", "team", "all"], "description": "mine: the person's own; team: their reports' too (supervisors); all: everyone's (heads)"}`
	tools := []askTool{
		{
			tool: llm.Tool{Name: "list_clients", Strict: true,
				Description: "List the clients the person may see, optionally only stale ones (no recent contact or review) or those whose field equals a value.",
				Schema: schema(`{"type": "object", "additionalProperties": false, "required": ["scope", "stale", "field", "value"], "properties": {
  "scope": ` + scope + `,
  "stale": {"type": "boolean"},
  "field": {"type": "string", "enum": ["", "segment", "industry", "size", "city", "need", "level", "focus", "status", "lang", "source"]},
  "value": {"type": "string"}}}`)},
			run: s.askListClients,
		},
		{
			tool: llm.Tool{Name: "client_card", Strict: true,
				Description: "The card of one client: owner, contacts, last touch, next step, recent conversations, open tasks and whatever else the card shows (claims, deals).",
				Schema:      schema(`{"type": "object", "additionalProperties": false, "required": ["client"], "properties": {"client": {"type": "string", "description": "a client's name, a unique start of it, or its ref such as #12"}}}`)},
			run: s.askClientCard,
		},
		{
			tool: llm.Tool{Name: "open_tasks", Strict: true,
				Description: "Open tasks and next steps due within the given number of days from today, overdue ones included.",
				Schema:      schema(`{"type": "object", "additionalProperties": false, "required": ["scope", "days_ahead"], "properties": {"scope": ` + scope + `, "days_ahead": {"type": "integer", "description": "0 for today and overdue"}}}`)},
			run: s.askOpenTasks,
		},
		{
			tool: llm.Tool{Name: "conversations", Strict: true,
				Description: "The latest logged conversations with one client, newest first.",
				Schema:      schema(`{"type": "object", "additionalProperties": false, "required": ["client", "limit"], "properties": {"client": {"type": "string"}, "limit": {"type": "integer", "description": "at most 20"}}}`)},
			run: s.askConversations,
		},
	}
	var queries []askQuery
	var names []string
	for _, q := range readOnlyQueries {
		if s.kit.HasCommand(q.name) {
			queries = append(queries, q)
			names = append(names, q.name)
		}
	}
	if len(queries) > 0 {
		enum, _ := json.Marshal(names)
		tools = append(tools, askTool{
			tool: llm.Tool{Name: "run_query", Strict: true,
				Description: "Run one of the bot's read-only commands as the person and return its answer text, e.g. claims open, pipeline, deals NAME, today.",
				Schema:      schema(`{"type": "object", "additionalProperties": false, "required": ["command", "args"], "properties": {"command": {"type": "string", "enum": ` + string(enum) + `}, "args": {"type": "string", "description": "the words after the command, or \"\""}}}`)},
			run: func(ctx context.Context, r *core.Request, raw json.RawMessage, seen map[string]string) (any, error) {
				var args struct {
					Command string `json:"command"`
					Args    string `json:"args"`
				}
				if err := core.StrictJSON(string(raw), &args); err != nil {
					return nil, crm.Errorf(crm.EINVALID, "ask.bad_tool_args")
				}
				line := core.Truncate(core.OneLine(args.Args), 200)
				if !askQueryAllowed(r, queries, args.Command, line) {
					return nil, crm.Errorf(crm.EINVALID, "ask.not_read_only", "command", "/"+args.Command+" "+line)
				}
				rec := &bot.Recorder{}
				line = "/" + args.Command + " " + line
				if err := s.kit.Run(ctx, rec, r, line); err != nil {
					return nil, err
				}
				out := rec.Text()
				for _, ref := range citeRe.FindAllString(out, -1) {
					if _, ok := seen[ref]; !ok {
						seen[ref] = ""
					}
				}
				return map[string]string{"answer": out}, nil
			},
		})
	}
	return tools
}

func decodeArgs(raw json.RawMessage, v any) error {
	if err := core.StrictJSON(string(raw), v); err != nil {
		return crm.Errorf(crm.EINVALID, "ask.bad_tool_args")
	}
	return nil
}

// askOwners returns the owners of scope, the sender's default when empty.
func askOwners(r *core.Request, scope string) ([]uint64, error) {
	if scope == "" {
		scope = r.DefaultScope()
	}
	return r.VisibleOwners(scope)
}

func isoDate(t time.Time, tz *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(tz).Format("2006-01-02")
}

type askClient struct {
	Ref         string `json:"ref"`
	Name        string `json:"name"`
	City        string `json:"city,omitempty"`
	Status      string `json:"status,omitempty"`
	Owner       string `json:"owner"`
	LastTouch   string `json:"last_touch,omitempty"`
	NextStep    string `json:"next_step,omitempty"`
	NextStepDue string `json:"next_step_due,omitempty"`
}

const maxAskList = 60

func (s *service) askListClients(ctx context.Context, r *core.Request, raw json.RawMessage, seen map[string]string) (any, error) {
	var args struct {
		Scope string `json:"scope"`
		Stale bool   `json:"stale"`
		Field string `json:"field"`
		Value string `json:"value"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	owners, err := askOwners(r, args.Scope)
	if err != nil {
		return nil, err
	}
	var cs []*crm.Client
	if args.Stale {
		var st crm.StaleList
		st, err = s.store.StaleClients(ctx, s.cfg.Stale.Query(owners, r.Now))
		cs = st.Clients
	} else {
		cs, err = s.store.ClientsByOwner(ctx, owners)
	}
	if err != nil {
		return nil, err
	}
	var list []*crm.Client
	for _, c := range cs {
		if args.Field != "" && !core.FieldMatches(c.Field(args.Field), args.Value) {
			continue
		}
		if args.Stale && !s.cfg.Stale.Is(c, r.Now) {
			continue
		}
		list = append(list, c)
	}
	crm.SortByName(list)
	out := struct {
		Count   int         `json:"count"`
		Clients []askClient `json:"clients"`
		More    int         `json:"more,omitempty"`
	}{Count: len(list), Clients: []askClient{}}
	for i, c := range list {
		if i == maxAskList {
			out.More = len(list) - maxAskList
			break
		}
		ref := core.ClientRef(c)
		seen[ref] = c.Name
		out.Clients = append(out.Clients, askClient{Ref: ref, Name: c.Name, City: c.City, Status: c.Status, Owner: r.PersonName(c.OwnerID),
			LastTouch: isoDate(c.LastTouch, r.TZ), NextStep: c.NextStep, NextStepDue: isoDate(c.NextStepDue, r.TZ)})
	}
	return out, nil
}

func (s *service) askClientCard(ctx context.Context, r *core.Request, raw json.RawMessage, seen map[string]string) (any, error) {
	var args struct {
		Client string `json:"client"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	c, err := r.Client(ctx, args.Client)
	if err != nil {
		return nil, err
	}
	rep, err := s.kit.Card(ctx, r, c)
	if err != nil {
		return nil, err
	}
	ref := core.ClientRef(c)
	seen[ref] = c.Name
	fields := map[string]string{}
	var order []string
	for _, f := range rep.Fields {
		if _, dup := fields[f.Label]; !dup {
			order = append(order, f.Label)
		}
		fields[f.Label] = strings.TrimSpace(fields[f.Label] + " " + f.Value)
		for _, x := range citeRe.FindAllString(f.Label+" "+f.Value, -1) {
			if _, ok := seen[x]; !ok {
				seen[x] = ""
			}
		}
	}
	type field struct {
		Label string `json:"label"`
		Value string `json:"value"`
	}
	out := struct {
		Ref    string  `json:"ref"`
		Name   string  `json:"name"`
		Fields []field `json:"fields"`
	}{Ref: ref, Name: c.Name}
	for _, l := range order {
		out.Fields = append(out.Fields, field{l, fields[l]})
	}
	return out, nil
}

func (s *service) askOpenTasks(ctx context.Context, r *core.Request, raw json.RawMessage, seen map[string]string) (any, error) {
	var args struct {
		Scope     string `json:"scope"`
		DaysAhead int    `json:"days_ahead"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	days := min(max(args.DaysAhead, 0), 366)
	owners, err := askOwners(r, args.Scope)
	if err != nil {
		return nil, err
	}
	type task struct {
		Ref      string `json:"ref"`
		Client   string `json:"client,omitempty"`
		Text     string `json:"text"`
		Due      string `json:"due"`
		Overdue  bool   `json:"overdue,omitempty"`
		Assignee string `json:"assignee"`
	}
	var out []task
	until := dates.AddDays(r.Today(), days+1)
	names := map[uint64]string{}
	ts, err := s.store.OpenTasks(ctx, owners, until)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		ref := core.IDRef("T", t.ID)
		seen[ref] = t.Text
		tk := task{Ref: ref, Text: t.Text, Due: isoDate(t.Due, r.TZ), Overdue: t.Due.Before(r.Today()), Assignee: r.PersonName(t.AssigneeID)}
		if t.ClientID != 0 {
			name, ok := names[t.ClientID]
			if !ok {
				if c, err := s.store.Client(ctx, t.ClientID); err == nil {
					name = c.Name
				}
				names[t.ClientID] = name
			}
			tk.Client = clientRef(t.ClientID) + " " + name
			seen[clientRef(t.ClientID)] = name
		}
		out = append(out, tk)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Due < out[j].Due })
	if len(out) > maxAskList {
		out = out[:maxAskList]
	}
	return map[string]any{"count": len(out), "tasks": out}, nil
}

func (s *service) askConversations(ctx context.Context, r *core.Request, raw json.RawMessage, seen map[string]string) (any, error) {
	var args struct {
		Client string `json:"client"`
		Limit  int    `json:"limit"`
	}
	if err := decodeArgs(raw, &args); err != nil {
		return nil, err
	}
	c, err := r.Client(ctx, args.Client)
	if err != nil {
		return nil, err
	}
	limit := min(max(args.Limit, 1), 20)
	convs, err := s.store.Conversations(ctx, c.ID, limit)
	if err != nil {
		return nil, err
	}
	seen[core.ClientRef(c)] = c.Name
	type conv struct {
		Date     string   `json:"date"`
		Channels []string `json:"channels,omitempty"`
		By       string   `json:"by"`
		Text     string   `json:"text"`
	}
	out := []conv{}
	for _, v := range convs {
		out = append(out, conv{Date: isoDate(v.At, r.TZ), Channels: v.Channels, By: r.PersonName(v.AuthorID), Text: core.Truncate(v.Text, 1000)})
	}
	return map[string]any{"client": core.ClientRef(c) + " " + c.Name, "conversations": out}, nil
}
