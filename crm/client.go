package crm

import (
	"sort"
	"strings"
	"time"
)

// Client is a company (or a person) the account managers work with.
type Client struct {
	ID       uint64            `json:"id"`
	Name     string            `json:"name"`
	Segment  string            `json:"segment,omitempty"`
	Industry string            `json:"industry,omitempty"`
	Size     string            `json:"size,omitempty"`
	City     string            `json:"city,omitempty"`
	Need     string            `json:"need,omitempty"`
	Level    string            `json:"level,omitempty"`
	Focus    string            `json:"focus,omitempty"`
	Status   string            `json:"status,omitempty"`
	Lang     string            `json:"lang,omitempty"`
	Source   string            `json:"source,omitempty"`
	Contact  string            `json:"contact,omitempty"`
	Phone    string            `json:"phone,omitempty"`
	Email    string            `json:"email,omitempty"`
	Rating   string            `json:"rating,omitempty"`
	Custom   map[string]string `json:"custom,omitempty"`
	OwnerID  uint64            `json:"owner_id"`

	CreatedAt time.Time `json:"created_at"`
	// ReviewedAt is the last time the record was edited or confirmed current.
	ReviewedAt time.Time `json:"reviewed_at"`
	// LastTouch is the time of the latest logged conversation.
	LastTouch time.Time `json:"last_touch,omitempty"`
	// NextStep is the open next step agreed in the latest conversation.
	NextStep    string    `json:"next_step,omitempty"`
	NextStepDue time.Time `json:"next_step_due,omitempty"`
}

// ClientFields are the fields a person may set with key=value, in the order
// of the CSV columns after name and before owner.
var ClientFields = []string{"segment", "industry", "size", "city", "need", "level", "focus", "status", "lang", "source", "contact", "phone", "email", "rating"}

// IsClientField reports whether key is one of ClientFields.
func IsClientField(key string) bool {
	for _, f := range ClientFields {
		if f == key {
			return true
		}
	}
	return false
}

func (c *Client) fieldPtr(key string) *string {
	switch key {
	case "name":
		return &c.Name
	case "segment":
		return &c.Segment
	case "industry":
		return &c.Industry
	case "size":
		return &c.Size
	case "city":
		return &c.City
	case "need":
		return &c.Need
	case "level":
		return &c.Level
	case "focus":
		return &c.Focus
	case "status":
		return &c.Status
	case "lang":
		return &c.Lang
	case "source":
		return &c.Source
	case "contact":
		return &c.Contact
	case "phone":
		return &c.Phone
	case "email":
		return &c.Email
	case "rating":
		return &c.Rating
	}
	return nil
}

// Field returns the value of a known or custom field.
func (c *Client) Field(key string) string {
	if p := c.fieldPtr(key); p != nil {
		return *p
	}
	return c.Custom[key]
}

// SetField sets a known field, or a custom one for any other key.
func (c *Client) SetField(key, value string) {
	if p := c.fieldPtr(key); p != nil {
		*p = value
		return
	}
	if c.Custom == nil {
		c.Custom = map[string]string{}
	}
	if value == "" {
		delete(c.Custom, key)
		return
	}
	c.Custom[key] = value
}

// Fields returns every non-empty field by key, for history diffs and export.
func (c *Client) Fields() map[string]string {
	m := map[string]string{"name": c.Name}
	for _, f := range ClientFields {
		if v := c.Field(f); v != "" {
			m[f] = v
		}
	}
	for k, v := range c.Custom {
		m[k] = v
	}
	return m
}

// Clone returns a deep copy.
func (c *Client) Clone() *Client {
	cp := *c
	if c.Custom != nil {
		cp.Custom = make(map[string]string, len(c.Custom))
		for k, v := range c.Custom {
			cp.Custom[k] = v
		}
	}
	return &cp
}

// Diff lists the changed fields between two field maps, sorted by field.
func Diff(old, new map[string]string) []FieldChange {
	var out []FieldChange
	for k, v := range new {
		if old[k] != v {
			out = append(out, FieldChange{Field: k, Old: old[k], New: v})
		}
	}
	for k, v := range old {
		if _, ok := new[k]; !ok {
			out = append(out, FieldChange{Field: k, Old: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// FieldChange is one field's old and new value.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// Change is one entry in a record's history.
type Change struct {
	Kind     string    `json:"kind"` // "client", "claim", "deal", …
	RecordID uint64    `json:"record_id"`
	At       time.Time `json:"at"`
	By       uint64    `json:"by"`
	// OnBehalfOf is the absent person a deputy acted for, if any.
	OnBehalfOf uint64 `json:"on_behalf_of,omitempty"`
	FieldChange
}

// Actor is who makes a change: the person, and the absent person they stand
// in for when acting as a deputy.
type Actor struct {
	PersonID   uint64
	OnBehalfOf uint64
}

// Channel tags of a conversation.
var Channels = []string{"call", "meeting", "email", "visit", "fair", "presentation", "chat"}

// Conversation is one logged contact with a client.
type Conversation struct {
	ID         uint64    `json:"id"`
	ClientID   uint64    `json:"client_id"`
	AuthorID   uint64    `json:"author_id"`
	OnBehalfOf uint64    `json:"on_behalf_of,omitempty"`
	Channels   []string  `json:"channels,omitempty"`
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
}

// Task is a reminder or an agreed next step, due at a time.
type Task struct {
	ID         uint64    `json:"id"`
	ClientID   uint64    `json:"client_id,omitempty"`
	AssigneeID uint64    `json:"assignee_id"`
	Text       string    `json:"text"`
	Due        time.Time `json:"due"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  uint64    `json:"created_by"`
	DoneAt     time.Time `json:"done_at,omitempty"`
	// NextStep marks a task that came from a conversation's "next:".
	NextStep bool `json:"next_step,omitempty"`
	// At is the time of day the reminder rings (zero: no time, the task
	// belongs to its day's agenda). Due stays midnight of At's day.
	At time.Time `json:"at,omitempty"`
	// RingAt is when the scheduler next looks at the reminder (zero: it
	// does not ring, or has rung). It is At, or later after a failed
	// delivery; the store indexes it, so a tick reads only what is due.
	RingAt time.Time `json:"ring_at,omitempty"`
	// RungAt is when the reminder was claimed for sending.
	RungAt time.Time `json:"rung_at,omitempty"`
	// RingTries counts deliveries that reached nobody.
	RingTries int `json:"ring_tries,omitempty"`
}

// Reminder attempts and limits.
const (
	// ReminderTries is how many times a reminder that reached nobody is
	// tried again before it waits in the agenda.
	ReminderTries = 3
	// ReminderRetry is the pause between such tries.
	ReminderRetry = 10 * time.Minute
	// ReminderMaxLate is how late a missed reminder is still sent (marked
	// as late); an older one only waits in the agenda.
	ReminderMaxLate = 24 * time.Hour
	// ReminderGrace is how late a ring still counts as on time.
	ReminderGrace = 2 * time.Minute
)

// SetAt gives the task a ring time: it rings at at (its day becomes the
// due day, midnight in at's location).
func (t *Task) SetAt(at time.Time) {
	t.At = at
	t.RingAt = at
	t.RungAt = time.Time{}
	t.RingTries = 0
	y, m, d := at.Date()
	t.Due = time.Date(y, m, d, 0, 0, 0, 0, at.Location())
}

// ClearAt removes the ring time (the task keeps its due day).
func (t *Task) ClearAt() {
	t.At, t.RingAt, t.RungAt, t.RingTries = time.Time{}, time.Time{}, time.Time{}, 0
}

// Open reports whether the task is not done.
func (t *Task) Open() bool { return t.DoneAt.IsZero() }

// NormalizeName folds a name for lookup: lower case, Cyrillic transliterated
// to Latin, letters that sound alike across the scripts folded together,
// doubled letters single, and everything but letters and digits dropped.
// "Акме", "ACME" and "akme" all fold to the same key, and so do "Мария"
// and "Maria".
func NormalizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if t, ok := cyrToLat[r]; ok {
			b.WriteString(t)
			continue
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r > 127 && (isLetter(r)):
			b.WriteRune(r)
		}
	}
	latin := b.String()
	// Fold Latin spellings that a Cyrillic transliteration cannot tell apart.
	var f strings.Builder
	for i := 0; i < len(latin); i++ {
		c := latin[i]
		switch c {
		case 'c', 'q':
			if c == 'c' && i+1 < len(latin) && latin[i+1] == 'h' {
				f.WriteString("ch")
				i++
				continue
			}
			f.WriteByte('k')
		case 'w':
			f.WriteByte('v')
		case 'x':
			f.WriteString("ks")
		case 'y', 'j':
			f.WriteByte('i')
		default:
			f.WriteByte(c)
		}
	}
	// Doubled letters come and go between the scripts ("Мария" is
	// "mariia" letter by letter, "Maria" in its usual spelling; "Анна" and
	// "Ана"): fold every run of one letter to a single one.
	out := f.String()
	var g strings.Builder
	for i := 0; i < len(out); i++ {
		if i > 0 && out[i] == out[i-1] && out[i] >= 'a' && out[i] <= 'z' {
			continue
		}
		g.WriteByte(out[i])
	}
	return g.String()
}

func isLetter(r rune) bool {
	return strings.ContainsRune("äöüßéèêàáíóúñçăâîșțłśźżęąćń", r)
}

var cyrToLat = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p",
	'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch",
	'ш': "sh", 'щ': "sht", 'ъ': "a", 'ь': "i", 'ю': "iu", 'я': "ia", 'ё': "io",
	'ы': "i", 'э': "e", 'є': "ie", 'і': "i", 'ї': "i", 'ґ': "g",
}

// SortByName orders clients by their folded names, folding each name once
// (folding inside the comparison would redo it n·log n times).
func SortByName(cs []*Client) {
	keys := make(map[*Client]string, len(cs))
	for _, c := range cs {
		keys[c] = NormalizeName(c.Name)
	}
	sort.SliceStable(cs, func(i, j int) bool { return keys[cs[i]] < keys[cs[j]] })
}

// DueReminder is one entry of the reminders' ring index.
type DueReminder struct {
	TaskID uint64
	RingAt time.Time
}

// KeyAccount reports whether the client is marked as a key account by its
// level or segment ("key", "A", "VIP", "strategic", "ключов").
func (c *Client) KeyAccount() bool {
	for _, v := range []string{c.Level, c.Segment} {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "key", "key account", "a", "vip", "strategic", "ключов", "ключова", "ключови", "стратегически", "стратегическа":
			return true
		}
	}
	return false
}

// ClientPageQuery asks for one page of the clients of some owners, in the
// order lists show them: by folded name, then owner, then id.
type ClientPageQuery struct {
	Owners []uint64
	// Offset clients are skipped; at most Limit are returned.
	Offset, Limit int
	// Stale keeps only the clients last touched before TouchBefore (or,
	// never touched, reviewed before it) or reviewed before ReviewBefore.
	Stale                     bool
	TouchBefore, ReviewBefore time.Time
}

// ClientPage is one page of a client list: how many clients the list
// holds in all, and the page's clients as briefs (ID, OwnerID, Name, City
// and Status only; LastTouch and ReviewedAt too in a list of stale ones).
type ClientPage struct {
	Total   int
	Clients []*Client
}

// StaleQuery asks for the stale clients of some owners: those last touched
// before TouchBefore (never touched: last reviewed before it) or last
// reviewed (edited or confirmed) before ReviewBefore.
type StaleQuery struct {
	// Owners are the owners whose clients are looked at.
	Owners []uint64
	// TouchBefore and ReviewBefore are the two limits above.
	TouchBefore, ReviewBefore time.Time
	// Oldest, above zero, asks for the records of only that many clients,
	// the longest untouched first; zero asks for every stale client, owner
	// by owner in the order of Owners and by id within an owner.
	Oldest int
	// CountOnly asks for the counts alone (Total and ByOwner), without
	// records: they come from maintained counts, whatever the owners'
	// books hold.
	CountOnly bool
}

// StaleList answers a StaleQuery: Total counts every stale client, also
// those that Clients (full records) leaves out under StaleQuery.Oldest.
type StaleList struct {
	Total   int
	Clients []*Client
	// ByOwner is each owner's count, under StaleQuery.CountOnly.
	ByOwner map[uint64]int
}
