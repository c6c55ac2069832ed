package llm

import (
	"accountbot/internal/fakes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The fake model is the shared one (internal/fakes).
var (
	newFake      = fakes.NewOpenAI
	answerText   = fakes.Text
	answerStatus = fakes.Status
)

func answerTool(name, args string) http.HandlerFunc { return fakes.Tool(name, args) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func client(f *fakes.OpenAI, deadline time.Duration) *Client {
	return New(Config{APIKey: "sk-secret-key", BaseURL: f.URL + "/v1", Model: "test-model",
		Deadline: deadline, Backoff: 10 * time.Millisecond, Logger: quiet()})
}

func TestCompleteText(t *testing.T) {
	f := newFake(t, answerText("Hello there"))
	c := client(f, time.Second)
	resp, err := c.Complete(context.Background(), Request{
		Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hi"}}, Temperature: 0.3, MaxTokens: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Content != "Hello there" || resp.Attempts != 1 {
		t.Fatalf("got %+v", resp)
	}
	body := f.Next(t).Body
	var sent map[string]any
	if err := json.Unmarshal([]byte(body), &sent); err != nil {
		t.Fatal(err)
	}
	if sent["model"] != "test-model" || sent["max_tokens"] != float64(100) {
		t.Errorf("request = %s", body)
	}
	if strings.Contains(body, "sk-secret-key") {
		t.Error("the API key is in the request body")
	}
	if h := f.Requests()[0].Header; h.Get("Authorization") != "Bearer sk-secret-key" {
		t.Errorf("Authorization = %q", h.Get("Authorization"))
	}
}

func TestCompleteToolCall(t *testing.T) {
	f := newFake(t, answerTool("propose", `{"a":1}`))
	c := client(f, time.Second)
	resp, err := c.Complete(context.Background(), Request{
		Messages:   []Message{{Role: "user", Content: "x"}},
		Tools:      []Tool{{Name: "propose", Description: "d", Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}`), Strict: true}},
		ToolChoice: "propose",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ToolCalls) != 1 || resp.ToolCalls[0].Name != "propose" || resp.ToolCalls[0].Arguments != `{"a":1}` {
		t.Fatalf("tool calls = %+v", resp.ToolCalls)
	}
	body := f.Next(t).Body
	for _, want := range []string{`"strict":true`, `"tool_choice":{"type":"function","function":{"name":"propose"}}`, `"additionalProperties":false`} {
		if !strings.Contains(body, want) {
			t.Errorf("request lacks %s: %s", want, body)
		}
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	f := newFake(t, answerStatus(429, "1"), answerText("ok"))
	c := client(f, 5*time.Second)
	start := time.Now()
	resp, err := c.Complete(context.Background(), Request{Messages: []Message{{Role: "user", Content: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 2 || resp.Content != "ok" {
		t.Fatalf("got %+v", resp)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, before Retry-After's 1 s", d)
	}
}

func TestRetryAfterBeyondDeadlineFailsAtOnce(t *testing.T) {
	f := newFake(t, answerStatus(429, "30"), answerText("ok"))
	c := client(f, 2*time.Second)
	start := time.Now()
	_, err := c.Complete(context.Background(), Request{Messages: []Message{{Role: "user", Content: "x"}}})
	if Reason(err) != ReasonRateLimited {
		t.Fatalf("err = %v, reason %q", err, Reason(err))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("waited %v for a retry that could not finish in time", d)
	}
	if n := f.Calls(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestServerErrorRetriedTwiceThenFails(t *testing.T) {
	f := newFake(t, answerStatus(500, ""))
	c := client(f, 5*time.Second)
	_, err := c.Complete(context.Background(), Request{Messages: []Message{{Role: "user", Content: "x"}}})
	if Reason(err) != ReasonServer {
		t.Fatalf("err = %v", err)
	}
	if n := f.Calls(); n != 3 {
		t.Errorf("%d requests, want 3 (one and two retries)", n)
	}
	if strings.Contains(err.Error(), "sk-secret-key") {
		t.Error("the key is in the error text")
	}
}

func TestClientErrorIsNotRetried(t *testing.T) {
	f := newFake(t, answerStatus(401, ""))
	c := client(f, 5*time.Second)
	_, err := c.Complete(context.Background(), Request{Messages: []Message{{Role: "user", Content: "x"}}})
	if Reason(err) != ReasonRefused || f.Calls() != 1 {
		t.Fatalf("err = %v after %d calls", err, f.Calls())
	}
}

func TestDeadlineCoversAllAttempts(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		answerText("late")(w, r)
	}
	f := newFake(t, slow)
	c := client(f, 200*time.Millisecond)
	start := time.Now()
	_, err := c.Complete(context.Background(), Request{Messages: []Message{{Role: "user", Content: "x"}}})
	if Reason(err) != ReasonTimeout {
		t.Fatalf("err = %v, reason %q", err, Reason(err))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v, deadline was 200ms", d)
	}
}

func TestMalformedBody(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices": [ {"message": `)
	})
	c := client(f, time.Second)
	_, err := c.Complete(context.Background(), Request{Messages: []Message{{Role: "user", Content: "x"}}})
	if Reason(err) != ReasonBadReply || f.Calls() != 1 {
		t.Fatalf("err = %v (%q) after %d calls", err, Reason(err), f.Calls())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"3": 3 * time.Second, "0": 0, "Mon, 04 May 2026 10:00:05 GMT": 5 * time.Second,
	} {
		got, ok := parseRetryAfter(in, now)
		if !ok || got != want {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "soon", "-1"} {
		if _, ok := parseRetryAfter(in, now); ok {
			t.Errorf("parseRetryAfter(%q) accepted", in)
		}
	}
}

func TestConfigLogValueHidesKey(t *testing.T) {
	var b strings.Builder
	l := slog.New(slog.NewTextHandler(&b, nil))
	l.Info("configured", "llm", Config{APIKey: "sk-secret-key", BaseURL: "http://user:pw@localhost:11434/v1?token=abc", Model: "llama3.1"})
	out := b.String()
	for _, bad := range []string{"sk-secret-key", "pw", "token=abc"} {
		if strings.Contains(out, bad) {
			t.Errorf("log line shows %q: %s", bad, out)
		}
	}
	if !strings.Contains(out, "localhost:11434/v1") || !strings.Contains(out, "llama3.1") {
		t.Errorf("log line lacks server or model: %s", out)
	}
}

func TestEnabled(t *testing.T) {
	if (Config{}).Enabled() || !(Config{APIKey: "k"}).Enabled() || !(Config{BaseURL: "http://x/v1"}).Enabled() {
		t.Error("Enabled is wrong")
	}
}
