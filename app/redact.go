package app

import (
	"log/slog"
	"net/url"
	"regexp"
)

// Secrets must not reach the logs through a URL that carries them:
// OPENAI_BASE_URL with an api-key query, SMTP/IMAP/PostgreSQL URLs with a
// password, an error of Go's HTTP client that quotes the URL it called.
// So the logger redacts every URL in every attribute at the point of
// logging, whatever code logged it: the password of its user info and the
// values of its query are replaced.

var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// redactURLs returns s with the credentials of every URL in it replaced.
func redactURLs(s string) string {
	return urlInText.ReplaceAllStringFunc(s, redactOneURL)
}

func redactOneURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactAttr is the loggers' ReplaceAttr: strings and errors (and other
// values as they print) lose the secrets of the URLs they hold.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); urlInText.MatchString(s) {
			a.Value = slog.StringValue(redactURLs(s))
		}
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case interface{ String() string }:
			s = x.String()
		default:
			return a
		}
		if urlInText.MatchString(s) {
			a.Value = slog.StringValue(redactURLs(s))
		}
	}
	return a
}
