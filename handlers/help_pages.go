package handlers

import (
	"context"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"
)

// Help on a phone: /help is a short page of command families, each a
// button; a family's page lists what the caller may do there, one line a
// command; /help COMMAND details one command. A family is declared by the
// file that registers its commands, with one line at the top of its
// register function:
//
//	defer s.inFamily("claims")()
//
// and its words in i18n as help.family.NAME (the button) and
// help.family.NAME.desc (a few words on the first page). Commands added
// outside any family show under "other".

// familyOther collects the commands no family claims.
const familyOther = "other"

// familyArg starts the /help argument that opens a family's page
// ("/help #claims"), so that no family name shadows a command's.
const familyArg = "#"

// inFamily makes the commands added until the returned function is called
// belong to family.
func (s *Service) inFamily(family string) (done func()) {
	prev := s.curFamily
	s.curFamily = family
	s.addFamily(family)
	return func() { s.curFamily = prev }
}

func (s *Service) addFamily(family string) {
	if !contains(s.families, family) {
		s.families = append(s.families, family)
	}
}

// helpVisible reports whether the caller may use sp where they ask: their
// role allows it, and a command that needs a direct chat is left out of
// help asked in a channel.
func (r *request) helpVisible(sp *spec) bool {
	if sp.minRole != "" && !r.HasRole(sp.minRole) {
		return false
	}
	return !sp.direct || r.Private || r.Platform != bot.Slack
}

// helpFamilies shows the first page: one line and one button a family the
// caller has anything in.
func (s *Service) helpFamilies(ctx context.Context, w bot.ReplyWriter, r *request) error {
	var lines []string
	var buttons [][]bot.Button
	var row []bot.Button
	for _, f := range s.orderedFamilies() {
		specs := s.familySpecs(r, f)
		if len(specs) == 0 {
			continue
		}
		label := r.familyLabel(f)
		if desc := r.T("help.family." + f + ".desc"); desc != "help.family."+f+".desc" {
			lines = append(lines, "• "+label+" — "+desc)
		} else {
			lines = append(lines, "• "+label)
		}
		// The commands themselves, in the reader's language, so that the
		// first page already says everything the caller may do.
		names := make([]string, 0, len(specs))
		for _, sp := range specs {
			names = append(names, "/"+r.commandWord(sp))
		}
		lines = append(lines, "   "+strings.Join(names, " "))
		row = append(row, bot.Button{Label: label, Data: "/help " + familyArg + f})
		if len(row) == 2 {
			buttons, row = append(buttons, row), nil
		}
	}
	if len(row) > 0 {
		buttons = append(buttons, row)
	}
	text := strings.Join(lines, "\n") + "\n\n" + r.T("help.pick")
	if r.Platform == bot.Slack && !r.Private {
		text += "\n" + r.T("help.in_channel")
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("help.title", "role", r.T("role."+string(r.Me.Role))), Text: text, Buttons: buttons, Edit: r.Button})
}

// helpFamily shows one family's page.
func (s *Service) helpFamily(ctx context.Context, w bot.ReplyWriter, r *request, f string) error {
	specs := s.familySpecs(r, f)
	if len(specs) == 0 {
		return crm.Errorf(crm.ENOTFOUND, "help.unknown", "command", familyArg+f)
	}
	var lines []string
	for _, sp := range specs {
		lines = append(lines, r.T("help."+sp.name+".usage")+" — "+r.T("help."+sp.name+".desc"))
	}
	text := strings.Join(lines, "\n") + "\n\n" + r.T("help.footer")
	back := [][]bot.Button{{{Label: "← " + r.T("help.back"), Data: "/help"}}}
	return w.Reply(ctx, bot.Reply{Title: r.familyLabel(f), Text: text, Buttons: back, Edit: r.Button})
}

// orderedFamilies is the families in declared order, "other" last.
func (s *Service) orderedFamilies() []string {
	out := make([]string, 0, len(s.families))
	for _, f := range s.families {
		if f != familyOther {
			out = append(out, f)
		}
	}
	return append(out, familyOther)
}

// familySpecs is the commands of family f the caller may use where they ask.
func (s *Service) familySpecs(r *request, f string) []*spec {
	var out []*spec
	for _, sp := range s.specs {
		if sp.family == f && r.helpVisible(sp) {
			out = append(out, sp)
		}
	}
	return out
}

// familyLabel is a family's name on its button and page.
func (r *request) familyLabel(f string) string {
	if l := r.T("help.family." + f); l != "help.family."+f {
		return l
	}
	return f
}

// commandWord is how the reader types a command, as the help teaches it:
// the first form of its words in the reader's language (in English its
// name, in Bulgarian its Bulgarian alias).
func (r *request) commandWord(sp *spec) string {
	if w := r.svc.cat.WordsIn(r.Lang, i18n.WordsPrefix+"cmd."+sp.name); len(w) > 0 {
		return w[0]
	}
	return sp.name
}
