package crm

import "time"

// Role is what a person may do.
type Role string

// Roles, from the most to the least rights. A deputy is not a role: it is a
// time-bounded Delegation from an absent manager.
const (
	RoleHead       Role = "head"
	RoleSupervisor Role = "supervisor"
	RoleManager    Role = "manager"
)

// Person is someone the bot knows: a head, supervisor or account manager.
type Person struct {
	ID         uint64   `json:"id"`
	Name       string   `json:"name"`
	Role       Role     `json:"role"`
	Identities []string `json:"identities"`
	ReportsTo  uint64   `json:"reports_to,omitempty"`
	Lang       string   `json:"lang,omitempty"`
	TZ         string   `json:"tz,omitempty"`
	Dismissed  bool     `json:"dismissed,omitempty"`
	// DismissedAt is when the person was dismissed: invitations issued
	// before it stop working (the dismissed person may hold one).
	DismissedAt time.Time `json:"dismissed_at,omitempty"`
	// Unreachable is set when a platform refuses delivery (the person
	// blocked the bot); it is cleared by the next message from them.
	Unreachable bool      `json:"unreachable,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   uint64    `json:"created_by,omitempty"`
	// Email is the person's own address (/me email=).
	Email string `json:"email,omitempty"`
	// Agenda is the local time of the morning agenda as "HH:MM" ("" for
	// DefaultAgenda).
	Agenda string `json:"agenda,omitempty"`
	// AgendaOff stops the morning agenda and the weekly stale nudge.
	AgendaOff bool `json:"agenda_off,omitempty"`
}

// DefaultAgenda is the agenda time of a person who set none.
const DefaultAgenda = "09:00"

// AgendaTime returns the person's agenda time, DefaultAgenda if unset.
func (p *Person) AgendaTime() string {
	if p.Agenda == "" {
		return DefaultAgenda
	}
	return p.Agenda
}

// LinkCode is a one-time code that joins another identity (of another
// platform) to a person.
type LinkCode struct {
	Code      string    `json:"code"`
	PersonID  uint64    `json:"person_id"`
	ExpiresAt time.Time `json:"expires_at"`
	// UsedBy is the identity that used the code ("" while unused).
	UsedBy string `json:"used_by,omitempty"`
}

// LinkTTL is how long a link code works.
const LinkTTL = 10 * time.Minute

// Active reports whether the person may use the bot.
func (p *Person) Active() bool { return p != nil && !p.Dismissed }

// IsHead reports whether the person is an active head.
func (p *Person) IsHead() bool { return p.Active() && p.Role == RoleHead }

// HasIdentity reports whether id is one of the person's identities.
func (p *Person) HasIdentity(id string) bool {
	for _, x := range p.Identities {
		if x == id {
			return true
		}
	}
	return false
}

// Invitation is a one-time code that registers whoever uses it with Role.
type Invitation struct {
	Code      string    `json:"code"`
	Role      Role      `json:"role"`
	ReportsTo uint64    `json:"reports_to,omitempty"`
	CreatedBy uint64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedBy    uint64    `json:"used_by,omitempty"`
}

// VoidedBy reports whether a dismissal voids the invitation: one the
// dismissed person issued, one that places the new person under them, or
// any issued before the dismissal (the dismissed person may hold its code
// and would come back with it).
func (inv *Invitation) VoidedBy(p *Person) bool {
	if p == nil || !p.Dismissed {
		return false
	}
	if inv.CreatedBy == p.ID || (inv.ReportsTo != 0 && inv.ReportsTo == p.ID) {
		return true
	}
	// A store from before DismissedAt was kept cannot tell when; it voids
	// only what the dismissed person issued.
	return !p.DismissedAt.IsZero() && (inv.CreatedAt.IsZero() || inv.CreatedAt.Before(p.DismissedAt))
}

// Delegation names a deputy who holds all rights of an absent person from
// From to To (To exclusive).
type Delegation struct {
	ID        uint64    `json:"id"`
	AbsentID  uint64    `json:"absent_id"`
	DeputyID  uint64    `json:"deputy_id"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Reason    string    `json:"reason,omitempty"`
	CreatedBy uint64    `json:"created_by"`
	EndedAt   time.Time `json:"ended_at,omitempty"`
}

// ActiveAt reports whether the delegation is in force at t.
func (d *Delegation) ActiveAt(t time.Time) bool {
	end := d.To
	if !d.EndedAt.IsZero() && d.EndedAt.Before(end) {
		end = d.EndedAt
	}
	return !t.Before(d.From) && t.Before(end)
}
