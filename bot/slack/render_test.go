package slack

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"accountbot/bot"
	"accountbot/dates"
	"accountbot/i18n"

	slackapi "github.com/slack-go/slack"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		in, want string
		shared   bool
	}{
		{"client Acme", "/client Acme", false},
		{"/client Acme", "/client Acme", false},
		{"  <@U0BOT> client Acme", "/client Acme", false},
		{"<@U0BOT|bot>: today", "/today", false},
		{"", "/help", false},
		{"<@U0BOT>", "/help", false},
		{"share client Acme", "/client Acme", true},
		{"SHARE /client Acme", "/client Acme", true},
		{"сподели клиент Акме", "/клиент Акме", true},
		{"share", "/help", true},
		{"shared Acme", "/shared Acme", false},
		{"appoint <@U0123|maria> manager", "/appoint slack:U0123 manager", false},
		{"client edit Acme email=<mailto:a@b.bg|a@b.bg>", "/client edit Acme email=a@b.bg", false},
		{"client edit Acme site=<https://acme.bg|acme.bg>", "/client edit Acme site=acme.bg", false},
		{"log Acme &amp; Co: talked &lt;3", "/log Acme & Co: talked <3", false},
		{"client add „Мебели Петров“", `/client add "Мебели Петров"`, false},
		{"ping <#C123|sales>", "/ping #sales", false},
	}
	for _, c := range cases {
		got, shared := wordsAdapter(t).normalize(c.in)
		if got != c.want || shared != c.shared {
			t.Errorf("normalize(%q) = %q, %v; want %q, %v", c.in, got, shared, c.want, c.shared)
		}
	}
}

func TestLogFormWanted(t *testing.T) {
	cases := []struct {
		in, client string
		ok         bool
	}{
		{"/log", "", true},
		{"/LOG", "", true},
		{"/запиши", "", true},
		{"/разговор Acme", "Acme", true},
		{"/лог", "", true},
		{"/log Acme:", "Acme", true},
		{"/log #7: ", "#7", true},
		{`/log "Acme: Ltd":`, "Acme: Ltd", true},
		{"/log Acme: talked", "", false},
		{"/log Acme", "Acme", true},
		{"/log #7", "#7", true},
		{"/client Acme", "", false},
		{"/log Acme: x: y:", "", false},
	}
	a := wordsAdapter(t)
	for _, c := range cases {
		client, ok := a.logFormWanted(c.in)
		if client != c.client || ok != c.ok {
			t.Errorf("logFormWanted(%q) = %q, %v; want %q, %v", c.in, client, ok, c.client, c.ok)
		}
	}
}

func TestQuoteNameReadsBack(t *testing.T) {
	logFormWanted := wordsAdapter(t).logFormWanted
	for _, name := range []string{"Acme", "Acme Ltd", "Acme: Ltd", `The "Best"`, `a\b`} {
		line := "/log " + quoteName(name) + ": text"
		if got, ok := logFormWanted("/log " + quoteName(name) + ":"); !ok || got != name {
			t.Errorf("%q: read back as %q (%v) from %q", name, got, ok, line)
		}
	}
}

func plainValue(_ context.Context, data string) (string, string) { return data, actionCmd }

func blocksJSON(t *testing.T, m message) []map[string]any {
	t.Helper()
	b, err := json.Marshal(m.blocks)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRenderCard(t *testing.T) {
	r := bot.Reply{
		Title:   "Acme <Ltd>",
		Text:    "Owner: Maria & Ivan",
		Fields:  []bot.Field{{Label: "City", Value: "Sofia"}, {Label: "Phone", Value: ""}},
		Buttons: [][]bot.Button{{{Label: "Card", Data: "/client #1"}, {Label: "Log", Data: "/log #1: "}}, {{Label: "Help", Data: "/help"}}},
	}
	msgs := render(context.Background(), r, plainValue)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	bs := blocksJSON(t, msgs[0])
	var types []string
	for _, b := range bs {
		types = append(types, b["type"].(string))
	}
	if strings.Join(types, ",") != "header,section,section,actions,actions" {
		t.Errorf("blocks %v", types)
	}
	if bs[0]["text"].(map[string]any)["text"] != "Acme <Ltd>" {
		t.Errorf("a header is plain text, shown as is: %v", bs[0])
	}
	if got := bs[1]["text"].(map[string]any)["text"]; got != "Owner: Maria &amp; Ivan" {
		t.Errorf("section text not escaped: %q", got)
	}
	fields := bs[2]["fields"].([]any)
	if f := fields[0].(map[string]any)["text"]; f != "*City*\nSofia" {
		t.Errorf("field %q", f)
	}
	if f := fields[1].(map[string]any)["text"]; f != "*Phone*\n—" {
		t.Errorf("an empty value needs a mark, Slack refuses empty text: %q", f)
	}
	el := bs[3]["elements"].([]any)[1].(map[string]any)
	if el["value"] != "/log #1: " || el["action_id"] != "cmd:0:1" {
		t.Errorf("button %v", el)
	}
	if !strings.Contains(msgs[0].text, "Acme <Ltd>") || !strings.Contains(msgs[0].text, "City: Sofia") {
		t.Errorf("fallback text %q", msgs[0].text)
	}
}

func TestRenderLimits(t *testing.T) {
	var fields []bot.Field
	for i := range 23 {
		fields = append(fields, bot.Field{Label: "F" + strconv.Itoa(i), Value: "v"})
	}
	var row []bot.Button
	for i := range 30 {
		row = append(row, bot.Button{Label: strings.Repeat("L", 100), Data: "/x " + strconv.Itoa(i)})
	}
	long := strings.Repeat("line of text\n", 20000) // 260 000 bytes
	msgs := render(context.Background(), bot.Reply{Title: strings.Repeat("T", 200), Text: long, Fields: fields, Buttons: [][]bot.Button{row}}, plainValue)
	if len(msgs) < 2 {
		t.Fatalf("a reply of %d bytes should be split, got %d message", len(long), len(msgs))
	}
	var text strings.Builder
	nFields, nButtons := 0, 0
	ids := map[string]bool{}
	for _, m := range msgs {
		if len(m.blocks) > maxBlocks {
			t.Errorf("%d blocks in one message", len(m.blocks))
		}
		if len(m.text) > maxFallbackText+3 {
			t.Errorf("fallback text of %d bytes", len(m.text))
		}
		for _, b := range m.blocks {
			switch b := b.(type) {
			case *slackapi.HeaderBlock:
				t.Errorf("a 200-character title cannot be a header")
			case *slackapi.SectionBlock:
				if b.Text != nil {
					if n := utf8.RuneCountInString(b.Text.Text); n > maxSectionText {
						t.Errorf("section of %d characters", n)
					}
					if !strings.HasPrefix(b.Text.Text, "*") {
						text.WriteString(b.Text.Text + "\n")
					}
				}
				if len(b.Fields) > maxFields {
					t.Errorf("%d fields in one section", len(b.Fields))
				}
				nFields += len(b.Fields)
			case *slackapi.ActionBlock:
				if len(b.Elements.ElementSet) > maxActions {
					t.Errorf("%d buttons in one actions block", len(b.Elements.ElementSet))
				}
				for _, el := range b.Elements.ElementSet {
					btn := el.(*slackapi.ButtonBlockElement)
					if utf8.RuneCountInString(btn.Text.Text) > maxButtonText {
						t.Errorf("button text of %d characters", utf8.RuneCountInString(btn.Text.Text))
					}
					if ids[btn.ActionID] {
						t.Errorf("action id %s twice", btn.ActionID)
					}
					ids[btn.ActionID] = true
					nButtons++
				}
			}
		}
	}
	if text.String() != long {
		t.Errorf("the text was not kept whole: %d of %d bytes", text.Len(), len(long))
	}
	if nFields != 23 || nButtons != 30 {
		t.Errorf("%d fields and %d buttons, want 23 and 30", nFields, nButtons)
	}
}

func TestChunksKeepEveryByte(t *testing.T) {
	in := strings.Repeat("ж", 5000) + "\n" + strings.Repeat("<&>", 2000) + "\nend"
	var got strings.Builder
	for _, c := range chunks(in, maxSectionText) {
		if len(escape(c)) > maxSectionText {
			t.Errorf("chunk of %d escaped bytes", len(escape(c)))
		}
		if !utf8.ValidString(c) {
			t.Error("a chunk cut a character in half")
		}
		got.WriteString(c)
	}
	if strings.ReplaceAll(got.String(), "\n", "") != strings.ReplaceAll(in, "\n", "") {
		t.Error("chunks lost text")
	}
}

func TestManifest(t *testing.T) {
	b, err := os.ReadFile("../../deploy/slack-app/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := string(b)
	for _, want := range []string{
		"command: /crm", "should_escape: true", "socket_mode_enabled: true", "interactivity:", "is_enabled: true",
		"- message.im", "- app_mention", "- app_home_opened", "home_tab_enabled: true", "messages_tab_enabled: true", "messages_tab_read_only_enabled: false",
		"type: message", "callback_id: log_message",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("manifest lacks %q", want)
		}
	}
	// Exactly the scopes the adapter uses, no more.
	scopes := []string{"app_mentions:read", "chat:write", "commands", "files:read", "files:write", "im:history", "im:write", "users:read"}
	_, bot, _ := strings.Cut(m, "    bot:\n")
	bot, _, _ = strings.Cut(bot, "settings:")
	n := strings.Count(bot, "      - ")
	for _, s := range scopes {
		if !strings.Contains(m, "      - "+s+"\n") {
			t.Errorf("manifest lacks the scope %s", s)
		}
	}
	if n != len(scopes) {
		t.Errorf("manifest asks for %d scopes, want %d", n, len(scopes))
	}
}

// wordsAdapter is an adapter with the embedded translations and nothing
// else, for the functions that read typed words.
func wordsAdapter(t *testing.T) *Adapter {
	t.Helper()
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	return &Adapter{cat: cat}
}

// A form submitted with the client name it was opened with logs the
// reference it stood for (two clients may share a name); a changed name
// is read as typed.
func TestLogCommandKeepsTheReference(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	a := &Adapter{cat: cat, clock: dates.SystemClock{}, tz: time.UTC}
	state := func(client string) *slackapi.ViewState {
		return &slackapi.ViewState{Values: map[string]map[string]slackapi.BlockAction{
			fieldClient: {inputAction: {Value: client}},
			fieldText:   {inputAction: {Value: "talked"}},
		}}
	}
	meta := formMeta{Ref: "#1", Name: "Acme Ltd"}
	if cmd, errs := a.logCommand(state("Acme Ltd"), "en", meta); len(errs) > 0 || cmd != "/log #1: talked" {
		t.Errorf("unchanged name: %q %v", cmd, errs)
	}
	if cmd, _ := a.logCommand(state("Beta"), "en", meta); cmd != "/log Beta: talked" {
		t.Errorf("changed name: %q", cmd)
	}
}
