package crm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record kinds an attachment belongs to.
const (
	AttachedToClient       = "client"
	AttachedToConversation = "conversation"
	AttachedToClaim        = "claim"
)

// Attachment is a file kept with a record: a photo of damaged goods, a
// signed contract, a voice note. Its bytes are stored apart, in chunks;
// this is what is known about it.
type Attachment struct {
	ID uint64 `json:"id"`
	// ClientID is the client the file belongs to; 0 while it waits for
	// the sender to say which (a photo sent without a caption).
	ClientID uint64 `json:"client_id"`
	// RecordKind and RecordID name the record it was attached to: a
	// conversation, a claim, or the client itself.
	RecordKind string `json:"record_kind,omitempty"`
	RecordID   uint64 `json:"record_id,omitempty"`
	// Kind is "photo", "document", "voice" or "audio".
	Kind string `json:"kind"`
	Name string `json:"name"`
	MIME string `json:"mime,omitempty"`
	Size int64  `json:"size"`
	// Chunks is how many stored pieces hold the bytes.
	Chunks int       `json:"chunks"`
	By     uint64    `json:"by"`
	At     time.Time `json:"at"`
}

// Ref is the attachment's short id, "A-5".
func (a *Attachment) Ref() string { return "A-" + strconv.FormatUint(a.ID, 10) }

// ParseAttachmentRef reads "A-5" (also "a5", and with a Cyrillic А typed
// on a Bulgarian keyboard).
func ParseAttachmentRef(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	rest, ok := "", false
	for _, p := range []string{"A", "a", "А", "а"} {
		if r, found := strings.CutPrefix(s, p); found {
			rest, ok = r, true
			break
		}
	}
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(rest, "-"), 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

// Kinds of pending capture: something the sender shared that waits for
// them to say which client it is about.
const (
	CaptureFile     = "file"
	CaptureLocation = "location"
	CaptureForward  = "forward"
	CaptureContact  = "contact"
	// CaptureVisitOutcome waits for the optional one-line outcome of a
	// visit just logged.
	CaptureVisitOutcome = "visit_outcome"
)

// PendingCapture is a shared item waiting for its client. A person has at
// most one: a newer one replaces it (Seq tells an old question's buttons
// from the current one's).
type PendingCapture struct {
	PersonID uint64    `json:"person_id"`
	Seq      uint64    `json:"seq"`
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	// AttachmentID is the file waiting, for CaptureFile.
	AttachmentID uint64 `json:"attachment_id,omitempty"`
	// Lat and Lon are the place, for CaptureLocation.
	Lat float64 `json:"lat,omitempty"`
	Lon float64 `json:"lon,omitempty"`
	// Text is the forwarded text; From and Date its origin.
	Text string    `json:"text,omitempty"`
	From string    `json:"from,omitempty"`
	Date time.Time `json:"date,omitempty"`
	// Name and Phone are the shared contact.
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	// ClientID and ConversationID are the visit an outcome belongs to.
	ClientID       uint64 `json:"client_id,omitempty"`
	ConversationID uint64 `json:"conversation_id,omitempty"`
}

// MapLink is a link that shows a place on a map.
func MapLink(lat, lon float64) string {
	return fmt.Sprintf("https://maps.google.com/?q=%.6f,%.6f", lat, lon)
}

// Coordinates writes a place as "42.697700, 23.321900".
func Coordinates(lat, lon float64) string { return fmt.Sprintf("%.6f, %.6f", lat, lon) }
