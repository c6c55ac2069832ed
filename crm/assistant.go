package crm

import "time"

// Facts are what a follow-up draft may rely on: one client's record and
// recent history, as visible to the person who asks. They feed both the
// language model's prompt and the offline drafter, so both write from the
// same facts. Client-written text (notes, claims) stays in the fields it
// came in; prompts mark it as untrusted data.
type Facts struct {
	// Lang is the language of the draft ("en" or "bg").
	Lang string
	// Today is the caller's current day.
	Today time.Time
	// Sender is the name the draft is signed with.
	Sender string
	// Goal is what the draft should achieve, as typed ("confirm the
	// meeting"); empty for a general follow-up.
	Goal string
	// Short and Formal steer the style.
	Short  bool
	Formal bool
	// Variant picks another wording when a draft is regenerated.
	Variant int
	// Previous is the draft being revised (shorter, more formal), if any.
	Previous string

	Client FactClient
	// Conversations are the latest conversations, newest first.
	Conversations []FactConversation
	// NextStep is the agreed next step, nil when none is open.
	NextStep *FactStep
	// Tasks are the client's other open tasks, soonest first.
	Tasks []FactStep
	// Claims are the client's open claims (filled when claims exist).
	Claims []FactClaim
	// Deals are the client's open deals (filled when deals exist).
	Deals []FactDeal
}

// FactClient is the part of a client card a draft may use. Phone and
// e-mail are left out on purpose: a draft does not need them, so they never
// reach a language model.
type FactClient struct {
	Ref      string // "#12"
	Name     string
	Contact  string
	City     string
	Industry string
	Segment  string
	Status   string
	Need     string
	Level    string
	Focus    string
}

// FactConversation is one logged contact.
type FactConversation struct {
	At       time.Time
	Channels []string
	Text     string
}

// FactStep is a task or agreed next step.
type FactStep struct {
	ID   string // "T-3"
	Text string
	Due  time.Time
}

// FactClaim is an open claim in a draft's facts.
type FactClaim struct {
	ID       string // "C-12"
	Text     string
	Status   string
	Severity string
	// Due is the next due date of the claim (acknowledge or resolve), if any.
	Due time.Time
}

// FactDeal is an open deal in a draft's facts.
type FactDeal struct {
	ID     string // "D-7"
	Title  string
	Stage  string
	Amount string // formatted with its currency: "12 000.00 EUR"
	Close  time.Time
}

// Draft sources.
const (
	DraftLLM     = "llm"
	DraftOffline = "offline"
)

// Draft is a follow-up message prepared for a client. It is kept under a
// short id (F-3) so that buttons can refer to it; each revision is a new
// draft.
type Draft struct {
	ID       uint64 `json:"id"`
	ParentID uint64 `json:"parent_id,omitempty"`
	ClientID uint64 `json:"client_id"`
	PersonID uint64 `json:"person_id"`
	// Lang is the draft's language; CallerLang the language of the person
	// who asked (the proposed next step is theirs).
	Lang       string `json:"lang"`
	CallerLang string `json:"caller_lang,omitempty"`
	Goal       string `json:"goal,omitempty"`
	Short      bool   `json:"short,omitempty"`
	Formal     bool   `json:"formal,omitempty"`
	Variant    int    `json:"variant,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Body       string `json:"body"`
	// NextStep and NextDue are the next step the draft proposes, if any.
	NextStep string    `json:"next_step,omitempty"`
	NextDue  time.Time `json:"next_due,omitempty"`
	// Source is DraftLLM or DraftOffline; Fallback says why the offline
	// drafter wrote it although a model is configured.
	Source    string    `json:"source"`
	Fallback  string    `json:"fallback,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// SentAt is when the person marked it as sent.
	SentAt time.Time `json:"sent_at,omitempty"`
	// EmailedTo is the address the bot sent the draft to by e-mail, and
	// MessageID that message's Message-ID ("" when marked sent by hand).
	EmailedTo string `json:"emailed_to,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// Text is the draft as sent: subject line, then the body.
func (d *Draft) Text() string {
	if d.Subject == "" {
		return d.Body
	}
	return d.Subject + "\n\n" + d.Body
}

// Action kinds the assistant may propose.
const (
	ActionLog      = "log"       // log a conversation (with an optional next step)
	ActionNext     = "next"      // set a next step without a conversation
	ActionClaim    = "claim"     // record a claim
	ActionDealMove = "deal_move" // move a deal to another stage
)

// Proposal states.
const (
	ProposalPending   = "pending"
	ProposalConfirmed = "confirmed"
	ProposalCancelled = "cancelled"
)

// Proposal is what the assistant read in a note: actions that are carried
// out only when the person confirms. It is kept under a short id (N-5).
type Proposal struct {
	ID       uint64 `json:"id"`
	PersonID uint64 `json:"person_id"`
	Note     string `json:"note"`
	// Source is "llm" or "rules"; Fallback says why the rules read it
	// although a model is configured.
	Source   string   `json:"source"`
	Fallback string   `json:"fallback,omitempty"`
	Actions  []Action `json:"actions,omitempty"`
	// Candidates are clients the note may be about, when the rules could
	// not tell which one.
	Candidates []uint64  `json:"candidates,omitempty"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	ClosedAt   time.Time `json:"closed_at,omitempty"`
}

// Action is one proposed change. It is carried out by dispatching the
// command it stands for, so the command's own checks apply.
type Action struct {
	Kind     string `json:"kind"`
	ClientID uint64 `json:"client_id,omitempty"`
	// Client is the client's name when proposed, for display.
	Client   string    `json:"client,omitempty"`
	Text     string    `json:"text,omitempty"`
	Channels []string  `json:"channels,omitempty"`
	NextText string    `json:"next_text,omitempty"`
	NextDue  time.Time `json:"next_due,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Deal     string    `json:"deal,omitempty"`
	Stage    string    `json:"stage,omitempty"`
}
