package slack_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/bot/slack"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/i18n"
	"accountbot/store"
	"accountbot/store/storetest"
)

const (
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	headUser   = "UHEAD"
)

// slackEnv is a running Slack adapter over a fake Slack, an in-memory
// store and either the real handlers or a test handler.
type slackEnv struct {
	t      testing.TB
	fake   *fakeSlack
	store  *store.Store
	cat    *i18n.Catalog
	svc    *handlers.Service
	a      *slack.Adapter
	http   *httptest.Server
	cancel context.CancelFunc
	done   chan error
}

type envOpts struct {
	handler  bot.Handler // nil: the real handlers
	appToken string      // Socket Mode
	noSecret bool        // no HTTP mode
	store    *store.Store
	fake     *fakeSlack
	opts     []slack.Option
	// svcOpts are more options of the real handlers (a transcriber…).
	svcOpts []handlers.Option
}

// now is the fixed time of the handlers' clock in these tests.
var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

func newSlackEnv(t testing.TB, o envOpts) *slackEnv {
	t.Helper()
	st := o.store
	if st == nil {
		st = storetest.OpenWith(t, store.Options{InMemory: true, Logger: quietLog()})
	}
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	fake := o.fake
	if fake == nil {
		fake = newFakeSlack(t)
	}
	cfg := handlers.DefaultConfig()
	cfg.TZ = time.UTC
	cfg.Heads = []string{"slack:" + headUser}
	// What the bot sends by itself (RunJobs) goes out through the adapter.
	fwd := &adapterNotifier{}
	svc, err := handlers.New(st, cat, append([]handlers.Option{handlers.WithClock(dates.NewManualClock(now)), handlers.WithConfig(cfg), handlers.WithLogger(quietLog()), handlers.WithNotifier(fwd)}, o.svcOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var h bot.Handler = svc
	if o.handler != nil {
		h = o.handler
	}
	scfg := slack.Config{BotToken: "xoxb-test", AppToken: o.appToken, APIURL: fake.APIURL(), Lang: "en"}
	if !o.noSecret {
		scfg.SigningSecret = testSecret
	}
	opts := append([]slack.Option{
		slack.WithLogger(quietLog()),
		slack.WithClock(dates.NewManualClock(now)),
		slack.WithLocation(time.UTC),
		slack.WithChannelInterval(time.Millisecond),
		slack.WithWorkingAfter(5 * time.Second),
		slack.WithShutdownGrace(5 * time.Second),
		slack.WithPersonLang(func(ctx context.Context, identity string) string {
			p, err := st.PersonByIdentity(ctx, identity)
			if err != nil || p == nil {
				return ""
			}
			return p.Lang
		}),
		slack.WithClientName(svc.ClientName),
	}, o.opts...)
	a, err := slack.New(scfg, h, cat, st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	fwd.a = a
	mux := http.NewServeMux()
	a.Register(mux)
	e := &slackEnv{t: t, fake: fake, store: st, cat: cat, svc: svc, a: a, done: make(chan error, 1)}
	e.http = httptest.NewServer(mux)
	t.Cleanup(e.http.Close)
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() { e.done <- a.Run(ctx) }()
	t.Cleanup(e.stop)
	return e
}

// stop ends Run and waits for it.
func (e *slackEnv) stop() {
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
		e.t.Error("Run did not return after its context was cancelled")
	}
	e.done <- nil // later calls return at once
}

func quietLog() *slog.Logger {
	if os.Getenv("SLACK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// sign returns Slack's signature of body at timestamp ts.
func sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// post sends a request signed now with the test secret.
func (e *slackEnv) post(path, contentType string, body []byte, hdr ...string) *http.Response {
	e.t.Helper()
	ts := time.Now().Unix()
	h := []string{"X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10), "X-Slack-Signature", sign(testSecret, ts, body)}
	return e.postRaw(path, contentType, body, append(h, hdr...)...)
}

// postRaw sends a request with exactly the headers given (pairs).
func (e *slackEnv) postRaw(path, contentType string, body []byte, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// command sends "/crm text" from user in channel, as Slack's HTTP mode.
func (e *slackEnv) command(user, channel, text, trigger string) (*http.Response, string) {
	e.t.Helper()
	respURL := e.fake.ResponseURL(trigger)
	form := commandForm(user, channel, text, trigger, respURL)
	return e.post("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode())), respURL
}

func commandForm(user, channel, text, trigger, respURL string) url.Values {
	return url.Values{
		"token": {"legacy"}, "team_id": {"T1"}, "channel_id": {channel}, "channel_name": {"general"},
		"user_id": {user}, "user_name": {"user"}, "command": {"/crm"}, "text": {text},
		"response_url": {respURL}, "trigger_id": {trigger}, "api_app_id": {"A1"},
	}
}

// event wraps an inner event in an event_callback.
func eventJSON(eventID string, inner map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": eventID, "event_time": 1700000000, "event": inner,
	})
	return b
}

func dmEvent(eventID, user, text string) []byte {
	return eventJSON(eventID, map[string]any{
		"type": "message", "channel": "D" + user, "channel_type": "im", "user": user,
		"text": text, "ts": "1700000001.000100", "event_ts": "1700000001.000100",
	})
}

// interactive sends an interaction payload.
func (e *slackEnv) interactive(payload any) *http.Response {
	e.t.Helper()
	b, _ := json.Marshal(payload)
	form := url.Values{"payload": {string(b)}}
	return e.post("/slack/interactive", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// pressButton clicks the button actionID of an ephemeral message in
// channel: its value is the command it stands for, trigger the form
// trigger it brings, respKey names its response_url.
func (e *slackEnv) pressButton(trigger, respKey, channel, actionID, value string) *http.Response {
	e.t.Helper()
	return e.interactive(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": headUser}, "trigger_id": trigger,
		"response_url": e.fake.ResponseURL(respKey),
		"container":    map[string]any{"type": "message", "message_ts": "1.1", "channel_id": channel, "is_ephemeral": true},
		"actions":      []any{map[string]any{"type": "button", "block_id": "b1", "action_id": actionID, "value": value}},
	})
}

// openedViews waits until a form is opened (views.open) and returns the
// views.open calls made so far, in order.
func (e *slackEnv) openedViews() []apiCall {
	e.t.Helper()
	calls := e.fake.WaitFor("views.open", 5*time.Second, func(calls []apiCall) bool {
		for _, c := range calls {
			if c.Method == "views.open" {
				return true
			}
		}
		return false
	})
	var views []apiCall
	for _, c := range calls {
		if c.Method == "views.open" {
			views = append(views, c)
		}
	}
	return views
}

// firstOpenedView waits until a form is opened with success and returns
// the first such form's view (JSON).
func (e *slackEnv) firstOpenedView() string {
	e.t.Helper()
	e.fake.WaitFor("views.open", 5*time.Second, func(calls []apiCall) bool { return len(e.fake.Called("views.open")) > 0 })
	return e.fake.Called("views.open")[0].Form.Get("view")
}

func readBody(t testing.TB, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
