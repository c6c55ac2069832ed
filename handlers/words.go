package handlers

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"accountbot/crm"
	"accountbot/i18n"
)

// Typed-in words (command aliases, sub-commands, key= names, scope and
// status words) are data: vocabulary entries "words.…" in
// i18n/locales/<lang>/FAMILY.toml, every language's forms accepted
// whatever language the bot answers in. The code names an entry by its key
// without the "words." prefix.

// words returns every form of vocabulary entry key in every language, and
// records a mistake (New fails) when some language has none.
func (s *Service) words(key string) []string {
	full := i18n.WordsPrefix + key
	for _, lang := range i18n.Languages {
		if len(s.cat.WordsIn(lang, full)) == 0 {
			s.errs = append(s.errs, fmt.Errorf("handlers: no %s words for %q", lang, full))
		}
	}
	return s.cat.Words(full)
}

// vocab maps every form of the entries group.OPTION, for each option, to
// the option: what a parser looks a typed word up in.
func (s *Service) vocab(group string, options ...string) map[string]string {
	m := map[string]string{}
	for _, o := range options {
		for _, w := range s.words(group + "." + o) {
			m[w] = o
		}
	}
	return m
}

// typed is core.Request.Is for code that has the service but no request.
func (s *Service) typed(a, key string) bool { return s.cat.IsWord(i18n.WordsPrefix+key, a) }

// addClientSub makes "/client WORD …" run sub, for every form of the
// entry "words.client.NAME".
func (s *Service) addClientSub(name string, sub clientSub) {
	for _, w := range s.words("client." + name) {
		s.clientSubs[strings.ToLower(w)] = sub
	}
}

// lexicon holds the tables of typed words the parsers look words up in,
// built once by New from the catalog's vocabulary.
type lexicon struct {
	// fields map key= names to client fields ("град" → city).
	fields map[string]string
	// channels map #tags to conversation channels ("среща" → meeting).
	channels map[string]string
	// next are the markers before a next step ("next:", "после:"), and
	// nextRE finds them for cmdText (also with a space before the colon).
	next   []string
	nextRE *regexp.Regexp
	// weekdays map day names to days ("пт" → Friday), weekdaySets the
	// words for several days to all, workdays or none.
	weekdays    map[string]time.Weekday
	weekdaySets map[string]string
	// The key=value keys of /promise, /competitor and /campaign add.
	promiseKeys, competitorKeys, campaignKeys map[string]string
	// segmentBy map the words of /segments by= to fields.
	segmentBy map[string]string
	// factors map the keys of /reliability settings to its factors.
	factors map[string]string
	// followupOps map the words of "/followup WORD F-3" to revisions.
	followupOps map[string]string
	// leadUnits turn the units of a meeting's lead time into m and h.
	leadUnits *strings.Replacer
	// noteOps map the words of "/note WORD N-5" to what they do;
	// stepFiller are the words around a date that say nothing of a
	// note's step; channelStems name a note's channel.
	noteOps      map[string]string
	stepFiller   map[string]bool
	channelStems []channelStem
	// aspects, campaignKinds and planNoteKinds map typed names to the
	// domain's ("цена" → price); cadence are the words of a contact plan's
	// cadence.
	aspects       map[string]string
	campaignKinds map[string]string
	planNoteKinds map[string]crm.PlanNoteKind
	cadence       crm.CadenceWords
}

// cadences are the one-word cadences and the units after "every N", by
// the last part of their vocabulary keys.
var (
	namedCadences = map[string]crm.Cadence{"daily": {Days: 1}, "weekly": {Days: 7}, "biweekly": {Days: 14},
		"monthly": {Months: 1}, "quarterly": {Months: 3}, "yearly": {Months: 12}}
	cadenceUnits = map[string]crm.Cadence{"d": {Days: 1}, "w": {Days: 7}, "m": {Months: 1}, "q": {Months: 3}, "y": {Months: 12}}
)

// newLexicon reads the tables from the catalog; a missing entry is a
// mistake New reports.
func (s *Service) newLexicon() *lexicon {
	lx := &lexicon{
		fields:   s.vocab("field", keyFields...),
		channels: s.vocab("channel", crm.Channels...),
		next:     s.words("next.step"),

		promiseKeys:    s.vocab("promise.key", promiseKeys...),
		competitorKeys: s.vocab("competitor.key", competitorKeys...),
		campaignKeys:   s.vocab("campaign.key", campaignKeys...),
		segmentBy:      s.vocab("segments.by", segmentBy...),
		factors:        s.vocab("reliability.key", crm.ReliabilityFactors...),
		followupOps:    s.vocab("followup", followupOps...),
		noteOps:        s.vocab("note", noteOps...),
		stepFiller:     map[string]bool{},
		aspects:        s.vocab("competitor.aspect", crm.Aspects...),
		campaignKinds:  s.vocab("campaign.kind", crm.CampaignKinds...),
		planNoteKinds:  map[string]crm.PlanNoteKind{},
		cadence:        crm.CadenceWords{Named: map[string]crm.Cadence{}, Units: map[string]crm.Cadence{}, Every: map[string]bool{}},
	}
	var kinds []string
	for _, k := range crm.PlanNoteKinds {
		kinds = append(kinds, string(k))
	}
	for w, k := range s.vocab("plan.kind", kinds...) {
		lx.planNoteKinds[w] = crm.PlanNoteKind(k)
	}
	for name, c := range namedCadences {
		for _, w := range s.words("cadence.named." + name) {
			lx.cadence.Named[w] = c
		}
	}
	for name, c := range cadenceUnits {
		for _, w := range s.words("cadence.unit." + name) {
			lx.cadence.Units[w] = c
		}
	}
	for _, w := range s.words("list.cadence_every") {
		lx.cadence.Every[w] = true
	}
	for _, w := range s.words("list.note_step_filler") {
		lx.stepFiller[w] = true
	}
	for _, ch := range noteChannels {
		// Whole words are only some channels' (no error when missing).
		for _, w := range s.cat.Words(i18n.WordsPrefix + "note.said_word." + ch) {
			lx.channelStems = append(lx.channelStems, channelStem{ch, w + " "})
		}
		for _, w := range s.words("note.said." + ch) {
			lx.channelStems = append(lx.channelStems, channelStem{ch, w})
		}
	}
	var units []string
	for _, u := range []string{"m", "h"} {
		for _, w := range s.words("meeting.unit." + u) {
			if w != u {
				units = append(units, w, u)
			}
		}
	}
	lx.leadUnits = strings.NewReplacer(units...)
	lx.weekdays = map[string]time.Weekday{}
	for d, key := range weekdayKeys {
		for _, w := range s.words("weekday." + key) {
			lx.weekdays[w] = time.Weekday(d)
		}
	}
	lx.weekdaySets = s.vocab("weekdays", "all", "workdays", "none")
	var alt []string
	for _, m := range lx.next {
		alt = append(alt, regexp.QuoteMeta(strings.TrimSpace(strings.TrimSuffix(m, ":"))))
	}
	lx.nextRE = regexp.MustCompile(`(?i)(` + strings.Join(alt, "|") + `)\s*:`)
	return lx
}
