package slack_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// envelope builds a Socket Mode envelope.
func envelope(id, typ string, payload any, retry int) []byte {
	p, _ := json.Marshal(payload)
	b, _ := json.Marshal(map[string]any{
		"envelope_id": id, "type": typ, "payload": json.RawMessage(p),
		"accepts_response_payload": typ != "events_api", "retry_attempt": retry, "retry_reason": map[bool]string{true: "timeout"}[retry > 0],
	})
	return b
}

func TestSocketMode(t *testing.T) {
	fake := newFakeSlack(t)
	e := newSlackEnv(t, envOpts{fake: fake, appToken: "xapp-test", noSecret: true})
	_ = e

	// The adapter opens the connection with the app token.
	fake.WaitFor("apps.connections.open", 5*time.Second, func(calls []apiCall) bool {
		return len(fake.Called("apps.connections.open")) > 0
	})

	event := map[string]any{
		"type": "event_callback", "event_id": "EvSock", "team_id": "T1", "api_app_id": "A1",
		"event": map[string]any{"type": "message", "channel": "D" + headUser, "channel_type": "im", "user": headUser, "text": "client add Socket Ltd", "ts": "1.1"},
	}
	fake.Envelopes <- envelope("E1", "events_api", event, 0)
	if a, d := fake.Ack(t, "E1"); d > 500*time.Millisecond {
		t.Errorf("envelope acknowledged after %v", d)
	} else if _, has := a["payload"]; has {
		t.Errorf("an event's ack carries no payload: %v", a)
	}
	fake.WaitMessage("Socket Ltd")
	// Slack's retry of the same event: acknowledged, not handled again.
	fake.Envelopes <- envelope("E2", "events_api", event, 1)
	fake.Ack(t, "E2")

	// The slash command over the socket.
	fake.Envelopes <- envelope("E3", "slash_commands", map[string]string{
		"command": "/crm", "text": "client Socket", "user_id": headUser, "channel_id": "C1",
		"response_url": fake.ResponseURL("sock"), "trigger_id": "TSock",
	}, 0)
	fake.Ack(t, "E3")
	card := fake.WaitMessage("Socket Ltd\n")
	if card.Method != "response_url" {
		t.Errorf("the slash command was answered by %s", card.Method)
	}

	// A form submission with errors: the ack carries them.
	fake.Envelopes <- envelope("E4", "interactive", map[string]any{
		"type": "view_submission", "user": map[string]any{"id": headUser},
		"view": map[string]any{"id": "VS", "callback_id": "accountbot_log", "private_metadata": `{"l":"en"}`,
			"state": map[string]any{"values": map[string]any{"text": map[string]any{"value": map[string]any{"value": "x"}}}}},
	}, 0)
	a, _ := fake.Ack(t, "E4")
	p, _ := a["payload"].(map[string]any)
	if p["response_action"] != "errors" {
		t.Errorf("form errors should come back in the ack: %v", a)
	}

	// An event type nobody asked for is acknowledged all the same.
	fake.Envelopes <- envelope("E5", "events_api", map[string]any{
		"type": "event_callback", "event_id": "EvOdd", "event": map[string]any{"type": "no_such_event_type"},
	}, 0)
	fake.Ack(t, "E5")

	time.Sleep(200 * time.Millisecond)
	n := 0
	for _, c := range fake.Messages() {
		if strings.Contains(c.Text(), "Saved: Socket Ltd") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the event was answered %d times, want once", n)
	}
	cs, _ := e.store.FindClients(context.Background(), "Socket", 5)
	if len(cs) != 1 {
		t.Errorf("%d clients from one event", len(cs))
	}
}
