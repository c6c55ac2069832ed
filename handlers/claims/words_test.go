package claims

import (
	"testing"

	"accountbot/crm"
	"accountbot/i18n"
	"accountbot/internal/chattest"
)

func TestTakeClaimKV(t *testing.T) {
	tests := []struct {
		in, text string
		kv       map[string]string
	}{
		{`broken severity=high`, "broken", map[string]string{"severity": "high"}},
		{`broken remedy="replace them" category=delivery now`, "broken now", map[string]string{"remedy": "replace them", "category": "delivery"}},
		{`a=b stays and url=x stays`, "a=b stays and url=x stays", map[string]string{}},
		{`счупени тежест=висока искане="нова доставка"`, "счупени", map[string]string{"severity": "висока", "remedy": "нова доставка"}},
		{`quote "inside" text cause="say \"no\""`, `quote "inside" text cause="say \"no\""`, map[string]string{}},
	}
	w := chattest.Words(t, newWords)
	for _, tt := range tests {
		text, kv := w.takeClaimKV(tt.in, "severity", "category", "remedy")
		if text != tt.text || len(kv) != len(tt.kv) {
			t.Errorf("takeClaimKV(%q) = %q %v", tt.in, text, kv)
			continue
		}
		for k, v := range tt.kv {
			if kv[k] != v {
				t.Errorf("takeClaimKV(%q)[%s] = %q, want %q", tt.in, k, kv[k], v)
			}
		}
	}
}

// TestClaimsWordsExist checks the message keys that the claims code builds
// from domain words, which the i18n completeness test cannot see.
func TestClaimsWordsExist(t *testing.T) {
	cat := chattest.Catalog(t)
	var keys []string
	for _, st := range crm.ClaimStatuses {
		keys = append(keys, "claim.status."+string(st))
	}
	for _, sev := range crm.Severities {
		keys = append(keys, "claim.severity."+string(sev))
	}
	for _, c := range crm.ClaimCategories {
		keys = append(keys, "claim.category."+c)
	}
	for _, a := range []crm.CorrectiveAction{crm.ActionCorrective, crm.ActionPreventive, crm.ActionNone} {
		keys = append(keys, "claim.action."+string(a))
	}
	for _, k := range []crm.ClaimStepKind{crm.StepAck, crm.StepInvestigate, crm.StepNote, crm.StepAssign, crm.StepRespond, crm.StepResolve, crm.StepReject, crm.StepReopen, crm.StepSatisfied, crm.StepEscalated} {
		keys = append(keys, "claim.verb."+string(k))
	}
	for _, k := range claimSteps {
		keys = append(keys, "claim."+string(k)+"_usage")
	}
	for _, k := range []crm.ClaimStepKind{crm.StepReceived, crm.StepAck, crm.StepInvestigate, crm.StepNote, crm.StepRespond, crm.StepReject, crm.StepReopen} {
		keys = append(keys, "claim.step."+string(k))
	}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		keys = append(keys, "claim.weekday."+d)
	}
	for _, st := range []string{"open", "overdue", "closed", "all"} {
		keys = append(keys, "claims.title."+st)
	}
	for _, lang := range i18n.Languages {
		for _, k := range keys {
			if !cat.Has(lang, k) {
				t.Errorf("%s has no %q", lang, k)
			}
		}
	}
}

// TestMovedClaimWords reads every form the claims' Go tables accepted
// before the words moved to the translation files.
func TestMovedClaimWords(t *testing.T) {
	w := chattest.Words(t, newWords)
	steps := map[string]crm.ClaimStepKind{
		"ack": crm.StepAck, "acknowledge": crm.StepAck, "потвърди": crm.StepAck, "приеми": crm.StepAck,
		"investigate": crm.StepInvestigate, "проучи": crm.StepInvestigate, "проучване": crm.StepInvestigate, "разследвай": crm.StepInvestigate,
		"note": crm.StepNote, "бележка": crm.StepNote, "коментар": crm.StepNote,
		"assign": crm.StepAssign, "възложи": crm.StepAssign, "назначи": crm.StepAssign,
		"respond": crm.StepRespond, "reply": crm.StepRespond, "отговори": crm.StepRespond, "отговор": crm.StepRespond,
		"resolve": crm.StepResolve, "реши": crm.StepResolve, "разреши": crm.StepResolve, "приключи": crm.StepResolve,
		"reject": crm.StepReject, "отхвърли": crm.StepReject,
		"reopen": crm.StepReopen, "преотвори": crm.StepReopen, "отвори": crm.StepReopen, "поднови": crm.StepReopen,
		"satisfied": crm.StepSatisfied, "satisfaction": crm.StepSatisfied, "rate": crm.StepSatisfied,
		"оценка": crm.StepSatisfied, "удовлетвореност": crm.StepSatisfied, "доволен": crm.StepSatisfied, "оцени": crm.StepSatisfied,
	}
	for in, want := range steps {
		if got := w.steps[in]; got != want {
			t.Errorf("step %q = %q, want %q", in, got, want)
		}
	}
	strs := map[string]map[string]string{
		"keys": {"severity": "severity", "sev": "severity", "priority": "severity", "тежест": "severity", "сериозност": "severity", "приоритет": "severity",
			"category": "category", "cat": "category", "type": "category", "категория": "category", "вид": "category", "тип": "category",
			"remedy": "remedy", "wants": "remedy", "искане": "remedy", "иска": "remedy", "обезщетение": "remedy", "компенсация": "remedy",
			"cause": "cause", "root": "cause", "причина": "cause", "action": "action", "мярка": "action", "действие": "action"},
		"status": {"open": "open", "отворени": "open", "открити": "open", "активни": "open",
			"overdue": "overdue", "late": "overdue", "просрочени": "overdue", "закъснели": "overdue",
			"closed": "closed", "закрити": "closed", "приключени": "closed", "затворени": "closed", "all": "all", "всички": "all"},
		"scope": {"mine": "mine", "my": "mine", "мои": "mine", "моите": "mine", "team": "team", "екип": "team", "екипа": "team"},
	}
	tables := map[string]map[string]string{"keys": w.keys, "status": w.status, "scope": w.scope}
	for name, pairs := range strs {
		for in, want := range pairs {
			if got := tables[name][in]; got != want {
				t.Errorf("%s %q = %q, want %q", name, in, got, want)
			}
		}
	}
}
