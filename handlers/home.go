package handlers

import (
	"context"
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
func (s *Service) home(loc i18n.Localizer, lang string, p *crm.Person) *bot.Home {
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
func (s *Service) homeCommand(text string) (string, bool) {
	text = strings.TrimSpace(text)
	if text == "" || strings.HasPrefix(text, "/") {
		return "", false
	}
	for _, lang := range i18n.Languages {
		loc := s.cat.For(lang)
		for _, a := range homeActions {
			if text == loc.T(a.key) {
				return a.command, true
			}
		}
	}
	return "", false
}

// homePressed runs the command of a pressed home button.
func (s *Service) homePressed(ctx context.Context, w bot.ReplyWriter, m *bot.Message, command string) error {
	m.Text = command
	return s.router.ServeChat(ctx, w, m)
}

// CommandsFor returns the commands a person of role may use, with their
// help in lang, for a command menu per role (a manager's menu lists no
// head-only command).
func (s *Service) CommandsFor(lang string, role crm.Role) []bot.CommandInfo {
	all := s.Commands(lang)
	out := all[:0:0]
	for i, sp := range s.specs {
		if sp.minRole == "" || rank(role) >= rank(sp.minRole) {
			out = append(out, all[i])
		}
	}
	return out
}
