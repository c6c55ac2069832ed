// Package bot holds the platform-free chat model: the message a person sends,
// the reply the bot gives, the router that picks a handler by command, and
// the middleware around it. Adapters (bot/console, bot/telegram, bot/slack)
// turn platform updates into Messages and Replies into platform calls.
package bot

import (
	"context"
	"errors"
	"time"

	"accountbot/crm"
)

// Platform names, also the first part of an identity ("telegram:123").
const (
	Console  = "console"
	Telegram = "telegram"
	Slack    = "slack"
)

// MaxMessageBytes is the largest message text the bot reads.
const MaxMessageBytes = 64 << 10

// Message is one thing a person sent: a typed line or a pressed button.
type Message struct {
	Platform string
	// ChatID is where the reply goes (a chat, a channel, a DM).
	ChatID string
	// MessageID is the platform's id of the message, or of the bot's message
	// whose button was pressed.
	MessageID string
	// Identity is "platform:user id".
	Identity string
	// DisplayName is the sender's name on the platform, if known.
	DisplayName string
	// Text is the typed text, or the command a button carries.
	Text string
	// Button is true when Text came from a pressed button.
	Button bool
	// Private is true in a one-to-one chat with the bot.
	Private bool
	// LangHint is the platform's language for the sender ("bg", "en-US").
	LangHint string
	// Attachments are files sent with the message.
	Attachments []Attachment
	// Location is a place the sender shared (Telegram), nil otherwise.
	Location *Location
	// Contact is a contact card the sender shared, nil otherwise.
	Contact *Contact
	// Forward is set when the message was forwarded from elsewhere: Text
	// is then the forwarded text.
	Forward *Forward
	// InviteLink, when the platform has one-tap invitations, is the link
	// that registers an invited person: a URL with %s where the invitation
	// code goes ("https://t.me/acct_bot?start=%s").
	InviteLink string
	// ReceivedAt is when the adapter got the message.
	ReceivedAt time.Time

	// Set by the router's middleware before a handler runs.

	// Person is the sender, nil when unknown.
	Person *crm.Person
	// Lang is the reply language ("en" or "bg").
	Lang string
	// Command is the parsed command.
	Command Command
}

// Kinds of attachment.
const (
	KindDocument = "document"
	KindPhoto    = "photo"
	KindVoice    = "voice"
	KindAudio    = "audio"
)

// Attachment is a file sent to the bot.
type Attachment struct {
	// Kind is KindDocument, KindPhoto, KindVoice or KindAudio ("" is a
	// document).
	Kind string
	Name string
	MIME string
	// Duration is the length of a voice note or audio file, when the
	// platform says it.
	Duration time.Duration
	// Size is the file's size in bytes when the platform says it (0 when
	// unknown), so that a file too large is refused before it is fetched.
	Size int64
	// Open returns the file's content; adapters download lazily.
	Open func(ctx context.Context) ([]byte, error)
}

// Location is a shared place.
type Location struct {
	Lat, Lon float64
	// Live is set for a live location; the bot takes it once, at the start.
	Live bool
}

// Contact is a shared contact card.
type Contact struct {
	Name  string
	Phone string
}

// Forward tells where a forwarded message came from.
type Forward struct {
	// From names the original sender, when the platform tells.
	From string
	// Date is when the original message was sent.
	Date time.Time
}

// Button is one choice under a reply. Data is the command text the button
// sends when pressed, so pressing a button is the same as typing it.
type Button struct {
	Label string
	Data  string
}

// Image is a picture sent with a reply.
type Image struct {
	Name string // file name, "digest.png"
	PNG  []byte
	Alt  string
}

// File is a document sent with a reply (a CSV export).
type File struct {
	Name string
	MIME string
	Data []byte
}

// Reply is what the bot answers. Adapters map Title to bold, Text to plain
// lines, Buttons to inline keyboards or Block Kit actions.
type Reply struct {
	Title string
	Text  string
	// Fields are label/value pairs shown as a compact list (cards).
	Fields []Field
	// Buttons are rows of choices.
	Buttons [][]Button
	Image   *Image
	File    *File
	// Edit replaces the message whose button was pressed, where the
	// platform can.
	Edit bool
	// Private asks the adapter to show the reply to the sender only.
	Private bool
	// Home, when set, gives the person their home in the app: a keyboard
	// of the most used actions that stays under the chat where the
	// platform has one (Telegram's reply keyboard), and a command menu for
	// their role.
	Home *Home
}

// Home is a person's home screen, platform-free: adapters render it.
type Home struct {
	// Keyboard are rows of the most used actions; pressing one sends its
	// Label as a message, which the handlers read as its Data.
	Keyboard [][]Button
	// Role is whose commands the command menu lists.
	Role crm.Role
	// Lang is the language of the menu.
	Lang string
}

// Field is one label and value on a card.
type Field struct {
	Label string
	Value string
}

// ReplyWriter sends replies to the chat a message came from.
type ReplyWriter interface {
	Reply(ctx context.Context, r Reply) error
}

// ErrNotRunning is what a Notifier answers for an identity whose platform
// is not running in this process (a console user while the bot serves
// Telegram): the person is not unreachable, just not here now.
var ErrNotRunning = errors.New("the identity's platform is not running here")

// Notifier delivers a message to a person outside a conversation (digests,
// escalations, reminders) on whatever platform reaches them.
type Notifier interface {
	Notify(ctx context.Context, identity string, r Reply) error
}

// Handler serves one message. An error it returns is turned into the
// person's language by the router, once.
type Handler interface {
	ServeChat(ctx context.Context, w ReplyWriter, m *Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, w ReplyWriter, m *Message) error

// ServeChat calls f.
func (f HandlerFunc) ServeChat(ctx context.Context, w ReplyWriter, m *Message) error {
	return f(ctx, w, m)
}

// Middleware wraps a handler, as in net/http.
type Middleware func(Handler) Handler

// Chain applies middleware so that the first listed runs first.
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// ReplyFunc adapts a function to ReplyWriter.
type ReplyFunc func(ctx context.Context, r Reply) error

// Reply calls f.
func (f ReplyFunc) Reply(ctx context.Context, r Reply) error { return f(ctx, r) }

// Recorder is a ReplyWriter that keeps the replies, for tests and for
// adapters that send them all at once.
type Recorder struct{ Replies []Reply }

// Reply records r.
func (rec *Recorder) Reply(_ context.Context, r Reply) error {
	rec.Replies = append(rec.Replies, r)
	return nil
}

// Text joins the title and text of every reply, for assertions.
func (rec *Recorder) Text() string {
	s := ""
	for _, r := range rec.Replies {
		s += r.PlainText() + "\n"
	}
	return s
}

// PlainText renders the reply without formatting: title, text, fields.
func (r Reply) PlainText() string {
	s := ""
	if r.Title != "" {
		s += r.Title + "\n"
	}
	if r.Text != "" {
		s += r.Text + "\n"
	}
	for _, f := range r.Fields {
		s += f.Label + ": " + f.Value + "\n"
	}
	if len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s
}

// SendObserver is told what happens to the calls an adapter makes to its
// platform, for metrics: a call that failed for good (method is the
// platform's, "sendMessage", "chat.postMessage") and a call made again
// (reason "429" for a rate limit, "error" for a failure worth retrying).
type SendObserver interface {
	SendFailed(adapter, method string)
	SendRetried(adapter, reason string)
}

// NopSendObserver counts nothing; adapters use it when none is set.
type NopSendObserver struct{}

// SendFailed does nothing.
func (NopSendObserver) SendFailed(string, string) {}

// SendRetried does nothing.
func (NopSendObserver) SendRetried(string, string) {}

// AnswerMark starts the data of a button that answers the question it
// stands under ("Several match … Which one?"). Handlers take it off and
// send the answer with Edit, so that the question turns into the answer in
// place instead of staying above it; typing the command works as before.
const AnswerMark = "!"

// AnswerButton returns a button that answers the question it stands under.
func AnswerButton(label, command string) Button {
	return Button{Label: label, Data: AnswerMark + command}
}
