package core

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/drafter"
	"accountbot/llm"
	"accountbot/prompts"
)

// Model is a language model: one chat completion, with tools. The llm
// package's Client is one.
type Model interface {
	Complete(ctx context.Context, req llm.Request) (*llm.Response, error)
}

var _ Model = (*llm.Client)(nil)

// Assistant is what a family uses of the language model and the offline
// drafter: prose phrased from facts, with the drafter's text when no
// model is configured or it fails.
type Assistant struct {
	// Model is the language model; nil when none is configured (the
	// offline paths serve).
	Model Model
	// Prompts are the prompt templates (package prompts) a family renders
	// for the model.
	Prompts *prompts.Set
	// Phrase asks the model to write prose from the prompt task's
	// template (package prompts) filled with data, in lang, in at most
	// maxTokens and cut at maxRunes. A crm.Error is ours (a template that
	// does not render); any other error is the model's failure
	// (llm.Reason says which). Nil when no model is configured.
	Phrase func(ctx context.Context, task, lang string, data any, maxTokens, maxRunes int) (string, error)
	// Drafter writes the offline texts (never nil once the service is
	// built).
	Drafter *drafter.Drafter
}

// NewAssistant returns the assistant over model (nil: none) with the
// embedded prompt and draft templates; an error names the templates that
// do not parse (the assistant is still returned, without them).
func NewAssistant(model Model) (*Assistant, error) {
	a := &Assistant{Model: model}
	var errs []error
	var err error
	if a.Prompts, err = prompts.New(); err != nil {
		errs = append(errs, errors.New("the embedded prompts do not parse: "+err.Error()))
	}
	if a.Drafter, err = drafter.New(); err != nil {
		errs = append(errs, errors.New("the embedded draft templates do not parse: "+err.Error()))
	}
	if model != nil {
		a.Phrase = a.phrase
	}
	return a, errors.Join(errs...)
}

// phrase is Phrase with a model: the rendered prompt as one system and
// one user message, the answer's text without a code fence around it. An
// answer with no text, or a tool call instead, is the model's failure
// (llm.BadReply); a template that does not render is ours (crm.Internal).
func (a *Assistant) phrase(ctx context.Context, task, lang string, data any, maxTokens, maxRunes int) (string, error) {
	p, err := a.Prompts.Render(task, lang, data)
	if err != nil {
		return "", crm.Internal(err)
	}
	resp, err := a.Model.Complete(ctx, llm.Request{
		Messages:    []llm.Message{{Role: "system", Content: p.System}, {Role: "user", Content: p.User}},
		Temperature: 0.3,
		MaxTokens:   maxTokens,
	})
	if err != nil {
		return "", err
	}
	text := strings.TrimSpace(resp.Content)
	if body, ok := strings.CutPrefix(text, "```"); ok {
		text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(body), "```"))
	}
	if text == "" || len(resp.ToolCalls) > 0 {
		return "", llm.BadReply("no %s text", task)
	}
	if len([]rune(text)) > maxRunes {
		text = SplitText(text, maxRunes)[0] + " …"
	}
	return text, nil
}

// FallbackNote says why an offline path answered although a model is
// configured (reason is llm.Reason of the model's error), or "" when none
// is configured or it answered.
func FallbackNote(r *Request, reason string) string {
	if reason == "" {
		return ""
	}
	switch reason {
	case llm.ReasonTimeout, llm.ReasonRateLimited, llm.ReasonServer, llm.ReasonRefused:
	default:
		reason = llm.ReasonBadReply
	}
	return r.T("assistant.fallback." + reason)
}

// AdviceText writes one step that the rules of /next recommend
// (crm.Recommend) in r's words: the step and its reason.
type AdviceText func(r *Request, a crm.Advice) (step, reason string)

// FactsSource gathers what a draft about c may rely on, seen with r's
// rights: the card, the latest conversations, the agreed next step, open
// tasks, and what every family adds (Registry.AddFacts). Only c's
// records are read.
type FactsSource func(ctx context.Context, r *Request, c *crm.Client) (*crm.Facts, error)

// StrictJSON decodes one JSON object into v, refusing unknown fields and
// trailing data: a model's output is checked, never trusted.
func StrictJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailingData
	}
	return nil
}

var errTrailingData = errors.New("data after the JSON object")

// JSONObject returns the one JSON object a message consists of, allowing
// a Markdown code fence around it; "" when it is anything else (some
// servers answer a tool's arguments as text).
func JSONObject(content string) string {
	s := strings.TrimSpace(content)
	if rest, ok := strings.CutPrefix(s, "```"); ok {
		rest = strings.TrimPrefix(rest, "json")
		if body, ok := strings.CutSuffix(strings.TrimSpace(rest), "```"); ok {
			s = strings.TrimSpace(body)
		}
	}
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") || !json.Valid([]byte(s)) {
		return ""
	}
	return s
}

// ReplyLong sends text in as many replies as it takes (MaxReplyRunes
// each), split at paragraph, line or word boundaries; the title goes on
// the first, the buttons on the last.
func ReplyLong(ctx context.Context, w bot.ReplyWriter, title, text string, buttons [][]bot.Button) error {
	parts := SplitText(text, MaxReplyRunes)
	for i, p := range parts {
		rep := bot.Reply{Text: p}
		if i == 0 {
			rep.Title = title
		}
		if i == len(parts)-1 {
			rep.Buttons = buttons
		}
		if err := w.Reply(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// SplitText cuts text into pieces of at most max runes, preferring a
// blank line, then a line end, then a sentence end, then a space; a word
// longer than max is cut between runes (never inside one).
func SplitText(text string, max int) []string {
	text = strings.TrimSpace(text)
	var out []string
	for utf8.RuneCountInString(text) > max {
		head := string([]rune(text)[:max])
		cut := -1
		for _, sep := range []string{"\n\n", "\n", ". ", " "} {
			if i := strings.LastIndex(head, sep); i > len(head)/3 {
				cut = i + len(sep)
				break
			}
		}
		if cut < 0 {
			cut = len(head)
		}
		out = append(out, strings.TrimSpace(text[:cut]))
		text = strings.TrimSpace(text[cut:])
	}
	if text != "" || len(out) == 0 {
		out = append(out, text)
	}
	return out
}
