package mail_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"accountbot/crm"

	ical "github.com/emersion/go-ical"
)

// decodeCal parses b as iCalendar, failing the test unless every line
// ends in CRLF within 75 octets and the calendar and its events carry the
// properties RFC 5545 requires.
func decodeCal(t *testing.T, b []byte) *ical.Calendar {
	t.Helper()
	for _, l := range bytes.SplitAfter(b, []byte("\r\n")) {
		if len(l) > 77 {
			t.Fatalf("line longer than 75 octets: %q", l)
		}
		if len(l) > 0 && !bytes.HasSuffix(l, []byte("\r\n")) {
			t.Fatalf("line without CRLF: %q", l)
		}
	}
	cal, err := ical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	for _, p := range []string{ical.PropProductID, ical.PropVersion} {
		if cal.Props.Get(p) == nil {
			t.Fatalf("no %s", p)
		}
	}
	for _, ev := range cal.Events() {
		if ev.Props.Get(ical.PropDateTimeStamp) == nil || ev.Props.Get(ical.PropUID) == nil {
			t.Fatalf("event without DTSTAMP or UID: %+v", ev.Props)
		}
	}
	return cal
}

var feedURL = regexp.MustCompile(`https://crm\.firm\.bg/calendar/([A-Za-z0-9_-]+)\.ics`)

func TestCalendarFeed(t *testing.T) {
	e, _ := newSendEnv(t)
	e.Must("maria", "/meeting Acme 2026-11-30 14:30: Оферта", "M-")
	e.Must("maria", "/remind Acme: да звънна за договора by 2026-12-02")
	e.Must("maria", "/remind Acme: изпрати мостри by 2026-12-03 11:15", "11:15")
	e.Must("maria", "/promise Acme: отстъпка 5% by 2026-12-10", "P-")
	e.Must("maria", "/claim Acme: счупена доставка severity=high", "C-")
	e.Must("ivan", "/client add Secret")
	e.Must("ivan", "/meeting Secret 2026-11-30 16:00: тайна", "M-")
	m := feedURL.FindStringSubmatch(e.Say("maria", "/calendar"))
	if m == nil {
		t.Fatal("no feed URL")
	}
	tok := m[1]
	if len(tok) < 40 {
		t.Fatalf("short token %q", tok)
	}
	if again := feedURL.FindStringSubmatch(e.Say("maria", "/calendar")); again == nil || again[1] != tok {
		t.Fatal("the URL changed without a reset")
	}
	b, err := e.Svc.CalendarFeed(e.Ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	cal := decodeCal(t, b)
	var summaries []string
	uids := map[string]bool{}
	allDay := 0
	for _, ev := range cal.Events() {
		s, _ := ev.Props.Text(ical.PropSummary)
		if strings.Contains(s, "изпрати мостри") {
			if at, err := ev.DateTimeStart(time.UTC); err != nil || !at.Equal(time.Date(2026, 12, 3, 11, 15, 0, 0, e.TZ)) {
				t.Errorf("timed reminder starts %v %v", at, err)
			}
		}
		summaries = append(summaries, s)
		u, _ := ev.Props.Text(ical.PropUID)
		uids[u] = true
		if ev.Props.Get(ical.PropDateTimeStart).ValueType() == ical.ValueDate {
			allDay++
		}
	}
	joined := strings.Join(summaries, "\n")
	for _, want := range []string{"Acme: Оферта", "да звънна за договора", "изпрати мостри", "отстъпка 5%", "C-1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("feed lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(string(b), "тайна") || strings.Contains(string(b), "Secret") {
		t.Error("the feed shows another manager's meeting")
	}
	if allDay != 3 || len(uids) != len(summaries) {
		t.Errorf("%d all-day items (want 3), %d UIDs for %d events", allDay, len(uids), len(summaries))
	}
	b2, _ := e.Svc.CalendarFeed(e.Ctx, tok)
	if c2 := decodeCal(t, b2); len(c2.Events()) != len(summaries) {
		t.Fatal("the feed changed between two reads")
	} else {
		for _, ev := range c2.Events() {
			if u, _ := ev.Props.Text(ical.PropUID); !uids[u] {
				t.Fatalf("UID %q is not stable", u)
			}
		}
	}
	nm := feedURL.FindStringSubmatch(e.Say("maria", "/calendar reset"))
	if nm == nil || nm[1] == tok {
		t.Fatal("reset made no new URL")
	}
	if _, err := e.Svc.CalendarFeed(e.Ctx, tok); !crm.IsNotFound(err) {
		t.Fatalf("the old token: %v", err)
	}
	if _, err := e.Svc.CalendarFeed(e.Ctx, nm[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.CalendarFeed(e.Ctx, strings.Repeat("x", 43)); !crm.IsNotFound(err) {
		t.Fatalf("a made-up token: %v", err)
	}
}
