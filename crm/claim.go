package crm

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ClaimStatus is where a claim is in its lifecycle (ISO 10002: receive,
// acknowledge, investigate, respond, close; reopen when the client is not
// satisfied).
type ClaimStatus string

// Claim statuses.
const (
	ClaimNew           ClaimStatus = "new"
	ClaimAcknowledged  ClaimStatus = "acknowledged"
	ClaimInvestigating ClaimStatus = "investigating"
	ClaimResponded     ClaimStatus = "responded"
	ClaimResolved      ClaimStatus = "resolved"
	ClaimRejected      ClaimStatus = "rejected"
	ClaimReopened      ClaimStatus = "reopened"
)

// ClaimStatuses lists every status in lifecycle order.
var ClaimStatuses = []ClaimStatus{ClaimNew, ClaimAcknowledged, ClaimInvestigating, ClaimResponded, ClaimResolved, ClaimRejected, ClaimReopened}

// Open reports whether a claim in this status still needs work.
func (s ClaimStatus) Open() bool { return s != ClaimResolved && s != ClaimRejected }

// AwaitsAck reports whether a claim in this status still waits for the
// client to be told that it was received.
func (s ClaimStatus) AwaitsAck() bool { return s == ClaimNew || s == ClaimReopened }

// Severity is how bad a claim is; it selects the SLA.
type Severity string

// Severities, from the least to the most severe.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity, the most severe first.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}

// Rank orders severities: critical 4 … low 1, unknown 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// ParseSeverity reads a severity typed in English or Bulgarian.
func ParseSeverity(s string) (Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low", "minor", "нисък", "ниска", "ниско", "ниски":
		return SeverityLow, true
	case "medium", "normal", "среден", "средна", "средно", "нормален", "нормална":
		return SeverityMedium, true
	case "high", "major", "висок", "висока", "високо":
		return SeverityHigh, true
	case "critical", "blocker", "критичен", "критична", "критично", "спешна", "спешен":
		return SeverityCritical, true
	}
	return "", false
}

// Known claim categories; any other word is kept as a custom category.
var ClaimCategories = []string{"delivery", "quality", "invoice", "service", "contract", "other"}

var categoryAliases = map[string]string{
	"delivery": "delivery", "shipping": "delivery", "доставка": "delivery", "доставки": "delivery",
	"quality": "quality", "качество": "quality",
	"invoice": "invoice", "billing": "invoice", "фактура": "invoice", "фактури": "invoice", "фактуриране": "invoice",
	"service": "service", "обслужване": "service", "услуга": "service", "сервиз": "service",
	"contract": "contract", "договор": "contract",
	"other": "other", "друго": "other", "друга": "other", "други": "other",
}

// MaxCategoryRunes is the longest custom category kept.
const MaxCategoryRunes = 40

// ParseCategory returns the canonical name of a known category (typed in
// English or Bulgarian), or the trimmed lower-case word for a custom one.
// It reports false for an empty or over-long category.
func ParseCategory(s string) (string, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if s == "" || utf8.RuneCountInString(s) > MaxCategoryRunes {
		return "", false
	}
	if c, ok := categoryAliases[s]; ok {
		return c, true
	}
	return s, true
}

// IsKnownCategory reports whether c is one of ClaimCategories.
func IsKnownCategory(c string) bool {
	for _, k := range ClaimCategories {
		if k == c {
			return true
		}
	}
	return false
}

// CorrectiveAction is what was done about a claim's root cause.
type CorrectiveAction string

// Corrective actions.
const (
	ActionCorrective CorrectiveAction = "corrective"
	ActionPreventive CorrectiveAction = "preventive"
	ActionNone       CorrectiveAction = "none"
)

// ParseCorrectiveAction reads an action typed in English or Bulgarian.
func ParseCorrectiveAction(s string) (CorrectiveAction, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "corrective", "correction", "коригиращо", "коригиращи", "коригираща", "корекция":
		return ActionCorrective, true
	case "preventive", "prevention", "превантивно", "превантивни", "превантивна", "превенция", "предпазно":
		return ActionPreventive, true
	case "none", "no", "няма", "без", "не":
		return ActionNone, true
	}
	return "", false
}

// ClaimStepKind names one step of a claim's timeline.
type ClaimStepKind string

// Claim steps. Every change of a claim is one step.
const (
	StepReceived    ClaimStepKind = "received"
	StepAck         ClaimStepKind = "ack"
	StepInvestigate ClaimStepKind = "investigate"
	StepNote        ClaimStepKind = "note"
	StepAssign      ClaimStepKind = "assign"
	StepRespond     ClaimStepKind = "respond"
	StepResolve     ClaimStepKind = "resolve"
	StepReject      ClaimStepKind = "reject"
	StepReopen      ClaimStepKind = "reopen"
	StepSatisfied   ClaimStepKind = "satisfied"
	StepEscalated   ClaimStepKind = "escalated"
)

// ClaimStep is one entry of a claim's timeline: who did what, when.
type ClaimStep struct {
	Kind ClaimStepKind `json:"kind"`
	At   time.Time     `json:"at"`
	// By is the person who took the step; 0 for the bot itself.
	By uint64 `json:"by,omitempty"`
	// OnBehalfOf is the absent person a deputy acted for.
	OnBehalfOf uint64      `json:"on_behalf_of,omitempty"`
	From       ClaimStatus `json:"from,omitempty"`
	To         ClaimStatus `json:"to,omitempty"`
	Text       string      `json:"text,omitempty"`
	// Person is the new assignee (assign) or the person told (escalated).
	Person uint64           `json:"person,omitempty"`
	Cause  string           `json:"cause,omitempty"`
	Action CorrectiveAction `json:"action,omitempty"`
	Score  int              `json:"score,omitempty"`
}

// Claim is a complaint of a client, from receipt to closure.
type Claim struct {
	ID       uint64 `json:"id"`
	ClientID uint64 `json:"client_id"`
	// OwnerID is the client's owner; it follows the client when the client
	// is reassigned.
	OwnerID    uint64 `json:"owner_id"`
	ReporterID uint64 `json:"reporter_id"`
	AssigneeID uint64 `json:"assignee_id,omitempty"`

	Text     string      `json:"text"`
	Remedy   string      `json:"remedy,omitempty"`
	Severity Severity    `json:"severity"`
	Category string      `json:"category"`
	Status   ClaimStatus `json:"status"`

	CreatedAt time.Time `json:"created_at"`
	// AckDue and ResolveDue are the SLA deadlines (set again on reopen).
	AckDue     time.Time `json:"ack_due"`
	ResolveDue time.Time `json:"resolve_due"`
	// AckedAt is the first acknowledgement; ReackedAt the latest one after
	// a reopen.
	AckedAt     time.Time `json:"acked_at,omitzero"`
	RespondedAt time.Time `json:"responded_at,omitzero"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	// ClosedAt is when it was last resolved or rejected.
	ClosedAt time.Time `json:"closed_at,omitzero"`

	Response     string           `json:"response,omitempty"`
	Resolution   string           `json:"resolution,omitempty"`
	Cause        string           `json:"cause,omitempty"`
	Action       CorrectiveAction `json:"action,omitempty"`
	RejectReason string           `json:"reject_reason,omitempty"`
	Satisfaction int              `json:"satisfaction,omitempty"`

	// EscalatedDue is the resolve deadline whose breach was escalated
	// (zero: none). A reopen sets a new deadline, so a new breach is
	// escalated again, and the same breach never twice.
	EscalatedDue time.Time `json:"escalated_due,omitzero"`

	Timeline []ClaimStep `json:"timeline"`
}

// ClaimRef formats a claim id as people see it: "C-12".
func ClaimRef(id uint64) string { return "C-" + strconv.FormatUint(id, 10) }

// ParseClaimRef reads "C-12", "c12", "К-12" (Cyrillic) or "#12".
func ParseClaimRef(s string) (uint64, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, p := range []string{"#", "C", "К", "-"} {
		s = strings.TrimPrefix(s, p)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// Ref returns the claim's short id.
func (c *Claim) Ref() string { return ClaimRef(c.ID) }

// Clone returns a deep copy.
func (c Claim) Clone() Claim {
	c.Timeline = append([]ClaimStep(nil), c.Timeline...)
	return c
}

// AckOverdue reports whether the acknowledge deadline passed without an
// acknowledgement at now.
func (c *Claim) AckOverdue(now time.Time) bool { return ackOverdue(c.Status, c.AckDue, now) }

// ResolveOverdue reports whether the resolve deadline passed with the claim
// still open at now.
func (c *Claim) ResolveOverdue(now time.Time) bool {
	return resolveOverdue(c.Status, c.ResolveDue, now)
}

// ackOverdue reports whether a claim in status st with the acknowledge
// deadline due (zero: none) is overdue at now.
func ackOverdue(st ClaimStatus, due, now time.Time) bool {
	return st.AwaitsAck() && !due.IsZero() && now.After(due)
}

// resolveOverdue reports whether a claim in status st with the resolve
// deadline due (zero: none) is overdue at now.
func resolveOverdue(st ClaimStatus, due, now time.Time) bool {
	return st.Open() && !due.IsZero() && now.After(due)
}

// Overdue reports whether any SLA deadline of an open claim passed at now.
func (c *Claim) Overdue(now time.Time) bool { return c.AckOverdue(now) || c.ResolveOverdue(now) }

// ClaimEvent asks for one step of a claim's lifecycle.
type ClaimEvent struct {
	Kind ClaimStepKind
	At   time.Time
	By   Actor
	Text string
	// Person is the new assignee (StepAssign) or the person told
	// (StepEscalated).
	Person uint64
	Cause  string
	Action CorrectiveAction
	Score  int
	// AckDue and ResolveDue are the new SLA deadlines of a reopen.
	AckDue, ResolveDue time.Time
}

// transitions lists, per step, the statuses it may start from and the
// status it leads to ("" keeps the status).
var transitions = map[ClaimStepKind]struct {
	from []ClaimStatus
	to   ClaimStatus
}{
	StepAck:         {[]ClaimStatus{ClaimNew, ClaimReopened}, ClaimAcknowledged},
	StepInvestigate: {[]ClaimStatus{ClaimNew, ClaimAcknowledged, ClaimReopened, ClaimResponded}, ClaimInvestigating},
	StepRespond:     {[]ClaimStatus{ClaimNew, ClaimAcknowledged, ClaimInvestigating, ClaimResponded, ClaimReopened}, ClaimResponded},
	StepResolve:     {[]ClaimStatus{ClaimNew, ClaimAcknowledged, ClaimInvestigating, ClaimResponded, ClaimReopened}, ClaimResolved},
	StepReject:      {[]ClaimStatus{ClaimNew, ClaimAcknowledged, ClaimInvestigating, ClaimResponded, ClaimReopened}, ClaimRejected},
	StepReopen:      {[]ClaimStatus{ClaimResolved, ClaimRejected}, ClaimReopened},
	StepAssign:      {[]ClaimStatus{ClaimNew, ClaimAcknowledged, ClaimInvestigating, ClaimResponded, ClaimReopened}, ""},
	StepSatisfied:   {[]ClaimStatus{ClaimResolved, ClaimRejected, ClaimResponded}, ""},
	StepNote:        {ClaimStatuses, ""},
	StepEscalated:   {[]ClaimStatus{ClaimNew, ClaimAcknowledged, ClaimInvestigating, ClaimResponded, ClaimReopened}, ""},
}

// CanApply reports whether a step of kind may be taken in status s.
func CanApply(s ClaimStatus, kind ClaimStepKind) bool {
	t, ok := transitions[kind]
	if !ok {
		return false
	}
	for _, f := range t.from {
		if f == s {
			return true
		}
	}
	return false
}

// textUsage are the steps that take a text, with the message that says
// how to give it.
var textUsage = map[ClaimStepKind]string{
	StepNote:    "claim.note_usage",
	StepRespond: "claim.respond_usage",
	StepReject:  "claim.reject_usage",
	StepReopen:  "claim.reopen_usage",
}

// ApplyClaimEvent returns the claim after the step e. It is a pure
// function: c is not changed, and on an error (an invalid transition or a
// missing cause, reason or score) the claim returned is c unchanged. The
// step is appended to the timeline.
func ApplyClaimEvent(c Claim, e ClaimEvent) (Claim, error) {
	t, ok := transitions[e.Kind]
	if !ok {
		return c, Errorf(EINVALID, "claim.bad_step", "step", string(e.Kind))
	}
	if !CanApply(c.Status, e.Kind) {
		return c, Errorf(ECONFLICT, "claim.bad_transition", "id", c.Ref(), "status", c.Status, "step", e.Kind)
	}
	text := strings.TrimSpace(e.Text)
	cause := strings.TrimSpace(e.Cause)
	if usage, ok := textUsage[e.Kind]; ok && text == "" {
		return c, Errorf(EINVALID, usage)
	}
	switch e.Kind {
	case StepResolve:
		if cause == "" {
			return c, Errorf(EINVALID, "claim.cause_required", "id", c.Ref())
		}
		if e.Action != "" && e.Action != ActionCorrective && e.Action != ActionPreventive && e.Action != ActionNone {
			return c, Errorf(EINVALID, "claim.bad_action", "value", string(e.Action))
		}
	case StepAssign:
		if e.Person == 0 {
			return c, Errorf(EINVALID, "claim.assign_usage")
		}
		if e.Person == c.AssigneeID {
			return c, Errorf(ECONFLICT, "claim.already_assigned", "id", c.Ref())
		}
	case StepSatisfied:
		if e.Score < 1 || e.Score > 5 {
			return c, Errorf(EINVALID, "claim.bad_score")
		}
	case StepEscalated:
		if !c.EscalatedDue.IsZero() && c.EscalatedDue.Equal(c.ResolveDue) {
			return c, Errorf(ECONFLICT, "claim.already_escalated", "id", c.Ref())
		}
	}

	n := c.Clone()
	step := ClaimStep{Kind: e.Kind, At: e.At, By: e.By.PersonID, OnBehalfOf: e.By.OnBehalfOf, Text: text}
	if t.to != "" {
		step.From, step.To = c.Status, t.to
		n.Status = t.to
	}
	// Any step that tells the client something acknowledges the claim.
	if n.AckedAt.IsZero() && e.Kind != StepNote && e.Kind != StepAssign && e.Kind != StepEscalated && e.Kind != StepSatisfied {
		n.AckedAt = e.At
	}
	switch e.Kind {
	case StepRespond:
		n.Response = text
		if n.RespondedAt.IsZero() {
			n.RespondedAt = e.At
		}
	case StepResolve:
		n.Resolution, n.Cause = text, cause
		n.Action = e.Action
		if n.Action == "" {
			n.Action = ActionNone
		}
		n.ResolvedAt, n.ClosedAt = e.At, e.At
		n.RejectReason = ""
		step.Cause, step.Action = cause, n.Action
	case StepReject:
		n.RejectReason = text
		n.ClosedAt = e.At
		n.ResolvedAt = time.Time{}
	case StepReopen:
		n.ClosedAt, n.ResolvedAt = time.Time{}, time.Time{}
		n.Satisfaction = 0
		if !e.AckDue.IsZero() {
			n.AckDue = e.AckDue
		}
		if !e.ResolveDue.IsZero() {
			n.ResolveDue = e.ResolveDue
		}
	case StepAssign:
		n.AssigneeID = e.Person
		step.Person = e.Person
	case StepSatisfied:
		n.Satisfaction = e.Score
		step.Score = e.Score
	case StepEscalated:
		n.EscalatedDue = n.ResolveDue
		step.Person = e.Person
	}
	n.Timeline = append(n.Timeline, step)
	return n, nil
}

// NewClaim returns a received claim with its first timeline step.
func NewClaim(clientID, ownerID uint64, by Actor, at time.Time, text, remedy string, sev Severity, category string, ackDue, resolveDue time.Time) Claim {
	if sev == "" {
		sev = SeverityMedium
	}
	if category == "" {
		category = "other"
	}
	return Claim{
		ClientID: clientID, OwnerID: ownerID, ReporterID: by.PersonID,
		Text: text, Remedy: remedy, Severity: sev, Category: category, Status: ClaimNew,
		CreatedAt: at, AckDue: ackDue, ResolveDue: resolveDue,
		Timeline: []ClaimStep{{Kind: StepReceived, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, To: ClaimNew, Text: text}},
	}
}

// ClaimSummary is the part of a claim that lists and the SLA need, kept in
// the store's indexes so that lists read no claim text.
type ClaimSummary struct {
	ID         uint64
	ClientID   uint64
	OwnerID    uint64
	AssigneeID uint64
	Status     ClaimStatus
	Severity   Severity
	Category   string
	CreatedAt  time.Time
	AckDue     time.Time
	ResolveDue time.Time
	ClosedAt   time.Time
}

// Summary returns the claim's summary.
func (c *Claim) Summary() ClaimSummary {
	return ClaimSummary{ID: c.ID, ClientID: c.ClientID, OwnerID: c.OwnerID, AssigneeID: c.AssigneeID, Status: c.Status,
		Severity: c.Severity, Category: c.Category, CreatedAt: c.CreatedAt, AckDue: c.AckDue, ResolveDue: c.ResolveDue, ClosedAt: c.ClosedAt}
}

// AckOverdue is Claim.AckOverdue for a summary.
func (s *ClaimSummary) AckOverdue(now time.Time) bool { return ackOverdue(s.Status, s.AckDue, now) }

// ResolveOverdue is Claim.ResolveOverdue for a summary.
func (s *ClaimSummary) ResolveOverdue(now time.Time) bool {
	return resolveOverdue(s.Status, s.ResolveDue, now)
}

// Overdue is Claim.Overdue for a summary.
func (s *ClaimSummary) Overdue(now time.Time) bool { return s.AckOverdue(now) || s.ResolveOverdue(now) }

// ClaimEscalation is a decided escalation waiting to be delivered.
type ClaimEscalation struct {
	ClaimID  uint64    `json:"claim_id"`
	To       uint64    `json:"to"`
	Due      time.Time `json:"due"`
	At       time.Time `json:"at"`
	Attempts int       `json:"attempts,omitempty"`
}

// ClaimsReceivedQuery picks claims by when they were received (CreatedAt in
// [From, To)) and, optionally, by person and category.
type ClaimsReceivedQuery struct {
	From, To time.Time
	// People, when not empty, keeps the claims owned by or assigned to
	// one of them.
	People []uint64
	// Category, when not empty, keeps the claims of that category.
	Category string
}

// EscalationRoute says who is told of a claim's breach: ByOwner[owner], or
// Otherwise for an owner it does not name. Zero means nobody.
type EscalationRoute struct {
	ByOwner   map[uint64]uint64
	Otherwise uint64
}

// To returns the person told of a breach of a claim owned by owner.
func (r EscalationRoute) To(owner uint64) uint64 {
	if to, ok := r.ByOwner[owner]; ok {
		return to
	}
	return r.Otherwise
}
