package crm

import "time"

// Aspects of a competitor's client policy.
const (
	AspectPrice    = "price"
	AspectDiscount = "discount"
	AspectTerms    = "terms"
	AspectService  = "service"
	AspectProduct  = "product"
	AspectGeneral  = "general"
)

// Aspects lists the aspects in the order a summary shows them.
var Aspects = []string{AspectPrice, AspectDiscount, AspectTerms, AspectService, AspectProduct, AspectGeneral}

// Competitor is a competing company the account managers learn about.
type Competitor struct {
	// Key is the normalised name (NormalizeName), the competitor's identity.
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy uint64    `json:"created_by"`
}

// CompetitorNote is one thing learned about a competitor's client policy.
type CompetitorNote struct {
	ID     uint64 `json:"id"`
	Key    string `json:"key"`
	Aspect string `json:"aspect"`
	Text   string `json:"text"`
	// ClientID is the client the news came from (the source), or 0.
	ClientID   uint64    `json:"client_id,omitempty"`
	By         uint64    `json:"by"`
	OnBehalfOf uint64    `json:"on_behalf_of,omitempty"`
	At         time.Time `json:"at"`
}
