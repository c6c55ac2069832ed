package crm

import (
	"strconv"
	"strings"
	"time"
)

// Cadence is how often a client should be contacted: every Days days or
// every Months calendar months (exactly one of them is set).
type Cadence struct {
	Days   int `json:"days,omitempty"`
	Months int `json:"months,omitempty"`
}

// IsZero reports whether no cadence is set.
func (c Cadence) IsZero() bool { return c.Days <= 0 && c.Months <= 0 }

// After returns the day one cadence after day (midnight in day's zone).
func (c Cadence) After(day time.Time) time.Time {
	if c.Months > 0 {
		return time.Date(day.Year(), day.Month()+time.Month(c.Months), day.Day(), 0, 0, 0, 0, day.Location())
	}
	return time.Date(day.Year(), day.Month(), day.Day()+c.Days, 0, 0, 0, 0, day.Location())
}

// Approx returns the cadence in days, months counted as 30 days, for
// comparisons.
func (c Cadence) Approx() int {
	if c.Months > 0 {
		return 30 * c.Months
	}
	return c.Days
}

// CadenceWords are the words ParseCadence reads: the translation files'
// (words.cadence.*), given by the caller, since crm imports nothing of ours.
type CadenceWords struct {
	// Named are the one-word cadences ("monthly", "седмично").
	Named map[string]Cadence
	// Units are the units after "every N" ("w", "седмици").
	Units map[string]Cadence
	// Every start a cadence ("every", "всеки", "на").
	Every map[string]bool
}

// MaxCadenceDays is the longest cadence accepted (two years).
const MaxCadenceDays = 730

// ParseCadence reads a cadence at the start of words: "monthly", "every
// 2w", "every 10 days", "every week", "всеки 2 седмици", "на всеки 10 дни",
// "всеки месец", with the words of cw. It returns the cadence and how many
// words it used (0 when words do not start with one).
func ParseCadence(words []string, cw CadenceWords) (Cadence, int) {
	if len(words) == 0 {
		return Cadence{}, 0
	}
	w0 := strings.ToLower(words[0])
	if c, ok := cw.Named[w0]; ok {
		return c, 1
	}
	i := 0
	for i < len(words) && i < 2 && cw.Every[strings.ToLower(words[i])] {
		i++
	}
	if i == 0 || i >= len(words) {
		return Cadence{}, 0
	}
	// "every week": a unit without a number.
	if u, ok := cw.Units[strings.ToLower(words[i])]; ok {
		return u, i + 1
	}
	num, unit, used := words[i], "", 1
	// "2w" or "2 weeks".
	j := 0
	for j < len(num) && num[j] >= '0' && num[j] <= '9' {
		j++
	}
	if j == 0 {
		return Cadence{}, 0
	}
	n, err := strconv.Atoi(num[:j])
	if err != nil || n <= 0 {
		return Cadence{}, 0
	}
	unit = strings.ToLower(num[j:])
	if unit == "" {
		if i+1 >= len(words) {
			return Cadence{}, 0
		}
		unit, used = strings.ToLower(words[i+1]), 2
	}
	u, ok := cw.Units[unit]
	if !ok {
		return Cadence{}, 0
	}
	c := Cadence{Days: u.Days * n, Months: u.Months * n}
	if c.Approx() > MaxCadenceDays {
		return Cadence{}, 0
	}
	return c, i + used
}

// ContactPlan is how often a client is to be contacted, and how.
type ContactPlan struct {
	ClientID uint64  `json:"client_id"`
	Every    Cadence `json:"every"`
	// Channel is the planned way of contact ("call", "visit" …), or "".
	Channel string `json:"channel,omitempty"`
	// Until is the last day of the plan (midnight), zero for no end.
	Until time.Time `json:"until,omitzero"`
	SetBy uint64    `json:"set_by"`
	SetAt time.Time `json:"set_at"`
}

// ActiveOn reports whether the plan still runs on day.
func (p *ContactPlan) ActiveOn(day time.Time) bool {
	return !p.Every.IsZero() && (p.Until.IsZero() || !day.After(p.Until))
}

// NextTouch returns the day the next contact is due: one cadence after the
// day of the last logged conversation, or after the day the plan was set
// when there was none since, in loc.
func (p *ContactPlan) NextTouch(lastTouch time.Time, loc *time.Location) time.Time {
	base := lastTouch
	if base.IsZero() {
		base = p.SetAt
	}
	t := base.In(loc)
	return p.Every.After(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc))
}

// PlanNoteKind is what a relationship plan note records.
type PlanNoteKind string

// Relationship plan notes: a goal for the year, a risk, a key person.
const (
	NoteGoal   PlanNoteKind = "goal"
	NoteRisk   PlanNoteKind = "risk"
	NotePerson PlanNoteKind = "person"
)

// PlanNoteKinds lists the kinds in the order a plan shows them.
var PlanNoteKinds = []PlanNoteKind{NoteGoal, NotePerson, NoteRisk}

// PlanNote is one line of a client's relationship plan.
type PlanNote struct {
	ID         uint64       `json:"id"`
	ClientID   uint64       `json:"client_id"`
	Kind       PlanNoteKind `json:"kind"`
	Text       string       `json:"text"`
	By         uint64       `json:"by"`
	OnBehalfOf uint64       `json:"on_behalf_of,omitempty"`
	At         time.Time    `json:"at"`
}

// Meeting is a talk or meeting with a client at a set time.
type Meeting struct {
	ID       uint64 `json:"id"`
	ClientID uint64 `json:"client_id"`
	// PersonID is who meets the client (and is reminded).
	PersonID  uint64    `json:"person_id"`
	At        time.Time `json:"at"`
	Topic     string    `json:"topic,omitempty"`
	CreatedBy uint64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// RemindedAt and AskedAt mark the reminder before and the question
	// about the outcome after; each is decided once.
	RemindedAt time.Time `json:"reminded_at,omitzero"`
	AskedAt    time.Time `json:"asked_at,omitzero"`
	// CancelledAt is set when the meeting is called off.
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// InvitedTo is the address an e-mail invitation went to, InvitedAt
	// when, and Sequence the iCalendar SEQUENCE it carried: a change or a
	// cancellation sent later carries a higher one.
	InvitedTo string    `json:"invited_to,omitempty"`
	InvitedAt time.Time `json:"invited_at,omitzero"`
	Sequence  int       `json:"sequence,omitempty"`
}

// MeetingRef formats a meeting id: "M-4".
func MeetingRef(id uint64) string { return "M-" + strconv.FormatUint(id, 10) }

// Ref is the meeting's short id.
func (m *Meeting) Ref() string { return MeetingRef(m.ID) }

// PlanningSettings are the settings of meetings.
type PlanningSettings struct {
	// RemindBefore is how long before a meeting its reminder goes out.
	RemindBefore time.Duration `json:"remind_before"`
	// AskAfter is how long after a meeting's start the bot asks for its
	// outcome.
	AskAfter time.Duration `json:"ask_after"`
}

// DefaultPlanningSettings returns a reminder an hour before and the
// question an hour after the start.
func DefaultPlanningSettings() PlanningSettings {
	return PlanningSettings{RemindBefore: time.Hour, AskAfter: time.Hour}
}

// MeetingNotice is a reminder ("remind") or an outcome question ("ask")
// decided for a meeting and waiting to be delivered.
type MeetingNotice struct {
	Kind      string `json:"kind"`
	MeetingID uint64 `json:"meeting_id"`
	Attempts  int    `json:"attempts"`
}

// MeetingNoticeQuery asks which meeting notices are due at Now: reminders
// of meetings starting before RemindUntil and outcome questions of
// meetings that started before AskUntil, at most Limit of each kind.
type MeetingNoticeQuery struct {
	Now, RemindUntil, AskUntil time.Time
	Limit                      int
}
