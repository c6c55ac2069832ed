// Package core is the shared core of the command families: the request a
// handler gets (sender, language, time, rights), references, paging, and
// the hooks through which families add to each other's views without
// importing each other.
package core

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

// Request is one message being handled, with what every handler needs:
// the sender, their language and time zone, the time, and what they may
// see. The rights helpers on it (SeesOwner, RightsOver, SeesClaim,
// MayHandTo…) are the one place where roles, teams and deputies become
// yes or no: families use them and never re-invent them.
type Request struct {
	*bot.Message
	// Me is the sender, nil when unknown.
	Me *crm.Person
	// Loc translates into the sender's language.
	Loc i18n.Localizer
	// Now is the time the request is handled at (the injected clock).
	Now time.Time
	// TZ is the sender's time zone.
	TZ *time.Location
	// People are everyone on the team, by id.
	People map[uint64]*crm.Person
	// Absent are the people the sender stands in for now, by id.
	Absent map[uint64]*crm.Delegation
	// Offset is the first item of the list page asked for (page=N), and
	// HasPage whether one was (paging.go).
	Offset  int
	HasPage bool
	// reports caches ReportsOf, by supervisor.
	reports map[uint64]map[uint64]bool
	// dir resolves client references.
	dir Directory
}

// Directory is what a request reads to know its sender's world: the team,
// the delegations, and the clients a reference may name.
type Directory interface {
	// People returns everyone, dismissed people too, by id. The people
	// returned are shared: callers must not modify them.
	People(ctx context.Context) ([]*crm.Person, error)
	// Delegations returns every delegation (past and future ones too),
	// by id.
	Delegations(ctx context.Context) ([]*crm.Delegation, error)
	// Client returns the client with id; a crm.ENOTFOUND error when there
	// is none.
	Client(ctx context.Context, id uint64) (*crm.Client, error)
	// FindClients returns the clients whose normalised name starts with
	// the normalised query, at most limit of them (0: no limit), by name.
	FindClients(ctx context.Context, query string, limit int) ([]*crm.Client, error)
}

// NewRequest starts handling m for its sender (m.Person, nil when
// unknown) at now: their language from m.Lang, their time zone (tz unless
// they chose one), the team and the people they stand in for.
func NewRequest(ctx context.Context, dir Directory, cat *i18n.Catalog, m *bot.Message, now time.Time, tz *time.Location) (*Request, error) {
	r := &Request{Message: m, Me: m.Person, Loc: cat.For(m.Lang), Now: now, TZ: tz, dir: dir}
	if m.Person != nil && m.Person.TZ != "" {
		if tz, err := time.LoadLocation(m.Person.TZ); err == nil {
			r.TZ = tz
		}
	}
	people, err := dir.People(ctx)
	if err != nil {
		return nil, err
	}
	r.People = make(map[uint64]*crm.Person, len(people))
	for _, p := range people {
		r.People[p.ID] = p
	}
	r.Absent = map[uint64]*crm.Delegation{}
	if m.Person != nil {
		ds, err := dir.Delegations(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.DeputyID == m.Person.ID && d.ActiveAt(r.Now) && r.People[d.AbsentID].Active() {
				r.Absent[d.AbsentID] = d
			}
		}
	}
	return r, nil
}

// ForPerson is a request made by the bot itself on behalf of p (a
// scheduled message to them), with the team given as people: p's rights,
// language lang and time zone tz, and no delegations.
func ForPerson(dir Directory, loc i18n.Localizer, m *bot.Message, p *crm.Person, now time.Time, tz *time.Location, people map[uint64]*crm.Person) *Request {
	return &Request{Message: m, Me: p, Loc: loc, Now: now, TZ: tz, People: people, Absent: map[uint64]*crm.Delegation{}, dir: dir}
}

// Words is a request that only translates (a file header written for no
// one in particular).
func Words(loc i18n.Localizer) *Request { return &Request{Loc: loc} }

// T translates key in the sender's language.
func (r *Request) T(key string, args ...any) string { return r.Loc.T(key, args...) }

// HasRole reports whether the sender has at least role, by their own role
// or that of a person they stand in for (a deputy holds the absent person's
// rights, but never a head's power to appoint).
func (r *Request) HasRole(role crm.Role) bool {
	if r.Me == nil {
		return false
	}
	if Rank(r.Me.Role) >= Rank(role) {
		return true
	}
	for id := range r.Absent {
		if p := r.People[id]; p != nil && p.Role != crm.RoleHead && Rank(p.Role) >= Rank(role) {
			return true
		}
	}
	return false
}

// ReportsOf returns the people who report to id, directly or through
// others.
func (r *Request) ReportsOf(id uint64) map[uint64]bool {
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
		for _, p := range r.People {
			if p.ReportsTo == sup && !out[p.ID] && p.ID != id {
				out[p.ID] = true
				walk(p.ID, depth+1)
			}
		}
	}
	walk(id, 0)
	return out
}

// SeesOwner reports whether the sender may see records owned by owner.
func (r *Request) SeesOwner(owner uint64) bool {
	return r.RightsOver(owner) != nil
}

// RightsOver returns the actor to record when the sender changes something
// of owner's, or nil when they have no rights over owner. A head has rights
// over everyone; a supervisor over their reports; a deputy over the absent
// person and whoever the absent person has rights over.
func (r *Request) RightsOver(owner uint64) *crm.Actor {
	if r.Me == nil {
		return nil
	}
	if r.Me.Role == crm.RoleHead || owner == r.Me.ID {
		return &crm.Actor{PersonID: r.Me.ID}
	}
	if r.Me.Role == crm.RoleSupervisor && r.ReportsOf(r.Me.ID)[owner] {
		return &crm.Actor{PersonID: r.Me.ID}
	}
	for id := range r.Absent {
		if owner == id || (r.People[id].Role == crm.RoleSupervisor && r.ReportsOf(id)[owner]) {
			return &crm.Actor{PersonID: r.Me.ID, OnBehalfOf: id}
		}
	}
	return nil
}

// AbsentRightsOver reports whether the absent person absent has rights
// over owner: their own records, and their reports' when a supervisor.
// It is what a deputy holds for them (see RightsOver).
func (r *Request) AbsentRightsOver(absent, owner uint64) bool {
	p := r.People[absent]
	return p != nil && (owner == absent || (p.Role == crm.RoleSupervisor && r.ReportsOf(absent)[owner]))
}

// MayHandTo checks that to may become the new owner of a record that the
// sender changes as actor (a client, a deal, open tasks). Acting for an
// absent person never makes the deputy a valid owner: the deputy may move
// the absent person's records only among the people the absent person has
// rights over, never to himself (a head or the deputy's own supervisor
// can do that). Acting on one's own behalf, the new owner must be someone
// the sender has rights over.
func (r *Request) MayHandTo(actor crm.Actor, to *crm.Person) error {
	if !to.Active() {
		return crm.Errorf(crm.EINVALID, "person.dismissed", "name", to.Name)
	}
	if err := r.DeputyMayHandTo(actor, to); err != nil {
		return err
	}
	if actor.OnBehalfOf != 0 {
		if !r.AbsentRightsOver(actor.OnBehalfOf, to.ID) {
			return crm.Errorf(crm.EFORBIDDEN, "deputy.owner_outside", "name", to.Name, "absent", r.PersonName(actor.OnBehalfOf))
		}
		return nil
	}
	if r.RightsOver(to.ID) == nil {
		return crm.Errorf(crm.EFORBIDDEN, "client.owner_forbidden", "name", to.Name)
	}
	return nil
}

// DeputyMayHandTo refuses to give a deputy, acting for an absent person
// (actor.OnBehalfOf), a record of theirs: as owner or as assignee.
func (r *Request) DeputyMayHandTo(actor crm.Actor, to *crm.Person) error {
	if actor.OnBehalfOf != 0 && to.ID == actor.PersonID {
		return crm.Errorf(crm.EFORBIDDEN, "deputy.not_to_self", "absent", r.PersonName(actor.OnBehalfOf))
	}
	return nil
}

// ForWhom is who a new task or meeting belongs to when the sender creates
// it as actor: the absent person when a deputy acts for them, else the
// sender.
func (r *Request) ForWhom(actor crm.Actor) uint64 {
	if actor.OnBehalfOf != 0 {
		return actor.OnBehalfOf
	}
	return r.Me.ID
}

// ClaimRights returns the actor to record when the sender works on a
// claim of owner assigned to assignee (0: none), or nil when they may not
// see it. Rights come through the owner (RightsOver), or from being the
// assignee in person or the assignee's deputy. Being assigned a claim
// gives nobody else a view of it: not the assignee's supervisor, whose
// team does not reach another team's claims that way.
func (r *Request) ClaimRights(owner, assignee uint64) *crm.Actor {
	if a := r.RightsOver(owner); a != nil {
		return a
	}
	if r.Me == nil || assignee == 0 {
		return nil
	}
	if assignee == r.Me.ID {
		return &crm.Actor{PersonID: r.Me.ID}
	}
	if r.Absent[assignee] != nil {
		return &crm.Actor{PersonID: r.Me.ID, OnBehalfOf: assignee}
	}
	return nil
}

// SeesClaim reports whether the sender may see a claim (see ClaimRights).
func (r *Request) SeesClaim(owner, assignee uint64) bool {
	return r.ClaimRights(owner, assignee) != nil
}

// Actor is the sender acting on their own behalf.
func (r *Request) Actor() crm.Actor { return crm.Actor{PersonID: r.Me.ID} }

// VisibleOwners returns the owners the sender may see in scope "mine"
// (self and the absent people they stand in for), "team" (their reports
// too) or "all" (heads only).
func (r *Request) VisibleOwners(scope string) ([]uint64, error) {
	set := map[uint64]bool{r.Me.ID: true}
	for id := range r.Absent {
		set[id] = true
	}
	switch scope {
	case "mine":
	case "team":
		if !r.HasRole(crm.RoleSupervisor) {
			return nil, crm.Errorf(crm.EFORBIDDEN, "error.scope_team")
		}
		for id := range set {
			for rep := range r.ReportsOf(id) {
				set[rep] = true
			}
		}
		if r.Me.Role == crm.RoleHead {
			for id := range r.People {
				set[id] = true
			}
		}
	case "all":
		if r.Me.Role != crm.RoleHead {
			return nil, crm.Errorf(crm.EFORBIDDEN, "error.scope_all")
		}
		for id := range r.People {
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

// Is reports whether w (any letter case) is a form of the typed-in
// vocabulary entry "words."+key (i18n/locales/LANG/*.toml) in any
// language: people type either language.
func (r *Request) Is(w, key string) bool { return r.Loc.IsWord(i18n.WordsPrefix+key, w) }

// Words returns every form of the vocabulary entry "words."+key in every
// language.
func (r *Request) Words(key string) []string { return r.Loc.Words(i18n.WordsPrefix + key) }

// Scopes are the scopes of a list, their words "words.scope.NAME".
var Scopes = []string{"mine", "team", "all"}

// ScopeOrPerson reads a as a scope word (ScopeWord), which it puts in
// *scope, or as a person ("@name" or an identity, ResolvePerson), which
// it puts in *who; ok is false for any other word, and err is the
// person's that cannot be resolved.
func (r *Request) ScopeOrPerson(a string, scope *string, who **crm.Person) (ok bool, err error) {
	if sc, ok := r.ScopeWord(a); ok {
		*scope = sc
		return true, nil
	}
	if !strings.HasPrefix(a, "@") && !strings.Contains(a, ":") {
		return false, nil
	}
	p, err := r.ResolvePerson(a)
	if err != nil {
		return false, err
	}
	*who = p
	return true, nil
}

// ScopeWord reads a scope word ("mine", "team", "all" and their
// Bulgarian forms); ok is false for other words.
func (r *Request) ScopeWord(w string) (string, bool) {
	for _, sc := range Scopes {
		if r.Is(w, "scope."+sc) {
			return sc, true
		}
	}
	return "", false
}

// DefaultScope is "mine" for a manager, "team" for a supervisor and "all"
// for a head.
func (r *Request) DefaultScope() string {
	switch r.Me.Role {
	case crm.RoleHead:
		return "all"
	case crm.RoleSupervisor:
		return "team"
	}
	return "mine"
}

// PersonName returns a person's name, or "—".
func (r *Request) PersonName(id uint64) string {
	if p := r.People[id]; p != nil {
		return p.Name
	}
	return "—"
}

// ActorName names who made a change: "Ivan", or "Ivan for Maria" when a
// deputy acted for an absent person.
func (r *Request) ActorName(by, onBehalfOf uint64) string {
	who := r.PersonName(by)
	if onBehalfOf != 0 {
		who = r.T("history.on_behalf", "deputy", who, "absent", r.PersonName(onBehalfOf))
	}
	return who
}

// AmbiguousError asks the person to pick one of several matches. The
// router answers it with buttons that repeat the command with Ref replaced
// by each candidate's exact reference.
type AmbiguousError struct {
	Ref     string
	Choices []Choice
}

type Choice struct {
	Label string
	Ref   string
}

func (e *AmbiguousError) Error() string { return "ambiguous reference " + e.Ref }

// Changeable returns what load finds for id (a record of a client the
// sender sees, and the client) with the rights the sender changes it
// with; a client the sender may only see is refused (EFORBIDDEN, naming
// it).
func Changeable[T any](ctx context.Context, r *Request, id uint64, load func(context.Context, *Request, uint64) (T, *crm.Client, error)) (T, *crm.Client, *crm.Actor, error) {
	rec, c, err := load(ctx, r, id)
	if err != nil {
		return rec, nil, nil, err
	}
	actor := r.RightsOver(c.OwnerID)
	if actor == nil {
		return rec, nil, nil, crm.Errorf(crm.EFORBIDDEN, "error.client_forbidden", "name", c.Name)
	}
	return rec, c, actor, nil
}

// OneOf returns the only item of matches: none is notFound, and several
// an AmbiguousError over ref that offers the first MaxChoices of them,
// each as choice makes it.
func OneOf[T any](ref string, matches []T, notFound error, choice func(T) Choice) (T, error) {
	var none T
	switch len(matches) {
	case 0:
		return none, notFound
	case 1:
		return matches[0], nil
	}
	e := &AmbiguousError{Ref: ref}
	for _, m := range matches[:min(len(matches), MaxChoices)] {
		e.Choices = append(e.Choices, choice(m))
	}
	return none, e
}

// ChoiceReply asks the sender to pick one of e's choices, with a button
// for each that repeats m with the reference replaced.
func ChoiceReply(loc i18n.Localizer, m *bot.Message, e *AmbiguousError) bot.Reply {
	rep := bot.Reply{Text: loc.T("error.ambiguous", "ref", e.Ref)}
	for _, c := range e.Choices {
		rep.Buttons = append(rep.Buttons, []bot.Button{bot.AnswerButton(c.Label, ReplaceRef(m.Text, e.Ref, c.Ref))})
	}
	return rep
}

// ReplaceRef replaces the first whole occurrence of ref after the command
// word with repl.
func ReplaceRef(text, ref, repl string) string {
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
const MaxChoices = 8

// Client resolves a client reference ("#12" or a unique name prefix)
// among the clients the sender may see.
func (r *Request) Client(ctx context.Context, ref string) (c *crm.Client, err error) {
	defer func() {
		if c != nil {
			crm.TouchClient(ctx, c.ID)
		}
	}()
	return r.ResolveClient(ctx, ref)
}

// ResolveClient is client without the trail.
func (r *Request) ResolveClient(ctx context.Context, ref string) (*crm.Client, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, crm.Errorf(crm.EINVALID, "error.client_missing")
	}
	if strings.HasPrefix(ref, "#") {
		id, err := strconv.ParseUint(ref[1:], 10, 64)
		if err == nil {
			c, err := r.dir.Client(ctx, id)
			if err == nil && r.SeesOwner(c.OwnerID) {
				return c, nil
			}
		}
		return nil, crm.Errorf(crm.ENOTFOUND, "error.client_not_found", "ref", ref)
	}
	norm := crm.NormalizeName(ref)
	if norm == "" {
		return nil, crm.Errorf(crm.ENOTFOUND, "error.client_not_found", "ref", ref)
	}
	found, err := r.dir.FindClients(ctx, ref, 0)
	if err != nil {
		return nil, err
	}
	var visible []*crm.Client
	for _, c := range found {
		if r.SeesOwner(c.OwnerID) {
			if crm.NormalizeName(c.Name) == norm {
				return c, nil // an exact name wins over longer names it prefixes
			}
			visible = append(visible, c)
		}
	}
	return OneOf(ref, visible, crm.Errorf(crm.ENOTFOUND, "error.client_not_found", "ref", ref), func(c *crm.Client) Choice {
		label := c.Name
		if c.City != "" {
			label += " (" + c.City + ")"
		}
		return Choice{Label: label, Ref: "#" + strconv.FormatUint(c.ID, 10)}
	})
}

// ChangeableClient resolves a client the sender may change, with the actor
// to record.
func (r *Request) ChangeableClient(ctx context.Context, ref string) (*crm.Client, crm.Actor, error) {
	c, err := r.Client(ctx, ref)
	if err != nil {
		return nil, crm.Actor{}, err
	}
	a := r.RightsOver(c.OwnerID)
	if a == nil {
		return nil, crm.Actor{}, crm.Errorf(crm.EFORBIDDEN, "error.client_forbidden", "name", c.Name)
	}
	return c, *a, nil
}

// ResolvePerson resolves "@Name" (a unique prefix of an appointed name),
// "@#id", or an identity such as "telegram:123".
func (r *Request) ResolvePerson(ref string) (*crm.Person, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, crm.Errorf(crm.EINVALID, "error.person_missing")
	}
	if strings.Contains(ref, ":") && !strings.HasPrefix(ref, "@") {
		for _, p := range r.People {
			if p.HasIdentity(ref) {
				return p, nil
			}
		}
		return nil, crm.Errorf(crm.ENOTFOUND, "error.person_not_found", "ref", ref)
	}
	name := strings.TrimPrefix(ref, "@")
	if strings.HasPrefix(name, "#") {
		if id, err := strconv.ParseUint(name[1:], 10, 64); err == nil && r.People[id] != nil {
			return r.People[id], nil
		}
		return nil, crm.Errorf(crm.ENOTFOUND, "error.person_not_found", "ref", ref)
	}
	norm := crm.NormalizeName(name)
	// A reference is never guessed: one exact name wins over the longer
	// names it prefixes, but two people of the same name (or of names
	// the reference prefixes alike) are a choice, whatever the order the
	// people come in.
	var exact, matches []*crm.Person
	for _, p := range r.People {
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
	return OneOf(ref, matches, crm.Errorf(crm.ENOTFOUND, "error.person_not_found", "ref", ref), func(p *crm.Person) Choice {
		return Choice{Label: r.PersonLabel(p), Ref: "@#" + strconv.FormatUint(p.ID, 10)}
	})
}

// PersonLabel tells a person apart from others of a similar name in a
// choice: name, role, whom they report to and their first identity.
func (r *Request) PersonLabel(p *crm.Person) string {
	parts := []string{r.T("role." + string(p.Role))}
	if p.ReportsTo != 0 {
		parts = append(parts, r.T("person.label_reports", "name", r.PersonName(p.ReportsTo)))
	}
	if p.Dismissed {
		parts = append(parts, r.T("person.label_dismissed"))
	}
	if len(p.Identities) > 0 {
		parts = append(parts, p.Identities[0])
	}
	return p.Name + " (" + strings.Join(parts, ", ") + ")"
}

// Date reads a typed date in the sender's time zone.
func (r *Request) Date(s string) (time.Time, bool) { return dates.Parse(s, r.Now, r.TZ) }

// DateFrom reads the end of a range that starts on start: a weekday
// counts from the start.
func (r *Request) DateFrom(s string, start time.Time) (time.Time, bool) {
	return dates.ParseFrom(s, start, r.Now, r.TZ)
}

// Today is midnight of the sender's current day.
func (r *Request) Today() time.Time { return dates.Day(r.Now, r.TZ) }

// FmtDate writes a date in the sender's language and time zone.
func (r *Request) FmtDate(t time.Time) string { return dates.Format(t.In(r.TZ), r.Lang) }

// FmtTime writes a date and time in the sender's language and time zone.
func (r *Request) FmtTime(t time.Time) string { return dates.FormatTime(t.In(r.TZ), r.Lang) }

// FmtDue writes a task's due day, with its time when it rings at one
// ("" for no task).
func (r *Request) FmtDue(t *crm.Task) string {
	if t == nil {
		return ""
	}
	if !t.At.IsZero() {
		return r.FmtTime(t.At)
	}
	return r.FmtDate(t.Due)
}

// Ago says how long ago t was, in days.
func (r *Request) Ago(t time.Time) string {
	days := int(r.Today().Sub(dates.Day(t, r.TZ)).Hours()+12) / 24
	switch {
	case days <= 0:
		return r.T("time.today")
	case days == 1:
		return r.T("time.yesterday")
	}
	return r.T("time.days_ago", "count", days)
}

// IDRef formats a short record id: "T-3".
func IDRef(prefix string, id uint64) string { return prefix + "-" + strconv.FormatUint(id, 10) }

// ParseRef reads "T-3", "t3" or "3" with the given prefix.
func ParseRef(prefix, s string) (uint64, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "#")
	s = strings.TrimPrefix(s, prefix)
	s = strings.TrimPrefix(s, "-")
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n > 0
}

// ClientRef is the exact reference to a client for buttons.
func ClientRef(c *crm.Client) string { return "#" + strconv.FormatUint(c.ID, 10) }

// Rank orders roles: a head above a supervisor above a manager; 0 for
// no role.
func Rank(r crm.Role) int {
	switch r {
	case crm.RoleHead:
		return 3
	case crm.RoleSupervisor:
		return 2
	case crm.RoleManager:
		return 1
	}
	return 0
}
