package telegram

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"accountbot/dates"
	"accountbot/internal/fakes"
)

// sendFile sends a document from u (the size Telegram reports is the
// file's), waits until the update is handled and returns what the bot sent
// to the chat meanwhile.
func (e *tgEnv) sendFile(u tgUser, name, mimeType, data, caption string) []apiCall {
	e.t.Helper()
	fileID := e.api.AddFile(name, []byte(data))
	return e.sendDoc(u, fileID, name, mimeType, int64(len(data)), caption)
}

func (e *tgEnv) sendDoc(u tgUser, fileID, name, mimeType string, size int64, caption string) []apiCall {
	e.t.Helper()
	before := len(e.api.Sent(u.ID))
	id := e.api.Push(documentUpdate(u, fileID, name, mimeType, size, caption))
	e.api.WaitHandled(e.t, id)
	return e.api.Sent(u.ID)[before:]
}

// clientNames returns the names of the stored clients, sorted.
func (e *tgEnv) clientNames() []string {
	e.t.Helper()
	return fakes.ClientNames(e.t, e.store)
}

func TestDocumentImportsClients(t *testing.T) {
	const file = "name,city,phone\nAcme Ltd,Sofia,+359 2 1\n\"Beta, the best\",Plovdiv,\n"
	for _, caption := range []string{"", "/import", "my clients for March"} {
		t.Run(fmt.Sprintf("caption %q", caption), func(t *testing.T) {
			e := newTelegramEnv(t)
			got := text(e.sendFile(head, "clients.csv", "text/csv", file, caption))
			mustContain(t, got, "clients.csv", "Added: 2, updated: 0, unchanged: 0, rejected: 0.")
			if names := strings.Join(e.clientNames(), "|"); names != "Acme Ltd|Beta, the best" {
				t.Errorf("stored clients = %q", names)
			}
			mustContain(t, text(e.say(head, "/clients")), "Acme Ltd", "Beta, the best")
			if n := len(e.api.Calls("getFile")); n != 1 {
				t.Errorf("getFile called %d times, want 1", n)
			}
			dl := e.api.Calls("download")
			if len(dl) != 1 || dl[0].Status != http.StatusOK || !strings.HasSuffix(dl[0].Params["path"], "clients.csv") {
				t.Errorf("downloads = %+v", dl)
			}
		})
	}
}

func TestDocumentRefusedWithoutDownload(t *testing.T) {
	e := newTelegramEnv(t)
	// 20 MB as Telegram reports it: refused before getFile.
	big := e.api.AddFile("big.csv", []byte("name\nAcme\n"))
	mustContain(t, text(e.sendDoc(head, big, "big.csv", "text/csv", 20<<20, "")), "larger than 16 MB", "nothing was imported")
	// Someone unknown: refused with their identity, the file untouched.
	stranger := tgUser{ID: 777, Name: "Stranger"}
	mustContain(t, text(e.sendFile(stranger, "clients.csv", "text/csv", "name\nSecret\n", "")), "telegram:777")
	if n := len(e.api.Calls("getFile", "download")); n != 0 {
		t.Errorf("%d getFile/download calls for refused files", n)
	}
	// Not a CSV file: no import, it waits to be attached to a client.
	mustContain(t, text(e.sendFile(head, "photo.jpg", "image/jpeg", "\xff\xd8\xff", "")), "Which client is photo.jpg")
	if names := e.clientNames(); len(names) != 0 {
		t.Errorf("clients stored from refused files: %q", names)
	}
}

func TestDocumentTooLargeFoundWhileDownloading(t *testing.T) {
	e := newTelegramEnv(t)
	// Neither the message nor getFile says the size: the download stops
	// one byte past 16 MB.
	data := "name\n" + strings.Repeat("Client\n", (16<<20)/7+1)
	id := e.api.AddFile("huge.csv", []byte(data))
	e.api.SetFileSize(id, 0)
	mustContain(t, text(e.sendDoc(head, id, "huge.csv", "text/csv", 0, "")), "larger than 16 MB")
	if n := len(e.api.Calls("download")); n != 1 {
		t.Errorf("%d downloads, want 1 (a refused file is not fetched again)", n)
	}
	if names := e.clientNames(); len(names) != 0 {
		t.Errorf("%d clients stored from a file too large", len(names))
	}
}

func TestDocumentDownloadFailureIsReported(t *testing.T) {
	e := newTelegramEnv(t)
	// A file_id the server does not know (getFile answers 400).
	got := text(e.sendDoc(head, "gone", "clients.csv", "text/csv", 20, ""))
	mustContain(t, got, "I could not fetch clients.csv; please send it again.")
	if strings.Contains(e.logs.String(), fakeToken) {
		t.Error("the bot token is in the log")
	}
}

func TestLargeImportShowsProgressInOneEditedMessage(t *testing.T) {
	// A clock a second later at every reading, so that the import shows
	// its progress after every batch.
	clock := dates.NewManualClock(time.Date(2026, 3, 2, 9, 0, 1, 0, time.UTC))
	clock.SetStep(time.Second)
	e := newTelegramEnv(t, func(c *envConfig) { c.clock = clock })
	var b strings.Builder
	b.WriteString("name,city,notes\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "Client %05d,Sofia,%s\n", i, strings.Repeat("n", 60))
	}
	got := e.sendFile(head, "many.csv", "text/csv", b.String(), "")
	var progress apiCall
	for _, c := range got {
		if c.Method == "sendMessage" && strings.Contains(c.Params["text"], "Importing many.csv: 0%") {
			progress = c
		}
	}
	if progress.MsgID == 0 {
		t.Fatalf("no progress message; sent:\n%s", text(got))
	}
	var edits []string
	for _, c := range got {
		if c.Method == "editMessageText" {
			if c.Params["message_id"] != fmt.Sprint(progress.MsgID) {
				t.Errorf("edited message %s, want the progress message %d", c.Params["message_id"], progress.MsgID)
			}
			edits = append(edits, visible(c.Params["text"]))
		}
	}
	if len(edits) < 3 || !strings.Contains(edits[0], "%") || edits[len(edits)-1] != "Importing many.csv: done." {
		t.Errorf("progress edits = %q", edits)
	}
	mustContain(t, text(got), "Added: 5000, updated: 0, unchanged: 0, rejected: 0.")
	if n := len(e.api.Calls("sendMessage")); n > 4 {
		t.Errorf("%d messages sent for one import; progress should edit one message", n)
	}
}
