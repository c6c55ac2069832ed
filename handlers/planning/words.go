package planning

import (
	"strings"

	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// words are the tables of typed words the planning commands look words
// up in, built once by Register from the catalog's vocabulary
// (i18n/locales/LANG/planning.toml and the shared entries).
type words struct {
	// channels map #tags to conversation channels ("среща" → meeting).
	channels map[string]string
	// The key=value keys of /promise, /competitor and /campaign add.
	promiseKeys, competitorKeys, campaignKeys map[string]string
	// segmentBy map the words of /segments by= to fields.
	segmentBy map[string]string
	// factors map the keys of /reliability settings to its factors.
	factors map[string]string
	// aspects, campaignKinds and planNoteKinds map typed names to the
	// domain's ("цени" → price).
	aspects       map[string]string
	campaignKinds map[string]string
	planNoteKinds map[string]crm.PlanNoteKind
	// cadence are the words of a contact plan's cadence.
	cadence crm.CadenceWords
	// leadUnits turn the units of a meeting's lead time into m and h.
	leadUnits *strings.Replacer
}

// cadences are the one-word cadences and the units after "every N", by
// the last part of their vocabulary keys.
var (
	namedCadences = map[string]crm.Cadence{"daily": {Days: 1}, "weekly": {Days: 7}, "biweekly": {Days: 14},
		"monthly": {Months: 1}, "quarterly": {Months: 3}, "yearly": {Months: 12}}
	cadenceUnits = map[string]crm.Cadence{"d": {Days: 1}, "w": {Days: 7}, "m": {Months: 1}, "q": {Months: 3}, "y": {Months: 12}}
)

// newWords reads the tables from cat; missing are the vocabulary entries
// some language lacks (Register reports them).
func newWords(cat *i18n.Catalog) (*words, []string) {
	v := &core.Vocabs{Cat: cat}
	var kinds []string
	for _, k := range crm.PlanNoteKinds {
		kinds = append(kinds, string(k))
	}
	w := &words{
		channels:       v.Table("channel", crm.Channels...),
		promiseKeys:    v.Table("promise.key", promiseKeys...),
		competitorKeys: v.Table("competitor.key", competitorKeys...),
		campaignKeys:   v.Table("campaign.key", campaignKeys...),
		segmentBy:      v.Table("segments.by", segmentBy...),
		factors:        v.Table("reliability.key", crm.ReliabilityFactors...),
		aspects:        v.Table("competitor.aspect", crm.Aspects...),
		campaignKinds:  v.Table("campaign.kind", crm.CampaignKinds...),
		planNoteKinds:  map[string]crm.PlanNoteKind{},
		cadence:        crm.CadenceWords{Named: map[string]crm.Cadence{}, Units: map[string]crm.Cadence{}, Every: map[string]bool{}},
	}
	for form, k := range v.Table("plan.kind", kinds...) {
		w.planNoteKinds[form] = crm.PlanNoteKind(k)
	}
	for name, c := range namedCadences {
		for _, form := range v.Forms("cadence.named." + name) {
			w.cadence.Named[form] = c
		}
	}
	for name, c := range cadenceUnits {
		for _, form := range v.Forms("cadence.unit." + name) {
			w.cadence.Units[form] = c
		}
	}
	for _, form := range v.Forms("list.cadence_every") {
		w.cadence.Every[form] = true
	}
	var units []string
	for _, u := range []string{"m", "h"} {
		for _, form := range v.Forms("meeting.unit." + u) {
			if form != u {
				units = append(units, form, u)
			}
		}
	}
	w.leadUnits = strings.NewReplacer(units...)
	return w, v.Missing
}
