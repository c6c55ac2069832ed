package slack

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"accountbot/bot"
	"accountbot/dates"
	"accountbot/i18n"

	slackapi "github.com/slack-go/slack"
)

// logModalID is the callback id of the form for logging a conversation.
const logModalID = "accountbot_log"

// The form's input blocks; their ids key the errors shown under them.
const (
	fieldClient  = "client"
	fieldChannel = "channel"
	fieldText    = "text"
	fieldNext    = "next"
	fieldDue     = "due"
	inputAction  = "value"
)

// logChannels are the ways of talking offered in the form, as the tags
// /log reads (#call, #meeting …).
var logChannels = []string{"call", "meeting", "email", "visit", "fair", "presentation"}

// logCommands are the names of /log, with its aliases ("words.cmd.log").
const logCommands = i18n.WordsPrefix + "cmd.log"

// nextMarkers are the words with which /log starts the next step
// ("words.next.step"); free text must not contain them, or the step would
// be read out of it.
const nextMarkers = i18n.WordsPrefix + "next.step"

// logFormWanted reports whether text is /log without a conversation to
// log ("/log", "/log Acme:" or "/log #12"), which opens the form; client is the
// client already named, if any.
func (a *Adapter) logFormWanted(text string) (string, bool) {
	cmd, ok := bot.ParseCommand(text)
	if !ok || cmd.Name != "log" && !a.cat.IsWord(logCommands, cmd.Name) {
		return "", false
	}
	rest := strings.TrimSpace(cmd.Rest)
	if rest == "" {
		return "", true
	}
	name, text, ok := bot.CutName(rest)
	if !ok {
		// "/log #12" or "/log Acme", the Log a talk button: the client
		// alone.
		return rest, true
	}
	if text != "" {
		return "", false
	}
	return name, true
}

// formMeta is kept in the modal's private_metadata: where the answer to
// the submission goes, and in which language the form speaks.
type formMeta struct {
	Channel     string `json:"c,omitempty"`
	ResponseURL string `json:"r,omitempty"`
	Thread      string `json:"t,omitempty"`
	IM          bool   `json:"im,omitempty"`
	Lang        string `json:"l,omitempty"`
	// Ref and Name: the form shows the client's name; submitted
	// unchanged, the reference it stands for is logged (names may repeat).
	Ref  string `json:"cr,omitempty"`
	Name string `json:"cn,omitempty"`
}

// offerLogForm opens the form when Slack gave a trigger (a slash command
// or a button); otherwise (a typed message) it answers with a button that
// opens it.
func (a *Adapter) offerLogForm(ctx context.Context, w *replier, in inbound, client, lang string) {
	if in.triggerID != "" {
		meta := formMeta{Channel: in.o.channel, ResponseURL: in.o.responseURL, Thread: in.o.thread, IM: in.o.im, Lang: lang}
		shown := client
		if strings.HasPrefix(client, "#") && a.clientName != nil {
			if name := a.clientName(ctx, bot.Slack+":"+in.o.user, client); name != "" {
				shown, meta.Ref, meta.Name = name, client, name
			}
		}
		view := a.logModal(lang, shown, "", meta)
		err := a.retry(ctx, func() error {
			_, err := a.api.OpenViewContext(ctx, in.triggerID, view)
			return err
		})
		if err == nil {
			return
		}
		a.log.Warn("slack: cannot open the log form", "err", err)
	}
	loc := a.cat.For(lang)
	data := "/log"
	if client != "" {
		data = "/log " + quoteName(client) + ":"
	}
	_ = w.Reply(ctx, bot.Reply{
		Text:    loc.T("slack.log.form_hint"),
		Buttons: [][]bot.Button{{{Label: loc.T("slack.log.open"), Data: data}}},
	})
}

// logModal builds the form: client, how they talked, what was said, the
// next step and its due date.
func (a *Adapter) logModal(lang, client, text string, meta formMeta) slackapi.ModalViewRequest {
	loc := a.cat.For(lang)
	input := func(id, label, placeholder, hint string, optional, multiline bool, maxLen int, initial string) *slackapi.InputBlock {
		el := slackapi.NewPlainTextInputBlockElement(plain(placeholder), inputAction)
		el.Multiline = multiline
		el.MaxLength = maxLen
		el.InitialValue = initial
		var h *slackapi.TextBlockObject
		if hint != "" {
			h = plain(hint)
		}
		b := slackapi.NewInputBlock(id, plain(label), h, el)
		b.Optional = optional
		return b
	}
	var opts []*slackapi.OptionBlockObject
	for _, c := range logChannels {
		opts = append(opts, slackapi.NewOptionBlockObject(c, plain(loc.T("slack.channel."+c)), nil))
	}
	sel := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plain(loc.T("slack.modal.channel_hint")), inputAction, opts...)
	channel := slackapi.NewInputBlock(fieldChannel, plain(loc.T("slack.modal.channel")), nil, sel)
	channel.Optional = true
	metaJSON, _ := json.Marshal(meta)
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      logModalID,
		Title:           plain(truncate(loc.T("slack.modal.title"), 24)),
		Submit:          plain(truncate(loc.T("slack.modal.submit"), 24)),
		Close:           plain(truncate(loc.T("slack.modal.close"), 24)),
		PrivateMetadata: string(metaJSON),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			input(fieldClient, loc.T("slack.modal.client"), loc.T("slack.modal.client_hint"), "", false, false, 200, client),
			channel,
			input(fieldText, loc.T("slack.modal.text"), loc.T("slack.modal.text_hint"), "", false, true, 3000, text),
			input(fieldNext, loc.T("slack.modal.next"), loc.T("slack.modal.next_hint"), "", true, false, 500, ""),
			input(fieldDue, loc.T("slack.modal.due"), loc.T("slack.modal.due_hint"), "", true, false, 60, ""),
		}},
	}
}

// onLogSubmission checks the form and answers with the errors to show
// under its fields; a valid form closes and its conversation is logged
// with the /log command, as if typed.
func (a *Adapter) onLogSubmission(ctx context.Context, ic *slackapi.InteractionCallback) (any, error) {
	var meta formMeta
	_ = json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta)
	lang := meta.Lang
	if lang == "" {
		lang = a.cfg.Lang
	}
	cmd, errs := a.logCommand(ic.View.State, lang, meta)
	if len(errs) > 0 {
		return slackapi.NewErrorsViewSubmissionResponse(errs), nil
	}
	in := inbound{
		key:  "slack/view/" + ic.View.ID,
		text: cmd,
		o: origin{
			user: ic.User.ID, channel: meta.Channel, im: meta.IM, thread: meta.Thread, responseURL: meta.ResponseURL,
		},
	}
	if ic.View.ID == "" {
		in.key = ""
	}
	if !a.accept(ctx, in.key) {
		return nil, nil
	}
	return nil, a.dispatch(in)
}

// logCommand reads the form's values and returns the /log command they
// make, or the errors per field.
func (a *Adapter) logCommand(state *slackapi.ViewState, lang string, meta formMeta) (string, map[string]string) {
	loc := a.cat.For(lang)
	value := func(block string) string {
		if state == nil {
			return ""
		}
		act, ok := state.Values[block][inputAction]
		if !ok {
			return ""
		}
		if act.SelectedOption.Value != "" {
			return act.SelectedOption.Value
		}
		return strings.TrimSpace(act.Value)
	}
	client, channel, text, next, due := value(fieldClient), value(fieldChannel), value(fieldText), value(fieldNext), value(fieldDue)
	errs := map[string]string{}
	if client == "" {
		errs[fieldClient] = loc.T("slack.modal.err_client")
	}
	lower := strings.ToLower(text)
	switch {
	case text == "":
		errs[fieldText] = loc.T("slack.modal.err_text")
	case utf8.RuneCountInString(text) > 4000:
		errs[fieldText] = loc.T("slack.modal.err_text_long", "max", 4000)
	default:
		for _, m := range a.cat.Words(nextMarkers) {
			if strings.Contains(lower, m) {
				errs[fieldText] = loc.T("slack.modal.err_text_marker", "marker", m)
				break
			}
		}
	}
	var dueText string
	switch {
	case next != "" && due == "":
		errs[fieldDue] = loc.T("slack.modal.err_due_missing")
	case next == "" && due != "":
		errs[fieldNext] = loc.T("slack.modal.err_next_missing")
	case due != "":
		day, ok := dates.Parse(due, a.clock.Now(), a.tz)
		if !ok {
			errs[fieldDue] = loc.T("slack.modal.err_due", "value", due)
		} else {
			dueText = day.Format("2006-01-02")
		}
	}
	if next != "" {
		for _, m := range a.cat.Words(nextMarkers) {
			if strings.Contains(strings.ToLower(next), m) {
				errs[fieldNext] = loc.T("slack.modal.err_text_marker", "marker", m)
				break
			}
		}
	}
	if channel != "" && !validChannel(channel) {
		errs[fieldChannel] = loc.T("slack.modal.err_channel")
	}
	if len(errs) > 0 {
		return "", errs
	}
	ref := quoteName(client)
	if meta.Ref != "" && client == meta.Name {
		ref = meta.Ref
	}
	cmd := "/log " + ref + ": " + text
	if channel != "" {
		cmd += " #" + channel
	}
	if next != "" {
		cmd += " next: " + next + " by " + dueText
	}
	return cmd, nil
}

func validChannel(c string) bool {
	for _, x := range logChannels {
		if x == c {
			return true
		}
	}
	return false
}

// quoteName writes a client name so that /log reads it back whole: in
// double quotes when it has spaces, quotes, backslashes or a colon.
func quoteName(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"\\:") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
