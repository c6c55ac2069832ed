package crm

import (
	"time"

	"github.com/shopspring/decimal"
)

// Weekdays is a set of days of the week: bit i stands for time.Weekday(i).
type Weekdays uint8

// Workdays are Monday to Friday.
const Workdays Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

// AllDays are the seven days of the week.
const AllDays Weekdays = 0x7f

// WeekdayOf returns the set holding only d.
func WeekdayOf(d time.Weekday) Weekdays { return 1 << d }

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// List returns the days in the set, Monday first.
func (w Weekdays) List() []time.Weekday {
	var out []time.Weekday
	for i := 1; i <= 7; i++ {
		if d := time.Weekday(i % 7); w.Has(d) {
			out = append(out, d)
		}
	}
	return out
}

// DigestSchedule is when a person gets their digest, in their own time
// zone. On a day in Weekly the weekly digest comes instead of the daily one.
type DigestSchedule struct {
	PersonID uint64 `json:"person_id"`
	// Off turns the digest off; the other fields are kept for when it is
	// turned on again.
	Off bool `json:"off,omitempty"`
	// At is the time of day, in minutes after local midnight.
	At int `json:"at"`
	// Days are the days of the daily digest.
	Days Weekdays `json:"days"`
	// Weekly are the days of the weekly digest (one, in practice).
	Weekly    Weekdays  `json:"weekly"`
	UpdatedAt time.Time `json:"updated_at,omitempty"`
}

// DefaultDigestSchedule is the schedule of a supervisor or head who never
// changed it: workdays at 08:30, on Monday a weekly digest instead.
func DefaultDigestSchedule(person uint64) DigestSchedule {
	return DigestSchedule{PersonID: person, At: 8*60 + 30, Days: Workdays, Weekly: WeekdayOf(time.Monday)}
}

// Digest kinds.
const (
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
)

// KindOn returns which digest is due on weekday d: DigestWeekly,
// DigestDaily, or "" for none.
func (s *DigestSchedule) KindOn(d time.Weekday) string {
	switch {
	case s.Off:
		return ""
	case s.Weekly.Has(d):
		return DigestWeekly
	case s.Days.Has(d):
		return DigestDaily
	}
	return ""
}

// DueAt returns when the digest of day (any time on that local day) is
// due, in day's location. On a day when the clock jumps forward over At,
// Go moves the time past the gap, so the digest still comes that day.
func (s *DigestSchedule) DueAt(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), s.At/60, s.At%60, 0, 0, day.Location())
}

// States of one digest delivery to one identity.
const (
	// SendClaimed: claimed for sending; the outcome is not recorded yet.
	SendClaimed = "sending"
	// SendDone: delivered.
	SendDone = "sent"
	// SendFailed: the platform refused it; it may be tried again at Retry.
	SendFailed = "failed"
	// SendUnknown: claimed by a process that stopped before recording the
	// outcome. It may or may not have arrived, so it is never sent again.
	SendUnknown = "unknown"
)

// DigestSendAttempts is how many times a refused digest is tried on its day.
const DigestSendAttempts = 5

// DigestDelivery records the delivery of one digest: the digest of
// Subject (the reader, or the absent person the reader stands in for)
// for Reader on one local day, per identity of the reader.
type DigestDelivery struct {
	ReaderID  uint64                 `json:"reader_id"`
	SubjectID uint64                 `json:"subject_id"`
	Day       string                 `json:"day"`
	Sends     map[string]*DigestSend `json:"sends"`
}

// DigestSend is the state of the delivery to one identity.
type DigestSend struct {
	State    string    `json:"state"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
	Retry    time.Time `json:"retry,omitempty"`
}

// claimTimeout is how long a claim may wait for its outcome before it is
// taken for a stopped process.
const claimTimeout = 15 * time.Minute

// Claim marks the identities whose digest may be sent now as being sent,
// and returns them; it also returns the identities whose earlier claim
// was lost by a stopped process (now SendUnknown, never sent again). The
// caller stores d in the same transaction as it read it, before sending.
func (d *DigestDelivery) Claim(identities []string, now time.Time) (claimed, lost []string) {
	if d.Sends == nil {
		d.Sends = map[string]*DigestSend{}
	}
	for _, id := range identities {
		st := d.Sends[id]
		switch {
		case st == nil:
			d.Sends[id] = &DigestSend{State: SendClaimed, Attempts: 1, At: now}
			claimed = append(claimed, id)
		case st.State == SendFailed && st.Attempts < DigestSendAttempts && !now.Before(st.Retry):
			st.State, st.At, st.Retry = SendClaimed, now, time.Time{}
			st.Attempts++
			claimed = append(claimed, id)
		case st.State == SendClaimed && now.Sub(st.At) > claimTimeout:
			st.State, st.At = SendUnknown, now
			lost = append(lost, id)
		}
	}
	return claimed, lost
}

// Finish records the outcome of a claimed send: delivered, or refused and
// to be tried again after a growing pause.
func (d *DigestDelivery) Finish(identity string, delivered bool, now time.Time) {
	st := d.Sends[identity]
	if st == nil || st.State != SendClaimed {
		return
	}
	st.At = now
	if delivered {
		st.State = SendDone
		return
	}
	st.State = SendFailed
	st.Retry = now.Add(time.Duration(1<<min(st.Attempts, 6)) * time.Minute)
}

// Delivered reports whether the digest reached at least one identity.
func (d *DigestDelivery) Delivered() bool {
	for _, st := range d.Sends {
		if st.State == SendDone {
			return true
		}
	}
	return false
}

// ActivityQuery asks for the activity of several owners' books in the
// period [From, To).
type ActivityQuery struct {
	Owners   []uint64
	From, To time.Time
}

// OwnerActivity is the activity of one owner's book (ActivityQuery).
type OwnerActivity struct {
	// Clients is how many clients the owner has.
	Clients int
	// LastTouch is the latest conversation on any of them (zero: none).
	LastTouch time.Time
	// Conversations is how many were logged in the period asked.
	Conversations int
	// Touched is how many clients had a conversation in the period.
	Touched int
}

// SnapshotRow is one small figure kept per day for comparisons over time:
// a person's count and totals in one bucket (for the pipeline, a stage
// and currency such as "proposal/EUR").
type SnapshotRow struct {
	PersonID uint64          `json:"p"`
	Bucket   string          `json:"b"`
	Count    int64           `json:"n,omitempty"`
	Sum      decimal.Decimal `json:"s"`
	Weighted decimal.Decimal `json:"w"`
}
