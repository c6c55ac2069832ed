package handlers_test

import (
	"regexp"
	"strings"
	"testing"

	"accountbot/i18n"
)

// TestBulgarianTeachesBulgarianForms: in Bulgarian, help, usage lines and
// hints show the Bulgarian commands and words (the English ones keep
// working), so a rep never has to type an English word.
func TestBulgarianTeachesBulgarianForms(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	english := regexp.MustCompile(`(^|[\s"„(\[—:])/[a-z]{2,}\b`)
	for _, key := range cat.Keys("bg") {
		raw := cat.Raw("bg", key)
		for _, m := range english.FindAllString(raw, -1) {
			if strings.HasSuffix(m, "/crm") { // Slack's one slash command
				continue
			}
			t.Errorf("bg %s teaches an English command %q: %s", key, strings.TrimSpace(m), raw)
		}
		for _, w := range []string{"next:", "city=", "amount=", "close=", "идентичност", "Давност"} {
			if strings.Contains(raw, w) {
				t.Errorf("bg %s says %q: %s", key, w, raw)
			}
		}
	}
	e := newEnv(t)
	for _, ci := range e.svc.Commands("bg") {
		if strings.HasPrefix(ci.Usage, "/"+ci.Name) && ci.Name != "crm" {
			t.Errorf("bg usage of /%s is English: %s", ci.Name, ci.Usage)
		}
	}
	e.must("console:admin", "/език bg")
	// Any alias finds a command's help, with or without the slash.
	e.must("console:admin", "/помощ лог", "/запиши")
	e.must("console:admin", "/помощ /запиши", "/запиши")
	e.must("console:admin", "/помощ разговор", "/запиши")
	e.must("console:admin", "/помощ log", "/запиши")
	e.mustNot("console:admin", "/клиент Несъществуващ", "/client add", "/clients")
}
