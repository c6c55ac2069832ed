package handlers

import (
	"strings"
	"testing"

	"accountbot/crm"
	"accountbot/handlers/assistant"
	"accountbot/handlers/clients"
	"accountbot/handlers/core"
	"accountbot/handlers/health"
	"accountbot/i18n"
	"accountbot/internal/chattest"
)

// testLexicon returns the typed-word tables New builds from the embedded
// translation files.
func testLexicon(t testing.TB) *lexicon {
	t.Helper()
	s, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.lex
}

// TestMovedWordsStillMeanTheSame reads every form the Go word tables
// accepted before the words moved to the translation files, and expects
// the same meaning from the lexicon New builds out of them.
func TestMovedWordsStillMeanTheSame(t *testing.T) {
	lx := testLexicon(t)
	// The family packages read their words themselves, with core.Vocab
	// over the keys they export.
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	vocab := func(group string, options ...string) chattest.Lookup {
		m, missing := core.Vocab(cat, group, options...)
		if len(missing) > 0 {
			t.Errorf("words missing: %v", missing)
		}
		return chattest.Table(m)
	}
	lookups := map[string]chattest.Lookup{
		"field":   func(w string) (string, bool) { return lx.canonicalKey(w), true },
		"channel": vocab("channel", crm.Channels...),
		"weekday": func(w string) (string, bool) {
			d, ok := lx.weekdays[w]
			return weekdayKeys[d], ok
		},
		"followup":   vocab("followup", assistant.FollowupOps...),
		"note":       vocab("note", clients.NoteOps...),
		"renewalKey": vocab("renewal.key", health.RenewalKeys...),
		"healthKey":  vocab("health.key", health.SettingsKeys...),
		"onOff":      vocab("health.switch", "on", "off"),
	}
	chattest.MeanTheSame(t, lookups, movedWords)
}

// TestWordsAtOnePlaceDoNotCollide checks the places where words of
// several groups are alternatives (a scope word or a stage after
// /pipeline): no form may mean two things there, in any language.
// (Words of one group are checked by i18n.TestWordsDoNotCollide.)
func TestWordsAtOnePlaceDoNotCollide(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	places := map[string][]string{
		"/pipeline WORD":   {"scope", "pipeline", "deal.stage"},
		"/segments WORD":   {"scope", "segments.by"},
		"/health WORD":     {"scope", "health.settings"},
		"/renewals WORD":   {"scope", "renewals"},
		"/clients WORD":    {"scope", "clients.stale"},
		"/forecast WORD":   {"scope", "period"},
		"/client WORD":     {"client", "clients"},
		"/deal WORD":       {"deal"},
		"/claim WORD":      {"claim.step", "claim"},
		"/claims WORD":     {"claims.status", "claims.scope", "claims"},
		"/task WORD":       {"task"},
		"/digest WORD":     {"digest"},
		"/digest settings": {"digest.set"},
		"/me KEY=":         {"me.key"},
		"/agenda WORD":     {"agenda"},
		"/note WORD":       {"note"},
		"/followup WORD":   {"followup"},
		"/meeting WORD":    {"meeting"},
		"/promise WORD":    {"promise"},
		"/renewal WORD":    {"renewal"},
		"/plan NAME WORD":  {"plan", "cadence.named", "list.cadence_every"},
	}
	keys := cat.WordKeys("en")
	for place, groups := range places {
		owner := map[string]string{}
		found := 0
		for _, g := range groups {
			// A group is one entry, or the entries one level under it.
			full := i18n.WordsPrefix + g
			for _, k := range keys {
				rest, under := strings.CutPrefix(k, full+".")
				if k != full && (!under || strings.Contains(rest, ".")) {
					continue
				}
				found++
				for _, w := range cat.Words(k) {
					if o, ok := owner[w]; ok && o != k {
						t.Errorf("%s: %q is both %s and %s", place, w, o, k)
					}
					owner[w] = k
				}
			}
		}
		if found < len(groups) {
			t.Errorf("%s: %d entries for %d groups %v: a group has none", place, found, len(groups), groups)
		}
	}
}
