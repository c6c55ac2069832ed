package push

import (
	"context"
	"fmt"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// agendaCmd: "/agenda" shows when the morning agenda comes; "/agenda
// HH:MM" sets the time, "/agenda off" stops it, "/agenda on" restarts it.
func (s *service) agendaCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) > 1 {
		return crm.Errorf(crm.EINVALID, "agenda.usage")
	}
	if len(args) == 1 {
		a := strings.ToLower(args[0])
		var fn func(*crm.Person) error
		switch {
		case r.Is(a, "agenda.off"):
			fn = func(p *crm.Person) error { p.AgendaOff = true; return nil }
		case r.Is(a, "agenda.on"):
			fn = func(p *crm.Person) error { p.AgendaOff = false; return nil }
		default:
			h, m, ok := dates.ParseClock(a)
			if !ok {
				return crm.Errorf(crm.EINVALID, "agenda.usage")
			}
			at := fmt.Sprintf("%02d:%02d", h, m)
			fn = func(p *crm.Person) error { p.Agenda, p.AgendaOff = at, false; return nil }
		}
		p, err := s.store.UpdatePerson(ctx, r.Me.ID, fn)
		if err != nil {
			return err
		}
		r.Me = p
		return w.Reply(ctx, bot.Reply{Text: r.T("agenda.saved") + " " + s.agendaText(r, p)})
	}
	return w.Reply(ctx, bot.Reply{Text: s.agendaText(r, r.Me) + "\n" + r.T("agenda.hint")})
}

// agendaText says when the person's agenda comes.
func (s *service) agendaText(r *core.Request, p *crm.Person) string {
	if p.AgendaOff {
		return r.T("agenda.off")
	}
	return r.T("agenda.at", "time", p.AgendaTime(), "tz", s.tz(p).String())
}

// meCmd: "/me" shows the caller's own settings; "/me email=ADDR tz=ZONE
// lang=en|bg agenda=HH:MM|off" changes them.
func (s *service) meCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Command.Args) > 0 {
		var sets []func(*crm.Person)
		for _, a := range r.Command.Args {
			k, v, ok := strings.Cut(a, "=")
			if !ok {
				return crm.Errorf(crm.EINVALID, "me.usage")
			}
			v = strings.TrimSpace(v)
			switch {
			case r.Is(k, "me.key.email"):
				addr, ok := parseEmail(v)
				if !ok {
					return crm.Errorf(crm.EINVALID, "me.bad_email", "value", v)
				}
				sets = append(sets, func(p *crm.Person) { p.Email = addr })
			case r.Is(k, "me.key.tz"):
				if v == "" || r.Is(v, "me.tz.default") {
					sets = append(sets, func(p *crm.Person) { p.TZ = "" })
					break
				}
				loc, err := time.LoadLocation(v)
				if err != nil || v == "Local" {
					return crm.Errorf(crm.EINVALID, "me.bad_tz", "value", v)
				}
				name := loc.String()
				sets = append(sets, func(p *crm.Person) { p.TZ = name })
			case r.Is(k, "me.key.lang"):
				lang := i18n.Lang(v)
				if lang == "" {
					return crm.Errorf(crm.EINVALID, "lang.usage")
				}
				sets = append(sets, func(p *crm.Person) { p.Lang = lang })
			case r.Is(k, "me.key.agenda"):
				switch {
				case r.Is(v, "me.agenda.off"):
					sets = append(sets, func(p *crm.Person) { p.AgendaOff = true })
				case r.Is(v, "me.agenda.on"):
					sets = append(sets, func(p *crm.Person) { p.AgendaOff = false })
				default:
					h, m, ok := dates.ParseClock(v)
					if !ok {
						return crm.Errorf(crm.EINVALID, "agenda.usage")
					}
					at := fmt.Sprintf("%02d:%02d", h, m)
					sets = append(sets, func(p *crm.Person) { p.Agenda, p.AgendaOff = at, false })
				}
			default:
				return crm.Errorf(crm.EINVALID, "me.usage")
			}
		}
		p, err := s.store.UpdatePerson(ctx, r.Me.ID, func(p *crm.Person) error {
			for _, set := range sets {
				set(p)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// The answer is in the language just chosen.
		r.Me = p
		if p.Lang != "" {
			r.Lang, r.Loc = p.Lang, s.kit.Catalog.For(p.Lang)
		}
		r.TZ = s.tz(p)
		rep := s.meReply(r, p)
		rep.Title = r.T("me.saved")
		return w.Reply(ctx, rep)
	}
	return w.Reply(ctx, s.meReply(r, r.Me))
}

// meReply lists a person's own settings.
func (s *service) meReply(r *core.Request, p *crm.Person) bot.Reply {
	lang := p.Lang
	if lang == "" {
		lang = s.kit.Lang
	}
	email := p.Email
	if email == "" {
		email = "—"
	}
	agenda := p.AgendaTime()
	if p.AgendaOff {
		agenda = r.T("agenda.off_short")
	}
	lines := []string{
		r.T("me.role") + ": " + r.T("role."+string(p.Role)),
		r.T("me.lang") + ": " + lang,
		r.T("me.tz") + ": " + s.tz(p).String(),
		r.T("me.agenda") + ": " + agenda,
		r.T("me.email") + ": " + email,
		r.T("me.identities") + ": " + strings.Join(p.Identities, ", "),
	}
	return bot.Reply{Title: r.T("me.title", "name", p.Name), Text: strings.Join(lines, "\n") + "\n\n" + r.T("me.hint")}
}

// parseEmail reads one plain address.
func parseEmail(v string) (string, bool) {
	v = strings.TrimSpace(v)
	at := strings.LastIndex(v, "@")
	if at < 1 || at == len(v)-1 || strings.ContainsAny(v, " <>,;\"") || !strings.Contains(v[at:], ".") || len(v) > 254 {
		return "", false
	}
	return v, true
}

// linkCmd: "/link" answers a one-time code; "/link CODE" from a known
// identity says it is already someone's (a new identity sends it before it
// is known: linkWithCode hears it).
func (s *service) linkCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Command.Args) > 0 {
		return crm.Errorf(crm.ECONFLICT, "link.already_known", "identity", r.Identity)
	}
	lc := &crm.LinkCode{Code: core.NewCode(), PersonID: r.Me.ID, ExpiresAt: r.Now.Add(crm.LinkTTL)}
	if err := s.store.CreateLinkCode(ctx, lc); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("link.code", "code", lc.Code, "minutes", int(crm.LinkTTL/time.Minute), "time", lc.ExpiresAt.In(r.TZ).Format("15:04"))})
}

// linkWithCode answers "/link CODE" from an identity nobody holds yet: it
// joins the identity to the person whose code it sends. Any other /link
// from a stranger is not its to answer.
func (s *service) linkWithCode(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error) {
	if len(m.Command.Args) != 1 {
		return false, nil
	}
	loc := s.kit.Catalog.For(m.Lang)
	p, err := s.store.LinkIdentity(ctx, strings.ToUpper(strings.TrimSpace(m.Command.Args[0])), m.Identity, s.kit.Clock.Now())
	if err != nil {
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return true, w.Reply(ctx, bot.Reply{Text: loc.T("link.bad_code") + "\n" + loc.T("auth.unknown", "identity", m.Identity)})
		}
		return true, err
	}
	lang := m.Lang
	if p.Lang != "" {
		lang = p.Lang
	}
	loc = s.kit.Catalog.For(lang)
	return true, w.Reply(ctx, bot.Reply{Text: loc.T("link.done", "name", p.Name, "identity", m.Identity, "identities", strings.Join(p.Identities, ", ")),
		Home: s.kit.Home(loc, lang, p)})
}

// unlinkCmd: "/unlink IDENTITY" removes one of the caller's identities (a
// head may remove anyone's); nobody loses their last identity.
func (s *service) unlinkCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Command.Args) != 1 {
		return crm.Errorf(crm.EINVALID, "unlink.usage", "identities", strings.Join(r.Me.Identities, ", "))
	}
	ident := strings.TrimSpace(r.Command.Args[0])
	var owner *crm.Person
	for _, p := range r.People {
		if p.HasIdentity(ident) {
			owner = p
		}
	}
	if owner == nil || (owner.ID != r.Me.ID && r.Me.Role != crm.RoleHead) {
		return crm.Errorf(crm.ENOTFOUND, "unlink.not_yours", "identity", ident)
	}
	if len(owner.Identities) < 2 {
		return crm.Errorf(crm.EINVALID, "unlink.last", "identity", ident)
	}
	p, err := s.store.UpdatePerson(ctx, owner.ID, func(p *crm.Person) error {
		if len(p.Identities) < 2 {
			return crm.Errorf(crm.EINVALID, "unlink.last", "identity", ident)
		}
		kept := p.Identities[:0:0]
		for _, x := range p.Identities {
			if x != ident {
				kept = append(kept, x)
			}
		}
		p.Identities = kept
		return nil
	})
	if err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("unlink.done", "identity", ident, "name", p.Name, "identities", strings.Join(p.Identities, ", "))})
}
