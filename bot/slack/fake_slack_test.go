package slack_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// apiCall is one request the fake Slack received.
type apiCall struct {
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

// text returns the call's message text, wherever the method puts it.
func (c apiCall) text() string {
	if c.JSON != nil {
		s, _ := c.JSON["text"].(string)
		return s
	}
	return c.Form.Get("text")
}

// blocks returns the raw blocks of the call.
func (c apiCall) blocks() string {
	if c.JSON != nil {
		b, _ := json.Marshal(c.JSON["blocks"])
		return string(b)
	}
	return c.Form.Get("blocks")
}

// failure is a canned error answer for the next calls of a method.
type failure struct {
	status     int
	retryAfter string
	slackErr   string
}

// fakeSlack is a Slack Web API (and response URLs, upload URLs and the
// Socket Mode WebSocket) that records every call and can answer 429 or
// errors.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	calls   []apiCall
	fail    map[string][]failure
	locales map[string]string
	ts      int
	// files are the files people shared, by id (files.info and the
	// private download URLs serve them).
	files map[string]fakeFile

	// Socket Mode: envelopes to send, and the acks received.
	envelopes chan []byte
	acks      chan map[string]any
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{
		t: t, fail: map[string][]failure{}, locales: map[string]string{}, files: map[string]fakeFile{},
		envelopes: make(chan []byte, 16), acks: make(chan map[string]any, 16),
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// apiURL is the Web API base for SLACK_API_URL.
func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

// responseURL returns a response URL the fake answers.
func (f *fakeSlack) responseURL(id string) string { return f.srv.URL + "/response/" + id }

// failNext makes the next n calls of method answer with status (and
// Retry-After) or, with status 200, with the Slack error slackErr.
func (f *fakeSlack) failNext(method string, n int, fl failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.fail[method] = append(f.fail[method], fl)
	}
}

func (f *fakeSlack) setLocale(user, locale string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locales[user] = locale
}

// snapshot returns the calls so far.
func (f *fakeSlack) snapshot() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// called returns the successful calls of the methods named.
func (f *fakeSlack) called(methods ...string) []apiCall {
	var out []apiCall
	for _, c := range f.snapshot() {
		for _, m := range methods {
			if c.Method == m && c.Status == http.StatusOK {
				out = append(out, c)
			}
		}
	}
	return out
}

// messages returns the successful calls that show a message to someone.
func (f *fakeSlack) messages() []apiCall {
	return f.called("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
}

// waitFor polls until cond holds over the calls, or fails the test.
func (f *fakeSlack) waitFor(what string, d time.Duration, cond func([]apiCall) bool) []apiCall {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for {
		calls := f.snapshot()
		if cond(calls) {
			return calls
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s; calls:\n%s", what, dump(calls))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitMessage waits for a successful message call whose text contains s.
func (f *fakeSlack) waitMessage(s string) apiCall {
	f.t.Helper()
	var found apiCall
	f.waitFor("a message with "+strconv.Quote(s), 5*time.Second, func(calls []apiCall) bool {
		for _, c := range calls {
			switch c.Method {
			case "chat.postMessage", "chat.postEphemeral", "chat.update", "response_url":
				if c.Status == http.StatusOK && strings.Contains(c.text(), s) {
					found = c
					return true
				}
			}
		}
		return false
	})
	return found
}

func dump(calls []apiCall) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s %d text=%q form=%v json=%v\n", c.Method, c.Status, c.text(), c.Form, c.JSON)
	}
	return b.String()
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
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
			w.WriteHeader(st.status)
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
			w.WriteHeader(st.status)
			return
		}
		io.WriteString(w, "OK - "+form.Get("size"))
	default:
		http.NotFound(w, r)
	}
}

// record stores a call; it reports false (and the failure) when the call
// is to fail.
func (f *fakeSlack) record(method string, form url.Values, js map[string]any) (failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := apiCall{Method: method, Form: form, JSON: js, Status: http.StatusOK, At: time.Now()}
	var fl failure
	failing := false
	if q := f.fail[method]; len(q) > 0 {
		fl, f.fail[method] = q[0], q[1:]
		failing = true
		if fl.status != 0 {
			c.Status = fl.status
		} else {
			c.Status = 299 // a Slack error: HTTP 200 with ok=false
		}
	}
	f.calls = append(f.calls, c)
	return fl, !failing
}

func (f *fakeSlack) serveAPI(w http.ResponseWriter, r *http.Request, method string) {
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
		if fl.status != 0 {
			if fl.retryAfter != "" {
				w.Header().Set("Retry-After", fl.retryAfter)
			}
			w.WriteHeader(fl.status)
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, fl.slackErr)
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
// envelopes queued in f.envelopes and passes the acks to f.acks.
func (f *fakeSlack) serveSocket(w http.ResponseWriter, r *http.Request) {
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
				f.acks <- ack
			}
		}
	}()
	for {
		select {
		case env := <-f.envelopes:
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
