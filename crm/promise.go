package crm

import (
	"strconv"
	"time"
)

// Promise is something promised under a contract: by the company to the
// client (a delivery, a discount, a service visit), or by the client to
// the company (FromClient).
type Promise struct {
	ID       uint64 `json:"id"`
	ClientID uint64 `json:"client_id"`
	// OwnerID is the client's owner; it follows the client when the client
	// is reassigned.
	OwnerID  uint64    `json:"owner_id"`
	Text     string    `json:"text"`
	Due      time.Time `json:"due"`
	Contract string    `json:"contract,omitempty"`
	// FromClient marks a promise the client made to the company.
	FromClient bool      `json:"from_client,omitempty"`
	CreatedBy  uint64    `json:"created_by"`
	OnBehalfOf uint64    `json:"on_behalf_of,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	DoneAt     time.Time `json:"done_at,omitzero"`
	DoneBy     uint64    `json:"done_by,omitempty"`
}

// PromiseRef formats a promise id: "P-3".
func PromiseRef(id uint64) string { return "P-" + strconv.FormatUint(id, 10) }

// Ref is the promise's short id.
func (p *Promise) Ref() string { return PromiseRef(p.ID) }

// Open reports whether the promise is not kept yet.
func (p *Promise) Open() bool { return p.DoneAt.IsZero() }

// BrokenAt reports whether the promise was broken as of at: still open
// after its due day (Due is the day's midnight, so it is broken from the
// next day on), or kept only after that day.
func (p *Promise) BrokenAt(at time.Time) bool {
	end := p.Due.AddDate(0, 0, 1)
	if p.Open() || p.DoneAt.After(at) {
		return !at.Before(end)
	}
	return !p.DoneAt.Before(end)
}

// KeptAt reports whether the promise was kept on time as of at.
func (p *Promise) KeptAt(at time.Time) bool {
	return !p.Open() && !p.DoneAt.After(at) && p.DoneAt.Before(p.Due.AddDate(0, 0, 1))
}
