package handlers

import "accountbot/bot"

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
