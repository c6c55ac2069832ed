// Package fakes holds the one copy of each outside server the tests talk
// to: an OpenAI-compatible model (OpenAI), the Telegram Bot API
// (Telegram) and Slack's Web API with Socket Mode (Slack). Every
// package's tests use these, so that a change of a platform's protocol is
// made once. The servers listen on the loopback interface, record what
// they were asked, fail on demand, and close when the test ends. They
// import nothing of ours, so any package's tests may use them.
package fakes

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// OpenAIRequest is one request the fake model received.
type OpenAIRequest struct {
	Body   string
	Header http.Header
}

// OpenAI is an OpenAI-compatible chat completions server: it answers with
// the given handlers in turn (the last one repeats) and keeps every
// request. Its base URL for a client is URL + "/v1".
type OpenAI struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []OpenAIRequest
	// got receives every request as it comes, for tests that wait for one.
	got chan OpenAIRequest
}

// NewOpenAI starts a fake model answering with answers.
func NewOpenAI(t testing.TB, answers ...http.HandlerFunc) *OpenAI {
	t.Helper()
	f := &OpenAI{got: make(chan OpenAIRequest, 64)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		req := OpenAIRequest{Body: string(b), Header: r.Header.Clone()}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		n := len(f.reqs) - 1
		f.mu.Unlock()
		select {
		case f.got <- req:
		default: // nobody waits for so many
		}
		if n >= len(answers) {
			n = len(answers) - 1
		}
		answers[n](w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// Requests returns every request received so far, in order.
func (f *OpenAI) Requests() []OpenAIRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]OpenAIRequest(nil), f.reqs...)
}

// Bodies returns the body of every request received so far, in order.
func (f *OpenAI) Bodies() []string {
	var out []string
	for _, r := range f.Requests() {
		out = append(out, r.Body)
	}
	return out
}

// Calls is the number of requests received so far.
func (f *OpenAI) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// Next waits (up to ten seconds) for the next request not yet waited for.
func (f *OpenAI) Next(t testing.TB) OpenAIRequest {
	t.Helper()
	select {
	case r := <-f.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the model got no request")
		return OpenAIRequest{}
	}
}

// Prompt returns the messages of request n, one "role: content" a line.
func (f *OpenAI) Prompt(t testing.TB, n int) string {
	t.Helper()
	reqs := f.Requests()
	if n >= len(reqs) {
		t.Fatalf("only %d requests", len(reqs))
	}
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(reqs[n].Body), &req); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Role + ": " + m.Content + "\n")
	}
	return b.String()
}

// Completion writes a chat completion whose one choice is msg, finished
// for finish ("stop", "tool_calls").
func Completion(w http.ResponseWriter, finish string, msg map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
		"choices": []any{map[string]any{"index": 0, "finish_reason": finish, "message": msg}},
	})
}

// Text answers with an assistant message of text.
func Text(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		Completion(w, "stop", map[string]any{"role": "assistant", "content": text})
	}
}

// Tool answers with a call of the tool name; args is the JSON text of its
// arguments, or a value to marshal.
func Tool(name string, args any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := args.(string)
		if !ok {
			b, _ := json.Marshal(args)
			a = string(b)
		}
		Completion(w, "tool_calls", map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{
			"id": "call_1", "type": "function", "function": map[string]any{"name": name, "arguments": a}}}})
	}
}

// Status answers with an error status (and a Retry-After when given).
func Status(code int, retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, `{"error":{"message":"try later","type":"server_error"}}`)
	}
}

// Slow answers "too late" after d, or not at all when the client gives up
// first.
func Slow(d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(d):
		}
		Text("too late")(w, r)
	}
}
