package fakes

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// SlackCall is one request the fake Slack received.
type SlackCall struct {
	// Method is the Web API method ("chat.postMessage"), "response_url"
	// for a post to a response URL, or "upload" for a file upload.
	Method string
	Form   url.Values
	// JSON is the decoded body of a JSON request (response URLs).
	JSON map[string]any
	// Status is what the fake answered.
	Status int
	At     time.Time
	// TS is the ts the fake gave the message it answered with, if any.
	TS string
}

// Text returns the call's message text, wherever the method puts it.
func (c SlackCall) Text() string {
	if c.JSON != nil {
		s, _ := c.JSON["text"].(string)
		return s
	}
	return c.Form.Get("text")
}

// Blocks returns the raw blocks of the call.
func (c SlackCall) Blocks() string {
	if c.JSON != nil {
		b, _ := json.Marshal(c.JSON["blocks"])
		return string(b)
	}
	return c.Form.Get("blocks")
}

// SlackFailure is a canned error answer for the next calls of a method.
type SlackFailure struct {
	// Status is the HTTP status; 0 answers 200 with the Slack error
	// SlackErr.
	Status     int
	RetryAfter string
	SlackErr   string
}

// Slack is a Slack Web API (and response URLs, upload URLs and the
// Socket Mode WebSocket) that records every call and can answer 429 or
// errors.
type Slack struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	calls   []SlackCall
	fail    map[string][]SlackFailure
	locales map[string]string
	ts      int
	// files are the files people shared, by id (files.info and the
	// private download URLs serve them).
	files map[string]slackFile

	// Envelopes are sent to the Socket Mode connection; Acks receives
	// what the bot acknowledges.
	Envelopes chan []byte
	Acks      chan map[string]any
}

// SlackToken is the bot token the fake's private file downloads accept.
const SlackToken = "xoxb-test"

// NewSlack starts a fake Slack; it closes when the test ends.
func NewSlack(t testing.TB) *Slack {
	f := &Slack{
		t: t, fail: map[string][]SlackFailure{}, locales: map[string]string{}, files: map[string]slackFile{},
		Envelopes: make(chan []byte, 16), Acks: make(chan map[string]any, 16),
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// APIURL is the Web API base for SLACK_API_URL.
func (f *Slack) APIURL() string { return f.srv.URL + "/api/" }

// ResponseURL returns a response URL the fake answers.
func (f *Slack) ResponseURL(id string) string { return f.srv.URL + "/response/" + id }

// FailNext makes the next n calls of method answer with status (and
// Retry-After) or, with status 200, with the Slack error slackErr.
func (f *Slack) FailNext(method string, n int, fl SlackFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.fail[method] = append(f.fail[method], fl)
	}
}

// SetLocale gives user a locale in users.info.
func (f *Slack) SetLocale(user, locale string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locales[user] = locale
}

// Snapshot returns the calls so far.
func (f *Slack) Snapshot() []SlackCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SlackCall(nil), f.calls...)
}

// Called returns the successful calls of the methods named.
func (f *Slack) Called(methods ...string) []SlackCall {
	var out []SlackCall
	for _, c := range f.Snapshot() {
		for _, m := range methods {
			if c.Method == m && c.Status == http.StatusOK {
				out = append(out, c)
			}
		}
	}
	return out
}

// Messages returns the successful calls that show a message to someone.
func (f *Slack) Messages() []SlackCall {
	return f.Called("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
}

// WaitFor polls until cond holds over the calls, or fails the test.
func (f *Slack) WaitFor(what string, d time.Duration, cond func([]SlackCall) bool) []SlackCall {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for {
		calls := f.Snapshot()
		if cond(calls) {
			return calls
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s; calls:\n%s", what, DumpSlackCalls(calls))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitMessage waits for a successful message call whose text contains s.
func (f *Slack) WaitMessage(s string) SlackCall {
	f.t.Helper()
	var found SlackCall
	f.WaitFor("a message with "+strconv.Quote(s), Patience, func(calls []SlackCall) bool {
		for _, c := range calls {
			switch c.Method {
			case "chat.postMessage", "chat.postEphemeral", "chat.update", "response_url":
				if c.Status == http.StatusOK && strings.Contains(c.Text(), s) {
					found = c
					return true
				}
			}
		}
		return false
	})
	return found
}

// DumpSlackCalls lists calls one a line, for a failure message.
func DumpSlackCalls(calls []SlackCall) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s %d text=%q form=%v json=%v\n", c.Method, c.Status, c.Text(), c.Form, c.JSON)
	}
	return b.String()
}

func (f *Slack) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/ws":
		f.serveSocket(w, r)
		return
	case strings.HasPrefix(path, "/api/"):
		f.serveAPI(w, r, strings.TrimPrefix(path, "/api/"))
	case strings.HasPrefix(path, "/files-pri/"):
		f.serveFile(w, r)
	case strings.HasPrefix(path, "/response/"):
		body, _ := io.ReadAll(r.Body)
		var js map[string]any
		_ = json.Unmarshal(body, &js)
		if st, ok := f.record("response_url", nil, js); !ok {
			w.WriteHeader(st.Status)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
	case strings.HasPrefix(path, "/upload/"):
		_ = r.ParseMultipartForm(10 << 20)
		form := url.Values{}
		if r.MultipartForm != nil {
			for k, fhs := range r.MultipartForm.File {
				for _, fh := range fhs {
					form.Add(k, fh.Filename)
					form.Add("size", strconv.FormatInt(fh.Size, 10))
				}
			}
		}
		if st, ok := f.record("upload", form, nil); !ok {
			w.WriteHeader(st.Status)
			return
		}
		io.WriteString(w, "OK - "+form.Get("size"))
	default:
		http.NotFound(w, r)
	}
}

// record stores a call; it reports false (and the failure) when the call
// is to fail.
func (f *Slack) record(method string, form url.Values, js map[string]any) (SlackFailure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := SlackCall{Method: method, Form: form, JSON: js, Status: http.StatusOK, At: time.Now()}
	var fl SlackFailure
	failing := false
	if q := f.fail[method]; len(q) > 0 {
		fl, f.fail[method] = q[0], q[1:]
		failing = true
		if fl.Status != 0 {
			c.Status = fl.Status
		} else {
			c.Status = 299 // a Slack error: HTTP 200 with ok=false
		}
	}
	f.calls = append(f.calls, c)
	return fl, !failing
}

func (f *Slack) serveAPI(w http.ResponseWriter, r *http.Request, method string) {
	form := url.Values{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// JSON methods (views.open, apps.connections.open): flatten the
		// body so that tests read it like a form.
		var js map[string]any
		_ = json.NewDecoder(r.Body).Decode(&js)
		for k, v := range js {
			if s, ok := v.(string); ok {
				form.Set(k, s)
			} else {
				b, _ := json.Marshal(v)
				form.Set(k, string(b))
			}
		}
	} else {
		_ = r.ParseForm()
		if r.PostForm != nil {
			form = r.PostForm
		}
		if r.Method == http.MethodGet {
			form = r.URL.Query() // chat.getPermalink
		}
	}
	fl, ok := f.record(method, form, nil)
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		if fl.Status != 0 {
			if fl.RetryAfter != "" {
				w.Header().Set("Retry-After", fl.RetryAfter)
			}
			w.WriteHeader(fl.Status)
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, fl.SlackErr)
		return
	}
	f.mu.Lock()
	f.ts++
	ts := fmt.Sprintf("1700000000.%06d", f.ts)
	f.stamp(form, ts)
	locale := f.locales[form.Get("user")]
	f.mu.Unlock()
	var out any
	switch method {
	case "auth.test":
		out = map[string]any{"ok": true, "user_id": "UBOT", "team": "Test team", "team_id": "T1"}
	case "users.info":
		id := form.Get("user")
		out = map[string]any{"ok": true, "user": map[string]any{
			"id": id, "name": strings.ToLower(id), "real_name": "Real " + id, "locale": locale,
			"profile": map[string]any{"display_name": "Person " + id},
		}}
	case "conversations.open":
		out = map[string]any{"ok": true, "channel": map[string]any{"id": "D" + form.Get("users")}}
	case "chat.postMessage", "chat.update":
		out = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": ts}
	case "chat.postEphemeral":
		out = map[string]any{"ok": true, "message_ts": ts}
	case "chat.delete":
		out = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts")}
	case "views.open", "views.publish":
		out = map[string]any{"ok": true, "view": map[string]any{"id": "V" + ts}}
	case "chat.getPermalink":
		out = map[string]any{"ok": true, "channel": form.Get("channel"),
			"permalink": "https://test.slack.com/archives/" + form.Get("channel") + "/p" + strings.ReplaceAll(form.Get("message_ts"), ".", "")}
	case "files.getUploadURLExternal":
		out = map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/F" + ts, "file_id": "F" + ts}
	case "files.completeUploadExternal":
		var files []map[string]any
		_ = json.Unmarshal([]byte(form.Get("files")), &files)
		out = map[string]any{"ok": true, "files": files}
	case "files.info":
		out = f.fileInfo(form.Get("file"))
	case "apps.connections.open":
		out = map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"}
	default:
		out = map[string]any{"ok": false, "error": "unknown_method"}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// serveSocket is Socket Mode's WebSocket: it says hello, sends the
// envelopes queued in f.Envelopes and passes the acks to f.Acks.
func (f *Slack) serveSocket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	var wmu sync.Mutex
	write := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteMessage(websocket.TextMessage, b)
	}
	if err := write([]byte(`{"type":"hello","num_connections":1,"connection_info":{"app_id":"A1"}}`)); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var ack map[string]any
			if json.Unmarshal(msg, &ack) == nil {
				f.Acks <- ack
			}
		}
	}()
	for {
		select {
		case env := <-f.Envelopes:
			if err := write(env); err != nil {
				return
			}
		case <-done:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// slackFile is a file shared in Slack, kept by the fake.
type slackFile struct {
	id, name string
	data     []byte
}

// AddFile keeps data as a shared file and returns the file object that
// Slack puts in a file_share event.
func (f *Slack) AddFile(name string, data []byte) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := "F" + strconv.Itoa(len(f.files)+1)
	f.files[id] = slackFile{id: id, name: name, data: data}
	return f.fileJSON(f.files[id])
}

// fileJSON is a file object; the caller holds f.mu.
func (f *Slack) fileJSON(ff slackFile) map[string]any {
	u := f.srv.URL + "/files-pri/T1-" + ff.id + "/"
	return map[string]any{
		"id": ff.id, "name": ff.name, "title": ff.name, "mimetype": "text/csv", "filetype": "csv",
		"size": len(ff.data), "url_private": u + ff.name, "url_private_download": u + "download/" + ff.name,
	}
}

// fileInfo answers files.info.
func (f *Slack) fileInfo(id string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	ff, ok := f.files[id]
	if !ok {
		return map[string]any{"ok": false, "error": "file_not_found"}
	}
	return map[string]any{"ok": true, "file": f.fileJSON(ff), "comments": []any{}, "paging": map[string]any{}}
}

// serveFile answers a private download: only with the bot token.
func (f *Slack) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/files-pri/T1-")
	id, _, _ := strings.Cut(rest, "/")
	form := url.Values{"authorization": {r.Header.Get("Authorization")}, "file": {id}}
	if r.Header.Get("Authorization") != "Bearer "+SlackToken {
		f.record("file_download", form, nil)
		f.mu.Lock()
		f.calls[len(f.calls)-1].Status = http.StatusForbidden
		f.mu.Unlock()
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if fl, ok := f.record("file_download", form, nil); !ok {
		if fl.RetryAfter != "" {
			w.Header().Set("Retry-After", fl.RetryAfter)
		}
		w.WriteHeader(fl.Status)
		return
	}
	f.mu.Lock()
	ff, ok := f.files[id]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	_, _ = w.Write(ff.data)
}

// stamp keeps ts in the call whose form is form (each request has its
// own); the caller holds f.mu.
func (f *Slack) stamp(form url.Values, ts string) {
	p := reflect.ValueOf(form).Pointer()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i].Form != nil && reflect.ValueOf(f.calls[i].Form).Pointer() == p {
			f.calls[i].TS = ts
			return
		}
	}
}

// Ack waits for the bot's acknowledgement of the Socket Mode envelope id
// and says how long it took; another envelope's ack marks the test failed.
func (f *Slack) Ack(t testing.TB, id string) (map[string]any, time.Duration) {
	t.Helper()
	start := time.Now()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case a := <-f.Acks:
			if a["envelope_id"] == id {
				return a, time.Since(start)
			}
			t.Errorf("ack for %v while waiting for %s", a["envelope_id"], id)
		case <-timeout:
			t.Fatalf("no ack for envelope %s", id)
			return nil, 0
		}
	}
}
