// Package people is the team family: who works with the bot and in what
// role, and who stands in for whom. /team shows the people, roles and who
// reports to whom; /invite makes a one-time code that "/start CODE" from a
// new account accepts; /appoint adds a person or changes their role;
// /dismiss ends a person's access and /handover moves their clients; and
// /delegate, /delegations and /delegation name, list and end the stand-ins
// who hold an absent person's rights for a time. Its words are in
// i18n/locales/{en,bg}/people.toml; its data goes through Store.
//
// Who sends a message, and what their role and stand-ins let them do,
// stays the service's (handlers: identify, and core.Request's rights
// helpers): this family only changes the people and delegations those
// read. It registers itself with Register and meets other families only
// through the hooks of handlers/core: a handover moves each client the way
// the clients family does (core.Kit.Reassign).
package people

import (
	"context"
	"sort"
	"strings"
	"time"

	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// Store is the team family's port: its own writes of people, invitations
// and delegations (PeopleStore), the team and the delegations as a request
// reads them (core.Directory), and the few reads of clients and tasks that
// /team, /dismiss and /handover need (14 methods).
type Store interface {
	PeopleStore
	core.Directory
	// ClientsByOwner returns the clients of owners, owner by owner in the
	// order given and by name within an owner.
	ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error)
	// CountClients returns how many clients each owner has (owners with
	// none are left out).
	CountClients(ctx context.Context) (map[uint64]int, error)
	// OpenTasks returns the open tasks of the assignees due before
	// before, assignee by assignee in the order given and soonest first
	// within one.
	OpenTasks(ctx context.Context, assignees []uint64, before time.Time) ([]*crm.Task, error)
	// UpdateTask applies fn (which may be re-run) to the task with id and
	// stores it; when it is the client's current next step, the client's
	// next step follows it.
	UpdateTask(ctx context.Context, id uint64, fn func(*crm.Task) error) (*crm.Task, error)
}

// PeopleStore keeps the team: people, the invitation codes that register
// new ones, and delegations (one per absence). It follows the rules every
// port shares (handlers/service.go): a missing record is crm.ErrNotFound,
// a write refused because of what is stored is a crm.ECONFLICT error, an
// Update's fn may be re-run.
type PeopleStore interface {
	// PersonByIdentity returns the person holding identity (for example
	// "telegram:42"), dismissed or not, or crm.ErrNotFound.
	PersonByIdentity(ctx context.Context, identity string) (*crm.Person, error)
	// CreatePerson stores p, giving it its id; an identity someone holds,
	// or the name of another active person, is a crm.ECONFLICT error (the
	// name's has the key "person.name_taken": core.NameTaken).
	CreatePerson(ctx context.Context, p *crm.Person) error
	// UpdatePerson applies fn (which may be re-run) to the person with id
	// and stores the result, keeping the identity index in step; it
	// returns the stored person.
	UpdatePerson(ctx context.Context, id uint64, fn func(*crm.Person) error) (*crm.Person, error)
	// CreateInvitation stores inv under its code, until inv.ExpiresAt.
	CreateInvitation(ctx context.Context, inv *crm.Invitation) error
	// AcceptInvitation stores p (giving it its id) with the role,
	// supervisor and inviter of the invitation code, and uses the code
	// up, in one transaction: a code works once, only before it expires
	// (at now), and not after a dismissal voids it (crm.Invitation.VoidedBy:
	// one the dismissed person made or would report to, or made before
	// someone's dismissal). An unknown, used, expired or voided code is a
	// crm.ENOTFOUND error with the key "start.bad_code"; a taken name or
	// identity is a crm.ECONFLICT error as with CreatePerson.
	AcceptInvitation(ctx context.Context, code string, now time.Time, p *crm.Person) error
	// SaveDelegation creates d (ID 0: it gets its id) or replaces the
	// delegation with d's id.
	SaveDelegation(ctx context.Context, d *crm.Delegation) error
}

// service answers the team family's commands.
type service struct {
	kit   *core.Kit
	store Store
	// inviteTTL is how long an invitation code works.
	inviteTTL time.Duration
	// roles map typed role names ("търговец") to roles.
	roles map[string]string
}

// Register adds /team, /invite, /appoint, /dismiss and /handover, the
// stand-in commands /delegate, /delegations and /delegation, and "/start
// CODE" from a new account, to the service behind reg; invitation codes
// work for inviteTTL.
func Register(reg core.Registry, st Store, inviteTTL time.Duration) {
	s := &service{kit: reg.Kit(), store: st, inviteTTL: inviteTTL, roles: core.LoadWords(reg, "people", roleWords)}
	defer reg.Family("team")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "team", Run: s.teamCmd},
		&core.Spec{Name: "invite", MinRole: crm.RoleSupervisor, Run: s.inviteCmd},
		&core.Spec{Name: "appoint", MinRole: crm.RoleHead, Run: s.appointCmd}, &core.Spec{Name: "dismiss", MinRole: crm.RoleHead, Run: s.dismissCmd},
		&core.Spec{Name: "handover", MinRole: crm.RoleSupervisor, Run: s.handoverCmd},
		&core.Spec{Name: "delegate", Run: s.delegateCmd}, &core.Spec{Name: "delegations", Run: s.delegationsCmd}, &core.Spec{Name: "delegation", Run: s.delegationCmd})
	// /start itself (the greeting) is the service's; with a code from an
	// identity nobody holds yet it accepts an invitation made here.
	reg.AddStranger("start", s.startWithCode)
}

// roleWords maps every typed form of a role ("words.role.NAME") to the
// role; missing are the entries some language lacks.
func roleWords(cat *i18n.Catalog) (map[string]string, []string) {
	return core.Vocab(cat, "role", string(crm.RoleHead), string(crm.RoleSupervisor), string(crm.RoleManager))
}

// role reads a role typed in any language ("търговец", "Manager").
func (s *service) role(w string) (crm.Role, bool) {
	r, ok := s.roles[strings.ToLower(strings.TrimSpace(w))]
	return crm.Role(r), ok
}

// sortedPeople is everyone on r's team, heads first, then supervisors,
// then managers, by name within a role.
func sortedPeople(r *core.Request) []*crm.Person {
	out := make([]*crm.Person, 0, len(r.People))
	for _, p := range r.People {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if core.Rank(out[i].Role) != core.Rank(out[j].Role) {
			return core.Rank(out[i].Role) > core.Rank(out[j].Role)
		}
		return out[i].Name < out[j].Name
	})
	return out
}
