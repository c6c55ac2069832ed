package mail

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"

	"accountbot/crm"
	"accountbot/handlers/core"
	ical "github.com/emersion/go-ical"
)

// icalProdID names the program in every calendar object it writes.
const icalProdID = "-//accountbot//accountbot//EN"

// newCalendar is an empty iCalendar object of the program, with method
// ("REQUEST", "CANCEL"; "" for a feed).
func newCalendar(method string) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, icalProdID)
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	if method != "" {
		cal.Props.SetText(ical.PropMethod, method)
	}
	return cal
}

// event is it as a VEVENT stamped at stamp: an all-day entry is a
// transparent event of its whole day, any other starts and ends in UTC.
func (it feedItem) event(stamp time.Time) *ical.Event {
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, it.uid)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
	ev.Props.SetText(ical.PropSummary, it.summary)
	if it.desc != "" && it.desc != it.summary {
		ev.Props.SetText(ical.PropDescription, it.desc)
	}
	if it.allDay {
		day := it.start
		ev.Props.SetDate(ical.PropDateTimeStart, day)
		ev.Props.SetDate(ical.PropDateTimeEnd, time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location()))
		ev.Props.SetText(ical.PropTransparency, "TRANSPARENT")
	} else {
		ev.Props.SetDateTime(ical.PropDateTimeStart, it.start.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, it.end.UTC())
	}
	return ev
}

// encodeCalendar writes cal as RFC 5545 text: CRLF line ends and lines
// folded at 75 octets (the library writes each property on one line).
func encodeCalendar(cal *ical.Calendar) ([]byte, error) {
	var raw bytes.Buffer
	if err := ical.NewEncoder(&raw).Encode(cal); err != nil {
		return nil, crm.Internal(err)
	}
	var out bytes.Buffer
	foldLines(&out, raw.Bytes())
	return out.Bytes(), nil
}

// foldLines copies iCalendar content lines from src to w, folding each
// longer than 75 octets with CRLF and a space, never inside a UTF-8
// character.
func foldLines(w io.Writer, src []byte) {
	for _, line := range bytes.SplitAfter(src, []byte("\r\n")) {
		if len(line) == 0 {
			continue
		}
		body := bytes.TrimSuffix(line, []byte("\r\n"))
		limit := 75
		for len(body) > limit {
			cut := limit
			for cut > 0 && body[cut]&0xC0 == 0x80 {
				cut-- // a continuation byte: fold before its character
			}
			w.Write(body[:cut])
			w.Write([]byte("\r\n "))
			body = body[cut:]
			limit = 74 // the leading space counts
		}
		w.Write(body)
		w.Write([]byte("\r\n"))
	}
}

// meetingInvitation is the iCalendar object of an invitation to m (method
// REQUEST) or of its cancellation (CANCEL).
func meetingInvitation(method string, m *crm.Meeting, organizer, organizerName, attendee, attendeeName, summary string, stamp time.Time) ([]byte, error) {
	cal := newCalendar(method)
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, core.EventUID("meeting", m.ID))
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeStart, m.At.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeEnd, m.At.Add(core.MeetingLength).UTC())
	ev.Props.SetText(ical.PropSummary, summary)
	if m.Topic != "" {
		ev.Props.SetText(ical.PropDescription, m.Topic)
	}
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = strconv.Itoa(m.Sequence)
	ev.Props.Set(seq)
	org := ical.NewProp(ical.PropOrganizer)
	// CAL-ADDRESS, the default value type of both: no VALUE parameter.
	org.Value = "mailto:" + organizer
	if organizerName != "" {
		org.Params.Set("CN", paramText(organizerName))
	}
	ev.Props.Set(org)
	att := ical.NewProp(ical.PropAttendee)
	att.Value = "mailto:" + attendee
	if attendeeName != "" {
		att.Params.Set("CN", paramText(attendeeName))
	}
	att.Params.Set("ROLE", "REQ-PARTICIPANT")
	att.Params.Set("PARTSTAT", "NEEDS-ACTION")
	att.Params.Set("RSVP", "TRUE")
	ev.Props.Set(att)
	if method == "CANCEL" {
		ev.Props.SetText(ical.PropStatus, "CANCELLED")
	} else {
		ev.Props.SetText(ical.PropStatus, "CONFIRMED")
	}
	cal.Children = append(cal.Children, ev.Component)
	return encodeCalendar(cal)
}

// paramText makes a name safe as a parameter value (no quotes, no line
// breaks).
func paramText(s string) string {
	return strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(core.OneLine(s))
}
