package slack_test

import "accountbot/internal/fakes"

// The fake Slack is the shared one (internal/fakes), under the names
// these tests were written with.
type (
	fakeSlack = fakes.Slack
	apiCall   = fakes.SlackCall
	failure   = fakes.SlackFailure
)

var (
	newFakeSlack = fakes.NewSlack
	dump         = fakes.DumpSlackCalls
)

// fileShareEvent is a message in the DM of user with the bot that shares
// files, with text (a caption, or none).
func fileShareEvent(eventID, user, text string, files ...map[string]any) []byte {
	return eventJSON(eventID, map[string]any{
		"type": "message", "subtype": "file_share", "channel": "D" + user, "channel_type": "im", "user": user,
		"text": text, "ts": "1700000002.000100", "event_ts": "1700000002.000100", "files": files,
	})
}
