package drafter

import (
	"accountbot/internal/golden"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
)

// A Monday, so that the proposed call (three working days on) is a
// Thursday.
var today = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

func days(n int) time.Time { return today.AddDate(0, 0, n) }

// full returns facts with everything a draft can use, goal and next step
// written in lang.
func full(lang string) *crm.Facts {
	goal, step, claim := "confirm the meeting next week", "send the revised offer", "the pumps came two weeks late"
	if lang == "bg" {
		goal, step, claim = "потвърди срещата следващата седмица", "изпрати преработената оферта", "помпите пристигнаха с две седмици закъснение"
	}
	return &crm.Facts{
		Lang: lang, Today: today, Sender: "Maria Petrova", Goal: goal,
		Client: crm.FactClient{Ref: "#1", Name: "Acme Pumps", Contact: "Ivan Ivanov", City: "Sofia"},
		Conversations: []crm.FactConversation{
			{At: days(-3), Channels: []string{"meeting"}, Text: "They want 5% off, internal: margin is thin"},
			{At: days(-20), Channels: []string{"call"}, Text: "first call"},
		},
		NextStep: &crm.FactStep{ID: "T-2", Text: step, Due: days(4)},
		Tasks:    []crm.FactStep{{ID: "T-3", Text: "check stock levels", Due: days(1)}},
		Claims: []crm.FactClaim{
			{ID: "C-12", Text: claim, Status: "acknowledged", Severity: "high", Due: days(2)},
			{ID: "C-14", Text: "wrong invoice", Status: "resolved"},
		},
		Deals: []crm.FactDeal{
			{ID: "D-7", Title: "20 pumps", Stage: "proposal", Amount: "12 000.00 EUR"},
			{ID: "D-9", Title: "Service contract", Stage: "negotiation"},
		},
	}
}

func cases(lang string) map[string]*crm.Facts {
	other := func(f *crm.Facts) *crm.Facts { return f }
	minimal := &crm.Facts{Lang: lang, Today: today, Sender: "Maria Petrova", Client: crm.FactClient{Name: "Acme Pumps"}}
	apology := full(lang)
	apology.Goal = map[string]string{"en": "apologise for the late delivery", "bg": "извини се за закъснялата доставка"}[lang]
	apology.Short, apology.Formal = true, true
	apology.NextStep = nil
	formal := full(lang)
	formal.Formal = true
	topic := full(lang)
	topic.Goal = map[string]string{"en": "the delivery schedule for June", "bg": "графика на доставките за юни"}[lang]
	topic.Deals = nil
	mixed := full(lang) // goal and step in the other language than the letter
	mixed.Goal, mixed.NextStep.Text = "потвърди срещата", "изпрати оферта"
	if lang == "bg" {
		mixed.Goal, mixed.NextStep.Text = "confirm the meeting", "send the offer"
	}
	overdue := full(lang)
	overdue.Goal = ""
	overdue.NextStep.Due = days(-2)
	overdue.Conversations[0].Channels = []string{"call"}
	v1, v2 := *minimal, *minimal
	v1.Variant, v2.Variant = 1, 2
	v1.Client.Contact = "Ivan Ivanov"
	v2.Conversations = []crm.FactConversation{{At: days(-1), Channels: []string{"email"}, Text: "x"}}
	return map[string]*crm.Facts{
		"full": full(lang), "minimal": minimal, "apology_short_formal": apology, "formal": formal,
		"topic": topic, "other_language": other(mixed), "overdue_step": overdue,
		"variant1": &v1, "variant2": &v2,
	}
}

// The offline drafter's letters, in English and Bulgarian, are kept as
// golden files: read them when changing a template (go test -update).
func TestOfflineDraftGolden(t *testing.T) {
	d := newDrafter(t)
	for _, lang := range []string{"en", "bg"} {
		draftCases(t, d, lang, func(name string, _ *crm.Facts, got Draft) {
			text := "Subject: " + got.Subject + "\n\n" + got.Body + "\n"
			if !got.CallDue.IsZero() {
				text += "\n[proposed next step: call on " + got.CallDue.Format("2006-01-02") + "]\n"
			}
			golden.Check(t, filepath.Join("testdata", name+"."+lang+".golden"), text)
		})
	}
}

// newDrafter is the offline drafter.
func newDrafter(t *testing.T) *Drafter {
	t.Helper()
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// draftCases drafts each of the cases in lang with d and hands the
// draft to check; a case that cannot be drafted fails the test.
func draftCases(t *testing.T, d *Drafter, lang string, check func(name string, f *crm.Facts, got Draft)) {
	t.Helper()
	for name, f := range cases(lang) {
		got, err := d.Draft(f)
		if err != nil {
			t.Fatalf("%s %s: %v", name, lang, err)
		}
		check(name, f, got)
	}
}

// What any reader of a draft would check, whatever the wording.
func TestOfflineDraftContent(t *testing.T) {
	d := newDrafter(t)
	for _, lang := range []string{"en", "bg"} {
		draftCases(t, d, lang, func(name string, f *crm.Facts, got Draft) {
			body := got.Body
			if !strings.HasSuffix(body, "\nMaria Petrova") {
				t.Errorf("%s %s: not signed with the sender's name:\n%s", name, lang, body)
			}
			if got.Subject == "" || strings.Contains(got.Subject, "\n") {
				t.Errorf("%s %s: bad subject %q", name, lang, got.Subject)
			}
			for _, internal := range []string{"5% off", "margin", "first call", "check stock", "T-2", "T-3"} {
				if strings.Contains(body, internal) {
					t.Errorf("%s %s: internal note %q reached the letter:\n%s", name, lang, internal, body)
				}
			}
			if strings.Contains(body, "\n\n\n") || strings.Contains(body, "  ") || strings.Contains(body, "..") && !strings.Contains(body, "...") {
				t.Errorf("%s %s: untidy text:\n%q", name, lang, body)
			}
			// Bulgarian letters are in Cyrillic, English ones in Latin, apart
			// from names and ids.
			if lang == "bg" && !fitsLang(strings.NewReplacer("Maria Petrova", "", "Acme Pumps", "", "Ivan Ivanov", "").Replace(body), "bg") {
				t.Errorf("%s: Bulgarian letter is not in Bulgarian:\n%s", name, body)
			}
			agreed := f.NextStep != nil && !f.NextStep.Due.Before(today)
			if agreed == !got.CallDue.IsZero() {
				t.Errorf("%s %s: agreed step %v but proposed call %v", name, lang, agreed, got.CallDue)
			}
			if !got.CallDue.IsZero() && !got.CallDue.Equal(days(3)) {
				t.Errorf("%s %s: call on %v, want Thursday %v", name, lang, got.CallDue, days(3))
			}
		})
		// The facts that the full draft must mention.
		got, _ := d.Draft(full(lang))
		for _, want := range []string{"Ivan Ivanov", "C-12", "C-14", "20 pumps", "12 000.00 EUR", "Service contract"} {
			if !strings.Contains(got.Body, want) {
				t.Errorf("full %s: lacks %q:\n%s", lang, want, got.Body)
			}
		}
		wantDate := map[string]string{"en": "2026-05-01", "bg": "01.05.2026 г."}[lang]
		if !strings.Contains(got.Body, wantDate) {
			t.Errorf("full %s: lacks the date of the last meeting %q:\n%s", lang, wantDate, got.Body)
		}
	}
}

// Text in the other language than the letter is left out rather than
// mixed in.
func TestOtherLanguageTextLeftOut(t *testing.T) {
	d, _ := New()
	f := cases("bg")["other_language"]
	got, err := d.Draft(f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Body, "confirm the meeting") || strings.Contains(got.Body, "send the offer") {
		t.Errorf("English text in a Bulgarian letter:\n%s", got.Body)
	}
	if !strings.Contains(got.Body, "08.05.2026") {
		t.Errorf("the agreed date is missing:\n%s", got.Body)
	}
}

func TestGoalPhrase(t *testing.T) {
	for _, c := range []struct{ goal, lang, mode, text string }{
		{"confirm the meeting", "en", "verb", "confirm the meeting"},
		{"To thank them", "en", "verb", "thank them"},
		{"Delivery schedule", "en", "topic", "delivery schedule"},
		{"ACME contract", "en", "topic", "ACME contract"},
		{"потвърди срещата", "bg", "verb", "потвърдя срещата"},
		{"извини се за закъснението", "bg", "verb", "се извиня за закъснението"},
		{"да благодаря за срещата", "bg", "verb", "благодаря за срещата"},
		{"Сроковете за доставка", "bg", "topic", "сроковете за доставка"},
	} {
		mode, text := goalPhrase(c.goal, c.lang)
		if mode != c.mode || text != c.text {
			t.Errorf("goalPhrase(%q) = %s %q, want %s %q", c.goal, mode, text, c.mode, c.text)
		}
	}
	if withPrep("срещата") != "със" || withPrep("графика") != "с" {
		t.Error("withPrep")
	}
}
