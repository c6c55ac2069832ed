package people

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
)

// delegateCmd: "/delegate @deputy from DATE to DATE [for @person] [: reason]".
func (s *service) delegateCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	rest, reason := r.Command.Rest, ""
	if i := strings.Index(rest, ":"); i >= 0 && !strings.Contains(rest[:i], "telegram") && !strings.Contains(rest[:i], "slack") && !strings.Contains(rest[:i], "console") {
		rest, reason = rest[:i], strings.TrimSpace(rest[i+1:])
	}
	words := bot.Split(rest)
	if len(words) < 5 {
		return crm.Errorf(crm.EINVALID, "delegate.usage")
	}
	deputy, err := r.ResolvePerson(words[0])
	if err != nil {
		return err
	}
	// Read "from DATE… to DATE… [for @person]"; dates may be two words.
	var fromText, toText, forRef []string
	var cur *[]string
	for _, w := range words[1:] {
		switch {
		case r.Is(w, "delegate.from"):
			cur = &fromText
			continue
		case r.Is(w, "delegate.to"):
			cur = &toText
			continue
		case r.Is(w, "delegate.for"):
			cur = &forRef
			continue
		}
		if cur == nil {
			return crm.Errorf(crm.EINVALID, "delegate.usage")
		}
		*cur = append(*cur, w)
	}
	from, ok := r.Date(strings.Join(fromText, " "))
	if !ok {
		return crm.Errorf(crm.EINVALID, "error.bad_date", "value", strings.Join(fromText, " "))
	}
	// "from monday to friday" typed on a Wednesday: the Friday after that
	// Monday, not this week's.
	to, ok := r.DateFrom(strings.Join(toText, " "), from)
	if !ok {
		return crm.Errorf(crm.EINVALID, "error.bad_date", "value", strings.Join(toText, " "))
	}
	absent := r.Me
	if len(forRef) > 0 {
		if absent, err = r.ResolvePerson(strings.Join(forRef, " ")); err != nil {
			return err
		}
	}
	// The right to name a stand-in is one's own (for oneself, or as the
	// absent person's supervisor or a head), never one held as a deputy.
	if a := r.RightsOver(absent.ID); a == nil || a.OnBehalfOf != 0 {
		return crm.Errorf(crm.EFORBIDDEN, "delegate.forbidden", "name", absent.Name)
	}
	switch {
	case !deputy.Active():
		return crm.Errorf(crm.EINVALID, "person.dismissed", "name", deputy.Name)
	case deputy.ID == absent.ID:
		return crm.Errorf(crm.EINVALID, "delegate.self")
	case to.Before(from):
		return crm.Errorf(crm.EINVALID, "delegate.backwards", "from", r.FmtDate(from), "to", r.FmtDate(to))
	case !dates.AddDays(to, 1).After(r.Now):
		return crm.Errorf(crm.EINVALID, "delegate.past")
	}
	d := &crm.Delegation{AbsentID: absent.ID, DeputyID: deputy.ID, From: from, To: dates.AddDays(to, 1), Reason: reason, CreatedBy: r.Me.ID}
	existing, err := s.store.Delegations(ctx)
	if err != nil {
		return err
	}
	for _, e := range existing {
		if e.AbsentID == absent.ID && overlaps(e, d) {
			return crm.Errorf(crm.ECONFLICT, "delegate.overlap", "id", e.ID, "name", r.PersonName(e.DeputyID),
				"from", r.FmtDate(e.From), "to", r.FmtDate(e.To.AddDate(0, 0, -1)))
		}
	}
	if err := s.store.SaveDelegation(ctx, d); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("delegate.saved", "id", d.ID, "deputy", deputy.Name, "absent", absent.Name,
		"from", r.FmtDate(d.From), "to", r.FmtDate(to))})
}

// effectiveEnd is when a delegation stops (its end, or when it was ended).
func effectiveEnd(d *crm.Delegation) time.Time {
	if !d.EndedAt.IsZero() && d.EndedAt.Before(d.To) {
		return d.EndedAt
	}
	return d.To
}

func overlaps(a, b *crm.Delegation) bool {
	return a.From.Before(effectiveEnd(b)) && b.From.Before(effectiveEnd(a)) && effectiveEnd(a).After(a.From)
}

// delegationsCmd lists current and coming stand-ins the sender may see.
func (s *service) delegationsCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	all, err := s.store.Delegations(ctx)
	if err != nil {
		return err
	}
	var list []*crm.Delegation
	for _, d := range all {
		if !effectiveEnd(d).After(r.Now) {
			continue
		}
		if d.DeputyID == r.Me.ID || d.AbsentID == r.Me.ID || r.SeesOwner(d.AbsentID) {
			list = append(list, d)
		}
	}
	if len(list) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("delegations.empty")})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].From.Before(list[j].From) })
	var lines []string
	var buttons [][]bot.Button
	for _, d := range list {
		key := "delegations.coming"
		if d.ActiveAt(r.Now) {
			key = "delegations.current"
		}
		line := r.T(key, "id", d.ID, "deputy", r.PersonName(d.DeputyID), "absent", r.PersonName(d.AbsentID),
			"from", r.FmtDate(d.From), "to", r.FmtDate(effectiveEnd(d).AddDate(0, 0, -1)))
		if d.Reason != "" {
			line += " — " + d.Reason
		}
		lines = append(lines, line)
		if s.mayEnd(r, d) {
			buttons = append(buttons, []bot.Button{{Label: r.T("delegations.end_button", "id", d.ID), Data: "/delegation end " + strconv.FormatUint(d.ID, 10)}})
		}
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("delegations.title"), Text: strings.Join(lines, "\n"), Buttons: buttons})
}

// mayEnd reports whether the sender may end or cancel d: whoever made it,
// the absent person, or anyone with their own rights over the absent person.
func (s *service) mayEnd(r *core.Request, d *crm.Delegation) bool {
	if d.CreatedBy == r.Me.ID || d.AbsentID == r.Me.ID {
		return true
	}
	a := r.RightsOver(d.AbsentID)
	return a != nil && a.OnBehalfOf == 0
}

// delegationCmd: "/delegation end N" ends a delegation early, or cancels
// one that has not begun.
func (s *service) delegationCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) != 2 || !r.Is(args[0], "delegation.end") {
		return crm.Errorf(crm.EINVALID, "delegation.usage")
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(args[1], "#"), 10, 64)
	if err != nil {
		return crm.Errorf(crm.EINVALID, "delegation.usage")
	}
	all, err := s.store.Delegations(ctx)
	if err != nil {
		return err
	}
	for _, d := range all {
		if d.ID != id {
			continue
		}
		if !s.mayEnd(r, d) {
			break
		}
		if !effectiveEnd(d).After(r.Now) {
			return w.Reply(ctx, bot.Reply{Text: r.T("delegation.already_over", "id", id), Edit: r.Button})
		}
		d.EndedAt = r.Now
		if d.From.After(r.Now) {
			d.EndedAt = d.From // cancelled before it began
		}
		if err := s.store.SaveDelegation(ctx, d); err != nil {
			return err
		}
		return w.Reply(ctx, bot.Reply{Text: r.T("delegation.ended", "id", id, "deputy", r.PersonName(d.DeputyID), "absent", r.PersonName(d.AbsentID)), Edit: r.Button})
	}
	return crm.Errorf(crm.ENOTFOUND, "delegation.not_found", "id", id)
}
