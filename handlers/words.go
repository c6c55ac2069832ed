package handlers

import (
	"fmt"
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

// lexicon holds the tables of typed words the parsers look words up in,
// built once by New from the catalog's vocabulary.
type lexicon struct {
	// fields map key= names to client fields ("град" → city).
	fields map[string]string
	// weekdays map day names to days ("пт" → Friday), weekdaySets the
	// words for several days to all, workdays or none.
	weekdays    map[string]time.Weekday
	weekdaySets map[string]string
}

// newLexicon reads the tables from the catalog; a missing entry is a
// mistake New reports.
func (s *Service) newLexicon() *lexicon {
	lx := &lexicon{
		fields: s.vocab("field", keyFields...),
	}
	lx.weekdays = map[string]time.Weekday{}
	for d, key := range weekdayKeys {
		for _, w := range s.words("weekday." + key) {
			lx.weekdays[w] = time.Weekday(d)
		}
	}
	lx.weekdaySets = s.vocab("weekdays", "all", "workdays", "none")
	return lx
}

// weekdayKeys name the days in "words.weekday.KEY", Sunday first.
var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseWeekdays reads "mon-fri", "mon,wed,fri", "sat-mon", "all",
// "workdays", "none" and their Bulgarian forms.
// Day names are "words.weekday.KEY", the sets "words.weekdays.*".
func (lx *lexicon) parseWeekdays(s string) (crm.Weekdays, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch lx.weekdaySets[s] {
	case "all":
		return crm.AllDays, true
	case "workdays":
		return crm.Workdays, true
	case "none":
		return 0, true
	}
	var out crm.Weekdays
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(strings.ReplaceAll(part, "–", "-"), "-")
		a, ok := lx.weekdays[strings.TrimSpace(from)]
		if !ok {
			return 0, false
		}
		if !isRange {
			out |= crm.WeekdayOf(a)
			continue
		}
		b, ok := lx.weekdays[strings.TrimSpace(to)]
		if !ok {
			return 0, false
		}
		for d := a; ; d = (d + 1) % 7 {
			out |= crm.WeekdayOf(d)
			if d == b {
				break
			}
		}
	}
	return out, out != 0
}
