package capture

import (
	"testing"

	"accountbot/bot"
)

// A voice note's own limit must fit under the adapters' cap
// (bot.MaxAttachmentBytes), or a note the family would take could never
// be fetched.
func TestVoiceLimitFitsTheAdapterCap(t *testing.T) {
	if maxVoiceBytes > bot.MaxAttachmentBytes {
		t.Errorf("voice limit %d > bot.MaxAttachmentBytes %d", maxVoiceBytes, bot.MaxAttachmentBytes)
	}
}

func TestFmtSize(t *testing.T) {
	for _, tc := range []struct {
		n          int64
		lang, want string
	}{
		{0, "en", "0 B"}, {1023, "en", "1023 B"}, {1024, "en", "1 KB"}, {820 << 10, "en", "820 KB"},
		{3 << 19, "en", "1.5 MB"}, {3 << 19, "bg", "1,5 MB"}, {20 << 20, "bg", "20,0 MB"},
	} {
		if got := fmtSize(tc.n, tc.lang); got != tc.want {
			t.Errorf("fmtSize(%d, %s) = %q, want %q", tc.n, tc.lang, got, tc.want)
		}
	}
}
