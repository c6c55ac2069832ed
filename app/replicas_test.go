package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/internal/fakes"
	"accountbot/internal/pgtest"
	"accountbot/store"
)

// TestTwoReplicasShareTheWebhook runs two accountbot processes (the built
// binary) on one PostgreSQL database behind a make-believe load balancer
// in Telegram webhook mode.
//
//   - Both start together at a moment when three supervisors' daily
//     digests are due, and both run the scheduled jobs at start: each
//     digest goes out once in all. No webhook secret is configured: both
//     register the same generated one.
//   - A burst of updates is spread over both; some are delivered to both
//     (Telegram repeats an update it got no answer for).
//   - Replica 2 is killed with SIGKILL in the middle of the burst while it
//     is in the middle of five updates: their records are committed, their
//     replies on the way (the fake Telegram keeps them waiting) and the
//     webhook requests unanswered, so Telegram repeats them to replica 1,
//     which must find them handled (their replies died with replica 2).
//     The rest of replica 2's share goes to replica 1 as well.
//
// Every update is stored once and acknowledged at most once, and each
// one sent to replica 1 first is acknowledged (a share of all of them, as
// before, depended on how many replies replica 2 had in flight when it
// died, and failed CI on a loaded machine: 44 of the 45 asked for). The test
// fails when the delivery key is not written in the transaction of the
// first write (the held updates are then handled again), and when the
// digests' claim is not shared.
func TestTwoReplicasShareTheWebhook(t *testing.T) {
	url := pgtest.URL(t)
	const (
		n          = 60
		killAt     = 40 // the kill comes after this many updates are sent
		supervisor = 1990
	)
	// The updates replica 2 is in the middle of when it is killed.
	hold := map[int]string{}
	for i := 31; i < killAt; i += 2 {
		hold[2000+i] = fmt.Sprintf("Burst %03d", i)
	}
	fake := fakes.NewTelegram(t)
	for chat := range hold {
		// Long enough for the kill below, short enough that a reply
		// nobody waits for any more does not keep the fake from closing.
		fake.SlowChat(int64(chat), time.Minute)
	}
	bin := buildBinary(t)
	var hs []string
	for i := range n {
		hs = append(hs, fmt.Sprintf("telegram:%d", 2000+i))
	}
	heads := strings.Join(hs, ",")

	// The supervisors, appointed before 08:30 (their digests' time) on a
	// Tuesday; the replicas start after it.
	seed := exec.Command(bin, "console")
	seed.Env = append(binEnv(t.TempDir()), "ACCOUNTBOT_DATABASE_URL="+url, "ACCOUNTBOT_NOW=2026-03-03T07:00:00Z")
	var in strings.Builder
	in.WriteString("/client add Acme\n")
	for k := range 3 {
		fmt.Fprintf(&in, "/appoint telegram:%d supervisor \"Sup %d\"\n", supervisor+k, k)
	}
	seed.Stdin = strings.NewReader(in.String())
	if out, err := seed.CombinedOutput(); err != nil || strings.Count(string(out), "Sup ") < 3 {
		t.Fatalf("seeding: %v\n%s", err, out)
	}

	type replica struct {
		addr string
		cmd  *exec.Cmd
		out  *syncBuffer
	}
	launch := func() *replica {
		r := &replica{addr: freeAddr(t), out: &syncBuffer{}}
		r.cmd = exec.Command(bin, "run")
		r.cmd.Env = append(binEnv(t.TempDir()), "ACCOUNTBOT_DATABASE_URL="+url, "ACCOUNTBOT_HTTP_ADDR="+r.addr,
			"ACCOUNTBOT_NOW=2026-03-03T08:31:00Z",
			"ACCOUNTBOT_HEADS="+heads, "TELEGRAM_BOT_TOKEN="+fakes.TelegramToken, "TELEGRAM_API_URL="+fake.URL(),
			"TELEGRAM_WEBHOOK_URL=https://bot.example.com/tg/hook")
		r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
		return r
	}
	up := func(r *replica) {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get("http://" + r.addr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica did not come up:\n%s", r.out.String())
			}
		}
	}
	// Started together, so that both run the jobs at start at once.
	replicas := []*replica{launch(), launch()}
	up(replicas[0])
	up(replicas[1])
	sent := func(chat int) []string {
		var out []string
		for _, c := range fake.Sent(int64(chat)) {
			out = append(out, c.Params["text"])
		}
		return out
	}
	fake.WaitFor(t, 20*time.Second, "the digests", func() bool {
		return len(sent(supervisor)) > 0 && len(sent(supervisor+1)) > 0 && len(sent(supervisor+2)) > 0
	})
	// No TELEGRAM_WEBHOOK_SECRET: the replicas agree on a generated one
	// (Telegram sends the last one registered to either replica).
	fake.WaitFor(t, 20*time.Second, "both replicas register the webhook", func() bool { return len(fake.Calls("setWebhook")) == 2 })
	sw := fake.Calls("setWebhook")
	secret := sw[0].Params["secret_token"]
	if secret == "" || sw[1].Params["secret_token"] != secret {
		t.Fatalf("the replicas registered the webhook secrets %q and %q", secret, sw[1].Params["secret_token"])
	}
	st, err := store.Open(store.Options{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := func() map[string]int {
		count := map[string]int{}
		st.EachClient(context.Background(), func(c *crm.Client) bool {
			count[c.Name]++
			return true
		})
		return count
	}
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(r *replica, id int) bool {
		// Each from a chat of its own: Telegram paces the messages to one
		// chat, which would make the burst a queue.
		upd := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1767225600,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"Hristo"},"text":"/client add Burst %03d"}}`, 1000+id, id, 2000+id, 2000+id, id)
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/tg/hook", strings.NewReader(upd))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
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
	// firstTaken is which replica first acknowledged each update (-1:
	// neither yet).
	var takenMu sync.Mutex
	firstTaken := make([]int, n)
	for i := range firstTaken {
		firstTaken[i] = -1
	}
	take := func(i, r int) {
		takenMu.Lock()
		defer takenMu.Unlock()
		if firstTaken[i] < 0 {
			firstTaken[i] = r
		}
	}
	var wg sync.WaitGroup
	for i := range n {
		if i == killAt {
			// Mid-burst: replica 2 has committed the held updates and waits
			// on their replies; their webhook requests are unanswered.
			fake.WaitFor(t, 20*time.Second, "replica 2 commits the held updates", func() bool {
				have := stored()
				for _, name := range hold {
					if have[name] == 0 {
						return false
					}
				}
				return true
			})
			replicas[1].cmd.Process.Kill()
			for chat := range hold {
				fake.SlowChat(int64(chat), 0) // replica 1 answers at once
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := replicas[i%2]
			if !post(first, i) {
				// The load balancer (or Telegram, later) tries the other one.
				if !post(replicas[(i+1)%2], i) {
					t.Errorf("update %d was not taken by either replica", i)
				} else {
					take(i, (i+1)%2)
				}
			} else if take(i, i%2); i%5 == 0 {
				post(replicas[(i+1)%2], i) // delivered twice
			}
		}()
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	replicas[0].cmd.Process.Signal(os.Interrupt)
	replicas[0].cmd.Wait()

	count := stored()
	for i := range n {
		if name := fmt.Sprintf("Burst %03d", i); count[name] != 1 {
			t.Errorf("%s stored %d times", name, count[name])
		}
	}
	answered := 0
	for i := range n {
		chat := 2000 + i
		saved := 0
		for _, r := range sent(chat) {
			if strings.Contains(r, "exists") || strings.Contains(r, "already") {
				t.Errorf("update %d was handled twice: %q", i, r)
			}
			if strings.Contains(r, fmt.Sprintf("Burst %03d", i)) {
				saved++
			}
		}
		if saved > 1 {
			t.Errorf("Burst %03d acknowledged %d times", i, saved)
		}
		if _, ok := hold[chat]; ok && saved != 0 {
			t.Errorf("held update %d: acknowledged %d times after its replica died; its repeat must be found handled", i, saved)
		}
		if saved > 0 {
			answered++
		}
		// Replica 1 lives to the end and stops gracefully: what was sent
		// to it first and taken is answered. (What was sent to replica 2
		// first may have been committed there and lost its reply with
		// it: its repeat to replica 1 is then found handled.)
		if i%2 == 0 && firstTaken[i] == 0 && saved != 1 {
			t.Errorf("update %d, sent to replica 1 and taken, acknowledged %d times", i, saved)
		}
	}
	if answered < n/2 {
		t.Errorf("only %d of %d updates were answered", answered, n)
	}
	for k := range 3 {
		if got := sent(supervisor + k); len(got) != 1 {
			t.Errorf("supervisor %d got %d messages, want one digest: %q", k, len(got), got)
		}
	}
	if t.Failed() {
		t.Logf("replica 1:\n%s\nreplica 2:\n%s", replicas[0].out.String(), replicas[1].out.String())
	}
}
