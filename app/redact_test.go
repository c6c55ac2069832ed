package app

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestLogsRedactURLSecrets: a credential in a URL's query or user info
// never reaches the log, whether logged as a string or inside an error,
// in either format.
func TestLogsRedactURLSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log, err := newLogger(&buf, func(k string) string {
			if k == "ACCOUNTBOT_LOG_FORMAT" {
				return format
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		uerr := &url.Error{Op: "Post", URL: "https://llm.example/v1/chat/completions?api-key=SECRET1&x=1", Err: errors.New("connection refused")}
		log.Warn("language model call failed", "err", uerr, "server", "http://user:SECRET2@llm.example/v1?key=SECRET3")
		log.Error("wrapped", "err", errors.Join(errors.New("ask"), uerr))
		out := buf.String()
		for _, secret := range []string{"SECRET1", "SECRET2", "SECRET3"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s log holds %s:\n%s", format, secret, out)
			}
		}
		if !strings.Contains(out, "llm.example/v1/chat/completions") {
			t.Errorf("%s log lost the URL itself:\n%s", format, out)
		}
	}
	if got := redactURLs("postgres://bot:pw@db:5432/crm?sslmode=disable"); strings.Contains(got, "pw") || !strings.Contains(got, "db:5432/crm") {
		t.Errorf("redactURLs: %s", got)
	}
}
