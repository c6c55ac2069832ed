package handlers

import (
	"accountbot/handlers/assistant"
	"strconv"
	"testing"

	"accountbot/crm"
	"accountbot/handlers/health"
	"accountbot/i18n"
)

// TestRunTimeKeysExistInEveryLanguage checks the message keys the code
// builds at run time ("deals.month." + N, "deal.stage." + stage, …),
// which the scan of literal keys cannot see: every family over its whole
// range, in every language. Deleting "deals.month.9" from both languages
// fails here. A new family built by concatenation belongs in this table.
func TestRunTimeKeysExistInEveryLanguage(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	strs := func(xs ...string) []string { return xs }
	ints := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, strconv.Itoa(i))
		}
		return out
	}
	var stages, severities, statuses, steps, kinds, bands []string
	for _, s := range crm.Stages {
		stages = append(stages, string(s))
	}
	for _, s := range crm.Severities {
		severities = append(severities, string(s))
	}
	for _, s := range crm.ClaimStatuses {
		statuses = append(statuses, string(s))
	}
	for _, s := range []crm.ClaimStepKind{crm.StepReceived, crm.StepAck, crm.StepInvestigate, crm.StepNote, crm.StepAssign,
		crm.StepRespond, crm.StepResolve, crm.StepReject, crm.StepReopen, crm.StepSatisfied, crm.StepEscalated} {
		steps = append(steps, string(s))
	}
	for _, k := range crm.PlanNoteKinds {
		kinds = append(kinds, string(k))
	}
	for _, b := range []crm.Band{crm.BandHealthy, crm.BandAtRisk, crm.BandCritical} {
		bands = append(bands, string(b))
	}
	weekdays := weekdayKeys[:]
	s, err := New(nil, cat)
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, sp := range s.specs {
		commands = append(commands, sp.name)
	}
	writes := assistant.WritingWords()
	families := []struct {
		prefix, suffix string
		values         []string
	}{
		{"deals.month.", "", ints(1, 12)},  // deals/pipeline.go monthName
		{"deals.quarter.", "", ints(1, 4)}, // deals/pipeline.go quarterPeriod
		{"deal.stage.", "", stages},        // stageName
		{"deal.field.", "", strs("title", "amount", "currency", "stage", "owner", "probability", "close", "competitor", "reason", "cancelled")},
		{"pipeline.scope.", "", strs("mine", "team", "all")}, // dealScope
		{"claim.severity.", "", severities},                  // claims, digest, reports
		{"claim.status.", "", statuses},                      // claim cards and lists
		{"claim.step.", "", steps},                           // claim timeline
		{"claim.verb.", "", steps[1:]},                       // claim next actions (not "received")
		{"claim.action.", "", strs(string(crm.ActionCorrective), string(crm.ActionPreventive), string(crm.ActionNone))},
		{"claim.category.", "", crm.ClaimCategories},                    // categoryName
		{"claim.weekday.", "", weekdays},                                // SLA settings
		{"claims.title.", "", strs("open", "overdue", "closed", "all")}, // claimsCmd filter
		{"claims.holidays.", "", strs(crm.HolidaysBulgaria)},            // SLA calendars
		{"next.claim.", "", strs("ack", "resolve", "overdue", "near")},  // next.go
		{"digest.day.", "", weekdays},                                   // digest schedule
		{"digest.dayname.", "", weekdays},                               // digest schedule
		{"role.", "", strs(string(crm.RoleHead), string(crm.RoleSupervisor), string(crm.RoleManager))},
		{"field.", "", crm.ClientFields},                    // cards, segments
		{"field.", "", crm.AudienceFields},                  // segments by=
		{"channel.", "", crm.Channels},                      // conversation channels
		{"slack.channel.", "", crm.Channels[:6]},            // the /log modal's choices (no chat)
		{"health.band.", "", bands},                         // bandWord
		{"health.weight.", "", crm.HealthFactors},           // /health settings
		{"reliability.factor.", "", crm.ReliabilityFactors}, // /reliability
		{"reliability.facts.", "", crm.ReliabilityFactors},  // /reliability explained
		{"competitor.aspect.", "", crm.Aspects},             // /competitor
		{"campaign.kind.", "", crm.CampaignKinds},           // /campaign
		{"plan.kind.", "", kinds},                           // /plan notes
		{"plan.kind_title.", "", kinds},                     // /plan notes by kind
		{"satisfaction.score_", "", strs(crm.SatisfactionCSAT, crm.SatisfactionNPS)},
		{"satisfaction.saved_", "", strs(crm.SatisfactionCSAT, crm.SatisfactionNPS)},
		{"satisfaction.usage_", "", strs(crm.SatisfactionCSAT, crm.SatisfactionNPS)}, // /csat, /nps
		{i18n.WordsPrefix + "health.key.", "", health.SettingsKeys},                  // /health settings
		{i18n.WordsPrefix + "health.switch.", "", strs("on", "off")},
		{i18n.WordsPrefix + "renewal.key.", "", health.RenewalKeys},           // /renewal
		{"attachment.kind.", "", strs("photo", "document", "voice", "audio")}, // capture
		{"note.closed.", "", strs(crm.ProposalConfirmed, crm.ProposalCancelled)},
		{"assistant.fallback.", "", strs("timeout", "rate_limited", "server", "refused", "bad_reply")},
		{"import.err.", "", strs("name_missing", "lookalike", "quote", "after_quote", "fields", "utf8", "too_long", "owner_unknown", "owner_ambiguous", "client_forbidden")},
		{"help.", ".usage", commands}, // help pages
		{"help.", ".desc", commands},
		{i18n.WordsPrefix + "cmd.", "", commands}, // command aliases
		{"help.family.", "", s.families},
		{i18n.WordsPrefix, "", writes}, // /ask's read-only check          // help families
	}
	for _, f := range families {
		if len(f.values) == 0 {
			t.Errorf("%s…%s: no values", f.prefix, f.suffix)
		}
		for _, v := range f.values {
			key := f.prefix + v + f.suffix
			for _, lang := range i18n.Languages {
				if !cat.Has(lang, key) {
					t.Errorf("key %q, built at run time, has no %s translation", key, lang)
				}
			}
		}
	}
}
