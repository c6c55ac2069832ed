package handlers

import (
	"context"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/clients"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// registerCore adds the core commands in the order /help lists them.
func (s *Service) registerCore() {
	s.clientHooks.Subs = map[string]core.ClientSub{}
	// The first families, in the order /help shows them; the other files
	// declare theirs.
	for _, f := range []string{"clients", "sales", "claims", "planning", "assistant", "team", "data"} {
		s.addFamily(f)
	}
	s.add(&spec{name: "help", run: s.helpCmd, family: familyOther})
	s.add(&spec{name: "start", run: s.startCmd, family: familyOther})
	s.clients = clients.Register(registry{s}, s.store, clients.Config{Stale: s.stale(),
		Route: s.router.ServeChat})
	s.add(&spec{name: "lang", run: s.langCmd, family: familyOther})
	// The team family (handlers/people) registers next, from New.
}

// helpCmd lists what the sender may do, one example each, or details one
// command.
func (s *Service) helpCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	if len(r.Command.Args) > 0 {
		arg := strings.ToLower(r.Command.Args[0])
		if f, ok := strings.CutPrefix(arg, familyArg); ok {
			return s.helpFamily(ctx, w, r, f)
		}
		name := strings.TrimPrefix(arg, "/")
		for _, sp := range s.specs {
			if sp.name == name || contains(sp.aliases, name) {
				text := r.T("help."+sp.name+".usage") + "\n" + r.T("help."+sp.name+".desc")
				if len(sp.aliases) > 0 {
					text += "\n" + r.T("help.aliases", "aliases", "/"+strings.Join(sp.aliases, ", /"))
				}
				if !r.helpVisible(sp) {
					// What the caller may do: say so when this is not it.
					text += "\n" + r.T("error.forbidden_command", "command", "/"+sp.name)
				}
				return w.Reply(ctx, bot.Reply{Title: "/" + sp.name, Text: text,
					Buttons: [][]bot.Button{{{Label: "← " + r.familyLabel(sp.family), Data: "/help " + familyArg + sp.family}}}})
			}
		}
		return crm.Errorf(crm.ENOTFOUND, "help.unknown", "command", name)
	}
	return s.helpFamilies(ctx, w, r)
}

// startCmd greets a known person ("/start CODE" from a new account is the
// team family's: handlers/people).
func (s *Service) startCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	if len(r.Command.Args) > 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("start.already", "name", r.Me.Name)})
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("start.hello", "name", r.Me.Name, "role", r.T("role."+string(r.Me.Role))),
		Buttons: [][]bot.Button{{{Label: r.T("button.today"), Data: "/today"}, {Label: r.T("button.help"), Data: "/help"}}},
		Home:    s.kit.Home(r.Loc, r.Lang, r.Me)})
}

// langCmd: "/lang en|bg".
func (s *Service) langCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	if len(r.Command.Args) != 1 || i18n.Lang(r.Command.Args[0]) == "" {
		return crm.Errorf(crm.EINVALID, "lang.usage")
	}
	lang := i18n.Lang(r.Command.Args[0])
	if _, err := s.store.UpdatePerson(ctx, r.Me.ID, func(p *crm.Person) error { p.Lang = lang; return nil }); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: s.cat.For(lang).T("lang.set")})
}
