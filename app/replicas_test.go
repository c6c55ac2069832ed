package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/internal/pgtest"
	"accountbot/store"
)

// TestTwoReplicasShareTheWebhook runs two accountbot processes (the built
// binary) on one PostgreSQL database behind a make-believe load balancer
// in Telegram webhook mode. Updates are spread over both, some are
// delivered to both (Telegram repeats an update it got no answer for), and
// one replica is killed with SIGKILL in the middle of the burst, its share
// going to the other: every update is handled, none twice.
func TestTwoReplicasShareTheWebhook(t *testing.T) {
	url := pgtest.URL(t)
	var mu sync.Mutex
	var replies []string
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
		w.Header().Set("Content-Type", "application/json")
		switch method {
		case "getMe":
			io.WriteString(w, `{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Acct","username":"acct_bot"}}`)
		case "sendMessage":
			mu.Lock()
			replies = append(replies, fmt.Sprint(params["text"]))
			mu.Unlock()
			io.WriteString(w, `{"ok":true,"result":{"message_id":7,"date":1767225600,"chat":{"id":100,"type":"private"}}}`)
		default:
			io.WriteString(w, `{"ok":true,"result":true}`)
		}
	}))
	defer fake.Close()
	bin := buildBinary(t)
	const n = 60
	var hs []string
	for i := range n {
		hs = append(hs, fmt.Sprintf("telegram:%d", 2000+i))
	}
	heads := strings.Join(hs, ",")
	type replica struct {
		addr string
		cmd  *exec.Cmd
		out  *syncBuffer
	}
	start := func() *replica {
		r := &replica{addr: freeAddr(t), out: &syncBuffer{}}
		r.cmd = exec.Command(bin, "run")
		r.cmd.Env = append(binEnv(t.TempDir()), "ACCOUNTBOT_DATABASE_URL="+url, "ACCOUNTBOT_HTTP_ADDR="+r.addr,
			"ACCOUNTBOT_HEADS="+heads, "TELEGRAM_BOT_TOKEN=123:secret-token", "TELEGRAM_API_URL="+fake.URL,
			"TELEGRAM_WEBHOOK_URL=https://bot.example.com/tg/hook", "TELEGRAM_WEBHOOK_SECRET=hook-secret")
		r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get("http://" + r.addr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return r
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica did not come up:\n%s", r.out.String())
			}
		}
	}
	replicas := []*replica{start(), start()}
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(r *replica, id int) bool {
		// Each from a chat of its own: Telegram paces the messages to one
		// chat, which would make the burst a queue.
		upd := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1767225600,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"Hristo"},"text":"/client add Burst %03d"}}`, 1000+id, id, 2000+id, 2000+id, id)
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/tg/hook", strings.NewReader(upd))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "hook-secret")
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Logf("update %d: status %d", id, resp.StatusCode)
		}
		return resp.StatusCode == http.StatusOK
	}
	var wg sync.WaitGroup
	for i := range n {
		if i == n/2 {
			replicas[1].cmd.Process.Kill() // mid-burst, requests in flight
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := replicas[i%2]
			if !post(first, i) {
				// The load balancer (or Telegram, later) tries the other one.
				if !post(replicas[(i+1)%2], i) {
					t.Errorf("update %d was not taken by either replica", i)
				}
			} else if i%5 == 0 {
				post(replicas[(i+1)%2], i) // delivered twice
			}
		}()
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	replicas[0].cmd.Process.Signal(os.Interrupt)
	replicas[0].cmd.Wait()

	st, err := store.Open(store.Options{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := map[string]int{}
	st.EachClient(context.Background(), func(c *crm.Client) bool {
		count[c.Name]++
		return true
	})
	for i := range n {
		if name := fmt.Sprintf("Burst %03d", i); count[name] != 1 {
			t.Errorf("%s stored %d times", name, count[name])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	saved := map[string]int{}
	for _, r := range replies {
		if strings.Contains(r, "exists") || strings.Contains(r, "already") {
			t.Errorf("an update was handled twice: %q", r)
		}
		for i := range n {
			if name := fmt.Sprintf("Burst %03d", i); strings.Contains(r, name) {
				saved[name]++
			}
		}
	}
	for name, k := range saved {
		if k > 1 {
			t.Errorf("%s acknowledged %d times", name, k)
		}
	}
	if len(saved) < n*3/4 {
		t.Errorf("only %d of %d updates were answered", len(saved), n)
	}
	if t.Failed() {
		t.Logf("replica 1:\n%s\nreplica 2:\n%s", replicas[0].out.String(), replicas[1].out.String())
	}
}
