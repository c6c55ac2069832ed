package handlers

import (
	"context"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
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
		if sp.minRole == "" || core.Rank(role) >= core.Rank(sp.minRole) {
			out = append(out, all[i])
		}
	}
	return out
}

// HomePage is the content of a person's home screen in an app (Slack's
// App Home tab): their agenda as /today shows it, their pipeline summary,
// and buttons for the most used actions, in their language. It is read
// with the person's own rights; an unknown identity gets only the refusal
// that names it, as any message of theirs would.
func (s *Service) HomePage(ctx context.Context, identity, langHint string) (bot.Reply, error) {
	run := func(text string) (*bot.Recorder, *bot.Message, error) {
		rec := &bot.Recorder{}
		platform, _, _ := strings.Cut(identity, ":")
		m := &bot.Message{Platform: platform, Identity: identity, LangHint: langHint, Private: true, Text: text, ReceivedAt: s.clock.Now()}
		err := s.ServeChat(crm.WithoutDeliveryKey(ctx), rec, m)
		return rec, m, err
	}
	today, m, err := run("/today")
	if err != nil {
		return bot.Reply{}, err
	}
	if m.Person == nil {
		return bot.Reply{Text: today.Text()}, nil
	}
	loc := s.cat.For(m.Lang)
	rep := bot.Reply{Title: loc.T("home.title", "name", m.Person.Name)}
	var parts []string
	for _, r := range today.Replies {
		parts = append(parts, r.PlainText())
	}
	if m.Person.Role != "" {
		if pipe, _, err := run("/pipeline mine"); err == nil {
			for _, r := range pipe.Replies {
				parts = append(parts, r.PlainText())
			}
		}
	}
	rep.Text = strings.Join(parts, "\n\n")
	var row []bot.Button
	for _, a := range homeActions {
		row = append(row, bot.Button{Label: loc.T(a.key), Data: a.command})
	}
	row = append(row, bot.Button{Label: loc.T("home.pipeline"), Data: "/pipeline"})
	rep.Buttons = [][]bot.Button{row}
	return rep, nil
}
