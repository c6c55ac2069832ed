package handlers

import (
	"context"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// Commands returns every registered command with its help text in lang,
// in the order /help lists them, for the command menus of chat platforms.
// A command whose help has no translation is described by its usage line,
// and failing that by its name.
func (s *Service) Commands(lang string) []bot.CommandInfo {
	loc := s.cat.For(lang)
	out := make([]bot.CommandInfo, 0, len(s.specs))
	for _, sp := range s.specs {
		usageKey, descKey := "help."+sp.name+".usage", "help."+sp.name+".desc"
		ci := bot.CommandInfo{Name: sp.name, Usage: loc.T(usageKey), Description: loc.T(descKey)}
		if ci.Usage == usageKey {
			ci.Usage = "/" + sp.name
		}
		if ci.Description == descKey {
			ci.Description = ci.Usage
		}
		out = append(out, ci)
	}
	return out
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
// and buttons for the most used actions (the home keyboard's, Kit.Home),
// in their language. It is read with the person's own rights; an unknown
// identity gets only the refusal that names it, as any message of theirs
// would.
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
	for _, kr := range s.kit.Home(loc, m.Lang, m.Person).Keyboard {
		row = append(row, kr...)
	}
	row = append(row, bot.Button{Label: loc.T("home.pipeline"), Data: "/pipeline"})
	rep.Buttons = [][]bot.Button{row}
	return rep, nil
}

// ClientName returns the name of the client ref ("#12", or a name
// prefix) as the person with identity may see it, "" when they may not or
// it matches none or several: adapters show it where a form would
// otherwise show a number.
func (s *Service) ClientName(ctx context.Context, identity, ref string) string {
	p, err := s.store.PersonByIdentity(ctx, identity)
	if err != nil || !p.Active() {
		return ""
	}
	r, err := s.newRequest(ctx, &bot.Message{Identity: identity, Person: p, Lang: s.cfg.Lang})
	if err != nil {
		return ""
	}
	c, err := r.Client(ctx, ref)
	if err != nil {
		return ""
	}
	return c.Name
}
