package telegram

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is a Bot API server in memory: it queues updates for
// getUpdates, records every call, and answers with failures on demand
// (429, 409, 500, slow).
type fakeAPI struct {
	srv   *httptest.Server
	token string

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change
	updates   []fakeUpdate
	history   map[int64]json.RawMessage
	nextID    int64
	confirmed int64 // every update below was confirmed by an offset
	calls     []apiCall
	nextMsgID int
	fails     map[string][]fakeFailure
	delay     map[string]time.Duration
	webhook   map[string]string
	// blocked chats answer 403 to sends.
	blocked map[int64]bool
	// slowChat delays every answer about a chat.
	slowChat map[int64]time.Duration
	// files are the documents people sent, by file_id (getFile and the
	// download URL serve them).
	files map[string]fakeFile
}

type fakeUpdate struct {
	id   int64
	body json.RawMessage
}

// apiCall is one request the bot made.
type apiCall struct {
	Method string
	Params map[string]string
	Files  map[string][]byte
	At     time.Time
	// Status is what the fake answered.
	Status int
	// MsgID is the id of the message sent or edited.
	MsgID int
}

// dropConnection as a failure's status closes the connection without an
// answer, as a broken network does.
const dropConnection = -1

type fakeFailure struct {
	status     int
	retryAfter int
	desc       string
}

const fakeToken = "123456:TEST-token"

// fakeBotUsername is the bot's @name on the fake server.
const fakeBotUsername = "acct_test_bot"

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{
		token: fakeToken, changed: make(chan struct{}), nextID: 1, nextMsgID: 1000,
		fails: map[string][]fakeFailure{}, history: map[int64]json.RawMessage{}, delay: map[string]time.Duration{}, webhook: map[string]string{},
		blocked: map[int64]bool{}, slowChat: map[int64]time.Duration{}, files: map[string]fakeFile{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// broadcast wakes every waiter; the caller holds f.mu.
func (f *fakeAPI) broadcast() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// fail makes the next calls of method answer with the failures, in order.
func (f *fakeAPI) fail(method string, fs ...fakeFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails[method] = append(f.fails[method], fs...)
}

// slow delays every answer to method.
func (f *fakeAPI) slow(method string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay[method] = d
}

func (f *fakeAPI) block(chat int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked[chat] = true
}

// push queues an update built by build(id) and returns its id.
func (f *fakeAPI) push(build func(id int64) map[string]any) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID
	f.nextID++
	b, _ := json.Marshal(build(id))
	f.updates = append(f.updates, fakeUpdate{id, b})
	f.history[id] = b
	f.broadcast()
	return id
}

// redeliver queues update id again, as Telegram does when its offset was
// not confirmed.
func (f *fakeAPI) redeliver(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := fakeUpdate{id, f.history[id]}
	i := sort.Search(len(f.updates), func(i int) bool { return f.updates[i].id >= id })
	f.updates = append(f.updates[:i], append([]fakeUpdate{u}, f.updates[i:]...)...)
	f.broadcast()
}

// tgUser is a Telegram user for building updates.
type tgUser struct {
	ID   int64
	Name string
	Lang string
}

func (u tgUser) json() map[string]any {
	m := map[string]any{"id": u.ID, "is_bot": false, "first_name": u.Name}
	if u.Lang != "" {
		m["language_code"] = u.Lang
	}
	return m
}

func chatJSON(id int64, typ string) map[string]any {
	return map[string]any{"id": id, "type": typ}
}

// messageUpdate builds a text message from u in a chat.
func messageUpdate(chat int64, chatType string, u tgUser, text string) func(int64) map[string]any {
	return func(id int64) map[string]any {
		return map[string]any{"update_id": id, "message": map[string]any{
			"message_id": int(id) + 10, "date": 1767225600, "chat": chatJSON(chat, chatType), "from": u.json(), "text": text,
		}}
	}
}

// say queues a private message from u.
func (f *fakeAPI) say(u tgUser, text string) int64 {
	return f.push(messageUpdate(u.ID, "private", u, text))
}

// press queues a press of the button with data under message msgID.
func (f *fakeAPI) press(chat int64, chatType string, u tgUser, msgID int, data string) int64 {
	return f.push(func(id int64) map[string]any {
		return map[string]any{"update_id": id, "callback_query": map[string]any{
			"id": "cq" + strconv.FormatInt(id, 10), "from": u.json(), "chat_instance": "ci", "data": data,
			"message": map[string]any{"message_id": msgID, "date": 1767225600, "chat": chatJSON(chat, chatType), "text": "…"},
		}}
	})
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if path, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+f.token+"/"); ok {
		f.serveFile(w, path)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+f.token+"/")
	if !ok {
		writeAPI(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	params, files := parseParams(r)
	f.mu.Lock()
	d := f.delay[method]
	if chat, err := strconv.ParseInt(params["chat_id"], 10, 64); err == nil && f.slowChat[chat] > d {
		d = f.slowChat[chat]
	}
	var failure *fakeFailure
	if q := f.fails[method]; len(q) > 0 {
		failure = &q[0]
		f.fails[method] = q[1:]
	}
	f.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	call := apiCall{Method: method, Params: params, Files: files, At: time.Now()}
	if failure != nil && failure.status == dropConnection {
		f.record(call, dropConnection)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	status, body := http.StatusOK, map[string]any{"ok": true}
	if failure != nil {
		status = failure.status
		body = map[string]any{"ok": false, "error_code": failure.status, "description": failure.desc}
		if failure.retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": failure.retryAfter}
		}
	} else if method == "getUpdates" {
		f.record(call, status)
		f.getUpdates(w, r, params)
		return
	} else {
		status, body = f.answer(method, params)
		if m, ok := body["result"].(map[string]any); ok {
			call.MsgID, _ = m["message_id"].(int)
		}
	}
	f.record(call, status)
	writeAPI(w, status, body)
}

func (f *fakeAPI) record(c apiCall, status int) {
	c.Status = status
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.broadcast()
	f.mu.Unlock()
}

func (f *fakeAPI) answer(method string, p map[string]string) (int, map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := func(result any) (int, map[string]any) {
		return http.StatusOK, map[string]any{"ok": true, "result": result}
	}
	switch method {
	case "getMe":
		return ok(map[string]any{"id": 42, "is_bot": true, "first_name": "Accounts", "username": fakeBotUsername})
	case "sendMessage", "sendPhoto", "sendDocument", "editMessageText":
		chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
		if f.blocked[chat] && method != "editMessageText" {
			return http.StatusForbidden, map[string]any{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
		}
		id := f.nextMsgID
		if method == "editMessageText" {
			id, _ = strconv.Atoi(p["message_id"])
		} else {
			f.nextMsgID++
		}
		return ok(map[string]any{"message_id": id, "date": 1767225600, "chat": chatJSON(chat, "private"), "text": p["text"]})
	case "getFile":
		file, found := f.files[p["file_id"]]
		if !found {
			return http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"}
		}
		return ok(map[string]any{"file_id": p["file_id"], "file_unique_id": "u" + p["file_id"], "file_size": file.size, "file_path": file.path})
	case "setWebhook":
		f.webhook["url"], f.webhook["secret"] = p["url"], p["secret_token"]
		return ok(true)
	case "deleteWebhook":
		delete(f.webhook, "url")
		return ok(true)
	default:
		return ok(true)
	}
}

// getUpdates confirms every update below offset and returns those from
// offset on, waiting up to timeout seconds for one to come.
func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		f.mu.Lock()
		if offset > f.confirmed {
			f.confirmed = offset
			kept := f.updates[:0]
			for _, u := range f.updates {
				if u.id >= offset {
					kept = append(kept, u)
				}
			}
			f.updates = kept
			f.broadcast()
		}
		var out []json.RawMessage
		for _, u := range f.updates {
			if u.id >= offset && len(out) < limit {
				out = append(out, u.body)
			}
		}
		changed := f.changed
		f.mu.Unlock()
		if len(out) > 0 || timeout == 0 {
			if out == nil {
				out = []json.RawMessage{}
			}
			writeAPI(w, http.StatusOK, map[string]any{"ok": true, "result": out})
			return
		}
		select {
		case <-changed:
		case <-deadline:
			writeAPI(w, http.StatusOK, map[string]any{"ok": true, "result": []json.RawMessage{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func writeAPI(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// parseParams reads a request's parameters, whether sent as JSON, as a
// multipart form (the library) or URL-encoded.
func parseParams(r *http.Request) (map[string]string, map[string][]byte) {
	params, files := map[string]string{}, map[string][]byte{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &m)
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				params[k] = s
			} else {
				params[k] = string(v)
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(32 << 20); err == nil {
			for k, v := range r.MultipartForm.Value {
				params[k] = v[0]
			}
			for k, fhs := range r.MultipartForm.File {
				fh, _ := fhs[0].Open()
				b, _ := io.ReadAll(fh)
				fh.Close()
				files[k] = b
				params[k+".filename"] = fhs[0].Filename
			}
		}
	default:
		_ = r.ParseForm()
		for k, v := range r.Form {
			params[k] = v[0]
		}
	}
	return params, files
}

// Calls returns the recorded calls of the methods named, every call
// without names.
func (f *fakeAPI) Calls(methods ...string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, failing the test after timeout.
func (f *fakeAPI) waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		f.mu.Lock()
		changed := f.changed
		f.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; calls so far:\n%s", what, f.dump())
		}
	}
}

// confirmedPast reports whether the update id was confirmed by an offset.
func (f *fakeAPI) confirmedPast(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.confirmed > id
}

// waitHandled waits until Telegram would consider update id handled.
func (f *fakeAPI) waitHandled(t testing.TB, id int64) {
	t.Helper()
	f.waitFor(t, 15*time.Second, fmt.Sprintf("update %d to be confirmed", id), func() bool { return f.confirmedPast(id) })
}

func (f *fakeAPI) dump() string {
	var b strings.Builder
	for _, c := range f.Calls() {
		if c.Method == "getUpdates" {
			continue
		}
		fmt.Fprintf(&b, "  %s %d chat=%s text=%q\n", c.Method, c.Status, c.Params["chat_id"], c.Params["text"])
	}
	return b.String()
}

// Sent returns the texts sent to chat, as a person sees them, in order:
// new messages and edits alike.
func (f *fakeAPI) Sent(chat int64) []apiCall {
	var out []apiCall
	for _, c := range f.Calls("sendMessage", "editMessageText", "sendPhoto", "sendDocument") {
		if c.Params["chat_id"] == strconv.FormatInt(chat, 10) && c.Status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// visible is the text a person sees for Telegram HTML.
func visible(s string) string {
	return html.UnescapeString(strings.NewReplacer("<b>", "", "</b>", "").Replace(s))
}

// keyboard decodes the inline keyboard of a call.
func keyboard(c apiCall) [][]struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
} {
	var mk struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	_ = json.Unmarshal([]byte(c.Params["reply_markup"]), &mk)
	return mk.InlineKeyboard
}
