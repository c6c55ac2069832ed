package capture_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
)

// captureEnv is the shared chat environment (handlerstest) at Monday 2
// March 2026, 09:00 UTC, with a head (console:admin), a supervisor Sofia
// (telegram:10) with her manager Maria (telegram:11), and a manager Ivan
// (telegram:12) outside her team.
type captureEnv struct{ *handlerstest.Env }

func newCaptureEnv(t *testing.T) *captureEnv {
	t.Helper()
	e := &captureEnv{handlerstest.New(t, chattest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), TZ: time.UTC})}
	e.Appoint(
		`/appoint telegram:10 supervisor "Sofia Supervisor"`,
		`/appoint telegram:11 manager "Maria Manager" reports=@Sofia`,
		`/appoint telegram:12 manager "Ivan Other"`)
	return e
}

// say sends text with files from identity, in a chat of its own.
func (e *captureEnv) say(identity, text string, files ...bot.Attachment) *bot.Recorder {
	e.T.Helper()
	return e.Send(identity, text, chattest.Chat("c"), chattest.Files(files...))
}

func wantText(t *testing.T, rec *bot.Recorder, parts ...string) {
	t.Helper()
	chattest.Want(t, rec.Text(), parts...)
}

func fileOf(kind, name, mime, content string) bot.Attachment {
	return bot.Attachment{Kind: kind, Name: name, MIME: mime, Size: int64(len(content)), Open: func(context.Context) ([]byte, error) {
		return []byte(content), nil
	}}
}

// A file sent with /log is kept with the conversation, counted in the
// client's export and erased with the client.
func TestAttachmentExportedAndErased(t *testing.T) {
	e := newCaptureEnv(t)
	wantText(t, e.say("console:admin", "/client add Acme"), "Acme")
	wantText(t, e.say("console:admin", "/log Acme: signed the contract", fileOf(bot.KindDocument, "contract.pdf", "application/pdf", "%PDF signed")),
		"Attached contract.pdf (11 B) as A-1")
	acme := e.Client("Acme")
	js := e.say("console:admin", "/client export Acme")
	f := js.Replies[len(js.Replies)-1].File
	if f == nil || !strings.Contains(string(f.Data), `"attachments"`) || !strings.Contains(string(f.Data), "contract.pdf") {
		t.Fatalf("client export lacks the attachment: %+v", js.Replies)
	}
	back := e.say("console:admin", "/attachment A-1")
	if f := back.Replies[0].File; f == nil || string(f.Data) != "%PDF signed" || f.Name != "contract.pdf" {
		t.Fatalf("/attachment A-1: %+v", back.Replies)
	}
	wantText(t, e.say("console:admin", "/client forget #"+strconv.FormatUint(acme.ID, 10)+" confirm"), "attached files: 1")
	if _, err := e.Store.Attachment(context.Background(), 1); !crm.IsNotFound(err) {
		t.Errorf("the erased client's file is still stored: %v", err)
	}
	wantText(t, e.say("console:admin", "/attachment A-1"), "No attachment A-1")
}

// An attachment is seen only by those who see its client.
func TestAttachmentRights(t *testing.T) {
	e := newCaptureEnv(t)
	e.say("telegram:11", "/client add Acme")
	wantText(t, e.say("telegram:11", "/log Acme: photo of the damage", fileOf(bot.KindPhoto, "", "image/jpeg", "jpeg")), "Attached photo.jpg")
	for id, sees := range map[string]bool{"telegram:11": true, "telegram:10": true, "console:admin": true, "telegram:12": false} {
		got := e.say(id, "/attachment A-1")
		if gotFile := len(got.Replies) == 1 && got.Replies[0].File != nil; gotFile != sees {
			t.Errorf("%s: file sent %v, want %v: %s", id, gotFile, sees, got.Text())
		}
	}
}

// In Bulgarian: the Bulgarian command keeps the file, sizes use a decimal
// comma, and the card lists it.
func TestAttachmentInBulgarian(t *testing.T) {
	e := newCaptureEnv(t)
	e.say("console:admin", "/език bg")
	e.say("console:admin", "/клиент добави Акме")
	photo := strings.Repeat("x", 3<<19) // 1.5 MB
	wantText(t, e.say("console:admin", "/запиши Акме: счупени палети", fileOf(bot.KindPhoto, "", "image/jpeg", photo)),
		"Прикачен е photo.jpg (1,5 MB) като A-1")
	wantText(t, e.say("console:admin", "/клиент Акме"), "📎 A-1", "photo.jpg · 1,5 MB")
	wantText(t, e.say("console:admin", "/файл A-99"), "Няма прикачен файл A-99")
}
