package clients

import (
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"
)

// homeActions are the four most used actions, in the order the home
// keyboard shows them: the label's key and the command it sends.
var homeActions = []struct{ key, command string }{
	{"home.today", "/today"},
	{"home.log", "/log"},
	{"home.clients", "/clients"},
	{"home.claims", "/claims"},
}

// home is the person's home: the keyboard of the most used actions and
// the command menu of their role, in their language.
func (s *service) home(loc i18n.Localizer, lang string, p *crm.Person) *bot.Home {
	h := &bot.Home{Role: p.Role, Lang: lang}
	var row []bot.Button
	for i, a := range homeActions {
		row = append(row, bot.Button{Label: loc.T(a.key), Data: a.command})
		if i%2 == 1 {
			h.Keyboard = append(h.Keyboard, row)
			row = nil
		}
	}
	return h
}

// homeCommand returns the command of a home keyboard label, in any
// language: a pressed home button arrives as its label's text.
func (s *service) homeCommand(text string) (string, bool) {
	text = strings.TrimSpace(text)
	if text == "" || strings.HasPrefix(text, "/") {
		return "", false
	}
	for _, lang := range i18n.Languages {
		loc := s.kit.Catalog.For(lang)
		for _, a := range homeActions {
			if text == loc.T(a.key) {
				return a.command, true
			}
		}
	}
	return "", false
}
