package telegram

import "accountbot/internal/fakes"

// The fake Bot API is the shared one (internal/fakes), under the names
// these tests were written with.
type (
	fakeAPI     = fakes.Telegram
	apiCall     = fakes.TelegramCall
	tgUser      = fakes.TelegramUser
	fakeFailure = fakes.TelegramFailure
)

const (
	fakeToken       = fakes.TelegramToken
	fakeBotUsername = fakes.TelegramBotUsername
	dropConnection  = fakes.DropConnection
)

var (
	newFakeAPI     = fakes.NewTelegram
	chatJSON       = fakes.ChatJSON
	messageUpdate  = fakes.MessageUpdate
	documentUpdate = fakes.DocumentUpdate
	visible        = fakes.Visible
	keyboard       = fakes.Keyboard
)
