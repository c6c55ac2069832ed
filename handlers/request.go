package handlers

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/i18n"
)

// request is one message being handled, with what every handler needs:
// the sender, their language and time zone, the time, and what they may see.
type request struct {
	*bot.Message
	svc    *Service
	me     *crm.Person
	loc    i18n.Localizer
	now    time.Time
	tz     *time.Location
	people map[uint64]*crm.Person
	// absent are the people the sender stands in for now, by id.
	absent map[uint64]*crm.Delegation
	// offset is the first item of the list page asked for (page=N), and
	// hasPage whether one was (paging.go).
	offset  int
	hasPage bool
	// reports caches reportsOf, by supervisor.
	reports map[uint64]map[uint64]bool
}

func (s *Service) newRequest(ctx context.Context, m *bot.Message) (*request, error) {
	r := &request{Message: m, svc: s, me: m.Person, loc: s.cat.For(m.Lang), now: s.clock.Now(), tz: s.cfg.TZ}
	if m.Person != nil && m.Person.TZ != "" {
		if tz, err := time.LoadLocation(m.Person.TZ); err == nil {
			r.tz = tz
		}
	}
	people, err := s.store.People(ctx)
	if err != nil {
		return nil, err
	}
	r.people = make(map[uint64]*crm.Person, len(people))
	for _, p := range people {
		r.people[p.ID] = p
	}
	r.absent = map[uint64]*crm.Delegation{}
	if m.Person != nil {
		ds, err := s.store.Delegations(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.DeputyID == m.Person.ID && d.ActiveAt(r.now) && r.people[d.AbsentID].Active() {
				r.absent[d.AbsentID] = d
			}
		}
	}
	return r, nil
}

// t translates key in the sender's language.
func (r *request) t(key string, args ...any) string { return r.loc.T(key, args...) }

// hasRole reports whether the sender has at least role, by their own role
// or that of a person they stand in for (a deputy holds the absent person's
// rights, but never a head's power to appoint).
func (r *request) hasRole(role crm.Role) bool {
	if r.me == nil {
		return false
	}
	if rank(r.me.Role) >= rank(role) {
		return true
	}
	for id := range r.absent {
		if p := r.people[id]; p != nil && p.Role != crm.RoleHead && rank(p.Role) >= rank(role) {
			return true
		}
	}
	return false
}

// reportsOf returns the people who report to id, directly or through
// others.
func (r *request) reportsOf(id uint64) map[uint64]bool {
	// Rights are checked per record (every candidate of a name, every
	// list entry): walk the team once per person and request.
	if out, ok := r.reports[id]; ok {
		return out
	}
	out := map[uint64]bool{}
	if r.reports == nil {
		r.reports = map[uint64]map[uint64]bool{}
	}
	r.reports[id] = out
	var walk func(uint64, int)
	walk = func(sup uint64, depth int) {
		if depth > 10 {
			return
		}
		for _, p := range r.people {
			if p.ReportsTo == sup && !out[p.ID] && p.ID != id {
				out[p.ID] = true
				walk(p.ID, depth+1)
			}
		}
	}
	walk(id, 0)
	return out
}

// seesOwner reports whether the sender may see records owned by owner.
func (r *request) seesOwner(owner uint64) bool {
	return r.rightsOver(owner) != nil
}

// rightsOver returns the actor to record when the sender changes something
// of owner's, or nil when they have no rights over owner. A head has rights
// over everyone; a supervisor over their reports; a deputy over the absent
// person and whoever the absent person has rights over.
func (r *request) rightsOver(owner uint64) *crm.Actor {
	if r.me == nil {
		return nil
	}
	if r.me.Role == crm.RoleHead || owner == r.me.ID {
		return &crm.Actor{PersonID: r.me.ID}
	}
	if r.me.Role == crm.RoleSupervisor && r.reportsOf(r.me.ID)[owner] {
		return &crm.Actor{PersonID: r.me.ID}
	}
	for id := range r.absent {
		if owner == id || (r.people[id].Role == crm.RoleSupervisor && r.reportsOf(id)[owner]) {
			return &crm.Actor{PersonID: r.me.ID, OnBehalfOf: id}
		}
	}
	return nil
}

// absentRightsOver reports whether the absent person absent has rights
// over owner: their own records, and their reports' when a supervisor.
// It is what a deputy holds for them (see rightsOver).
func (r *request) absentRightsOver(absent, owner uint64) bool {
	p := r.people[absent]
	return p != nil && (owner == absent || (p.Role == crm.RoleSupervisor && r.reportsOf(absent)[owner]))
}

// mayHandTo checks that to may become the new owner of a record that the
// sender changes as actor (a client, a deal, open tasks). Acting for an
// absent person never makes the deputy a valid owner: the deputy may move
// the absent person's records only among the people the absent person has
// rights over, never to himself (a head or the deputy's own supervisor
// can do that). Acting on one's own behalf, the new owner must be someone
// the sender has rights over.
func (r *request) mayHandTo(actor crm.Actor, to *crm.Person) error {
	if !to.Active() {
		return crm.Errorf(crm.EINVALID, "person.dismissed", "name", to.Name)
	}
	if err := r.deputyMayHandTo(actor, to); err != nil {
		return err
	}
	if actor.OnBehalfOf != 0 {
		if !r.absentRightsOver(actor.OnBehalfOf, to.ID) {
			return crm.Errorf(crm.EFORBIDDEN, "deputy.owner_outside", "name", to.Name, "absent", r.personName(actor.OnBehalfOf))
		}
		return nil
	}
	if r.rightsOver(to.ID) == nil {
		return crm.Errorf(crm.EFORBIDDEN, "client.owner_forbidden", "name", to.Name)
	}
	return nil
}

// deputyMayHandTo refuses to give a deputy, acting for an absent person
// (actor.OnBehalfOf), a record of theirs: as owner or as assignee.
func (r *request) deputyMayHandTo(actor crm.Actor, to *crm.Person) error {
	if actor.OnBehalfOf != 0 && to.ID == actor.PersonID {
		return crm.Errorf(crm.EFORBIDDEN, "deputy.not_to_self", "absent", r.personName(actor.OnBehalfOf))
	}
	return nil
}

// forWhom is who a new task or meeting belongs to when the sender creates
// it as actor: the absent person when a deputy acts for them, else the
// sender.
func (r *request) forWhom(actor crm.Actor) uint64 {
	if actor.OnBehalfOf != 0 {
		return actor.OnBehalfOf
	}
	return r.me.ID
}

// claimRights returns the actor to record when the sender works on a
// claim of owner assigned to assignee (0: none), or nil when they may not
// see it. Rights come through the owner (rightsOver), or from being the
// assignee in person or the assignee's deputy. Being assigned a claim
// gives nobody else a view of it: not the assignee's supervisor, whose
// team does not reach another team's claims that way.
func (r *request) claimRights(owner, assignee uint64) *crm.Actor {
	if a := r.rightsOver(owner); a != nil {
		return a
	}
	if r.me == nil || assignee == 0 {
		return nil
	}
	if assignee == r.me.ID {
		return &crm.Actor{PersonID: r.me.ID}
	}
	if r.absent[assignee] != nil {
		return &crm.Actor{PersonID: r.me.ID, OnBehalfOf: assignee}
	}
	return nil
}

// seesClaim reports whether the sender may see a claim (see claimRights).
func (r *request) seesClaim(owner, assignee uint64) bool {
	return r.claimRights(owner, assignee) != nil
}

// actor is the sender acting on their own behalf.
func (r *request) actor() crm.Actor { return crm.Actor{PersonID: r.me.ID} }

// visibleOwners returns the owners the sender may see in scope "mine"
// (self and the absent people they stand in for), "team" (their reports
// too) or "all" (heads only).
func (r *request) visibleOwners(scope string) ([]uint64, error) {
	set := map[uint64]bool{r.me.ID: true}
	for id := range r.absent {
		set[id] = true
	}
	switch scope {
	case "mine":
	case "team":
		if !r.hasRole(crm.RoleSupervisor) {
			return nil, crm.Errorf(crm.EFORBIDDEN, "error.scope_team")
		}
		for id := range set {
			for rep := range r.reportsOf(id) {
				set[rep] = true
			}
		}
		if r.me.Role == crm.RoleHead {
			for id := range r.people {
				set[id] = true
			}
		}
	case "all":
		if r.me.Role != crm.RoleHead {
			return nil, crm.Errorf(crm.EFORBIDDEN, "error.scope_all")
		}
		for id := range r.people {
			set[id] = true
		}
	}
	out := make([]uint64, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// scopeWord reads a scope word ("mine", "team", "all" and their
// Bulgarian forms); ok is false for other words.
func scopeWord(w string) (string, bool) {
	switch strings.ToLower(w) {
	case "mine", "my", "me", "мои", "моите", "мой", "аз":
		return "mine", true
	case "team", "екип", "екипа", "екипът":
		return "team", true
	case "all", "everyone", "всички", "всичко", "фирмата":
		return "all", true
	}
	return "", false
}

// defaultScope is "mine" for a manager, "team" for a supervisor and "all"
// for a head.
func (r *request) defaultScope() string {
	switch r.me.Role {
	case crm.RoleHead:
		return "all"
	case crm.RoleSupervisor:
		return "team"
	}
	return "mine"
}

// personName returns a person's name, or "—".
func (r *request) personName(id uint64) string {
	if p := r.people[id]; p != nil {
		return p.Name
	}
	return "—"
}

// actorName names who made a change: "Ivan", or "Ivan for Maria" when a
// deputy acted for an absent person.
func (r *request) actorName(by, onBehalfOf uint64) string {
	who := r.personName(by)
	if onBehalfOf != 0 {
		who = r.t("history.on_behalf", "deputy", who, "absent", r.personName(onBehalfOf))
	}
	return who
}

// ambiguousError asks the person to pick one of several matches. The
// router answers it with buttons that repeat the command with Ref replaced
// by each candidate's exact reference.
type ambiguousError struct {
	Ref     string
	Choices []choice
}

type choice struct {
	Label string
	Ref   string
}

func (e *ambiguousError) Error() string { return "ambiguous reference " + e.Ref }

func (s *Service) choiceReply(loc i18n.Localizer, m *bot.Message, e *ambiguousError) bot.Reply {
	rep := bot.Reply{Text: loc.T("error.ambiguous", "ref", e.Ref)}
	for _, c := range e.Choices {
		rep.Buttons = append(rep.Buttons, []bot.Button{bot.AnswerButton(c.Label, replaceRef(m.Text, e.Ref, c.Ref))})
	}
	return rep
}

// replaceRef replaces the first whole occurrence of ref after the command
// word with repl.
func replaceRef(text, ref, repl string) string {
	start := strings.IndexAny(text, " \t")
	if start < 0 {
		return text
	}
	i := strings.Index(text[start:], ref)
	if i < 0 {
		return text
	}
	i += start
	return text[:i] + repl + text[i+len(ref):]
}

// maxChoices is how many matches an ambiguous reference offers.
const maxChoices = 8

// client resolves a client reference ("#12" or a unique name prefix)
// among the clients the sender may see.
func (r *request) client(ctx context.Context, ref string) (c *crm.Client, err error) {
	defer func() {
		if c != nil {
			crm.TouchClient(ctx, c.ID)
		}
	}()
	return r.resolveClient(ctx, ref)
}

// resolveClient is client without the trail.
func (r *request) resolveClient(ctx context.Context, ref string) (*crm.Client, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, crm.Errorf(crm.EINVALID, "error.client_missing")
	}
	if strings.HasPrefix(ref, "#") {
		id, err := strconv.ParseUint(ref[1:], 10, 64)
		if err == nil {
			c, err := r.svc.store.Client(ctx, id)
			if err == nil && r.seesOwner(c.OwnerID) {
				return c, nil
			}
		}
		return nil, crm.Errorf(crm.ENOTFOUND, "error.client_not_found", "ref", ref)
	}
	norm := crm.NormalizeName(ref)
	if norm == "" {
		return nil, crm.Errorf(crm.ENOTFOUND, "error.client_not_found", "ref", ref)
	}
	found, err := r.svc.store.FindClients(ctx, ref, 0)
	if err != nil {
		return nil, err
	}
	var visible []*crm.Client
	for _, c := range found {
		if r.seesOwner(c.OwnerID) {
			if crm.NormalizeName(c.Name) == norm {
				return c, nil // an exact name wins over longer names it prefixes
			}
			visible = append(visible, c)
		}
	}
	switch len(visible) {
	case 0:
		return nil, crm.Errorf(crm.ENOTFOUND, "error.client_not_found", "ref", ref)
	case 1:
		return visible[0], nil
	}
	e := &ambiguousError{Ref: ref}
	for i, c := range visible {
		if i == maxChoices {
			break
		}
		label := c.Name
		if c.City != "" {
			label += " (" + c.City + ")"
		}
		e.Choices = append(e.Choices, choice{Label: label, Ref: "#" + strconv.FormatUint(c.ID, 10)})
	}
	return nil, e
}

// changeableClient resolves a client the sender may change, with the actor
// to record.
func (r *request) changeableClient(ctx context.Context, ref string) (*crm.Client, crm.Actor, error) {
	c, err := r.client(ctx, ref)
	if err != nil {
		return nil, crm.Actor{}, err
	}
	a := r.rightsOver(c.OwnerID)
	if a == nil {
		return nil, crm.Actor{}, crm.Errorf(crm.EFORBIDDEN, "error.client_forbidden", "name", c.Name)
	}
	return c, *a, nil
}

// person resolves "@Name" (a unique prefix of an appointed name),
// "@#id", or an identity such as "telegram:123".
func (r *request) person(ref string) (*crm.Person, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, crm.Errorf(crm.EINVALID, "error.person_missing")
	}
	if strings.Contains(ref, ":") && !strings.HasPrefix(ref, "@") {
		for _, p := range r.people {
			if p.HasIdentity(ref) {
				return p, nil
			}
		}
		return nil, crm.Errorf(crm.ENOTFOUND, "error.person_not_found", "ref", ref)
	}
	name := strings.TrimPrefix(ref, "@")
	if strings.HasPrefix(name, "#") {
		if id, err := strconv.ParseUint(name[1:], 10, 64); err == nil && r.people[id] != nil {
			return r.people[id], nil
		}
		return nil, crm.Errorf(crm.ENOTFOUND, "error.person_not_found", "ref", ref)
	}
	norm := crm.NormalizeName(name)
	// A reference is never guessed: one exact name wins over the longer
	// names it prefixes, but two people of the same name (or of names
	// the reference prefixes alike) are a choice, whatever the order the
	// people come in.
	var exact, matches []*crm.Person
	for _, p := range r.people {
		pn := crm.NormalizeName(p.Name)
		if pn == norm {
			exact = append(exact, p)
		}
		if norm != "" && strings.HasPrefix(pn, norm) {
			matches = append(matches, p)
		}
	}
	if len(exact) > 0 {
		matches = exact
	}
	sort.Slice(matches, func(i, j int) bool {
		if matches[i].Name != matches[j].Name {
			return matches[i].Name < matches[j].Name
		}
		return matches[i].ID < matches[j].ID
	})
	switch len(matches) {
	case 0:
		return nil, crm.Errorf(crm.ENOTFOUND, "error.person_not_found", "ref", ref)
	case 1:
		return matches[0], nil
	}
	e := &ambiguousError{Ref: ref}
	for i, p := range matches {
		if i == maxChoices {
			break
		}
		e.Choices = append(e.Choices, choice{Label: r.personLabel(p), Ref: "@#" + strconv.FormatUint(p.ID, 10)})
	}
	return nil, e
}

// personLabel tells a person apart from others of a similar name in a
// choice: name, role, whom they report to and their first identity.
func (r *request) personLabel(p *crm.Person) string {
	parts := []string{r.t("role." + string(p.Role))}
	if p.ReportsTo != 0 {
		parts = append(parts, r.t("person.label_reports", "name", r.personName(p.ReportsTo)))
	}
	if p.Dismissed {
		parts = append(parts, r.t("person.label_dismissed"))
	}
	if len(p.Identities) > 0 {
		parts = append(parts, p.Identities[0])
	}
	return p.Name + " (" + strings.Join(parts, ", ") + ")"
}

// date reads a typed date in the sender's time zone.
func (r *request) date(s string) (time.Time, bool) { return dates.Parse(s, r.now, r.tz) }

// dateFrom reads the end of a range that starts on start: a weekday
// counts from the start.
func (r *request) dateFrom(s string, start time.Time) (time.Time, bool) {
	return dates.ParseFrom(s, start, r.now, r.tz)
}

// today is midnight of the sender's current day.
func (r *request) today() time.Time { return dates.Day(r.now, r.tz) }

// fmtDate writes a date in the sender's language and time zone.
func (r *request) fmtDate(t time.Time) string { return dates.Format(t.In(r.tz), r.Lang) }

// fmtTime writes a date and time in the sender's language and time zone.
func (r *request) fmtTime(t time.Time) string { return dates.FormatTime(t.In(r.tz), r.Lang) }

// ago says how long ago t was, in days.
func (r *request) ago(t time.Time) string {
	days := int(r.today().Sub(dates.Day(t, r.tz)).Hours()+12) / 24
	switch {
	case days <= 0:
		return r.t("time.today")
	case days == 1:
		return r.t("time.yesterday")
	}
	return r.t("time.days_ago", "count", days)
}

// idRef formats a short record id: "T-3".
func idRef(prefix string, id uint64) string { return prefix + "-" + strconv.FormatUint(id, 10) }

// parseRef reads "T-3", "t3" or "3" with the given prefix.
func parseRef(prefix, s string) (uint64, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "#")
	s = strings.TrimPrefix(s, prefix)
	s = strings.TrimPrefix(s, "-")
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// clientRef is the exact reference to a client for buttons.
func clientRef(c *crm.Client) string { return "#" + strconv.FormatUint(c.ID, 10) }
