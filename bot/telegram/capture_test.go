package telegram

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/handlers"
	"accountbot/internal/fakewhisper"
	"accountbot/llm"
)

// withTranscriber gives the handlers a transcriber on the fake server.
func withTranscriber(f *fakewhisper.Server) func(*envConfig) {
	return func(c *envConfig) {
		c.svcOpts = append(c.svcOpts, handlers.WithTranscriber(llm.New(llm.Config{
			APIKey: "sk-test", BaseURL: f.BaseURL(), TranscribeModel: "whisper-large", Retries: -1,
		})))
	}
}

// sendMsg pushes a private message from u with the extra fields given,
// waits until it is handled and returns what the bot sent meanwhile.
func (e *tgEnv) sendMsg(u tgUser, fields map[string]any) []apiCall {
	e.t.Helper()
	before := len(e.api.Sent(u.ID))
	id := e.api.Push(func(id int64) map[string]any {
		msg := map[string]any{"message_id": int(id) + 10, "date": 1767225600, "chat": chatJSON(u.ID, "private"), "from": u.JSON()}
		for k, v := range fields {
			msg[k] = v
		}
		return map[string]any{"update_id": id, "message": msg}
	})
	e.api.WaitHandled(e.t, id)
	return e.api.Sent(u.ID)[before:]
}

// pressIn presses the button of calls whose data starts with prefix, and
// returns what the bot sent meanwhile.
func (e *tgEnv) pressIn(u tgUser, calls []apiCall, prefix string) []apiCall {
	e.t.Helper()
	for _, c := range calls {
		for _, row := range keyboard(c) {
			for _, b := range row {
				data := b.CallbackData
				if strings.HasPrefix(data, tokenPrefix) {
					full, err := e.store.Token(context.Background(), data)
					if err != nil {
						e.t.Fatal(err)
					}
					if !strings.HasPrefix(full, prefix) {
						continue
					}
				} else if !strings.HasPrefix(data, prefix) {
					continue
				}
				before := len(e.api.Sent(u.ID))
				id := e.api.Press(u.ID, "private", u, c.MsgID, data)
				e.api.WaitHandled(e.t, id)
				return e.api.Sent(u.ID)[before:]
			}
		}
	}
	e.t.Fatalf("no button %q in:\n%s", prefix, text(calls))
	return nil
}

// waitSent waits until the bot sent u a message containing want (work
// that goes on after the update, such as a transcription).
func (e *tgEnv) waitSent(u tgUser, want string) []apiCall {
	e.t.Helper()
	var found []apiCall
	e.api.WaitFor(e.t, 10*time.Second, "a message with "+want, func() bool {
		for _, c := range e.api.Sent(u.ID) {
			if strings.Contains(visible(c.Params["text"]), want) {
				found = []apiCall{c}
				return true
			}
		}
		return false
	})
	return found
}

func (e *tgEnv) conversations(t *testing.T, name string) []*crm.Conversation {
	t.Helper()
	cs, err := e.store.FindClients(context.Background(), name, 1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("client %s: %v %v", name, cs, err)
	}
	convs, err := e.store.Conversations(context.Background(), cs[0].ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return convs
}

func voiceMsg(fileID string, seconds int, size int64) map[string]any {
	return map[string]any{"voice": map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "duration": seconds, "mime_type": "audio/ogg", "file_size": size}}
}

// A voice note is downloaded, sent to the transcription server, shown and
// read as a typed note: a proposal with Confirm, and nothing is written
// before Confirm.
func TestVoiceNoteTranscribedThenConfirmed(t *testing.T) {
	whisper := fakewhisper.New(t, "Met Acme today, they want a discount on pumps")
	e := newTelegramEnv(t, withTranscriber(whisper))
	e.say(head, "/client add Acme city=Sofia")
	audio := []byte("OggS fake opus bytes")
	got := e.sendMsg(head, voiceMsg(e.api.AddFile("voice/file_1.oga", audio), 7, int64(len(audio))))
	mustContain(t, text(got), "Transcribing")
	proposal := e.waitSent(head, "Nothing is saved until you confirm")
	mustContain(t, text(proposal), "Acme")
	calls := whisper.Calls()
	if len(calls) != 1 || !bytes.Equal(calls[0].Audio, audio) || calls[0].Model != "whisper-large" || calls[0].Language != "en" || calls[0].Auth != "Bearer sk-test" {
		t.Fatalf("transcription requests = %+v", calls)
	}
	if n := len(e.conversations(t, "Acme")); n != 0 {
		t.Fatalf("%d conversations before Confirm", n)
	}
	mustContain(t, text(e.pressIn(head, proposal, "/note ok")), "Saved")
	convs := e.conversations(t, "Acme")
	if len(convs) != 1 || !strings.Contains(convs[0].Text, "discount on pumps") {
		t.Fatalf("conversations after Confirm = %+v", convs)
	}
}

// A voice note over ten minutes is refused before anything is fetched;
// without a transcription server the bot says so and offers to keep it.
func TestVoiceNoteLimitsAndNoServer(t *testing.T) {
	whisper := fakewhisper.New(t, "x")
	e := newTelegramEnv(t, withTranscriber(whisper))
	got := e.sendMsg(head, voiceMsg(e.api.AddFile("long.oga", []byte("x")), 11*60, 1))
	mustContain(t, text(got), "too long")
	if n := len(e.api.Calls("getFile", "download")); n != 0 || len(whisper.Calls()) != 0 {
		t.Errorf("a refused voice note was fetched (%d) or sent (%d)", n, len(whisper.Calls()))
	}

	plain := newTelegramEnv(t)
	plain.say(head, "/client add Acme")
	got = plain.sendMsg(head, voiceMsg(plain.api.AddFile("v.oga", []byte("OggS")), 5, 4))
	mustContain(t, text(got), "no transcription server is configured", "Which client is voice.ogg")
	mustContain(t, text(plain.pressIn(head, got, "/capture ")), "kept with Acme as A-")
}

// A photo whose caption is /log attaches it to the conversation; the card
// lists it and its button sends it back.
func TestPhotoWithCaptionAttachesToConversation(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	jpeg := bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 300)
	small := e.api.AddFile("photos/small.jpg", jpeg[:10])
	large := e.api.AddFile("photos/large.jpg", jpeg)
	got := e.sendMsg(head, map[string]any{
		"caption": "/log Acme: pallets arrived broken #visit",
		"photo": []map[string]any{
			{"file_id": small, "file_unique_id": "s", "width": 90, "height": 90, "file_size": 10},
			{"file_id": large, "file_unique_id": "l", "width": 1280, "height": 960, "file_size": len(jpeg)},
		},
	})
	mustContain(t, text(got), "Saved", "Attached photo.jpg (1 KB) as A-1")
	card := e.say(head, "/client Acme")
	mustContain(t, text(card), "A-1", "photo.jpg", "Hristo")
	back := e.pressIn(head, card, "/attachment A-1")
	docs := e.api.Calls("sendDocument")
	if len(docs) != 1 || !bytes.Equal(docs[0].Files["document"], jpeg) || docs[0].Params["document.filename"] != "photo.jpg" {
		t.Fatalf("sendDocument = %+v (replies %s)", docs, text(back))
	}
	// A claim with a file: its card lists it.
	got = e.sendFile(head, "contract.pdf", "application/pdf", "%PDF-1.7 signed", "/claim Acme: wrong invoice severity=high")
	mustContain(t, text(got), "C-1", "Attached contract.pdf")
	mustContain(t, text(e.say(head, "/claim C-1")), "A-2", "contract.pdf")
	// Too large: refused before download, nothing logged.
	before := len(e.conversations(t, "Acme"))
	big := e.api.AddFile("big.jpg", []byte("x"))
	got = e.sendMsg(head, map[string]any{"caption": "/log Acme: huge", "photo": []map[string]any{{"file_id": big, "file_unique_id": "b", "width": 9000, "height": 9000, "file_size": 21 << 20}}})
	mustContain(t, text(got), "too large")
	if after := len(e.conversations(t, "Acme")); after != before {
		t.Errorf("a refused photo logged a conversation")
	}
}

// A photo without a caption asks which client; the answer files it.
func TestPhotoWithoutCaptionAsksWhichClient(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	e.say(head, "/client add Beta")
	e.say(head, "/log Beta: called")
	id := e.api.AddFile("p.jpg", []byte("\xff\xd8\xff"))
	got := e.sendMsg(head, map[string]any{"photo": []map[string]any{{"file_id": id, "file_unique_id": "p", "width": 10, "height": 10, "file_size": 3}}})
	mustContain(t, text(got), "Which client is photo.jpg")
	rows := keyboard(got[len(got)-1])
	if len(rows) < 3 || !strings.HasPrefix(rows[0][0].Text, "Beta") {
		t.Fatalf("the client touched last should come first: %+v", rows)
	}
	mustContain(t, text(e.pressIn(head, got, "/capture ")), "kept with Beta as A-1")
	mustContain(t, text(e.say(head, "/client Beta")), "A-1")
}

// A shared location starts a visit: which client, then a #visit with the
// place and a map link, then the optional outcome.
func TestLocationLogsVisit(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme city=Plovdiv")
	e.say(head, "/client add Beta city=София")
	e.say(head, "/log Acme: called")
	got := e.sendMsg(head, map[string]any{"location": map[string]any{"latitude": 42.6951, "longitude": 23.3255, "live_period": 900}})
	mustContain(t, text(got), "visit at 42.695100, 23.325500")
	rows := keyboard(got[len(got)-1])
	if len(rows) == 0 || !strings.HasPrefix(rows[0][0].Text, "Beta") {
		t.Fatalf("the client in the town of the place should come first: %+v", rows)
	}
	saved := e.pressIn(head, got, "/capture ")
	mustContain(t, text(saved), "Saved: a #visit at Beta", "maps.google.com")
	convs := e.conversations(t, "Beta")
	if len(convs) != 1 || len(convs[0].Channels) != 1 || convs[0].Channels[0] != "visit" || !strings.Contains(convs[0].Text, "https://maps.google.com/?q=42.695100,23.325500") {
		t.Fatalf("visit = %+v", convs)
	}
	mustContain(t, text(e.say(head, "They will order 40 pumps")), "outcome")
	if convs := e.conversations(t, "Beta"); !strings.Contains(convs[0].Text, "Outcome: They will order 40 pumps") {
		t.Fatalf("outcome not on the visit: %q", convs[0].Text)
	}
	// The next free text is a note again.
	mustContain(t, text(e.say(head, "Beta called back")), "Nothing is saved until you confirm")
}

// A forwarded message is offered for logging and logged, marked as
// forwarded with its original date.
func TestForwardLoggedAsConversation(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	got := e.sendMsg(head, map[string]any{
		"text":           "We need 20 more pumps by Friday",
		"forward_origin": map[string]any{"type": "user", "date": 1764590400, "sender_user": map[string]any{"id": 5, "is_bot": false, "first_name": "Petar"}},
	})
	mustContain(t, text(got), "forwarded message", "We need 20 more pumps")
	mustContain(t, text(e.pressIn(head, got, "/capture ")), "forwarded text is a conversation with Acme")
	convs := e.conversations(t, "Acme")
	if len(convs) != 1 || !strings.Contains(convs[0].Text, "Forwarded (from Petar, 2025-12-01 12:00)") || !strings.Contains(convs[0].Text, "We need 20 more pumps by Friday") {
		t.Fatalf("forward = %+v", convs)
	}
}

// A shared contact becomes a client's contact with one tap.
func TestContactAddedToClient(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	got := e.sendMsg(head, map[string]any{"contact": map[string]any{"phone_number": "+359888123456", "first_name": "Ivan", "last_name": "Petrov"}})
	mustContain(t, text(got), "Ivan Petrov, +359888123456")
	e.pressIn(head, got, "/client edit #")
	mustContain(t, text(e.say(head, "/client Acme")), "Ivan Petrov", "+359888123456")
}

// A server of the Bot API before 7.0 marks forwards with forward_date and
// forward_from: they are read as well.
func TestLegacyForwardFields(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	got := e.sendMsg(head, map[string]any{
		"text":         "Please call me",
		"forward_date": 1764590400,
		"forward_from": map[string]any{"id": 6, "is_bot": false, "first_name": "Elena"},
	})
	mustContain(t, text(got), "forwarded message")
	e.pressIn(head, got, "/capture ")
	if convs := e.conversations(t, "Acme"); len(convs) != 1 || !strings.Contains(convs[0].Text, "from Elena, 2025-12-01") {
		t.Fatalf("forward = %+v", convs)
	}
}

// With an open claim, a photo without a caption offers that claim first.
func TestPhotoWithoutCaptionOffersTheLatestClaim(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	e.say(head, "/claim Acme: broken pallets")
	id := e.api.AddFile("p.jpg", []byte("\xff\xd8\xff"))
	got := e.sendMsg(head, map[string]any{"photo": []map[string]any{{"file_id": id, "file_unique_id": "p", "width": 10, "height": 10, "file_size": 3}}})
	if rows := keyboard(got[len(got)-1]); len(rows) < 2 || rows[0][0].Text != "C-1 · Acme" {
		t.Fatalf("the open claim should come first: %+v", rows)
	}
	mustContain(t, text(e.pressIn(head, got, "/capture ")), "kept with C-1 as A-1")
	mustContain(t, text(e.say(head, "/claim C-1")), "A-1", "photo.jpg")
}

// A file whose caption is a claim step is kept with that claim.
func TestFileWithClaimNoteAttaches(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	e.say(head, "/claim Acme: broken pallets")
	got := e.sendFile(head, "delivery-note.pdf", "application/pdf", "%PDF delivery note", "/claim note C-1: the signed delivery note")
	mustContain(t, text(got), "C-1", "Attached delivery-note.pdf")
	mustContain(t, text(e.say(head, "/claim C-1")), "A-1", "delivery-note.pdf")
}
