package bot

import "context"

// MessageEditor is a ReplyWriter whose platform can change a message after
// sending it (Telegram's editMessageText, Slack's chat.update). Long work,
// such as importing a large file, shows its progress in one message that
// it edits, instead of many. Handlers use it when the writer has it and do
// without otherwise.
type MessageEditor interface {
	ReplyWriter
	// SendEditable sends r and returns a reference to the sent message.
	SendEditable(ctx context.Context, r Reply) (ref string, err error)
	// EditMessage replaces the message ref with r (its text and buttons).
	EditMessage(ctx context.Context, ref string, r Reply) error
}
