package core

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/crm"
)

// MaxTextRunes is the longest note, task or claim text kept.
const MaxTextRunes = 4000

// MaxReplyRunes is the most text one reply carries: under Telegram's
// 4096 characters with room for a title, and well under Slack's limits.
const MaxReplyRunes = 3500

// Truncate shortens s to n characters, the last one an ellipsis.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// TrendArrow writes a change of score: "↑ +5", "↓ −3", "→ 0".
func TrendArrow(d int) string {
	switch {
	case d > 0:
		return "↑ +" + strconv.Itoa(d)
	case d < 0:
		return "↓ −" + strconv.Itoa(-d)
	}
	return "→ 0"
}

// DaysBetween counts whole days from a to b (midnights in one zone).
func DaysBetween(a, b time.Time) int { return int(math.Round(b.Sub(a).Hours() / 24)) }

// NewCode returns a short random one-time code (an invitation, a link to
// another account): 8 letters and digits of base32, easy to type.
func NewCode() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// OneLine collapses all white space, new lines included, to single
// spaces: a subject or a topic shown where a line break does not belong.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// NameTaken reports whether err is the store's refusal of a person's name
// that an active person already has (crm.ECONFLICT "person.name_taken"):
// a newcomer who chose it is then told apart by their identity.
func NameTaken(err error) bool {
	var ce *crm.Error
	return errors.As(err, &ce) && ce.Key == "person.name_taken"
}

// ClientNamer reads client names (a part of every family's port that
// lists records of several clients).
type ClientNamer interface {
	// ClientNames returns the names of the clients with the given ids;
	// ids of clients that do not exist are left out (no error).
	ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error)
}

// ClientNames returns the names of the clients ids, "" for one that is
// gone, and puts them on the request's trail (their names end up in the
// reply, so the clients' erasure must reach it).
func ClientNames(ctx context.Context, st ClientNamer, ids []uint64) (map[uint64]string, error) {
	crm.TouchClient(ctx, ids...)
	names, err := st.ClientNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := names[id]; !ok {
			names[id] = ""
		}
	}
	return names, nil
}

// Median is the median of ds; ok is false when there are none.
func Median(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// ClientEmail is the client's first contact address, or "".
func ClientEmail(c *crm.Client) string {
	if es := crm.Emails(c.Email); len(es) > 0 {
		return es[0]
	}
	return ""
}

// SendFailed is the line that tells the sender plainly why an e-mail did
// not go out (the mail server's reason, on one line).
func SendFailed(r *Request, err error) string {
	return r.T("mail.send_failed", "reason", Truncate(OneLine(err.Error()), 300))
}

// FieldMatches compares a client field with a filter value, ignoring case
// and script, and matching any item of a comma-separated list.
func FieldMatches(have, want string) bool {
	w := crm.NormalizeName(want)
	if crm.NormalizeName(have) == w {
		return true
	}
	for _, part := range strings.Split(have, ",") {
		if crm.NormalizeName(part) == w {
			return true
		}
	}
	return false
}

// ErrorText is an error in r's sender's words, for text that goes on
// rather than ending the answer (a tool's result to the model, one line
// among the outcomes of several commands): an ambiguous reference with
// its choices, a crm.Error's words. An internal error (or an unavailable
// store) is logged and says only "internal error".
func ErrorText(log *slog.Logger, r *Request, err error) string {
	var amb *AmbiguousError
	if errors.As(err, &amb) {
		var labels []string
		for _, c := range amb.Choices {
			labels = append(labels, c.Label+" "+c.Ref)
		}
		return r.T("error.ambiguous", "ref", amb.Ref) + " " + strings.Join(labels, "; ")
	}
	var ce *crm.Error
	if errors.As(err, &ce) && ce.Code != crm.EINTERNAL && ce.Code != crm.EUNAVAILABLE {
		return r.Loc.TMap(ce.Key, ce.Args)
	}
	log.Error("ask: tool failed", "err", err)
	return "internal error"
}
