package crm

import (
	"strings"
	"time"
)

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

var aspectWords = map[string]string{
	"price": AspectPrice, "prices": AspectPrice, "pricing": AspectPrice, "цена": AspectPrice, "цени": AspectPrice,
	"discount": AspectDiscount, "discounts": AspectDiscount, "rebate": AspectDiscount, "отстъпка": AspectDiscount, "отстъпки": AspectDiscount,
	"terms": AspectTerms, "payment": AspectTerms, "conditions": AspectTerms, "условия": AspectTerms, "срокове": AspectTerms, "плащане": AspectTerms,
	"service": AspectService, "support": AspectService, "обслужване": AspectService, "сервиз": AspectService, "поддръжка": AspectService,
	"product": AspectProduct, "products": AspectProduct, "range": AspectProduct, "продукт": AspectProduct, "продукти": AspectProduct, "асортимент": AspectProduct,
	"general": AspectGeneral, "other": AspectGeneral, "общо": AspectGeneral, "друго": AspectGeneral,
}

// ParseAspect reads an aspect typed in English or Bulgarian.
func ParseAspect(s string) (string, bool) {
	a, ok := aspectWords[strings.ToLower(strings.TrimSpace(s))]
	return a, ok
}

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
