package app

import (
	"accountbot/internal/fakes"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSlackHTTPModeIsServed runs the program with Slack configured for HTTP
// mode against a fake Web API and checks that Slack's URL verification is
// answered on ACCOUNTBOT_HTTP_ADDR, and that the program stops cleanly.
func TestSlackHTTPModeIsServed(t *testing.T) {
	fake := fakes.NewSlack(t)
	p := startProgram(t, map[string]string{
		"ACCOUNTBOT_DATA_DIR":  t.TempDir(),
		"SLACK_BOT_TOKEN":      fakes.SlackToken,
		"SLACK_SIGNING_SECRET": "secret",
		"SLACK_API_URL":        strings.TrimSuffix(fake.APIURL(), "/"), // the final "/" is added
	})
	addr, stderr := p.addr, p.stderr
	var err error
	body := []byte(`{"type":"url_verification","challenge":"abc123"}`)
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err = http.DefaultClient.Do(signedSlackEvent(addr, body))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the HTTP server did not come up: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(got), "abc123") {
		t.Errorf("url_verification: %d %s", resp.StatusCode, got)
	}
	// Health and metrics are served beside the adapter.
	for path, want := range map[string]string{"/healthz": "ok", "/metrics": "accountbot_commands_total"} {
		if path == "/metrics" {
			// A handled command makes the counter appear.
			dm := []byte(`{"type":"event_callback","event_id":"EvM1","event":{"type":"message","channel_type":"im","channel":"D1","user":"U1","text":"help","ts":"1.1"}}`)
			if r, err := http.DefaultClient.Do(signedSlackEvent(addr, dm)); err == nil {
				r.Body.Close()
			}
		}
		var body string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			r, err := http.Get("http://" + addr + path)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			body = string(b)
			if r.StatusCode == 200 && strings.Contains(body, want) || time.Now().After(deadline) {
				break
			}
		}
		if !strings.Contains(body, want) {
			t.Errorf("GET %s lacks %q:\n%.500s", path, want, body)
		}
	}
	p.stop()
	var methods []string
	for _, c := range fake.Snapshot() {
		methods = append(methods, c.Method)
	}
	if len(methods) == 0 || methods[0] != "auth.test" {
		t.Errorf("the adapter should check its token against SLACK_API_URL first; calls: %v", methods)
	}
}

// signedSlackEvent is a POST of body to the Slack events route at addr,
// signed now with the signing secret "secret" as Slack signs it.
func signedSlackEvent(addr string, body []byte) *http.Request {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte("secret"))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/events", bytes.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	return req
}
