package crm

import (
	"math"
	"sort"
	"time"
)

// Kinds of advice, each the outcome of one rule.
const (
	AdviceClaim     = "claim"      // an open claim at or near its deadline
	AdvicePromise   = "promise"    // a promise due soon or broken
	AdviceTouch     = "touch"      // no contact for longer than the contact plan says
	AdviceStale     = "stale"      // no plan, and no contact for longer than the stale limit
	AdviceStuckDeal = "stuck_deal" // an open deal that has not moved
	AdviceRepeat    = "repeat"     // a repeat order due from the purchase rhythm
	AdviceCrossSell = "cross_sell" // a product peers in the segment buy and this client does not
	AdviceNone      = "none"       // nothing calls for action
)

// PeerProduct is a product that clients of one segment have bought.
type PeerProduct struct {
	Key   string
	Label string
	// Buyers is how many clients of the segment bought it.
	Buyers int
}

// NextFacts are what the rules look at for one client.
type NextFacts struct {
	Client   *Client
	Plan     *ContactPlan
	Claims   []ClaimSummary
	Promises []Promise
	Deals    []DealFact
	// Peers is how many other clients of the client's segment bought
	// anything in the window; PeerProducts what they bought.
	Peers        int
	PeerProducts []PeerProduct
	// StaleTouch is how long without contact needs a touch when there is no
	// plan; StuckAfter how long in one stage makes a deal stuck.
	StaleTouch time.Duration
	StuckAfter time.Duration
	Loc        *time.Location
}

// Advice is one recommended step with the facts that make its reason.
type Advice struct {
	Kind string
	// Priority orders advice: lower is more urgent.
	Priority int
	// Due is when the step is due, if it has a date.
	Due time.Time
	// Ref is the record it is about (C-12, P-3, D-7), if any.
	Ref  string
	Args map[string]any
}

// Rule thresholds.
const (
	// ClaimNearSLA is how close to a claim's deadline the rule speaks up.
	ClaimNearSLA = 24 * time.Hour
	// PromiseSoon is how many days ahead a promise due is worth a step.
	PromiseSoon = 3
	// RepeatAhead is how many days before an expected repeat order the rule
	// speaks up.
	RepeatAhead = 14
	// MinRepeatDays is the shortest purchase rhythm taken as a rhythm.
	MinRepeatDays = 7
	// CrossSellMinBuyers is how many peers must have bought a product, and
	// CrossSellMinShare what share of the segment's buyers (percent).
	CrossSellMinBuyers = 2
	CrossSellMinShare  = 25
	// DefaultStuckAfter is how long in one stage makes a deal stuck when
	// nothing else is configured.
	DefaultStuckAfter = 21 * 24 * time.Hour
)

// Recommend applies the rules to the facts at now and returns every
// advice, the most urgent first; with nothing to do it returns one
// AdviceNone (with the next planned touch, if any).
func Recommend(f NextFacts, now time.Time) []Advice {
	loc := f.Loc
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	days := func(from, to time.Time) int { return int(math.Round(to.Sub(from).Hours() / 24)) }
	var out []Advice

	for _, c := range f.Claims {
		if !c.Status.Open() {
			continue
		}
		due, step := c.ResolveDue, "resolve"
		if c.Status.AwaitsAck() {
			due, step = c.AckDue, "ack"
		}
		if due.IsZero() || due.Sub(now) > ClaimNearSLA {
			continue
		}
		p := 20
		if now.After(due) {
			p = 10
		}
		out = append(out, Advice{Kind: AdviceClaim, Priority: p, Due: due, Ref: ClaimRef(c.ID),
			Args: map[string]any{"id": ClaimRef(c.ID), "step": step, "overdue": now.After(due), "severity": string(c.Severity)}})
	}

	for _, p := range f.Promises {
		if !p.Open() {
			continue
		}
		left := days(today, p.Due)
		if left > PromiseSoon {
			continue
		}
		pri := 25
		if left < 0 {
			pri = 15
		}
		out = append(out, Advice{Kind: AdvicePromise, Priority: pri, Due: p.Due, Ref: p.Ref(),
			Args: map[string]any{"id": p.Ref(), "text": p.Text, "overdue": left < 0, "from_client": p.FromClient}})
	}

	var last time.Time
	if f.Client != nil {
		last = f.Client.LastTouch
	}
	switch {
	case f.Plan != nil && f.Plan.ActiveOn(today):
		if due := f.Plan.NextTouch(last, loc); !due.After(today) {
			pri := 30
			if due.Before(today) {
				pri = 28
			}
			out = append(out, Advice{Kind: AdviceTouch, Priority: pri, Due: due,
				Args: map[string]any{"channel": f.Plan.Channel, "last": last, "overdue": due.Before(today)}})
		}
	case f.Client != nil && f.StaleTouch > 0:
		base := last
		if base.IsZero() {
			base = f.Client.CreatedAt
		}
		if now.Sub(base) > f.StaleTouch {
			out = append(out, Advice{Kind: AdviceStale, Priority: 45, Due: base.Add(f.StaleTouch),
				Args: map[string]any{"last": last, "days": days(base, now)}})
		}
	}

	stuck := f.StuckAfter
	if stuck <= 0 {
		stuck = DefaultStuckAfter
	}
	hasOpen := false
	var wonAt []time.Time
	var lastWon *DealFact
	bought := map[string]bool{}
	for i := range f.Deals {
		d := &f.Deals[i]
		if k := ProductKey(d.Title); k != "" {
			bought[k] = true
		}
		if d.Open() {
			hasOpen = true
			if since := d.StageSince; !since.IsZero() && now.Sub(since) > stuck {
				out = append(out, Advice{Kind: AdviceStuckDeal, Priority: 40, Due: since.Add(stuck), Ref: DealRef(d.ID),
					Args: map[string]any{"id": DealRef(d.ID), "title": d.Title, "stage": d.Stage, "days": days(since, now)}})
			}
		}
		if d.Won() && !d.ClosedAt.IsZero() {
			wonAt = append(wonAt, d.ClosedAt)
			if lastWon == nil || d.ClosedAt.After(lastWon.ClosedAt) {
				lastWon = d
			}
		}
	}

	if rhythm, ok := PurchaseRhythm(wonAt); ok && !hasOpen {
		next := lastWon.ClosedAt.Add(time.Duration(rhythm) * 24 * time.Hour)
		if !now.Before(next.Add(-RepeatAhead * 24 * time.Hour)) {
			out = append(out, Advice{Kind: AdviceRepeat, Priority: 50, Due: next,
				Args: map[string]any{"days": rhythm, "title": lastWon.Title, "count": len(wonAt), "overdue": now.After(next)}})
		}
	}

	if f.Peers > 0 {
		for _, pp := range f.PeerProducts {
			if bought[pp.Key] || pp.Buyers < CrossSellMinBuyers || pp.Buyers*100 < CrossSellMinShare*f.Peers {
				continue
			}
			segment := ""
			if f.Client != nil {
				segment = f.Client.Segment
			}
			out = append(out, Advice{Kind: AdviceCrossSell, Priority: 60,
				Args: map[string]any{"product": pp.Label, "buyers": pp.Buyers, "peers": f.Peers, "segment": segment}})
			break // the most bought one is enough
		}
	}

	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].Due.Before(out[j].Due)
	})
	if len(out) == 0 {
		a := Advice{Kind: AdviceNone, Priority: 100, Args: map[string]any{}}
		if f.Plan != nil && f.Plan.ActiveOn(today) {
			a.Due = f.Plan.NextTouch(last, loc)
		}
		out = append(out, a)
	}
	return out
}

// PurchaseRhythm returns the median number of days between consecutive
// won deals, when there are at least two and the median is at least
// MinRepeatDays.
func PurchaseRhythm(wonAt []time.Time) (int, bool) {
	if len(wonAt) < 2 {
		return 0, false
	}
	ts := append([]time.Time(nil), wonAt...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	var gaps []int
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, int(math.Round(ts[i].Sub(ts[i-1]).Hours()/24)))
	}
	sort.Ints(gaps)
	m := gaps[len(gaps)/2]
	if len(gaps)%2 == 0 {
		m = (gaps[len(gaps)/2-1] + gaps[len(gaps)/2]) / 2
	}
	return m, m >= MinRepeatDays
}

// PeerQuery picks the peers of a client: the other clients of its segment
// whose owners the asker sees, and the window their purchases count in.
type PeerQuery struct {
	Segment string
	// Owners are the owners whose clients count; AllOwners counts everyone's.
	Owners    []uint64
	AllOwners bool
	// Except is the client itself, left out.
	Except uint64
	// Since is the earliest closing time of a won deal that counts.
	Since time.Time
}

// PeerPurchases is what the peers bought: how many of them bought
// anything, and each product with its number of buyers, most bought
// first (then by key).
type PeerPurchases struct {
	Peers    int
	Products []PeerProduct
}
