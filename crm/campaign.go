package crm

import (
	"time"

	"github.com/shopspring/decimal"
)

// Campaign kinds.
const (
	CampaignEmail        = "email"
	CampaignFair         = "fair"
	CampaignExhibition   = "exhibition"
	CampaignPresentation = "presentation"
	CampaignOther        = "other"
)

// CampaignKinds lists every kind of campaign.
var CampaignKinds = []string{CampaignEmail, CampaignFair, CampaignExhibition, CampaignPresentation, CampaignOther}

// Campaign is an outreach: a mailing, a fair, an exhibition, a
// presentation.
type Campaign struct {
	ID   uint64    `json:"id"`
	Name string    `json:"name"`
	Kind string    `json:"kind"`
	Date time.Time `json:"date"`
	City string    `json:"city,omitempty"`
	// Budget is the cost of the campaign, exact; HasBudget tells an unknown
	// budget from a zero one.
	Budget    decimal.Decimal `json:"budget"`
	HasBudget bool            `json:"has_budget,omitempty"`
	Currency  string          `json:"currency,omitempty"`
	CreatedBy uint64          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
}

// Lead ties a client to the campaign it came from.
type Lead struct {
	CampaignID uint64    `json:"campaign_id"`
	ClientID   uint64    `json:"client_id"`
	At         time.Time `json:"at"`
	By         uint64    `json:"by"`
}
