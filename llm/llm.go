// Package llm talks to any OpenAI-compatible chat server (OpenAI, Azure,
// Ollama, vLLM) through github.com/sashabaranov/go-openai. It is the only
// package that knows that library: the rest of accountbot speaks the small
// Request and Response types declared here.
//
// Every call has one deadline that covers all its attempts; rate limits
// (429) and server errors (5xx) are retried at most twice with backoff,
// honouring Retry-After, but never past the deadline. The API key goes into
// the Authorization header only: it is never logged and never part of a
// prompt.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"accountbot/crm"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults used when the configuration leaves a value out.
const (
	DefaultModel    = "gpt-4o-mini"
	DefaultDeadline = 20 * time.Second
	DefaultRetries  = 2
	DefaultBackoff  = 500 * time.Millisecond
	openAIURL       = "https://api.openai.com/v1"
)

// Config configures a Client.
type Config struct {
	// APIKey is sent as a bearer token; empty for servers without one
	// (a local Ollama).
	APIKey string
	// BaseURL includes the version path: "http://localhost:11434/v1".
	// Empty means OpenAI's.
	BaseURL string
	// Model is the model name ("gpt-4o-mini", "llama3.1").
	Model string
	// TranscribeModel is the speech-to-text model (default whisper-1).
	TranscribeModel string
	// Deadline bounds one call with all its attempts (default 20 s).
	Deadline time.Duration
	// TranscribeDeadline bounds one transcription with all its attempts
	// (default 90 s).
	TranscribeDeadline time.Duration
	// Retries is how many times a 429 or 5xx is retried (default 2; a
	// negative value means none).
	Retries int
	// Backoff is the wait before the first retry when the server gives no
	// Retry-After; it doubles for the next one.
	Backoff time.Duration
	// HTTPClient sends the requests (default: a client without its own
	// timeout, since the deadline bounds every call).
	HTTPClient *http.Client
	// Logger receives one line per failed attempt (never prompt text, never
	// the key).
	Logger *slog.Logger
}

// Enabled reports whether a server is configured: a key or a base URL.
func (c Config) Enabled() bool {
	return strings.TrimSpace(c.APIKey) != "" || strings.TrimSpace(c.BaseURL) != ""
}

// LogValue keeps the key out of any log line that prints a Config.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("server", redactURL(c.baseURL())),
		slog.String("model", c.model()),
		slog.String("transcribe_model", c.TranscribeModel),
		slog.Bool("key", c.APIKey != ""),
	)
}

func (c Config) baseURL() string {
	if u := strings.TrimSpace(c.BaseURL); u != "" {
		return strings.TrimRight(u, "/")
	}
	return openAIURL
}

func (c Config) model() string {
	if m := strings.TrimSpace(c.Model); m != "" {
		return m
	}
	return DefaultModel
}

// redactURL drops credentials and query from a URL for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

// Message is one chat message. Role is "system", "user", "assistant" or
// "tool".
type Message struct {
	Role    string
	Content string
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID answers a call, in a "tool" message.
	ToolCallID string
}

// Tool is a function the model may call. Schema is its JSON Schema; with
// Strict the server holds the model to it exactly.
type Tool struct {
	Name        string
	Description string
	Schema      json.RawMessage
	Strict      bool
}

// ToolCall is the model's call of a tool, with its arguments as JSON text
// (which a caller must validate: a model may write anything).
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Request is one chat completion.
type Request struct {
	Messages []Message
	Tools    []Tool
	// ToolChoice is "" (the server's default), "auto", "none", "required"
	// or the name of the one tool the model must call.
	ToolChoice string
	// Temperature steers variety (0: the server's default).
	Temperature float32
	// MaxTokens bounds the answer (0: the server's default).
	MaxTokens int
}

// Response is the model's answer.
type Response struct {
	Content   string
	ToolCalls []ToolCall
	// Attempts is how many requests it took.
	Attempts int
}

// Failure reasons, for the person: why the offline path answered instead.
const (
	ReasonTimeout     = "timeout"
	ReasonRateLimited = "rate_limited"
	ReasonServer      = "server"
	ReasonRefused     = "refused"
	ReasonBadReply    = "bad_reply"
)

// Error is a failed call. Reason is one of the Reason constants.
type Error struct {
	Reason string
	// Status is the last HTTP status, 0 when there was none.
	Status   int
	Attempts int
	Err      error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("llm: %s after %d attempt(s) (HTTP %d): %v", e.Reason, e.Attempts, e.Status, e.Err)
	}
	return fmt.Sprintf("llm: %s after %d attempt(s): %v", e.Reason, e.Attempts, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Reason returns the failure reason of err: one of the Reason constants,
// ReasonBadReply for errors of other kinds, "" for nil.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout
	}
	return ReasonBadReply
}

// BadReply returns an error that says the model's answer was unusable
// (malformed JSON, a missing tool call), for callers that validate it.
func BadReply(format string, args ...any) error {
	return &Error{Reason: ReasonBadReply, Err: fmt.Errorf(format, args...)}
}

// Client calls one OpenAI-compatible server.
type Client struct {
	cfg Config
	api *openai.Client
	log *slog.Logger
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.Deadline <= 0 {
		cfg.Deadline = DefaultDeadline
	}
	if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	oc := openai.DefaultConfig(strings.TrimSpace(cfg.APIKey))
	oc.BaseURL = cfg.baseURL()
	oc.HTTPClient = statusRecorder{hc}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Client{cfg: cfg, api: openai.NewClientWithConfig(oc), log: log}
}

// Model returns the model name the client asks for.
func (c *Client) Model() string { return c.cfg.model() }

// Complete sends req and returns the model's answer. One deadline covers
// every attempt; 429 and 5xx answers are retried with backoff (the server's
// Retry-After when it gives one) as long as the wait ends before the
// deadline.
func (c *Client) Complete(ctx context.Context, req Request) (*Response, error) {
	// Nothing goes to the model on a guess of the request's store that is
	// not confirmed yet (store/engine_pg_guess.go).
	if err := crm.Settle(ctx); err != nil {
		return nil, err
	}
	creq := c.request(req)
	var out *Response
	err := c.retry(ctx, func(ctx context.Context, attempt int) (err error) {
		resp, err := c.api.CreateChatCompletion(ctx, creq)
		if err == nil {
			out, err = convert(resp, attempt)
		}
		return err
	})
	return out, err
}

// retry runs call under one deadline for all its attempts, retrying 429
// and 5xx answers with backoff (the server's Retry-After when it gives
// one) as long as the wait ends before the deadline. An *Error that call
// returns itself (an unusable answer) is final.
func (c *Client) retry(ctx context.Context, call func(ctx context.Context, attempt int) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Deadline)
	defer cancel()
	backoff := c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		st := &attemptStatus{}
		err := call(withStatus(ctx, st), attempt)
		if err == nil {
			return nil
		}
		var own *Error
		if errors.As(err, &own) {
			return err
		}
		e := classify(ctx, err, st, attempt)
		retryable := e.Reason == ReasonRateLimited || e.Reason == ReasonServer
		if !retryable || attempt > c.cfg.Retries {
			c.log.Warn("language model call failed", "reason", e.Reason, "status", e.Status, "attempts", attempt)
			return e
		}
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)/4+1))
		if ra, ok := parseRetryAfter(st.retryAfter, time.Now()); ok {
			wait = ra
		}
		backoff *= 2
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			// Waiting would end past the deadline: fail now rather than
			// keep the person waiting for nothing.
			c.log.Warn("language model call failed", "reason", e.Reason, "status", e.Status, "attempts", attempt, "retry_after", wait)
			return e
		}
		c.log.Info("language model busy, retrying", "status", e.Status, "attempt", attempt, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &Error{Reason: ReasonTimeout, Status: e.Status, Attempts: attempt, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// reasoningModel reports whether model is one of OpenAI's reasoning
// models, which take max_completion_tokens and no temperature.
func reasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

func (c *Client) request(req Request) openai.ChatCompletionRequest {
	out := openai.ChatCompletionRequest{Model: c.cfg.model()}
	if reasoningModel(out.Model) {
		out.MaxCompletionTokens = req.MaxTokens
	} else {
		// max_tokens, deprecated by OpenAI for its own newest models, is
		// the field every other compatible server (Ollama, vLLM, llama.cpp)
		// reads; reasoning models above get the new one.
		out.MaxTokens = req.MaxTokens //lint:ignore SA1019 see above
		out.Temperature = req.Temperature
	}
	for _, m := range req.Messages {
		cm := openai.ChatCompletionMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			cm.ToolCalls = append(cm.ToolCalls, openai.ToolCall{ID: tc.ID, Type: openai.ToolTypeFunction,
				Function: openai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
		}
		out.Messages = append(out.Messages, cm)
	}
	for _, t := range req.Tools {
		out.Tools = append(out.Tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: t.Name, Description: t.Description, Strict: t.Strict, Parameters: t.Schema,
		}})
	}
	switch req.ToolChoice {
	case "":
	case "auto", "none", "required":
		out.ToolChoice = req.ToolChoice
	default:
		out.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: req.ToolChoice}}
	}
	return out
}

func convert(resp openai.ChatCompletionResponse, attempts int) (*Response, error) {
	if len(resp.Choices) == 0 {
		return nil, &Error{Reason: ReasonBadReply, Attempts: attempts, Err: errors.New("no choices in the answer")}
	}
	m := resp.Choices[0].Message
	out := &Response{Content: m.Content, Attempts: attempts}
	for _, tc := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	if m.FunctionCall != nil && len(out.ToolCalls) == 0 {
		out.ToolCalls = append(out.ToolCalls, ToolCall{Name: m.FunctionCall.Name, Arguments: m.FunctionCall.Arguments})
	}
	if out.Content == "" && len(out.ToolCalls) == 0 {
		if m.Refusal != "" {
			return nil, &Error{Reason: ReasonRefused, Attempts: attempts, Err: errors.New("the model refused")}
		}
		return nil, &Error{Reason: ReasonBadReply, Attempts: attempts, Err: errors.New("empty answer")}
	}
	return out, nil
}

// classify turns an attempt's error into an *Error with its reason.
func classify(ctx context.Context, err error, st *attemptStatus, attempt int) *Error {
	e := &Error{Status: st.status, Attempts: attempt, Err: err}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		e.Status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		e.Status = reqErr.HTTPStatusCode
	}
	switch {
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		e.Reason = ReasonTimeout
	case e.Status == http.StatusTooManyRequests:
		e.Reason = ReasonRateLimited
	case e.Status >= 500:
		e.Reason = ReasonServer
	case e.Status >= 400:
		e.Reason = ReasonRefused
	case e.Status == 0 && st.status == 0:
		// No answer at all: the server is down or unreachable.
		e.Reason = ReasonServer
	default:
		// The server answered 2xx but the body was no completion.
		e.Reason = ReasonBadReply
	}
	return e
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// attemptStatus is what statusRecorder saw of one attempt's response:
// go-openai's errors keep the status but not the headers, and Retry-After
// is a header.
type attemptStatus struct {
	status     int
	retryAfter string
}

type statusKey struct{}

func withStatus(ctx context.Context, st *attemptStatus) context.Context {
	return context.WithValue(ctx, statusKey{}, st)
}

// statusRecorder is the HTTP client go-openai uses: it notes each
// response's status and Retry-After in the attempt's context.
type statusRecorder struct{ hc *http.Client }

func (s statusRecorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := s.hc.Do(req)
	if resp != nil {
		if st, ok := req.Context().Value(statusKey{}).(*attemptStatus); ok {
			st.status = resp.StatusCode
			st.retryAfter = resp.Header.Get("Retry-After")
		}
	}
	return resp, err
}
