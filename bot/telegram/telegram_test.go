package telegram

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/i18n"
	"accountbot/internal/fakes"
	"accountbot/store"
	"accountbot/store/storetest"
)

// syncBuffer is a buffer safe for a writer and a reader goroutine.
type syncBuffer = fakes.SyncBuffer

// tgEnv is the real adapter and the real handlers over an in-memory store,
// talking to a fake Bot API server.
type tgEnv struct {
	t     testing.TB
	api   *fakeAPI
	store *store.Store
	cat   *i18n.Catalog
	svc   *handlers.Service
	a     *Adapter
	logs  *syncBuffer
	stop  func()
}

// head is the head of the company in the tests (ACCOUNTBOT_HEADS).
var head = tgUser{ID: 100, Name: "Hristo", Lang: "en"}

type envConfig struct {
	cfg  Config
	opts []Option
	// noStart leaves the adapter unstarted.
	noStart bool
	// clock, when set, is the handlers' clock.
	clock dates.Clock
	// svcOpts are more options of the handlers (a transcriber…).
	svcOpts []handlers.Option
}

func newTelegramEnv(t testing.TB, mods ...func(*envConfig)) *tgEnv {
	t.Helper()
	api := newFakeAPI(t)
	st := storetest.Open(t) // closed after the adapter stops (cleanups run last first)
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hc := handlers.DefaultConfig()
	hc.TZ = time.UTC
	hc.Heads = []string{"telegram:100"}
	ec := &envConfig{cfg: Config{Token: fakeToken, APIURL: api.URL(), Lang: "en"}}
	for _, m := range mods {
		m(ec)
	}
	if ec.clock == nil {
		ec.clock = dates.NewOffsetClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	}
	// What the bot sends by itself (RunJobs) goes out through the adapter.
	fwd := &adapterNotifier{}
	svc, err := handlers.New(st, cat, append([]handlers.Option{handlers.WithConfig(hc), handlers.WithLogger(logger), handlers.WithClock(ec.clock), handlers.WithNotifier(fwd)}, ec.svcOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]Option{
		WithLogger(logger), WithCatalog(cat), WithCommands(svc),
		WithPacing(2*time.Millisecond, time.Millisecond), WithPollTimeout(time.Second),
		WithBackoff(10*time.Millisecond, 100*time.Millisecond), WithShutdownGrace(5 * time.Second),
	}, ec.opts...)
	a, err := New(ec.cfg, svc, st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	fwd.a = a
	e := &tgEnv{t: t, api: api, store: st, cat: cat, svc: svc, a: a, logs: logs, stop: func() {}}
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("adapter log:\n%s", logs.String())
		}
	})
	if !ec.noStart {
		e.start()
	}
	return e
}

// start runs the adapter until the test ends or stop is called.
func (e *tgEnv) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				e.t.Error("Run did not return after cancel")
			}
		})
	}
}

// say sends text from u in a private chat, waits until the update is
// handled and returns what the bot sent to that chat meanwhile.
func (e *tgEnv) say(u tgUser, text string) []apiCall {
	e.t.Helper()
	before := len(e.api.Sent(u.ID))
	id := e.api.Say(u, text)
	e.api.WaitHandled(e.t, id)
	return e.api.Sent(u.ID)[before:]
}

// text joins what a person sees in the calls.
func text(calls []apiCall) string {
	var parts []string
	for _, c := range calls {
		parts = append(parts, visible(c.Params["text"]+c.Params["caption"]))
	}
	return strings.Join(parts, "\n---\n")
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply does not contain %q; got:\n%s", w, got)
		}
	}
}

func TestCommandMenuAndCommands(t *testing.T) {
	e := newTelegramEnv(t, func(c *envConfig) {})
	e.api.WaitFor(t, 5*time.Second, "three setMyCommands", func() bool { return len(e.api.Calls("setMyCommands")) == 3 })
	menus := map[string]string{}
	for _, c := range e.api.Calls("setMyCommands") {
		menus[c.Params["language_code"]] = c.Params["commands"]
	}
	if !strings.Contains(menus["bg"], `"command":"log"`) || !regexp.MustCompile(`[а-я]`).MatchString(menus["bg"]) {
		t.Errorf("Bulgarian menu lacks /log or Bulgarian words: %s", menus["bg"])
	}
	if !strings.Contains(menus["en"], "log a conversation") || menus[""] != menus["en"] {
		t.Errorf("English and default menus differ or lack /log: %q vs %q", menus["en"], menus[""])
	}
	got := e.say(head, "/client add Acme city=Sofia")
	if len(e.api.Calls("deleteWebhook")) == 0 {
		t.Error("long polling did not remove a webhook first")
	}
	mustContain(t, text(got), "Saved: Acme is your client.")
	if kb := keyboard(got[0]); len(kb) == 0 || kb[0][0].CallbackData != "/client #1" {
		t.Errorf("no card button under the reply: %+v", kb)
	}
	// Buttons carry no empty copy_text, which Telegram may refuse
	// (BUTTON_COPY_TEXT_INVALID).
	if mk := got[0].Params["reply_markup"]; strings.Contains(mk, "copy_text") || !strings.Contains(mk, `"callback_data":"/client #1"`) {
		t.Errorf("reply_markup = %s", mk)
	}
	mustContain(t, text(e.say(head, "/client acme")), "Acme", "Sofia")
	if got[0].Params["parse_mode"] != "HTML" {
		t.Errorf("parse_mode = %q, want HTML", got[0].Params["parse_mode"])
	}
}

func TestCommandMenuRefusedCarriesOn(t *testing.T) {
	e := newTelegramEnv(t, func(c *envConfig) { c.noStart = true })
	e.api.Fail("setMyCommands", fakeFailure{Status: 400, Desc: "Bad Request: commands are invalid"},
		fakeFailure{Status: 500, Desc: "Internal Server Error"}, fakeFailure{Status: 400, Desc: "Bad Request"})
	e.start()
	mustContain(t, text(e.say(head, "/help log")), "/log")
	if !strings.Contains(e.logs.String(), "command menu was not set") {
		t.Error("no warning about the refused command menu")
	}
}

func TestButtonEditsMessageInPlace(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	got := e.say(head, "/log Acme: met Ivan #meeting next: send the offer by tomorrow")
	mustContain(t, text(got), "Saved: conversation with Acme.", "T-1")
	kb := keyboard(got[0])
	if len(kb) == 0 || kb[0][0].CallbackData != "/task done T-1" {
		t.Fatalf("no Done button: %+v", kb)
	}
	msgID := got[0].MsgID
	before := len(e.api.Calls())
	id := e.api.Press(head.ID, "private", head, msgID, kb[0][0].CallbackData)
	e.api.WaitHandled(t, id)
	var answered, edited int
	for i, c := range e.api.Calls()[before:] {
		switch c.Method {
		case "answerCallbackQuery":
			if c.Params["callback_query_id"] != "cq"+strconv.FormatInt(id, 10) {
				t.Errorf("answered the wrong query: %v", c.Params)
			}
			answered = i + 1
		case "editMessageText":
			if c.Params["message_id"] != strconv.Itoa(msgID) {
				t.Errorf("edited message %s, want %d", c.Params["message_id"], msgID)
			}
			mustContain(t, visible(c.Params["text"]), "T-1")
			edited = i + 1
		case "sendMessage":
			t.Errorf("a new message instead of an edit: %q", c.Params["text"])
		}
	}
	if answered == 0 || edited == 0 || answered > edited {
		t.Errorf("want answerCallbackQuery then editMessageText; got order %d, %d:\n%s", answered, edited, e.api.Dump())
	}
	task, err := e.store.Task(context.Background(), 1)
	if err != nil || task.Open() {
		t.Errorf("task T-1 not done after the press: %+v %v", task, err)
	}
}

func TestLongButtonDataUsesToken(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme One")
	e.say(head, "/client add Acme Two")
	note := "talked about the spring order, delivery terms, prices for the new range and the trade fair in Plovdiv"
	got := e.say(head, "/log Acme: "+note)
	mustContain(t, text(got), "Which one?")
	kb := keyboard(got[0])
	if len(kb) != 2 {
		t.Fatalf("want two choices, got %+v", kb)
	}
	for _, row := range kb {
		for _, b := range row {
			if len(b.CallbackData) > 64 || b.CallbackData == "" {
				t.Errorf("callback data of %d bytes: %q", len(b.CallbackData), b.CallbackData)
			}
		}
	}
	choice := kb[1][0]
	if !strings.HasPrefix(choice.CallbackData, tokenPrefix) {
		t.Fatalf("a long command was not replaced by a token: %q", choice.CallbackData)
	}
	id := e.api.Press(head.ID, "private", head, got[0].MsgID, choice.CallbackData)
	e.api.WaitHandled(t, id)
	mustContain(t, text(e.api.Sent(head.ID)), "Saved: conversation with Acme Two.")
	convs, err := e.store.Conversations(context.Background(), 2, 0)
	if err != nil || len(convs) != 1 || convs[0].Text != note {
		t.Errorf("conversation with Acme Two = %+v, %v; want the full note", convs, err)
	}

	// An unknown or expired token is answered, and nothing runs.
	before := len(e.api.Sent(head.ID))
	id = e.api.Press(head.ID, "private", head, got[0].MsgID, tokenPrefix+"gone")
	e.api.WaitHandled(t, id)
	answers := e.api.Calls("answerCallbackQuery")
	mustContain(t, answers[len(answers)-1].Params["text"], "expired")
	if n := len(e.api.Sent(head.ID)); n != before {
		t.Errorf("an expired button sent %d messages", n-before)
	}
}

func TestDeepLinkInvite(t *testing.T) {
	e := newTelegramEnv(t)
	got := text(e.say(head, "/invite manager"))
	m := regexp.MustCompile(`/start (\w+)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no code in %q", got)
	}
	// The reply has the one-tap link with the code.
	mustContain(t, got, "https://t.me/"+fakeBotUsername+"?start="+m[1])
	maria := tgUser{ID: 200, Name: "Maria"}
	// t.me/<bot>?start=CODE opens the chat and sends "/start CODE".
	mustContain(t, text(e.say(maria, "/start "+m[1])), "Welcome, Maria!")
	p, err := e.store.PersonByIdentity(context.Background(), "telegram:200")
	if err != nil || p.Role != crm.RoleManager {
		t.Fatalf("Maria not registered as manager: %+v %v", p, err)
	}
	mustContain(t, text(e.say(maria, "/clients")), "0 clients")
}

func TestUnknownUserRefused(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Secret Client")
	got := text(e.say(tgUser{ID: 314159, Name: "Stranger"}, "/clients"))
	mustContain(t, got, "telegram:314159")
	if strings.Contains(got, "Secret") {
		t.Errorf("an unknown person saw data: %q", got)
	}
}

func TestLanguageFromTelegram(t *testing.T) {
	e := newTelegramEnv(t)
	bg := e.cat.For("bg")
	got := text(e.say(tgUser{ID: 100, Name: "Hristo", Lang: "bg"}, "/help"))
	mustContain(t, got, bg.T("help.title", "role", bg.T("role.head")))
	// The person's own setting wins over Telegram's language.
	e.say(tgUser{ID: 100, Name: "Hristo", Lang: "bg"}, "/lang en")
	en := e.cat.For("en")
	mustContain(t, text(e.say(tgUser{ID: 100, Name: "Hristo", Lang: "bg"}, "/help")), en.T("help.title", "role", en.T("role.head")))
}

func TestLongReplyIsSplitAtLines(t *testing.T) {
	e := newTelegramEnv(t)
	ctx := context.Background()
	e.say(head, "/start")
	me, err := e.store.PersonByIdentity(ctx, "telegram:100")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := 0; i < 30; i++ {
		name := "Client " + strconv.Itoa(10+i) + " " + strings.Repeat("long name ", 18)
		name = strings.TrimSpace(name)
		names = append(names, name)
		c := &crm.Client{Name: name, OwnerID: me.ID, City: "Sofia & <Plovdiv>"}
		if err := e.store.CreateClient(ctx, c, crm.Actor{PersonID: me.ID}); err != nil {
			t.Fatal(err)
		}
	}
	got := e.say(head, "/clients")
	if len(got) < 2 {
		t.Fatalf("a reply of 30 long lines came in %d message(s)", len(got))
	}
	all := text(got)
	for _, c := range got {
		if n := utf16Len(visible(c.Params["text"])); n > 4096 {
			t.Errorf("a message of %d characters", n)
		}
		for _, l := range strings.Split(visible(c.Params["text"]), "\n") {
			if strings.HasPrefix(l, "•") && !strings.HasSuffix(l, "Sofia & <Plovdiv>") {
				t.Errorf("a line cut in the middle: %q", l)
			}
		}
	}
	for _, n := range names {
		if strings.Count(all, n) != 1 {
			t.Errorf("%q appears %d times", n, strings.Count(all, n))
		}
	}
}

func TestSplitVeryLongLine(t *testing.T) {
	long := strings.Repeat("word & ", 2000) // 14000 characters, one line
	parts := renderReply(bot.Reply{Title: "Notes", Text: "first\n" + long + "\nlast"})
	if len(parts) < 4 {
		t.Fatalf("%d parts", len(parts))
	}
	var joined strings.Builder
	for _, p := range parts {
		if utf16Len(p) > maxMessage {
			t.Errorf("part of %d units", utf16Len(p))
		}
		if strings.Contains(strings.ReplaceAll(p, "&amp;", ""), "&") {
			t.Errorf("an escape was cut: %q…", p[:40])
		}
		joined.WriteString(visible(p))
	}
	if got := strings.Count(joined.String(), "word"); got != 2000 {
		t.Errorf("%d words survived the split, want 2000", got)
	}
	if !strings.HasPrefix(parts[0], "<b>Notes</b>\nfirst") || !strings.HasSuffix(parts[len(parts)-1], "last") {
		t.Errorf("title or last line lost: %q … %q", parts[0][:30], parts[len(parts)-1])
	}
}

func TestHTMLIsEscaped(t *testing.T) {
	e := newTelegramEnv(t)
	got := e.say(head, `/client add "<Acme & Sons>"`)
	raw := got[0].Params["text"]
	if !strings.Contains(raw, "&lt;Acme &amp; Sons&gt;") {
		t.Errorf("not escaped: %q", raw)
	}
	mustContain(t, text(got), "<Acme & Sons>")
	card := e.say(head, "/client <acme")
	mustContain(t, text(card), "<Acme & Sons>")
	if strings.Contains(card[0].Params["text"], "<Acme") {
		t.Errorf("raw < in the card: %q", card[0].Params["text"])
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/start")
	e.api.Fail("sendMessage", fakeFailure{Status: 429, RetryAfter: 1, Desc: "Too Many Requests: retry after 1"})
	// One short reply: the whole /help grows with every command family.
	got := e.say(head, "/help today")
	if len(got) != 1 {
		t.Fatalf("help sent %d times after a 429, want once:\n%s", len(got), e.api.Dump())
	}
	calls := e.api.Calls("sendMessage")
	first, last := calls[len(calls)-2], calls[len(calls)-1]
	if first.Status != 429 || last.Status != 200 {
		t.Fatalf("want a 429 then a 200, got %d, %d", first.Status, last.Status)
	}
	if gap := last.At.Sub(first.At); gap < 900*time.Millisecond {
		t.Errorf("sent again after %v, before retry_after", gap)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/start")
	e.api.Fail("sendMessage", fakeFailure{Status: 500, Desc: "Internal Server Error"}, fakeFailure{Status: dropConnection},
		fakeFailure{Status: 502, Desc: "Bad Gateway"})
	e.api.Fail("getUpdates", fakeFailure{Status: 500, Desc: "Internal Server Error"})
	// One short reply: the whole /help grows with every command family.
	got := e.say(head, "/help today")
	if len(got) != 1 {
		t.Fatalf("help sent %d times, want once", len(got))
	}
	calls := e.api.Calls("sendMessage")
	var statuses []int
	for _, c := range calls[len(calls)-4:] {
		statuses = append(statuses, c.Status)
	}
	if fmt.Sprint(statuses) != "[500 -1 502 200]" {
		t.Errorf("attempts answered %v, want 500, dropped, 502, then 200", statuses)
	}
}

func TestGetUpdatesConflictRemovesWebhook(t *testing.T) {
	e := newTelegramEnv(t, func(c *envConfig) { c.noStart = true })
	e.api.Fail("getUpdates", fakeFailure{Status: 409, Desc: "Conflict: can't use getUpdates method while webhook is active"})
	e.start()
	mustContain(t, text(e.say(head, "/help log")), "/log")
	if n := len(e.api.Calls("deleteWebhook")); n < 2 {
		t.Errorf("deleteWebhook called %d times, want at start and after the 409", n)
	}
}

func TestChatsConcurrentEachInOrder(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/start")
	slowChat := tgUser{ID: 100, Name: "Hristo"}
	other := tgUser{ID: 777, Name: "Other"}
	e.api.SlowChat(slowChat.ID, 700*time.Millisecond)
	for _, c := range []string{"/client add A1", "/client add A2", "/client add A3"} {
		e.api.Say(slowChat, c)
	}
	otherID := e.api.Say(other, "/help")
	e.api.WaitHandled(t, otherID-1) // the slow chat's last
	sent := e.api.Sent(slowChat.ID)
	var order []string
	for _, c := range sent {
		if strings.Contains(c.Params["text"], "is your client") {
			order = append(order, visible(c.Params["text"]))
		}
	}
	if strings.Join(order, "|") != "Saved: A1 is your client.|Saved: A2 is your client.|Saved: A3 is your client." {
		t.Errorf("one chat's replies out of order: %q", order)
	}
	otherReply := e.api.Sent(other.ID)
	if len(otherReply) == 0 || !otherReply[0].At.Before(sent[len(sent)-1].At) {
		t.Errorf("the other chat waited for the slow one")
	}
}

func TestPacingPerChatAndGlobal(t *testing.T) {
	e := newTelegramEnv(t, func(c *envConfig) {
		c.noStart = true
		c.opts = append(c.opts, WithPacing(300*time.Millisecond, 100*time.Millisecond))
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		for _, chat := range []string{"telegram:1", "telegram:2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.a.Notify(ctx, chat, bot.Reply{Text: "hello " + strconv.Itoa(i)}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	calls := e.api.Calls("sendMessage")
	if len(calls) != 6 {
		t.Fatalf("%d messages, want 6", len(calls))
	}
	last := map[string]time.Time{}
	for i, c := range calls {
		chat := c.Params["chat_id"]
		if t0, ok := last[chat]; ok && c.At.Sub(t0) < 250*time.Millisecond {
			t.Errorf("two messages to chat %s %v apart", chat, c.At.Sub(t0))
		}
		last[chat] = c.At
		if i > 0 && c.At.Sub(calls[i-1].At) < 70*time.Millisecond {
			t.Errorf("two messages %v apart in all", c.At.Sub(calls[i-1].At))
		}
	}
}

func TestImageAndFile(t *testing.T) {
	e := newTelegramEnv(t, func(c *envConfig) { c.noStart = true })
	png := []byte("\x89PNG fake")
	err := e.a.Notify(context.Background(), "telegram:100", bot.Reply{
		Title: "Digest", Text: "Your week", Image: &bot.Image{Name: "digest.png", PNG: png, Alt: "pipeline <chart>"},
		File: &bot.File{Name: "clients.csv", MIME: "text/csv", Data: []byte("name\nAcme\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	photos, docs := e.api.Calls("sendPhoto"), e.api.Calls("sendDocument")
	if len(photos) != 1 || !bytes.Equal(photos[0].Files["photo"], png) || photos[0].Params["caption"] != "pipeline &lt;chart&gt;" {
		t.Errorf("sendPhoto = %+v", photos)
	}
	if len(docs) != 1 || string(docs[0].Files["document"]) != "name\nAcme\n" || docs[0].Params["document.filename"] != "clients.csv" {
		t.Errorf("sendDocument = %+v", docs)
	}
	if msgs := e.api.Calls("sendMessage"); len(msgs) != 1 || msgs[0].Params["text"] != "<b>Digest</b>\nYour week" {
		t.Errorf("text = %+v", msgs)
	}
}

func TestBlockedPersonMarkedUnreachable(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/start")
	e.api.Block(head.ID)
	e.say(head, "/help")
	p, err := e.store.PersonByIdentity(context.Background(), "telegram:100")
	if err != nil || !p.Unreachable {
		t.Fatalf("person not marked unreachable after a 403: %+v %v", p, err)
	}
	if err := e.a.Notify(context.Background(), "telegram:100", bot.Reply{Text: "digest"}); err == nil {
		t.Error("Notify to a blocked chat reported success")
	}
}

func TestGroupPolicy(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Private Client")
	const group = -500
	inGroup := func(text string) int64 {
		id := e.api.Push(messageUpdate(group, "supergroup", head, text))
		e.api.WaitHandled(t, id)
		return id
	}
	before := len(e.api.Sent(head.ID))
	inGroup("/clients")
	inGroup("/clients@other_bot")
	inGroup("just talking about Private Client")
	if n := len(e.api.Sent(group)) + len(e.api.Sent(head.ID)) - before; n != 0 {
		t.Fatalf("the bot answered %d messages not addressed to it", n)
	}

	inGroup("/clients@" + fakeBotUsername)
	mustContain(t, text(e.api.Sent(head.ID)[before:]), "Private Client")
	groupText := text(e.api.Sent(group))
	mustContain(t, groupText, "private chat")
	if strings.Contains(groupText, "Private Client") {
		t.Errorf("a person's clients shown in the group: %q", groupText)
	}

	inGroup("/clients@" + fakeBotUsername + " share")
	mustContain(t, text(e.api.Sent(group)), "Private Client")

	// Someone who never opened a private chat is told how, in the group.
	e.api.Block(head.ID)
	n := len(e.api.Sent(group))
	inGroup("/today@" + fakeBotUsername)
	mustContain(t, text(e.api.Sent(group)[n:]), "https://t.me/"+fakeBotUsername)
}

func TestWebhookSecret(t *testing.T) {
	e := newTelegramEnv(t, func(c *envConfig) {
		c.cfg.WebhookURL = "https://bot.example.com/hooks/telegram"
		c.cfg.WebhookSecret = "s3cret-token"
	})
	if e.a.WebhookPath() != "/hooks/telegram" {
		t.Fatalf("webhook path %q", e.a.WebhookPath())
	}
	e.api.WaitFor(t, 5*time.Second, "setWebhook", func() bool { return len(e.api.Calls("setWebhook")) == 1 })
	sw := e.api.Calls("setWebhook")[0]
	if sw.Params["url"] != "https://bot.example.com/hooks/telegram" || sw.Params["secret_token"] != "s3cret-token" {
		t.Errorf("setWebhook params %v", sw.Params)
	}
	if n := len(e.api.Calls("getUpdates")); n != 0 {
		t.Errorf("webhook mode polled %d times", n)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+e.a.WebhookPath(), e.a)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(secret string, update string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/telegram", strings.NewReader(update))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set(secretHeader, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	upd := `{"update_id":9001,"message":{"message_id":5,"date":1767225600,"chat":{"id":100,"type":"private"},"from":{"id":100,"is_bot":false,"first_name":"Hristo"},"text":"/client add Webhook Ltd"}}`
	for _, secret := range []string{"", "wrong", "s3cret-token-", "S3CRET-TOKEN"} {
		if code := post(secret, upd); code != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, code)
		}
	}
	if n := len(e.api.Calls("sendMessage")); n != 0 {
		t.Fatalf("a request without the secret was processed: %d messages", n)
	}
	if cs, _ := e.store.FindClients(context.Background(), "Webhook", 5); len(cs) != 0 {
		t.Fatal("a request without the secret wrote to the store")
	}
	if code := post("s3cret-token", upd); code != http.StatusOK {
		t.Fatalf("right secret: status %d", code)
	}
	mustContain(t, text(e.api.Sent(100)), "Saved: Webhook Ltd is your client.")
	// Telegram delivers the same update again (it missed our 200): done once.
	if code := post("s3cret-token", upd); code != http.StatusOK {
		t.Fatalf("redelivery: status %d", code)
	}
	if got := len(e.api.Sent(100)); got != 1 {
		t.Errorf("%d replies to one update delivered twice", got)
	}
}

func TestRedeliveredUpdateHandledOnce(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/client add Acme")
	logID := e.api.Say(head, "/log Acme: called about the offer")
	helpID := e.api.Say(head, "/help")
	e.api.WaitHandled(t, helpID)
	sent := len(e.api.Sent(head.ID))

	// A crash before the offset was saved: the next run starts from an old
	// offset and Telegram delivers the updates again.
	e.stop()
	if err := e.store.SetCursor(context.Background(), cursorName, 0); err != nil {
		t.Fatal(err)
	}
	e.api.Redeliver(logID)
	e.api.Redeliver(helpID)
	a2, err := New(e.a.cfg, e.svc, e.store, WithLogger(e.a.log), WithCatalog(e.cat),
		WithPacing(time.Millisecond, time.Millisecond), WithPollTimeout(time.Second), WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.a = a2
	e.start()
	e.api.WaitHandled(t, helpID)
	if n := len(e.api.Sent(head.ID)); n != sent {
		t.Errorf("redelivered updates were answered again: %d new messages:\n%s", n-sent, e.api.Dump())
	}
	convs, _ := e.store.Conversations(context.Background(), 1, 0)
	if len(convs) != 1 {
		t.Errorf("%d conversations after a redelivery, want 1", len(convs))
	}
}

func TestGracefulShutdownFinishesWork(t *testing.T) {
	e := newTelegramEnv(t)
	e.say(head, "/start")
	e.api.Slow("sendMessage", 600*time.Millisecond)
	id := e.api.Say(head, "/client add Late Ltd")
	e.api.WaitFor(t, 5*time.Second, "the update to be taken", func() bool {
		cs, _ := e.store.FindClients(context.Background(), "Late", 1)
		return len(cs) == 1
	})
	e.stop()
	if !e.api.ConfirmedPast(id) {
		t.Error("the offset of a finished update was not confirmed at shutdown")
	}
	mustContain(t, text(e.api.Sent(head.ID)), "Saved: Late Ltd is your client.")
	if off, _ := e.store.Cursor(context.Background(), cursorName); off != id+1 {
		t.Errorf("saved offset %d, want %d", off, id+1)
	}
}

// TestWebhookUpdateBeforeStart posts an update while the adapter is still
// starting (the HTTP server listens first): it waits and is handled, not
// bounced with a 503.
func TestWebhookUpdateBeforeStart(t *testing.T) {
	e := newTelegramEnv(t, func(c *envConfig) {
		c.cfg.WebhookURL = "https://bot.example.com/hooks/telegram"
		c.cfg.WebhookSecret = "s3cret-token"
		c.noStart = true
	})
	srv := httptest.NewServer(e.a)
	defer srv.Close()
	upd := `{"update_id":9002,"message":{"message_id":6,"date":1767225600,"chat":{"id":100,"type":"private"},"from":{"id":100,"is_bot":false,"first_name":"Hristo"},"text":"/client add Early Bird"}}`
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/telegram", strings.NewReader(upd))
		req.Header.Set(secretHeader, "s3cret-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond) // the request is in before Run
	e.start()
	if code := <-status; code != http.StatusOK {
		t.Fatalf("update posted during start: status %d, want 200", code)
	}
	mustContain(t, text(e.api.Sent(100)), "Saved: Early Bird is your client.")
}
