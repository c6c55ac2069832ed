package slack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// maxBody is the largest request Slack sends (a modal submission with its
// blocks is the biggest, tens of kilobytes).
const maxBody = 2 << 20

// verified checks Slack's signature of a request before anything reads
// it: HMAC-SHA256 of "v0:timestamp:body" with the signing secret,
// compared in constant time, and a timestamp at most five minutes away.
// A forged, stale or unsigned request gets 401 and is not looked at.
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The headers first: an unsigned or stale request, or one that
		// announces more than Slack ever sends, is refused before a byte
		// of its body is read (slow or large bodies cost nothing then).
		if reason := signatureHeaders(r.Header, time.Now()); reason != "" {
			a.log.Warn("slack: request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", reason)
			http.Error(w, "invalid or missing Slack signature", http.StatusUnauthorized)
			return
		}
		if r.ContentLength > maxBody {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slackapi.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err == nil {
			_, err = sv.Write(body)
		}
		if err == nil {
			err = sv.Ensure()
		}
		if err != nil {
			a.log.Warn("slack: request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err)
			http.Error(w, "invalid or missing Slack signature", http.StatusUnauthorized)
			return
		}
		if a.isClosing() {
			unavailable(w)
			return
		}
		next(w, r, body)
	})
}

// signatureHeaders checks the form of Slack's signature headers and the
// timestamp's window (five minutes either way); "" when they may be
// verified against the body.
func signatureHeaders(h http.Header, now time.Time) string {
	sig := h.Get("X-Slack-Signature")
	if !strings.HasPrefix(sig, "v0=") || len(sig) != len("v0=")+64 {
		return "missing or malformed X-Slack-Signature"
	}
	ts, err := strconv.ParseInt(h.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return "missing or malformed X-Slack-Request-Timestamp"
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "stale X-Slack-Request-Timestamp"
	}
	return ""
}

func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "10")
	http.Error(w, "shutting down", http.StatusServiceUnavailable)
}

func retryNum(r *http.Request) int {
	n, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
	return n
}

// serveCommand answers POST /slack/commands (form-encoded).
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	cmd := slackapi.SlashCommand{
		TeamID: v.Get("team_id"), ChannelID: v.Get("channel_id"), ChannelName: v.Get("channel_name"),
		UserID: v.Get("user_id"), UserName: v.Get("user_name"), Command: v.Get("command"), Text: v.Get("text"),
		ResponseURL: v.Get("response_url"), TriggerID: v.Get("trigger_id"), APIAppID: v.Get("api_app_id"),
	}
	ack, err := a.onCommand(r.Context(), cmd, retryNum(r))
	a.respond(w, ack, err)
}

// serveEvents answers POST /slack/events (JSON), including Slack's
// url_verification challenge.
func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	ack, err := a.onEvents(r.Context(), body, retryNum(r))
	a.respond(w, ack, err)
}

// serveInteractive answers POST /slack/interactive (form with a JSON
// "payload").
func (a *Adapter) serveInteractive(w http.ResponseWriter, r *http.Request, body []byte) {
	v, err := url.ParseQuery(string(body))
	if err != nil || v.Get("payload") == "" {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ack, err := a.onInteraction(r.Context(), []byte(v.Get("payload")))
	a.respond(w, ack, err)
}

// respond writes the acknowledgement: 200 with the JSON ack or nothing.
func (a *Adapter) respond(w http.ResponseWriter, ack any, err error) {
	switch {
	case errors.Is(err, errClosing):
		unavailable(w)
		return
	case err != nil:
		a.log.Warn("slack: bad request", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	case ack == nil:
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ack)
}
