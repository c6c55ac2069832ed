package handlers

import (
	"testing"

	"accountbot/bot"
	"accountbot/csvio"
)

// Adapters refuse files above bot.MaxAttachmentBytes before fetching
// them; the import must refuse the same files, no more and no fewer.
func TestAttachmentLimitMatchesImportCap(t *testing.T) {
	if bot.MaxAttachmentBytes != csvio.DefaultMaxBytes {
		t.Errorf("bot.MaxAttachmentBytes = %d, csvio.DefaultMaxBytes = %d", bot.MaxAttachmentBytes, csvio.DefaultMaxBytes)
	}
}
