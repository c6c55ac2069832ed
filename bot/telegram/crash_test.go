package telegram

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"accountbot/store"
)

// TestCrashDuringBurst runs the real binary against the fake Bot API, kills
// it with SIGKILL in the middle of a burst of 200 /log updates, starts it
// again and checks that every update's conversation is stored exactly once.
// The updates come from 50 heads in 50 chats, so that Telegram's pacing
// (one message a second per chat, thirty in all) lets the burst finish in
// about seven seconds; the kill comes after 60 replies, with more than
// half of the burst still to come.
func TestCrashDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "accountbot")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	api := newFakeAPI(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	const chats, perChat = 50, 4
	users := make([]tgUser, chats)
	var heads []string
	for i := range users {
		users[i] = tgUser{ID: int64(5001 + i), Name: fmt.Sprintf("Head %02d", i+1)}
		heads = append(heads, fmt.Sprintf("telegram:%d", users[i].ID))
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCOUNTBOT_") && !strings.HasPrefix(kv, "TELEGRAM_") && !strings.HasPrefix(kv, "SLACK_") && !strings.HasPrefix(kv, "OPENAI_") {
			env = append(env, kv)
		}
	}
	env = append(env, "TELEGRAM_BOT_TOKEN="+fakeToken, "TELEGRAM_API_URL="+api.URL(),
		"ACCOUNTBOT_HEADS="+strings.Join(heads, ","), "ACCOUNTBOT_DATA_DIR="+dataDir,
		"ACCOUNTBOT_HTTP_ADDR=127.0.0.1:0", "ACCOUNTBOT_LANG=en", "ACCOUNTBOT_TZ=UTC")
	logs := &syncBuffer{}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	defer func() {
		if t.Failed() {
			t.Logf("bot output:\n%s", logs.String())
		}
	}()

	var last int64
	for i, u := range users {
		last = api.Say(u, fmt.Sprintf("/client add \"Crash %02d\"", i+1))
	}
	first := start()
	defer first.Process.Kill()
	api.WaitFor(t, 20*time.Second, "the clients to be created", func() bool { return api.ConfirmedPast(last) })

	for n := 0; n < chats*perChat; n++ {
		i := n % chats
		last = api.Say(users[i], fmt.Sprintf("/log Crash %02d: burst %03d", i+1, n))
	}
	saved := func() int {
		n := 0
		for _, c := range api.Calls("sendMessage") {
			if strings.HasPrefix(c.Params["text"], "Saved: conversation") {
				n++
			}
		}
		return n
	}
	api.WaitFor(t, 20*time.Second, "a part of the burst", func() bool { return saved() >= 60 })
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	if api.ConfirmedPast(last) {
		t.Fatal("the burst was over before the kill; the test tests nothing")
	}
	t.Logf("killed after %d of %d replies", saved(), chats*perChat)

	second := start()
	defer second.Process.Kill()
	api.WaitFor(t, 40*time.Second, "the rest of the burst", func() bool { return api.ConfirmedPast(last) })
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- second.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("graceful stop: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the bot did not stop on SIGTERM")
	}

	st, err := store.Open(store.Options{Dir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	count := map[string]int{}
	burst := regexp.MustCompile(`^burst \d{3}$`)
	for i := range users {
		name := fmt.Sprintf("Crash %02d", i+1)
		cs, err := st.FindClients(ctx, name, 2)
		if err != nil || len(cs) != 1 {
			t.Fatalf("client %s: %v %v", name, cs, err)
		}
		convs, err := st.Conversations(ctx, cs[0].ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range convs {
			if !burst.MatchString(c.Text) {
				t.Errorf("unexpected conversation %q", c.Text)
			}
			count[c.Text]++
		}
	}
	for n := 0; n < chats*perChat; n++ {
		if k := fmt.Sprintf("burst %03d", n); count[k] != 1 {
			t.Errorf("%s stored %d times, want once", k, count[k])
		}
	}
}
