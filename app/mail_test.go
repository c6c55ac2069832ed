package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"accountbot/internal/fakes"
	"accountbot/internal/mailtest"
	"accountbot/store"
)

// TestMailAndCalendarThroughTheProgram runs the program in Telegram webhook
// mode with an IMAP mailbox and an SMTP server on loopback: the calendar
// feed is served at the URL /calendar answers (and a made-up token is 404),
// client mail delivered to the mailbox lands once on the client, and neither
// the feed token nor a mail password reaches the log.
func TestMailAndCalendarThroughTheProgram(t *testing.T) {
	tg := fakes.NewTelegram(t)
	smtpSrv := mailtest.SMTP(t, "bot", "smtp-pass-9")
	imapSrv := mailtest.IMAP(t, true)
	dir := t.TempDir()
	p := startProgram(t, map[string]string{
		"ACCOUNTBOT_DATA_DIR":     dir,
		"ACCOUNTBOT_HEADS":        "telegram:100",
		"TELEGRAM_BOT_TOKEN":      fakes.TelegramToken,
		"TELEGRAM_API_URL":        tg.URL(),
		"TELEGRAM_WEBHOOK_URL":    "https://bot.example.com/tg/hook",
		"TELEGRAM_WEBHOOK_SECRET": "hook-secret",
		"ACCOUNTBOT_SMTP_URL":     smtpSrv.URL(),
		"ACCOUNTBOT_MAIL_FROM":    "crm@firm.bg",
		"ACCOUNTBOT_IMAP_URL":     imapSrv.URL(),
	})
	waitHealthy(t, p)
	post := func(id int, text string) {
		t.Helper()
		upd, _ := json.Marshal(map[string]any{"update_id": id, "message": map[string]any{"message_id": id, "date": 1767225600,
			"chat": map[string]any{"id": 100, "type": "private"}, "from": map[string]any{"id": 100, "is_bot": false, "first_name": "Hristo"}, "text": text}})
		req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/tg/hook", strings.NewReader(string(upd)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "hook-secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post(1, "/client add Acme email=ivan@acme.bg")
	post(2, "/calendar")
	imapSrv.Deliver(t, "From: Ivan <ivan@acme.bg>\nTo: crm@firm.bg\nSubject: Order 42\nMessage-ID: <o42@acme.bg>\nContent-Type: text/plain; charset=utf-8\n\nTen boxes, please.\n")
	feed := regexp.MustCompile(`http://` + regexp.QuoteMeta(p.addr) + `/calendar/([A-Za-z0-9_-]+)\.ics`)
	var tok string
	tg.WaitFor(t, 10*time.Second, "the feed URL", func() bool {
		for _, c := range tg.Calls("sendMessage") {
			if m := feed.FindStringSubmatch(c.Params["text"]); m != nil {
				tok = m[1]
			}
		}
		return tok != ""
	})
	get := func(path string) (int, string, string) {
		resp, err := http.Get("http://" + p.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	code, ct, body := get("/calendar/" + tok + ".ics")
	if code != http.StatusOK || !strings.HasPrefix(ct, "text/calendar") || !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") {
		t.Fatalf("feed: %d %s\n%s", code, ct, body)
	}
	if code, _, _ := get("/calendar/" + strings.Repeat("A", 43) + ".ics"); code != http.StatusNotFound {
		t.Fatalf("a made-up token: %d", code)
	}
	// The mail is read while the program runs; give it time to log.
	st := waitLogged(t, p, dir)
	defer st.Close()
	cs, err := st.ClientsByEmail(context.Background(), "ivan@acme.bg")
	if err != nil || len(cs) != 1 {
		t.Fatalf("client by e-mail: %v %v", cs, err)
	}
	convs, err := st.Conversations(context.Background(), cs[0].ID, 0)
	if err != nil || len(convs) != 1 || !strings.Contains(convs[0].Text, "Order 42") || !strings.Contains(convs[0].Text, "Ten boxes") {
		t.Fatalf("conversations %+v %v", convs, err)
	}
	log := p.stderr.String()
	for _, secret := range []string{tok, "smtp-pass-9", imapSrv.URL()} {
		if strings.Contains(log, secret) {
			t.Errorf("%q reached the log:\n%s", secret, log)
		}
	}
}

func waitHealthy(t *testing.T, p *runningProgram) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not come up: %v\n%s", err, p.stderr.String())
		}
	}
}

// waitLogged waits until the program's log says the e-mail was logged,
// stops the program and opens its store.
func waitLogged(t *testing.T, p *runningProgram, dir string) *store.Store {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stderr.String(), "e-mail logged"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the e-mail was not logged:\n%s", p.stderr.String())
		}
	}
	p.stop()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestConsoleCatchesUpWithTheMailbox: mail delivered while nothing ran is
// on the client's card at the console's first line, and a second console
// run logs it no second time.
func TestConsoleCatchesUpWithTheMailbox(t *testing.T) {
	dir := t.TempDir()
	imapSrv := mailtest.IMAP(t, false)
	v := vars(dir, "ACCOUNTBOT_IMAP_URL", imapSrv.URL())
	if code, out, errs := run(t, v, "/client add Acme email=ivan@acme.bg\n", "console"); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	imapSrv.Deliver(t, "From: Ivan <ivan@acme.bg>\nTo: crm@firm.bg\nSubject: Order 42\nMessage-ID: <o42@acme.bg>\nDate: Mon, 02 Mar 2026 08:00:00 +0000\n\nTen boxes, please.\n")
	for i := 0; i < 2; i++ {
		code, out, errs := run(t, v, "/client Acme\n", "console")
		if code != 0 || !strings.Contains(out, "Order 42") {
			t.Fatalf("run %d: exit %d\n%s\n%s", i, code, out, errs)
		}
	}
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, _ := st.ClientsByEmail(context.Background(), "ivan@acme.bg")
	if len(cs) != 1 {
		t.Fatalf("clients %v", cs)
	}
	if convs, _ := st.Conversations(context.Background(), cs[0].ID, 0); len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
}
