package crm

import (
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
)

// AudienceRow is what audience analysis reads of one client: who owns it,
// when it came, and the fields it is grouped by. The store keeps it in a
// compact index beside the client, so that analysing every client never
// reads a whole client record.
type AudienceRow struct {
	ClientID  uint64
	OwnerID   uint64
	CreatedAt time.Time
	Status    string
	Segment   string
	Industry  string
	Size      string
	Need      string
	Level     string
	Focus     string
	City      string
	Source    string
}

// AudienceFields are the client fields audience analysis groups by and
// offers as choices, in the order of ClientFields.
var AudienceFields = []string{"segment", "industry", "size", "city", "need", "level", "focus", "status", "source"}

// Field returns one of AudienceFields.
func (a *AudienceRow) Field(key string) string {
	switch key {
	case "segment":
		return a.Segment
	case "industry":
		return a.Industry
	case "size":
		return a.Size
	case "city":
		return a.City
	case "need":
		return a.Need
	case "level":
		return a.Level
	case "focus":
		return a.Focus
	case "status":
		return a.Status
	case "source":
		return a.Source
	}
	return ""
}

// AudienceOf returns the audience row of a client.
func AudienceOf(c *Client) AudienceRow {
	return AudienceRow{ClientID: c.ID, OwnerID: c.OwnerID, CreatedAt: c.CreatedAt, Status: c.Status, Segment: c.Segment,
		Industry: c.Industry, Size: c.Size, Need: c.Need, Level: c.Level, Focus: c.Focus, City: c.City, Source: c.Source}
}

// SplitValues splits a comma-separated field ("need") into its trimmed,
// non-empty values.
func SplitValues(s string) []string {
	if !strings.Contains(s, ",") {
		if s = strings.TrimSpace(s); s == "" {
			return nil
		}
		return []string{s}
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clientStatuses are the status values that mark a buyer by hand, English
// and Bulgarian; prospectStatuses those that mark a prospect.
var clientStatuses = map[string]bool{
	"client": true, "customer": true, "active": true, "buyer": true,
	"клиент": true, "активен": true, "купувач": true,
}

// IsClientStatus reports whether a status typed by hand says the record is
// a buyer (client, customer, active; клиент, активен).
func IsClientStatus(s string) bool { return clientStatuses[strings.ToLower(strings.TrimSpace(s))] }

// IsBuyer is the one definition of "client" as opposed to "prospect" in
// audience analysis: a record is a client when it has won a deal, or when
// its status says so by hand (IsClientStatus); every other record is a
// prospect, whatever else its status says.
func IsBuyer(status string, hasWon bool) bool { return hasWon || IsClientStatus(status) }

// DealFact is what planning reads of one deal: enough for sums, rhythms,
// products and competitors, without the deal's stage history.
type DealFact struct {
	ID       uint64
	ClientID uint64
	OwnerID  uint64
	// Stage is the deal's stage ("lead" … "won", "lost").
	Stage    string
	Amount   decimal.Decimal
	Currency string
	Title    string
	// Competitor is the competitor named on the deal, as typed, or "".
	Competitor string
	// Cancelled marks a lost deal the client called off.
	Cancelled bool
	CreatedAt time.Time
	// ClosedAt is when the deal was won or lost; zero while open.
	ClosedAt time.Time
	// StageSince is when the deal entered its current stage.
	StageSince time.Time
}

// DealSum is the least of a deal that sums over every deal need.
type DealSum struct {
	ClientID uint64
	Stage    Stage
	Amount   decimal.Decimal
	Currency string
	// ClosedAt is when the deal was won or lost; zero while open.
	ClosedAt time.Time
}

// FactOfDeal returns the facts of a deal (or of a deal summary).
func FactOfDeal(d *Deal) DealFact {
	return DealFact{ID: d.ID, ClientID: d.ClientID, OwnerID: d.OwnerID, Stage: string(d.Stage), Amount: d.Amount, Currency: d.Currency,
		Title: d.Title, Competitor: d.Competitor, CreatedAt: d.CreatedAt, ClosedAt: d.ClosedAt, StageSince: d.StageSince(), Cancelled: d.Cancelled}
}

// Won reports whether the deal was won.
func (d *DealFact) Won() bool { return d.Stage == "won" }

// Lost reports whether the deal was lost.
func (d *DealFact) Lost() bool { return d.Stage == "lost" }

// Open reports whether the deal is neither won nor lost.
func (d *DealFact) Open() bool { return d.Stage != "won" && d.Stage != "lost" && d.Stage != "" }

// ProductKey reads the product a deal is about from its title: the title
// without numbers (years, quantities, order numbers), folded like names
// (NormalizeName), so that "Pumps 2026" and "pumps 2027" are one product.
func ProductKey(title string) string {
	if t, _, ok := strings.Cut(title, " - "); ok {
		title = t
	}
	if t, _, ok := strings.Cut(title, "("); ok {
		title = t
	}
	var b strings.Builder
	for _, w := range strings.Fields(title) {
		if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			continue
		}
		b.WriteString(w)
		b.WriteByte(' ')
	}
	return NormalizeName(b.String())
}

// ProductLabel is the title shown for a product: the title without its
// numbers.
func ProductLabel(title string) string {
	if t, _, ok := strings.Cut(title, " - "); ok {
		title = t
	}
	if t, _, ok := strings.Cut(title, "("); ok {
		title = t
	}
	var kept []string
	for _, w := range strings.Fields(title) {
		if strings.IndexFunc(w, unicode.IsDigit) < 0 {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}
