package fakes

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

// Telegram is a Bot API server in memory: it queues updates for
// getUpdates, records every call, and answers with failures on demand
// (429, 409, 500, slow).
type Telegram struct {
	srv   *httptest.Server
	token string

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change
	updates   []telegramUpdate
	history   map[int64]json.RawMessage
	nextID    int64
	confirmed int64 // every update below was confirmed by an offset
	calls     []TelegramCall
	nextMsgID int
	fails     map[string][]TelegramFailure
	delay     map[string]time.Duration
	webhook   map[string]string
	// blocked chats answer 403 to sends.
	blocked map[int64]bool
	// slowChat delays every answer about a chat.
	slowChat map[int64]time.Duration
	// files are the documents people sent, by file_id (getFile and the
	// download URL serve them).
	files map[string]telegramFile
}

type telegramUpdate struct {
	id   int64
	body json.RawMessage
}

// TelegramCall is one request the bot made.
type TelegramCall struct {
	Method string
	Params map[string]string
	Files  map[string][]byte
	At     time.Time
	// Status is what the fake answered.
	Status int
	// MsgID is the id of the message sent or edited.
	MsgID int
}

// DropConnection as a failure's status closes the connection without an
// answer, as a broken network does.
const DropConnection = -1

// TelegramFailure is one failing answer (see Fail).
type TelegramFailure struct {
	// Status is the HTTP status (and error_code), or DropConnection.
	Status int
	// RetryAfter, when set, is the retry_after the answer asks for.
	RetryAfter int
	// Desc is the description of the error.
	Desc string
}

// TelegramToken is the bot token the fake answers to.
const TelegramToken = "123456:TEST-token"

// TelegramBotUsername is the bot's @name on the fake server.
const TelegramBotUsername = "acct_test_bot"

// NewTelegram starts a fake Bot API for the bot token TelegramToken; it
// closes when the test ends.
func NewTelegram(t testing.TB) *Telegram {
	f := &Telegram{
		token: TelegramToken, changed: make(chan struct{}), nextID: 1, nextMsgID: 1000,
		fails: map[string][]TelegramFailure{}, history: map[int64]json.RawMessage{}, delay: map[string]time.Duration{}, webhook: map[string]string{},
		blocked: map[int64]bool{}, slowChat: map[int64]time.Duration{}, files: map[string]telegramFile{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the server's address, the bot's API URL.
func (f *Telegram) URL() string { return f.srv.URL }

// broadcast wakes every waiter; the caller holds f.mu.
func (f *Telegram) broadcast() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Fail makes the next calls of method answer with the failures, in order.
func (f *Telegram) Fail(method string, fs ...TelegramFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails[method] = append(f.fails[method], fs...)
}

// Slow delays every answer to method.
func (f *Telegram) Slow(method string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay[method] = d
}

// Block makes sends to chat answer 403, as a person who blocked the bot.
func (f *Telegram) Block(chat int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked[chat] = true
}

// Push queues an update built by build(id) and returns its id.
func (f *Telegram) Push(build func(id int64) map[string]any) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID
	f.nextID++
	b, _ := json.Marshal(build(id))
	f.updates = append(f.updates, telegramUpdate{id, b})
	f.history[id] = b
	f.broadcast()
	return id
}

// Redeliver queues update id again, as Telegram does when its offset was
// not confirmed.
func (f *Telegram) Redeliver(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := telegramUpdate{id, f.history[id]}
	i := sort.Search(len(f.updates), func(i int) bool { return f.updates[i].id >= id })
	f.updates = append(f.updates[:i], append([]telegramUpdate{u}, f.updates[i:]...)...)
	f.broadcast()
}

// TelegramUser is a Telegram user for building updates.
type TelegramUser struct {
	ID   int64
	Name string
	Lang string
}

// JSON is the user as an update carries it.
func (u TelegramUser) JSON() map[string]any {
	m := map[string]any{"id": u.ID, "is_bot": false, "first_name": u.Name}
	if u.Lang != "" {
		m["language_code"] = u.Lang
	}
	return m
}

// ChatJSON is a chat as an update carries it.
func ChatJSON(id int64, typ string) map[string]any {
	return map[string]any{"id": id, "type": typ}
}

// MessageUpdate builds a text message from u in a chat.
func MessageUpdate(chat int64, chatType string, u TelegramUser, text string) func(int64) map[string]any {
	return func(id int64) map[string]any {
		return map[string]any{"update_id": id, "message": map[string]any{
			"message_id": int(id) + 10, "date": 1767225600, "chat": ChatJSON(chat, chatType), "from": u.JSON(), "text": text,
		}}
	}
}

// Say queues a private message from u.
func (f *Telegram) Say(u TelegramUser, text string) int64 {
	return f.Push(MessageUpdate(u.ID, "private", u, text))
}

// Press queues a press of the button with data under message msgID.
func (f *Telegram) Press(chat int64, chatType string, u TelegramUser, msgID int, data string) int64 {
	return f.Push(func(id int64) map[string]any {
		return map[string]any{"update_id": id, "callback_query": map[string]any{
			"id": "cq" + strconv.FormatInt(id, 10), "from": u.JSON(), "chat_instance": "ci", "data": data,
			"message": map[string]any{"message_id": msgID, "date": 1767225600, "chat": ChatJSON(chat, chatType), "text": "…"},
		}}
	})
}

func (f *Telegram) serve(w http.ResponseWriter, r *http.Request) {
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
	var failure *TelegramFailure
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
	call := TelegramCall{Method: method, Params: params, Files: files, At: time.Now()}
	if failure != nil && failure.Status == DropConnection {
		f.record(call, DropConnection)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	status, body := http.StatusOK, map[string]any{"ok": true}
	if failure != nil {
		status = failure.Status
		body = map[string]any{"ok": false, "error_code": failure.Status, "description": failure.Desc}
		if failure.RetryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": failure.RetryAfter}
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

func (f *Telegram) record(c TelegramCall, status int) {
	c.Status = status
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.broadcast()
	f.mu.Unlock()
}

func (f *Telegram) answer(method string, p map[string]string) (int, map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ok := func(result any) (int, map[string]any) {
		return http.StatusOK, map[string]any{"ok": true, "result": result}
	}
	switch method {
	case "getMe":
		return ok(map[string]any{"id": 42, "is_bot": true, "first_name": "Accounts", "username": TelegramBotUsername})
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
		return ok(map[string]any{"message_id": id, "date": 1767225600, "chat": ChatJSON(chat, "private"), "text": p["text"]})
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
func (f *Telegram) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
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
func (f *Telegram) Calls(methods ...string) []TelegramCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []TelegramCall
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

// WaitFor polls cond until it holds, failing the test after timeout.
func (f *Telegram) WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
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
			t.Fatalf("timed out waiting for %s; calls so far:\n%s", what, f.Dump())
		}
	}
}

// ConfirmedPast reports whether the update id was confirmed by an offset.
func (f *Telegram) ConfirmedPast(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.confirmed > id
}

// WaitHandled waits until Telegram would consider update id handled.
func (f *Telegram) WaitHandled(t testing.TB, id int64) {
	t.Helper()
	f.WaitFor(t, Patience, fmt.Sprintf("update %d to be confirmed", id), func() bool { return f.ConfirmedPast(id) })
}

// Dump lists the calls so far but getUpdates, one a line, for a failure
// message.
func (f *Telegram) Dump() string {
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
func (f *Telegram) Sent(chat int64) []TelegramCall {
	var out []TelegramCall
	for _, c := range f.Calls("sendMessage", "editMessageText", "sendPhoto", "sendDocument") {
		if c.Params["chat_id"] == strconv.FormatInt(chat, 10) && c.Status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// Visible is the text a person sees for Telegram HTML.
func Visible(s string) string {
	return html.UnescapeString(strings.NewReplacer("<b>", "", "</b>", "").Replace(s))
}

// Keyboard decodes the inline Keyboard of a call.
func Keyboard(c TelegramCall) [][]struct {
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

// telegramFile is a document kept by the fake Bot API.
type telegramFile struct {
	path string
	data []byte
	// size is what the API says the file's size is.
	size int64
}

// AddFile keeps data as a document and returns its file_id.
func (f *Telegram) AddFile(name string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := "doc" + strconv.Itoa(len(f.files)+1)
	f.files[id] = telegramFile{path: "documents/" + id + "_" + name, data: data, size: int64(len(data))}
	return id
}

// serveFile answers a download from /file/bot<token>/<path>.
func (f *Telegram) serveFile(w http.ResponseWriter, path string) {
	f.mu.Lock()
	var data []byte
	found := false
	for _, file := range f.files {
		if file.path == path {
			data, found = file.data, true
		}
	}
	f.mu.Unlock()
	status := http.StatusOK
	if !found {
		status = http.StatusNotFound
	}
	f.record(TelegramCall{Method: "download", Params: map[string]string{"path": path}, At: time.Now()}, status)
	if !found {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

// DocumentUpdate builds a private message from u that carries a document
// of the size given (which may differ from the file's, as a lying client's
// would) and a caption.
func DocumentUpdate(u TelegramUser, fileID, name, mimeType string, size int64, caption string) func(int64) map[string]any {
	return func(id int64) map[string]any {
		msg := map[string]any{
			"message_id": int(id) + 10, "date": 1767225600, "chat": ChatJSON(u.ID, "private"), "from": u.JSON(),
			"document": map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "file_name": name, "mime_type": mimeType, "file_size": size},
		}
		if caption != "" {
			msg["caption"] = caption
		}
		return map[string]any{"update_id": id, "message": msg}
	}
}

// SlowChat delays every answer about chat by d.
func (f *Telegram) SlowChat(chat int64, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slowChat[chat] = d
}

// SetFileSize changes the size getFile reports for the document id (0:
// none), as a server that does not know it or a lying one.
func (f *Telegram) SetFileSize(id string, size int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	file := f.files[id]
	file.size = size
	f.files[id] = file
}
