package slack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"accountbot/handlers"
	"accountbot/internal/fakewhisper"
	"accountbot/llm"
)

// The message shortcut log_message opens the log form with the message's
// text (markup made plain) and its permalink filled in.
func TestLogMessageShortcutPrefillsTheForm(t *testing.T) {
	e := newSlackEnv(t, envOpts{})
	e.interactive(map[string]any{
		"type": "message_action", "callback_id": "log_message", "trigger_id": "TSC",
		"user": map[string]any{"id": headUser}, "channel": map[string]any{"id": "C77"},
		"response_url": e.fake.ResponseURL("sc"), "message_ts": "1764590400.000200",
		"message": map[string]any{"type": "message", "user": "U9", "ts": "1764590400.000200",
			"text": "Acme wants <https://example.com/offer|the offer> by Friday &amp; a call"},
	})
	var view string
	for _, c := range e.openedViews() {
		view = c.Form.Get("view")
		if c.Form.Get("trigger_id") != "TSC" {
			t.Errorf("views.open trigger_id = %q", c.Form.Get("trigger_id"))
		}
	}
	var v struct {
		CallbackID string `json:"callback_id"`
		Blocks     []struct {
			BlockID string `json:"block_id"`
			Element struct {
				InitialValue string `json:"initial_value"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		t.Fatalf("view: %v\n%s", err, view)
	}
	text := ""
	for _, b := range v.Blocks {
		if b.BlockID == "text" {
			text = b.Element.InitialValue
		}
	}
	if v.CallbackID != "accountbot_log" || !strings.Contains(text, "Acme wants the offer by Friday & a call") ||
		!strings.Contains(text, "https://test.slack.com/archives/C77/p1764590400000200") {
		t.Errorf("the form's text = %q (view %s)", text, view)
	}
}

// An audio clip shared in the DM is transcribed and read as a note.
func TestAudioClipTranscribedAsNote(t *testing.T) {
	whisper := fakewhisper.New(t, "Met Acme, they want a discount")
	tr := llm.New(llm.Config{BaseURL: whisper.BaseURL(), Retries: -1})
	e := newSlackEnv(t, envOpts{svcOpts: []handlers.Option{handlers.WithTranscriber(tr)}})
	e.post("/slack/events", "application/json", dmEvent("EvA1", headUser, "client add Acme"))
	e.fake.WaitMessage("Acme")
	clip := e.fake.AddFile("audio_message.webm", []byte("webm opus"))
	clip["mimetype"] = "audio/webm"
	e.post("/slack/events", "application/json", fileShareEvent("EvA2", headUser, "", clip))
	e.fake.WaitMessage("Transcribing")
	e.fake.WaitMessage("Nothing is saved until you confirm")
	if calls := whisper.Calls(); len(calls) != 1 || string(calls[0].Audio) != "webm opus" || calls[0].Model != "whisper-1" {
		t.Errorf("transcription requests: %+v", calls)
	}
}
