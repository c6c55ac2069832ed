package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// origin says where a message came from and so where its replies go.
type origin struct {
	user    string
	channel string
	// im is true when channel is the direct messages of user with the bot.
	im     bool
	thread string
	// responseURL answers a slash command or a pressed button; replies sent
	// through it are ephemeral unless shared.
	responseURL string
	// pressedTS is the bot message whose button was pressed.
	pressedTS        string
	pressedEphemeral bool
	// shared is set by "/crm share …": the answer goes to the channel.
	shared bool
}

// inbound is one message to hand to the handler.
type inbound struct {
	// key identifies the delivery ("slack/event/Ev1"); "" when Slack gives
	// nothing to recognise a redelivery by.
	key       string
	o         origin
	text      string
	button    bool
	triggerID string
	messageTS string
	// retry is Slack's retry count, for the log.
	retry int
	// files were shared with the message (a DM with the bot).
	files []slackapi.File
}

// accept reports whether the delivery key is new: neither being handled
// now nor handled before (as the store remembers). A new key is held as
// in flight until release.
func (a *Adapter) accept(ctx context.Context, key string) bool {
	if key == "" {
		return true
	}
	a.inMu.Lock()
	if a.inFlight[key] {
		a.inMu.Unlock()
		return false
	}
	a.inFlight[key] = true
	a.inMu.Unlock()
	done, err := a.store.Delivered(ctx, key)
	if err != nil {
		// The store cannot tell: handle it. The delivery key that the
		// store records with the first write still keeps a retry from
		// writing twice.
		a.log.Warn("slack: cannot check a delivery", "key", key, "err", err)
	}
	if done {
		a.release(key)
		return false
	}
	return true
}

func (a *Adapter) release(key string) {
	if key == "" {
		return
	}
	a.inMu.Lock()
	delete(a.inFlight, key)
	a.inMu.Unlock()
}

// errClosing is returned while the adapter shuts down; HTTP answers 503 so
// that Slack delivers the update again later.
var errClosing = fmt.Errorf("slack adapter is shutting down")

// dispatch takes an accepted inbound message and handles it in the
// background. It returns errClosing when no new work is taken.
func (a *Adapter) dispatch(in inbound) error {
	if !a.spawn(func(ctx context.Context) { a.serve(ctx, in) }) {
		a.release(in.key)
		return errClosing
	}
	return nil
}

// onCommand handles the slash command "/crm …". The acknowledgement is
// empty; the answer follows through the response_url.
func (a *Adapter) onCommand(ctx context.Context, cmd slackapi.SlashCommand, retry int) (any, error) {
	if cmd.UserID == "" {
		return nil, nil
	}
	text, shared := a.normalize(cmd.Text)
	in := inbound{
		key:       "slack/command/" + cmd.TriggerID,
		text:      text,
		triggerID: cmd.TriggerID,
		retry:     retry,
		o: origin{
			user: cmd.UserID, channel: cmd.ChannelID, responseURL: cmd.ResponseURL, shared: shared,
		},
	}
	if cmd.TriggerID == "" {
		in.key = ""
	}
	if !a.accept(ctx, in.key) {
		return nil, nil
	}
	return nil, a.dispatch(in)
}

// onEvents handles an Events API payload (HTTP body or the payload of a
// socket envelope). It returns the acknowledgement: the challenge for
// url_verification, nothing otherwise.
func (a *Adapter) onEvents(ctx context.Context, raw []byte, retry int) (any, error) {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
	}
	if err := json.Unmarshal(raw, &outer); err != nil {
		return nil, fmt.Errorf("slack: bad event payload: %w", err)
	}
	switch outer.Type {
	case slackevents.URLVerification:
		return map[string]string{"challenge": outer.Challenge}, nil
	case slackevents.CallbackEvent:
	default:
		return nil, nil
	}
	ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type this adapter does not subscribe to: acknowledge
		// it so that Slack does not send it again.
		a.log.Debug("slack: ignoring an event", "err", err)
		return nil, nil
	}
	if ho, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
		// Publishing the Home tab again is harmless, so a retried event
		// needs no delivery key.
		if ho.Tab == "home" && ho.User != "" {
			a.spawn(func(ctx context.Context) { a.publishHome(ctx, ho.User) })
		}
		return nil, nil
	}
	in, ok := a.eventMessage(ev.InnerEvent.Data)
	if !ok {
		return nil, nil
	}
	in.key = "slack/event/" + outer.EventID
	if outer.EventID == "" {
		in.key = ""
	}
	in.retry = retry
	if !a.accept(ctx, in.key) {
		if retry > 0 {
			a.log.Info("slack: retry of a handled event ignored", "key", in.key, "retry", retry)
		}
		return nil, nil
	}
	return nil, a.dispatch(in)
}

// eventMessage turns a direct message or a mention into an inbound
// message; it reports false for anything else (the bot's own messages,
// edits, channel chatter).
func (a *Adapter) eventMessage(data any) (inbound, bool) {
	switch ev := data.(type) {
	case *slackevents.MessageEvent:
		if ev.BotID != "" || ev.User == "" || ev.ChannelType != slackevents.ChannelTypeIM {
			return inbound{}, false
		}
		if ev.SubType != "" && ev.SubType != "file_share" && ev.SubType != "thread_broadcast" {
			return inbound{}, false
		}
		var files []slackapi.File
		if ev.SubType == "file_share" && ev.Message != nil {
			files = ev.Message.Files
		}
		if ev.SubType == "file_share" && len(files) == 0 && strings.TrimSpace(ev.Text) == "" {
			return inbound{}, false
		}
		text, shared := a.normalize(ev.Text)
		if len(files) > 0 && !typedCommand(ev.Text) {
			// Words with a file are its caption, unless they are a command
			// typed with its "/" ("/import"): the file speaks for itself.
			text = ""
		}
		return inbound{text: text, messageTS: ev.TimeStamp, files: files, o: origin{
			user: ev.User, channel: ev.Channel, im: true, thread: ev.ThreadTimeStamp, shared: shared,
		}}, true
	case *slackevents.AppMentionEvent:
		if ev.BotID != "" || ev.User == "" {
			return inbound{}, false
		}
		text, shared := a.normalize(ev.Text)
		return inbound{text: text, messageTS: ev.TimeStamp, o: origin{
			user: ev.User, channel: ev.Channel, im: strings.HasPrefix(ev.Channel, "D"), thread: ev.ThreadTimeStamp, shared: shared,
		}}, true
	}
	return inbound{}, false
}

// onInteraction handles a button press or a modal submission. The
// acknowledgement of a submission carries the form's errors, if any.
func (a *Adapter) onInteraction(ctx context.Context, raw []byte) (any, error) {
	var ic slackapi.InteractionCallback
	if err := json.Unmarshal(raw, &ic); err != nil {
		return nil, fmt.Errorf("slack: bad interaction payload: %w", err)
	}
	switch ic.Type {
	case slackapi.InteractionTypeMessageAction:
		if ic.CallbackID == logMessageID {
			a.onLogMessage(ctx, &ic)
		}
		return nil, nil
	case slackapi.InteractionTypeBlockActions:
		return nil, a.onBlockActions(ctx, &ic)
	case slackapi.InteractionTypeViewSubmission:
		if ic.View.CallbackID == logModalID {
			return a.onLogSubmission(ctx, &ic)
		}
	}
	return nil, nil
}

// onBlockActions handles a pressed button: its command is handled as if
// the person had typed it.
func (a *Adapter) onBlockActions(ctx context.Context, ic *slackapi.InteractionCallback) error {
	for _, act := range ic.ActionCallback.BlockActions {
		data, ok := a.buttonData(ctx, act)
		if !ok {
			continue
		}
		ch := ic.Container.ChannelID
		if ch == "" {
			ch = ic.Channel.ID
		}
		if ch == "" && ic.View.Type == slackapi.VTHomeTab {
			// A button of the App Home: the answer goes to the DM.
			dm, err := a.dmChannel(ctx, ic.User.ID)
			if err != nil {
				return err
			}
			ch = dm
		}
		in := inbound{
			key:       "slack/action/" + ic.TriggerID + "/" + act.ActionID,
			text:      data,
			button:    true,
			triggerID: ic.TriggerID,
			messageTS: ic.Container.MessageTs,
			o: origin{
				user: ic.User.ID, channel: ch, im: strings.HasPrefix(ch, "D"),
				thread: ic.Container.ThreadTs, responseURL: ic.ResponseURL,
				pressedTS: ic.Container.MessageTs, pressedEphemeral: ic.Container.IsEphemeral,
			},
		}
		if ic.TriggerID == "" {
			in.key = ""
		}
		if !a.accept(ctx, in.key) {
			continue
		}
		if err := a.dispatch(in); err != nil {
			return err
		}
	}
	return nil
}

// buttonData returns the command a pressed button carries.
func (a *Adapter) buttonData(ctx context.Context, act *slackapi.BlockAction) (string, bool) {
	switch {
	case strings.HasPrefix(act.ActionID, actionCmd):
		return act.Value, act.Value != ""
	case strings.HasPrefix(act.ActionID, actionToken):
		data, err := a.store.Token(ctx, "slack/"+act.Value)
		if err != nil {
			a.log.Warn("slack: the command of a long button is gone", "token", act.Value, "err", err)
			return "", false
		}
		return data, true
	}
	return "", false
}

// serve handles one accepted message: it tells the handler, shows
// "working…" when the handler is slow, and remembers the delivery.
func (a *Adapter) serve(ctx context.Context, in inbound) {
	defer a.release(in.key)
	identity := bot.Slack + ":" + in.o.user
	if client, ok := a.logFormWanted(in.text); ok {
		// The trigger to open a form lives three seconds: ask Slack for
		// the locale only if nothing faster knows the language.
		lang := ""
		if a.personLang != nil {
			lang = a.personLang(ctx, identity)
		}
		if lang == "" {
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			lang = a.langFor(qctx, identity, a.users.get(qctx, a, in.o.user).locale)
			cancel()
		}
		w := a.newReplier(in.o, lang)
		a.offerLogForm(ctx, w, in, client, lang)
		w.finish(ctx)
		a.markHandled(ctx, in.key)
		return
	}
	info := a.users.get(ctx, a, in.o.user)
	lang := a.langFor(ctx, identity, info.locale)
	w := a.newReplier(in.o, lang)
	m := &bot.Message{
		Platform:    bot.Slack,
		ChatID:      in.o.channel,
		MessageID:   in.messageTS,
		Identity:    identity,
		DisplayName: info.name,
		Text:        in.text,
		Button:      in.button,
		Private:     in.o.im || !in.o.shared,
		LangHint:    info.locale,
		ReceivedAt:  a.clock.Now(),
		Attachments: a.attachments(ctx, in.files),
	}
	stop := w.startWorking(ctx, a.workingAfter)
	err := a.h.ServeChat(crm.WithDeliveryKey(ctx, in.key), w, m)
	stop()
	w.finish(ctx)
	if err != nil {
		a.log.Error("slack: a reply could not be delivered", "identity", identity, "command", m.Command.Name, "err", err)
	}
	a.markHandled(ctx, in.key)
}

func (a *Adapter) markHandled(ctx context.Context, key string) {
	if key == "" {
		return
	}
	if err := a.store.MarkDelivered(ctx, key, deliveryTTL); err != nil {
		a.log.Warn("slack: cannot remember a handled delivery", "key", key, "err", err)
	}
}

// langFor picks the language of the adapter's own words: the person's
// setting, else Slack's locale, else the default.
func (a *Adapter) langFor(ctx context.Context, identity, locale string) string {
	if a.personLang != nil {
		if l := a.personLang(ctx, identity); l != "" {
			return l
		}
	}
	if l := langOf(locale); l != "" {
		return l
	}
	return a.cfg.Lang
}

var (
	leadingMention = regexp.MustCompile(`^\s*<@[A-Z0-9]+(\|[^>]*)?>[\s,:]*`)
	markup         = regexp.MustCompile(`<([^<>]*)>`)
)

// normalize turns what a person wrote in Slack into a command line: the
// leading mention of the bot goes, Slack's markup becomes plain text
// (a mentioned user becomes their identity "slack:U…"), a missing "/" is
// added, and a first word "share" is taken off and reported.
func (a *Adapter) normalize(text string) (string, bool) {
	text = leadingMention.ReplaceAllString(text, "")
	text = markup.ReplaceAllStringFunc(text, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@U"), strings.HasPrefix(target, "@W"):
			return bot.Slack + ":" + target[1:]
		case strings.HasPrefix(target, "#C"), strings.HasPrefix(target, "#G"):
			if hasLabel && label != "" {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel && label != "" {
				return label
			}
			return "@" + strings.TrimPrefix(target, "!")
		case strings.HasPrefix(target, "mailto:"):
			return strings.TrimPrefix(target, "mailto:")
		case hasLabel && label != "":
			return label
		}
		return target
	})
	text = html.UnescapeString(text)
	// Typographic quotes (macOS, Bulgarian „…“) group words like "…".
	text = strings.NewReplacer("„", `"`, "“", `"`, "”", `"`, "«", `"`, "»", `"`).Replace(text)
	text = strings.TrimSpace(text)
	shared := false
	if w, rest, _ := strings.Cut(text, " "); a.isShareWord(w) {
		shared, text = true, strings.TrimSpace(rest)
	} else if a.isShareWord(text) {
		shared, text = true, ""
	}
	if text == "" {
		return "/help", shared
	}
	if !strings.HasPrefix(text, "/") {
		text = "/" + text
	}
	return text, shared
}

// isShareWord reports whether w asks for the answer in the channel itself
// ("share", "сподели": "words.chat.share").
func (a *Adapter) isShareWord(w string) bool {
	return a.cat.IsWord(i18n.WordsPrefix+"chat.share", strings.TrimPrefix(w, "/"))
}
