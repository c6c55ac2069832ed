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

// pressCapture presses the button of rec whose label starts with label
// and that answers a "which client?" question.
func (e *captureEnv) pressCapture(who string, rec *bot.Recorder, label string) *bot.Recorder {
	e.T.Helper()
	for _, b := range chattest.Buttons(rec) {
		if strings.HasPrefix(b.Data, "/capture ") && strings.HasPrefix(b.Label, label) {
			return e.Press(who, b.Data, chattest.Chat("c"))
		}
	}
	e.T.Fatalf("no /capture button %q in %s", label, chattest.Render(rec))
	return nil
}

// A shared location asks which client, the clients of the town it is in
// first, and logs a #visit; the next free text is its outcome, the one
// after that a note again.
func TestLocationVisitAndOutcome(t *testing.T) {
	e := newCaptureEnv(t)
	e.say("console:admin", "/client add Acme city=Plovdiv")
	e.say("console:admin", "/client add Beta city=София")
	e.say("console:admin", "/log Acme: called")
	got := e.Serve(chattest.Message("console:admin", "", chattest.Chat("c"), func(m *bot.Message) {
		m.Location = &bot.Location{Lat: 42.6951, Lon: 23.3255}
	}))
	wantText(t, got, "visit at 42.695100, 23.325500")
	if b := chattest.Buttons(got); len(b) == 0 || !strings.HasPrefix(b[0].Label, "Beta") {
		t.Fatalf("the client in the town of the place should come first: %s", chattest.Render(got))
	}
	wantText(t, e.pressCapture("console:admin", got, "Beta"), "Saved: a #visit at Beta", "maps.google.com")
	wantText(t, e.say("console:admin", "They will order 40 pumps"), "the visit's outcome is on the #visit at Beta")
	convs, err := e.Store.Conversations(e.Ctx, e.Client("Beta").ID, 0)
	if err != nil || len(convs) != 1 || convs[0].Channels[0] != "visit" || !strings.Contains(convs[0].Text, "Outcome: They will order 40 pumps") {
		t.Fatalf("visit = %+v, %v", convs, err)
	}
	wantText(t, e.say("console:admin", "Beta called back"), "Nothing is saved until you confirm")
}

// Forwards close together are one conversation, marked as forwarded.
func TestForwardBurstLoggedAsOne(t *testing.T) {
	e := newCaptureEnv(t)
	e.say("console:admin", "/client add Acme")
	forward := func(text string) *bot.Recorder {
		return e.Serve(chattest.Message("console:admin", text, chattest.Chat("c"), func(m *bot.Message) {
			m.Forward = &bot.Forward{From: "Petar"}
		}))
	}
	wantText(t, forward("We need 20 more pumps"), "A forwarded message", "We need 20 more pumps")
	got := forward("by Friday, please")
	wantText(t, got, "2 forwarded messages")
	wantText(t, e.pressCapture("console:admin", got, "Acme"), "the forwarded text is a conversation with Acme")
	convs, err := e.Store.Conversations(e.Ctx, e.Client("Acme").ID, 0)
	if err != nil || len(convs) != 1 || !strings.Contains(convs[0].Text, "from Petar") || !strings.Contains(convs[0].Text, "We need 20 more pumps\nby Friday, please") {
		t.Fatalf("forward = %+v, %v", convs, err)
	}
}

// A file sent without a command waits for its client; the answer keeps
// it there, a cancelled one is dropped, and an old question is closed.
func TestFileWithoutCommandWaitsForItsClient(t *testing.T) {
	e := newCaptureEnv(t)
	e.say("console:admin", "/client add Acme")
	got := e.say("console:admin", "", fileOf(bot.KindPhoto, "", "image/jpeg", "jpeg"))
	wantText(t, got, "photo.jpg")
	wantText(t, e.pressCapture("console:admin", got, "Acme"), "A-1", "Acme")
	wantText(t, e.say("console:admin", "/client Acme"), "📎 A-1")
	wantText(t, e.pressCapture("console:admin", got, "Acme"), "no longer open")
	again := e.say("console:admin", "", fileOf(bot.KindDocument, "offer.pdf", "application/pdf", "%PDF"))
	wantText(t, e.pressCapture("console:admin", again, "Cancel"), "Cancelled: nothing was saved.")
	if _, err := e.Store.Attachment(e.Ctx, 2); !crm.IsNotFound(err) {
		t.Errorf("a cancelled file is still stored: %v", err)
	}
}
