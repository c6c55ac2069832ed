package slack

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// failingBody fails the test when read: the body of a request refused by
// its headers must not be read.
type failingBody struct{ t *testing.T }

func (b failingBody) Read([]byte) (int, error) {
	b.t.Error("the body of a refused request was read")
	return 0, io.ErrUnexpectedEOF
}
func (b failingBody) Close() error { return nil }

// TestSignatureHeadersBeforeBody: unsigned, stale and oversized requests
// are refused on their headers, without reading the body.
func TestSignatureHeadersBeforeBody(t *testing.T) {
	a := &Adapter{cfg: Config{SigningSecret: "secret"}, log: slog.New(slog.DiscardHandler)}
	h := a.verified(func(w http.ResponseWriter, r *http.Request, body []byte) { t.Error("reached the handler") })
	now := time.Now().Unix()
	sig := "v0=" + strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		hdr    map[string]string
		length int64
		want   int
	}{
		{"unsigned", nil, 100, http.StatusUnauthorized},
		{"no timestamp", map[string]string{"X-Slack-Signature": sig}, 100, http.StatusUnauthorized},
		{"stale", map[string]string{"X-Slack-Signature": sig, "X-Slack-Request-Timestamp": strconv.FormatInt(now-600, 10)}, 100, http.StatusUnauthorized},
		{"short signature", map[string]string{"X-Slack-Signature": "v0=ab", "X-Slack-Request-Timestamp": strconv.FormatInt(now, 10)}, 100, http.StatusUnauthorized},
		{"too large", map[string]string{"X-Slack-Signature": sig, "X-Slack-Request-Timestamp": strconv.FormatInt(now, 10)}, 3 << 20, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPost, "/slack/events", nil)
		r.Body, r.ContentLength = failingBody{t}, c.length
		for k, v := range c.hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, w.Code, c.want)
		}
	}
}
