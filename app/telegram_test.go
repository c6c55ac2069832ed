package app

import (
	"accountbot/internal/fakes"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTelegramWebhookModeIsServed runs the program in Telegram webhook mode
// against a fake Bot API that is slow to answer getMe, and posts an update
// as soon as /healthz answers: the update is handled (200 and a reply), a
// wrong secret is refused, and setWebhook carries the URL and the secret.
func TestTelegramWebhookModeIsServed(t *testing.T) {
	fake := fakes.NewTelegram(t)
	fake.Slow("getMe", 300*time.Millisecond)
	p := startProgram(t, map[string]string{
		"ACCOUNTBOT_DATA_DIR":     t.TempDir(),
		"ACCOUNTBOT_HEADS":        "telegram:100",
		"TELEGRAM_BOT_TOKEN":      fakes.TelegramToken,
		"TELEGRAM_API_URL":        fake.URL(),
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
	fake.WaitFor(t, 10*time.Second, "setWebhook", func() bool { return len(fake.Calls("setWebhook")) > 0 })
	p.stop()
	var replies []string
	for _, c := range fake.Calls("sendMessage") {
		replies = append(replies, c.Params["text"])
	}
	if len(replies) != 1 || !strings.Contains(replies[0], "Hook Trade") {
		t.Errorf("replies %q, want one about Hook Trade", replies)
	}
	if sw := fake.Calls("setWebhook"); len(sw) != 1 || sw[0].Params["url"] != "https://bot.example.com/tg/hook" || sw[0].Params["secret_token"] != "hook-secret" {
		t.Errorf("setWebhook calls %v", sw)
	}
	if strings.Contains(stderr.String(), strings.SplitN(fakes.TelegramToken, ":", 2)[1]) {
		t.Errorf("the bot token reached the log:\n%s", stderr.String())
	}
}
