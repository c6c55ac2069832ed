package slack_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"accountbot/internal/fakes"
)

const clientsFile = "name,city,phone\nAcme Ltd,Sofia,+359 2 1\n\"Beta, the best\",Plovdiv,\n"

// storedClients returns the names of the stored clients.
func (e *slackEnv) storedClients() []string {
	e.t.Helper()
	return fakes.ClientNames(e.t, e.store)
}

func TestSharedCSVImportsClients(t *testing.T) {
	for i, text := range []string{"", "here are my clients", "/import", "<@UBOT> /import"} {
		t.Run(fmt.Sprintf("text %q", text), func(t *testing.T) {
			e := newSlackEnv(t, envOpts{})
			file := e.fake.AddFile("clients.csv", []byte(clientsFile))
			resp := e.post("/slack/events", "application/json", fileShareEvent(fmt.Sprintf("EvF%d", i), headUser, text, file))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			c := e.fake.WaitMessage("Added: 2, updated: 0, unchanged: 0, rejected: 0.")
			if c.Method != "chat.postMessage" || c.Form.Get("channel") != "D"+headUser {
				t.Errorf("the import's answer went by %s to %q, want the DM", c.Method, c.Form.Get("channel"))
			}
			if got := strings.Join(e.storedClients(), "|"); got != "Acme Ltd|Beta, the best" {
				t.Errorf("stored clients = %q", got)
			}
			dl := e.fake.Called("file_download")
			if len(dl) != 1 || dl[0].Form.Get("authorization") != "Bearer xoxb-test" {
				t.Errorf("downloads = %+v", dl)
			}
		})
	}
}

func TestSharedFileRefusedBeforeDownload(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	big := e.fake.AddFile("big.csv", []byte("name\nAcme\n"))
	big["size"] = 20 << 20 // as Slack reports it
	e.post("/slack/events", "application/json", fileShareEvent("EvBig", headUser, "", big))
	e.fake.WaitMessage("larger than 16 MB")
	// Someone the bot does not know: refused, the file not fetched.
	e.post("/slack/events", "application/json", fileShareEvent("EvU", "U0123", "", e.fake.AddFile("x.csv", []byte("name\nSecret\n"))))
	e.fake.WaitMessage("slack:U0123")
	for _, c := range e.fake.Snapshot() {
		if c.Method == "file_download" || c.Method == "files.info" {
			t.Errorf("a refused file was fetched: %s %v", c.Method, c.Form)
		}
	}
	if got := e.storedClients(); len(got) != 0 {
		t.Errorf("clients stored from refused files: %q", got)
	}
	// Not a CSV file: no import, it waits to be attached to a client.
	photo := e.fake.AddFile("photo.jpg", []byte("\xff\xd8\xff"))
	photo["mimetype"] = "image/jpeg"
	e.post("/slack/events", "application/json", fileShareEvent("EvJpg", headUser, "", photo))
	e.fake.WaitMessage("Which client is photo.jpg")
}

func TestSharedFileWithoutURLsAsksFilesInfo(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	file := e.fake.AddFile("clients.csv", []byte(clientsFile))
	// Some workspaces send only the id ("file_access": "check_file_info").
	short := map[string]any{"id": file["id"], "file_access": "check_file_info"}
	e.post("/slack/events", "application/json", fileShareEvent("EvShort", headUser, "", short))
	e.fake.WaitMessage("Added: 2")
	if len(e.fake.Called("files.info")) != 1 || len(e.fake.Called("file_download")) != 1 {
		t.Errorf("want one files.info and one download:\n%s", dump(e.fake.Snapshot()))
	}
}

func TestSharedFileDownloadRefusedIsReported(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	file := e.fake.AddFile("clients.csv", []byte(clientsFile))
	e.fake.FailNext("file_download", 1, failure{Status: http.StatusInternalServerError})
	e.post("/slack/events", "application/json", fileShareEvent("EvFail", headUser, "", file))
	e.fake.WaitMessage("I could not fetch clients.csv; please send it again.")
	if got := e.storedClients(); len(got) != 0 {
		t.Errorf("clients stored from a file not fetched: %q", got)
	}
}

func TestLargeSharedImportEditsOneMessage(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	var b strings.Builder
	b.WriteString("name,city,notes\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "Client %05d,Sofia,%s\n", i, strings.Repeat("n", 60))
	}
	e.post("/slack/events", "application/json", fileShareEvent("EvMany", headUser, "", e.fake.AddFile("many.csv", []byte(b.String()))))
	e.fake.WaitMessage("Added: 5000")
	var progressTS string
	var updates []string
	for _, c := range e.fake.Messages() {
		switch {
		case c.Method == "chat.postMessage" && strings.Contains(c.Text(), "Importing many.csv: 0%"):
			progressTS = c.TS
		case c.Method == "chat.update":
			updates = append(updates, c.Form.Get("ts")+" "+c.Text())
		}
	}
	if progressTS == "" {
		t.Fatalf("no progress message:\n%s", dump(e.fake.Snapshot()))
	}
	if len(updates) == 0 || updates[len(updates)-1] != progressTS+" Importing many.csv: done." {
		t.Errorf("updates = %q, want the last to make message %s done", updates, progressTS)
	}
	for _, u := range updates {
		if !strings.HasPrefix(u, progressTS+" ") {
			t.Errorf("update %q is not of the progress message %s", u, progressTS)
		}
	}
}

func TestSharedFileTooLargeFoundWhileDownloading(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	file := e.fake.AddFile("huge.csv", []byte("name\n"+strings.Repeat("Client\n", (16<<20)/7+1)))
	file["size"] = 0 // Slack did not say
	e.post("/slack/events", "application/json", fileShareEvent("EvHuge", headUser, "", file))
	e.fake.WaitMessage("larger than 16 MB")
	if n := len(e.fake.Called("file_download")); n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
	if got := e.storedClients(); len(got) != 0 {
		t.Errorf("%d clients stored from a file too large", len(got))
	}
}
