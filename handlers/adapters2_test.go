package handlers

import (
	"testing"

	"accountbot/bot"
	"accountbot/csvio"
)

// Adapters refuse files above bot.MaxAttachmentBytes before fetching
// them; every handler's own limit must fit under it, or a file the handler
// would take could never be fetched.
func TestAttachmentLimitsFitTheAdapterCap(t *testing.T) {
	for name, limit := range map[string]int64{
		"import":     csvio.DefaultMaxBytes,
		"attachment": maxAttachmentBytes,
		"voice":      maxVoiceBytes,
	} {
		if limit > bot.MaxAttachmentBytes {
			t.Errorf("%s limit %d > bot.MaxAttachmentBytes %d", name, limit, bot.MaxAttachmentBytes)
		}
	}
}
