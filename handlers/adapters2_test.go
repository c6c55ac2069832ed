package handlers

import (
	"testing"

	"accountbot/bot"
	"accountbot/csvio"
	"accountbot/handlers/core"
)

// Adapters refuse files above bot.MaxAttachmentBytes before fetching
// them; every handler's own limit must fit under it, or a file the handler
// would take could never be fetched.
func TestAttachmentLimitsFitTheAdapterCap(t *testing.T) {
	for name, limit := range map[string]int64{
		"import":     csvio.DefaultMaxBytes,
		"attachment": core.MaxAttachmentBytes,
	} {
		if limit > bot.MaxAttachmentBytes {
			t.Errorf("%s limit %d > bot.MaxAttachmentBytes %d", name, limit, bot.MaxAttachmentBytes)
		}
	}
}
