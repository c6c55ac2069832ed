package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

// buildBinary builds accountbot from the repository root into a temporary
// directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "accountbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func binEnv(dir string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ACCOUNTBOT_DATA_DIR=" + dir, "ACCOUNTBOT_LANG=en", "ACCOUNTBOT_TZ=UTC"}
}

var (
	ackClient = regexp.MustCompile(`^Saved: (Crash \d+) is your client\.$`)
	ackLog    = regexp.MustCompile(`^Saved: conversation with (Crash \d+)\.$`)
)

// An acknowledged write survives kill -9: the real binary is fed a burst
// of /client add and /log through a pipe, killed in the middle, and
// restarted; every record it said "Saved" for is there, whole, and new
// records get ids never used before.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "console")
	cmd.Env = binEnv(dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w := bufio.NewWriter(stdin)
		for i := range 5000 {
			fmt.Fprintf(w, "/client add \"Crash %04d\" city=Sofia\n/log \"Crash %04d\": note %04d #call next: call back by 2026-12-31\n", i, i, i)
			if i%10 == 0 {
				if w.Flush() != nil {
					return // killed
				}
			}
		}
		w.Flush()
	}()
	clients, logs := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(stdout)
	killed := false
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if m := ackClient.FindStringSubmatch(line); m != nil {
			clients[m[1]] = true
		}
		if m := ackLog.FindStringSubmatch(line); m != nil {
			logs[m[1]] = true
		}
		if !killed && len(clients) == 200 {
			cmd.Process.Kill() // SIGKILL, in the middle of the burst
			killed = true
		}
	}
	io.Copy(io.Discard, stdout)
	cmd.Wait()
	if !killed {
		t.Fatalf("the burst ended before the kill: %d clients acknowledged", len(clients))
	}
	t.Logf("killed after %d clients and %d conversations acknowledged", len(clients), len(logs))

	ctx := context.Background()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatalf("reopening after kill -9: %v", err)
	}
	byName := map[string]*crm.Client{}
	var maxClient, maxConv uint64
	err = st.EachClient(ctx, func(c *crm.Client) bool {
		if byName[c.Name] != nil {
			t.Errorf("%s stored twice", c.Name)
		}
		byName[c.Name] = c
		maxClient = max(maxClient, c.ID)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range clients {
		c := byName[name]
		if c == nil {
			t.Errorf("acknowledged client %s is missing", name)
			continue
		}
		// Whole: the record, its indexes and its fields.
		if found, _ := st.FindClients(ctx, name, 1); len(found) != 1 || found[0].ID != c.ID || c.City != "Sofia" {
			t.Errorf("%s is not whole: %+v, found by name %v", name, c, found)
		}
	}
	for _, c := range byName {
		convs, err := st.Conversations(ctx, c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range convs {
			maxConv = max(maxConv, v.ID)
		}
		if logs[c.Name] && (len(convs) != 1 || !strings.HasPrefix(convs[0].Text, "note ")) {
			t.Errorf("acknowledged conversation with %s is missing: %v", c.Name, convs)
		}
		if len(convs) == 1 && c.NextStep == "" {
			t.Errorf("%s: the conversation is stored but not the next step it came with", c.Name)
		}
	}
	st.Close()

	// Restart: new records get new ids.
	after := exec.Command(bin, "console")
	after.Env = binEnv(dir)
	after.Stdin = strings.NewReader("/client add \"After Crash\"\n/log \"After Crash\": after the crash\n")
	if out, err := after.CombinedOutput(); err != nil || !strings.Contains(string(out), "Saved: conversation with After Crash.") {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	st, err = store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	found, _ := st.FindClients(ctx, "After Crash", 1)
	if len(found) != 1 || found[0].ID <= maxClient {
		t.Fatalf("new client %v: id not above %d", found, maxClient)
	}
	convs, _ := st.Conversations(ctx, found[0].ID, 0)
	if len(convs) != 1 || convs[0].ID <= maxConv {
		t.Errorf("new conversation %v: id not above %d", convs, maxConv)
	}
}
