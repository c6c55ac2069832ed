package app

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

// TestTelegramWebhookModeIsServed runs the program in Telegram webhook mode
// against a fake Bot API that is slow to answer getMe, and posts an update
// as soon as /healthz answers: the update is handled (200 and a reply), a
// wrong secret is refused, and setWebhook carries the URL and the secret.
func TestTelegramWebhookModeIsServed(t *testing.T) {
	var mu sync.Mutex
	calls := map[string][]map[string]any{}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		params := map[string]any{}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			if err := r.ParseMultipartForm(1 << 20); err == nil {
				for k, v := range r.MultipartForm.Value {
					params[k] = v[0]
				}
			}
		} else {
			_ = json.NewDecoder(r.Body).Decode(&params)
		}
		mu.Lock()
		calls[method] = append(calls[method], params)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch method {
		case "getMe":
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, `{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Acct","username":"acct_bot"}}`)
		case "sendMessage":
			io.WriteString(w, `{"ok":true,"result":{"message_id":7,"date":1767225600,"chat":{"id":100,"type":"private"}}}`)
		default:
			io.WriteString(w, `{"ok":true,"result":true}`)
		}
	}))
	defer fake.Close()
	p := startProgram(t, map[string]string{
		"ACCOUNTBOT_DATA_DIR":     t.TempDir(),
		"ACCOUNTBOT_HEADS":        "telegram:100",
		"TELEGRAM_BOT_TOKEN":      "123:secret-token",
		"TELEGRAM_API_URL":        fake.URL,
		"TELEGRAM_WEBHOOK_URL":    "https://bot.example.com/tg/hook",
		"TELEGRAM_WEBHOOK_SECRET": "hook-secret",
	})
	addr, stderr := p.addr, p.stderr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not come up: %v\n%s", err, stderr.String())
		}
	}
	post := func(secret string) int {
		upd := `{"update_id":501,"message":{"message_id":1,"date":1767225600,"chat":{"id":100,"type":"private"},"from":{"id":100,"is_bot":false,"first_name":"Hristo"},"text":"/client add Hook Trade"}}`
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/tg/hook", strings.NewReader(upd))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST webhook: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d, want 401", code)
	}
	if code := post("hook-secret"); code != http.StatusOK {
		t.Fatalf("update right after /healthz: status %d, want 200\n%s", code, stderr.String())
	}
	// The webhook is registered after the bot knows its name; the update
	// may have been handled before that call went out.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(calls["setWebhook"])
		mu.Unlock()
		if n > 0 {
			break
		}
	}
	p.stop()
	mu.Lock()
	defer mu.Unlock()
	var replies []string
	for _, p := range calls["sendMessage"] {
		replies = append(replies, p["text"].(string))
	}
	if len(replies) != 1 || !strings.Contains(replies[0], "Hook Trade") {
		t.Errorf("replies %q, want one about Hook Trade", replies)
	}
	if sw := calls["setWebhook"]; len(sw) != 1 || sw[0]["url"] != "https://bot.example.com/tg/hook" || sw[0]["secret_token"] != "hook-secret" {
		t.Errorf("setWebhook calls %v", sw)
	}
	if strings.Contains(stderr.String(), "secret-token") {
		t.Errorf("the bot token reached the log:\n%s", stderr.String())
	}
}
