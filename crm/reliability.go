package crm

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Payment is how one invoice of a client was paid: on time, or late by
// DaysLate days.
type Payment struct {
	ID         uint64    `json:"id"`
	ClientID   uint64    `json:"client_id"`
	OnTime     bool      `json:"on_time"`
	DaysLate   int       `json:"days_late,omitempty"`
	Invoice    string    `json:"invoice,omitempty"`
	At         time.Time `json:"at"`
	By         uint64    `json:"by"`
	OnBehalfOf uint64    `json:"on_behalf_of,omitempty"`
}

// paymentTally sums up the payments of a period.
type paymentTally struct {
	n       int     // payments received in the period
	late    int     // of them, late
	avgLate int     // the mean days late of the late ones, rounded; 0 when none
	sum     float64 // on time 1 each, d days late max(0, 1 − d/LateDaysZero)
}

// tallyPayments counts the payments received from since to at (both
// included).
func tallyPayments(ps []Payment, since, at time.Time) paymentTally {
	var t paymentTally
	lateDays := 0
	for _, p := range ps {
		if p.At.After(at) || p.At.Before(since) {
			continue
		}
		t.n++
		if p.OnTime {
			t.sum++
			continue
		}
		t.late++
		lateDays += p.DaysLate
		t.sum += math.Max(0, 1-float64(p.DaysLate)/LateDaysZero)
	}
	if t.late > 0 {
		t.avgLate = int(math.Round(float64(lateDays) / float64(t.late)))
	}
	return t
}

// Reliability factors, in the order the score explains them.
const (
	FactorPayment  = "payment"
	FactorClaims   = "claims"
	FactorPromises = "promises"
	FactorDeals    = "deals"
	FactorTenure   = "tenure"
	FactorRecord   = "record"
	FactorRating   = "rating"
)

// ReliabilityFactors lists every factor.
var ReliabilityFactors = []string{FactorPayment, FactorClaims, FactorPromises, FactorDeals, FactorTenure, FactorRecord, FactorRating}

// ReliabilityWeights are how much each factor counts. They need not add
// up to 100: the score divides by the weights of the factors that have
// data.
type ReliabilityWeights map[string]int

// DefaultReliabilityWeights returns the weights used until a head changes
// them; they add up to 100.
func DefaultReliabilityWeights() ReliabilityWeights {
	return ReliabilityWeights{FactorPayment: 30, FactorClaims: 15, FactorPromises: 15, FactorDeals: 15, FactorTenure: 10, FactorRecord: 5, FactorRating: 10}
}

// MaxReliabilityWeight is the largest weight a factor may get.
const MaxReliabilityWeight = 100

// Window and thresholds of the model.
const (
	// ReliabilityWindow is how far back payments and claims count.
	ReliabilityWindow = 2 * 365 * 24 * time.Hour
	// MinReliabilityEvidence is how many facts (payments, claims, promises
	// due, closed deals, a rating) a score needs; with fewer the answer is
	// "not enough data".
	MinReliabilityEvidence = 3
	// LateDaysZero is how many days late make a payment count nothing.
	LateDaysZero = 60
	// TenureFull is how long a relationship must be to count fully.
	TenureFull = 3 * 365 * 24 * time.Hour
	// ClaimsQuietAfter is how old a relationship without claims must be for
	// the absence of claims to count as evidence.
	ClaimsQuietAfter = 180 * 24 * time.Hour
)

// claimPenalty is what one claim takes off the claims factor, by severity.
var claimPenalty = map[Severity]float64{SeverityLow: 0.05, SeverityMedium: 0.10, SeverityHigh: 0.20, SeverityCritical: 0.35}

// RejectedClaimFactor multiplies the penalty of a claim rejected as
// unfounded: it says more about the buyer than a claim the company caused.
const RejectedClaimFactor = 1.5

// ClaimFact is what the reliability model reads of a claim.
type ClaimFact struct {
	CreatedAt time.Time
	Severity  Severity
	// RejectedAt is when the claim was rejected (closed as unfounded), zero
	// if it was not.
	RejectedAt time.Time
}

// ReliabilityFacts are everything the score is computed from.
type ReliabilityFacts struct {
	Client   *Client
	Payments []Payment
	Claims   []ClaimFact
	Promises []Promise
	Deals    []DealFact
	// StaleReview is how long a record stays current after a review.
	StaleReview time.Duration
}

// Factor is one factor's part of a score.
type Factor struct {
	Name   string
	Weight int
	// HasData is false when there is nothing to judge the factor by; it
	// then does not count.
	HasData bool
	// Value is the factor's own score, 0 to 1.
	Value float64
	// Points is the factor's part of the score and Max the most it could
	// give (both out of 100 for the whole score).
	Points, Max float64
	// Facts are the numbers that explain the value, for the message.
	Facts map[string]any
}

// Reliability is a score with its explanation.
type Reliability struct {
	// Enough is false when there is too little data for a score; Score is
	// then 0 and means nothing.
	Enough   bool
	Score    int
	Evidence int
	Factors  []Factor
}

// ScoreReliability computes the score as of at, from the facts known at
// that time (later payments, claims, closed deals and kept or broken
// promises are left out), so the same function gives today's score and
// the score of 90 days ago for the trend.
func ScoreReliability(f ReliabilityFacts, w ReliabilityWeights, at time.Time) Reliability {
	if w == nil {
		w = DefaultReliabilityWeights()
	}
	since := at.Add(-ReliabilityWindow)
	var out Reliability
	created := time.Time{}
	if f.Client != nil {
		created = f.Client.CreatedAt
	}
	tenure := at.Sub(created)
	if created.IsZero() || tenure < 0 {
		tenure = 0
	}

	// Payment behaviour.
	pay := Factor{Name: FactorPayment, Weight: w[FactorPayment]}
	pt := tallyPayments(f.Payments, since, at)
	if pt.n > 0 {
		pay.HasData, pay.Value = true, pt.sum/float64(pt.n)
	}
	pay.Facts = map[string]any{"count": pt.n, "late": pt.late, "days": pt.avgLate}
	out.Evidence += pt.n

	// Claims.
	cl := Factor{Name: FactorClaims, Weight: w[FactorClaims]}
	var claims, rejected, severe int
	penalty := 0.0
	for _, c := range f.Claims {
		if c.CreatedAt.After(at) || c.CreatedAt.Before(since) {
			continue
		}
		claims++
		p := claimPenalty[c.Severity]
		if p == 0 {
			p = claimPenalty[SeverityMedium]
		}
		if !c.RejectedAt.IsZero() && !c.RejectedAt.After(at) {
			rejected++
			p *= RejectedClaimFactor
		}
		if c.Severity.Rank() >= SeverityHigh.Rank() {
			severe++
		}
		penalty += p
	}
	if claims > 0 || tenure >= ClaimsQuietAfter {
		cl.HasData, cl.Value = true, math.Max(0, 1-penalty)
	}
	cl.Facts = map[string]any{"count": claims, "rejected": rejected, "severe": severe}
	out.Evidence += claims

	// Contract promises, either way.
	pr := Factor{Name: FactorPromises, Weight: w[FactorPromises]}
	var kept, broken int
	for i := range f.Promises {
		p := &f.Promises[i]
		switch {
		case p.BrokenAt(at):
			broken++
		case p.KeptAt(at):
			kept++
		}
	}
	if kept+broken > 0 {
		pr.HasData, pr.Value = true, float64(kept)/float64(kept+broken)
	}
	pr.Facts = map[string]any{"kept": kept, "broken": broken, "count": kept + broken}
	out.Evidence += kept + broken

	// Deal history.
	dl := Factor{Name: FactorDeals, Weight: w[FactorDeals]}
	var won, lost, cancelled int
	for _, d := range f.Deals {
		if d.ClosedAt.IsZero() || d.ClosedAt.After(at) {
			continue
		}
		switch {
		case d.Won():
			won++
		case d.Lost() && d.Cancelled:
			cancelled++
		case d.Lost():
			lost++
		}
	}
	if won+lost+cancelled > 0 {
		// Laplace's rule: one won and one lost deal assumed, so that a single
		// deal does not make 0 or 1. An order the client called off weighs
		// as two deals lost: it says more about the buyer than losing a bid.
		dl.HasData, dl.Value = true, float64(won+1)/float64(won+lost+2*cancelled+2)
	}
	dl.Facts = map[string]any{"won": won, "lost": lost, "cancelled": cancelled, "count": won + lost + cancelled}
	out.Evidence += won + lost + cancelled

	// Length of the relationship.
	te := Factor{Name: FactorTenure, Weight: w[FactorTenure], HasData: !created.IsZero()}
	te.Value = math.Min(1, float64(tenure)/float64(TenureFull))
	te.Facts = map[string]any{"months": int(tenure.Hours() / 24 / 30.44)}

	// How complete and current the record is.
	re := Factor{Name: FactorRecord, Weight: w[FactorRecord], HasData: f.Client != nil}
	filled, fields := RecordCompleteness(f.Client)
	current := f.Client != nil && (f.Client.ReviewedAt.After(at) || at.Sub(f.Client.ReviewedAt) <= f.StaleReview)
	if fields > 0 {
		re.Value = 0.6 * float64(filled) / float64(fields)
	}
	if current {
		re.Value += 0.4
	}
	re.Facts = map[string]any{"filled": filled, "fields": fields, "current": current}

	// External rating entered by hand.
	ra := Factor{Name: FactorRating, Weight: w[FactorRating]}
	if f.Client != nil {
		if v, ok := ParseRating(f.Client.Rating); ok {
			ra.HasData, ra.Value = true, v
			out.Evidence++
		}
		ra.Facts = map[string]any{"rating": f.Client.Rating}
	}

	out.Factors = []Factor{pay, cl, pr, dl, te, re, ra}
	total := 0
	for _, fc := range out.Factors {
		if fc.HasData && fc.Weight > 0 {
			total += fc.Weight
		}
	}
	if total == 0 {
		return out
	}
	score := 0.0
	for i := range out.Factors {
		fc := &out.Factors[i]
		if !fc.HasData || fc.Weight <= 0 {
			continue
		}
		fc.Max = 100 * float64(fc.Weight) / float64(total)
		fc.Points = fc.Max * fc.Value
		score += fc.Points
	}
	out.Score = int(math.Round(score))
	out.Enough = out.Evidence >= MinReliabilityEvidence
	return out
}

// recordFields are the fields whose filling makes a record complete; the
// last entry is satisfied by a phone or an e-mail.
var recordFields = []string{"segment", "industry", "size", "city", "need", "level", "contact"}

// RecordCompleteness returns how many of the fields that make a record
// complete are filled, and how many there are.
func RecordCompleteness(c *Client) (filled, total int) {
	total = len(recordFields) + 1
	if c == nil {
		return 0, total
	}
	for _, f := range recordFields {
		if strings.TrimSpace(c.Field(f)) != "" {
			filled++
		}
	}
	if c.Phone != "" || c.Email != "" {
		filled++
	}
	return filled, total
}

// ParseRating reads an external rating typed by hand and returns it as 0
// to 1: letter grades (A, BB+, ccc: A is 1, B 0.75, C 0.5, D 0.25, E and F
// 0), "N/M" (4/5, 7/10), a percentage (80%), or a number, counted out of
// 5 up to 5, out of 10 up to 10 and out of 100 up to 100.
func ParseRating(s string) (float64, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, false
	}
	switch s[0] {
	case 'a', 'b', 'c', 'd', 'e', 'f':
		rest := strings.TrimRight(s[1:], "+-")
		if strings.Trim(rest, s[:1]) != "" {
			return 0, false
		}
		return map[byte]float64{'a': 1, 'b': 0.75, 'c': 0.5, 'd': 0.25, 'e': 0, 'f': 0}[s[0]], true
	}
	s = strings.ReplaceAll(s, ",", ".")
	if a, b, ok := strings.Cut(s, "/"); ok {
		x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if err1 != nil || err2 != nil || y <= 0 || x < 0 || x > y {
			return 0, false
		}
		return x / y, true
	}
	pct := strings.HasSuffix(s, "%")
	x, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil || x < 0 {
		return 0, false
	}
	switch {
	case pct && x <= 100:
		return x / 100, true
	case pct:
		return 0, false
	case x <= 5:
		return x / 5, true
	case x <= 10:
		return x / 10, true
	case x <= 100:
		return x / 100, true
	}
	return 0, false
}
