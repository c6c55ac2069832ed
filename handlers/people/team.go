package people

import (
	"context"
	"strconv"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// startWithCode answers "/start CODE" from an identity nobody holds: it
// registers the sender with the invitation's role. Without a code it
// leaves the message to the refusal every stranger gets.
func (s *service) startWithCode(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error) {
	if len(m.Command.Args) == 0 {
		return false, nil
	}
	return true, s.acceptInvitation(ctx, w, m, m.Command.Args[0])
}

// acceptInvitation registers the sender of m with the invitation code.
func (s *service) acceptInvitation(ctx context.Context, w bot.ReplyWriter, m *bot.Message, code string) error {
	loc := s.kit.Catalog.For(m.Lang)
	name := m.DisplayName
	if name == "" {
		_, name, _ = strings.Cut(m.Identity, ":")
	}
	p := &crm.Person{Name: name, Identities: []string{m.Identity}, CreatedAt: s.kit.Clock.Now()}
	if l := i18n.Lang(m.LangHint); l != "" {
		p.Lang = l
	}
	err := s.store.AcceptInvitation(ctx, strings.ToUpper(strings.TrimSpace(code)), s.kit.Clock.Now(), p)
	if core.NameTaken(err) {
		// Invitees choose their own display name: one already taken is
		// told apart by the identity, so nobody passes for someone else.
		p.Name = name + " (" + m.Identity + ")"
		err = s.store.AcceptInvitation(ctx, strings.ToUpper(strings.TrimSpace(code)), s.kit.Clock.Now(), p)
	}
	if err != nil {
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return w.Reply(ctx, bot.Reply{Text: loc.T("start.bad_code") + "\n" + loc.T("auth.unknown", "identity", m.Identity)})
		}
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: loc.T("start.registered", "name", p.Name, "role", loc.T("role."+string(p.Role))),
		Buttons: [][]bot.Button{{{Label: loc.T("button.help"), Data: "/help"}}}, Home: s.kit.Home(loc, m.Lang, p)})
}

// inviteCmd: "/invite manager|supervisor".
func (s *service) inviteCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Command.Args) != 1 {
		return crm.Errorf(crm.EINVALID, "invite.usage")
	}
	role, ok := s.role(r.Command.Args[0])
	if !ok || role == crm.RoleHead {
		return crm.Errorf(crm.EINVALID, "invite.usage")
	}
	// A head invites supervisors and managers; a supervisor invites
	// managers into their own team.
	if r.Me.Role != crm.RoleHead && (r.Me.Role != crm.RoleSupervisor || role != crm.RoleManager) {
		return crm.Errorf(crm.EFORBIDDEN, "invite.forbidden")
	}
	inv := &crm.Invitation{Code: core.NewCode(), Role: role, CreatedBy: r.Me.ID, CreatedAt: r.Now, ExpiresAt: r.Now.Add(s.inviteTTL)}
	if r.Me.Role == crm.RoleSupervisor {
		inv.ReportsTo = r.Me.ID
	}
	if err := s.store.CreateInvitation(ctx, inv); err != nil {
		return err
	}
	text := r.T("invite.created", "code", inv.Code, "role", r.T("role."+string(role)), "date", r.FmtDate(inv.ExpiresAt))
	if r.InviteLink != "" {
		text += "\n" + r.T("invite.link", "link", strings.Replace(r.InviteLink, "%s", inv.Code, 1))
	}
	return w.Reply(ctx, bot.Reply{Text: text})
}

// appointCmd: "/appoint IDENTITY ROLE [NAME] [reports=@person]".
func (s *service) appointCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if r.Me.Role != crm.RoleHead {
		return crm.Errorf(crm.EFORBIDDEN, "appoint.forbidden")
	}
	kv := core.SplitKV(r.Command.Args, s.kit.KeyWord)
	if len(kv.Plain) < 2 || !strings.Contains(kv.Plain[0], ":") {
		return crm.Errorf(crm.EINVALID, "appoint.usage")
	}
	identity := strings.ToLower(kv.Plain[0])
	if !validIdentity(identity) {
		return crm.Errorf(crm.EINVALID, "appoint.bad_identity", "identity", kv.Plain[0])
	}
	if p, _, ok := strings.Cut(identity, ":"); ok && p == "slack" {
		// Slack user ids are upper case.
		identity = "slack:" + strings.ToUpper(kv.Plain[0][6:])
	}
	role, ok := s.role(kv.Plain[1])
	if !ok {
		return crm.Errorf(crm.EINVALID, "appoint.usage")
	}
	name := strings.Join(kv.Plain[2:], " ")
	if name == "" {
		_, name, _ = strings.Cut(identity, ":")
	}
	var reportsTo uint64
	if rep, ok := kv.KV["reports"]; ok {
		sup, err := r.ResolvePerson(rep)
		if err != nil {
			return err
		}
		reportsTo = sup.ID
	}
	existing, err := s.store.PersonByIdentity(ctx, identity)
	if err != nil && !crm.IsNotFound(err) {
		return err
	}
	if existing != nil {
		p, err := s.store.UpdatePerson(ctx, existing.ID, func(p *crm.Person) error {
			p.Role, p.Dismissed = role, false
			if len(kv.Plain) > 2 {
				p.Name = name
			}
			if _, ok := kv.KV["reports"]; ok {
				p.ReportsTo = reportsTo
			}
			return nil
		})
		if err != nil {
			return err
		}
		return w.Reply(ctx, bot.Reply{Text: r.T("appoint.updated", "name", p.Name, "role", r.T("role."+string(role)))})
	}
	p := &crm.Person{Name: name, Role: role, Identities: []string{identity}, ReportsTo: reportsTo, CreatedAt: r.Now, CreatedBy: r.Me.ID}
	if err := s.store.CreatePerson(ctx, p); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("appoint.done", "name", p.Name, "identity", identity, "role", r.T("role."+string(role)))})
}

func validIdentity(id string) bool {
	p, rest, ok := strings.Cut(id, ":")
	if !ok || rest == "" || len(rest) > 64 {
		return false
	}
	switch p {
	case bot.Console, bot.Telegram, bot.Slack:
	default:
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// dismissCmd: "/dismiss @person". Access ends at once; clients stay and
// are listed for handover.
func (s *service) dismissCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if r.Me.Role != crm.RoleHead {
		return crm.Errorf(crm.EFORBIDDEN, "dismiss.forbidden")
	}
	if len(r.Command.Args) != 1 {
		return crm.Errorf(crm.EINVALID, "dismiss.usage")
	}
	p, err := r.ResolvePerson(r.Command.Args[0])
	if err != nil {
		return err
	}
	if p.ID == r.Me.ID {
		return crm.Errorf(crm.EINVALID, "dismiss.self")
	}
	if p.Dismissed {
		return crm.Errorf(crm.EINVALID, "person.dismissed", "name", p.Name)
	}
	if _, err := s.store.UpdatePerson(ctx, p.ID, func(p *crm.Person) error { p.Dismissed, p.DismissedAt = true, r.Now; return nil }); err != nil {
		return err
	}
	clients, err := s.store.ClientsByOwner(ctx, []uint64{p.ID})
	if err != nil {
		return err
	}
	rep := bot.Reply{Text: r.T("dismiss.done", "name", p.Name, "count", len(clients))}
	if len(clients) > 0 {
		var names []string
		for i, c := range clients {
			if i == 10 {
				names = append(names, r.T("list.more", "count", len(clients)-10))
				break
			}
			names = append(names, "• "+c.Name)
		}
		rep.Text += "\n" + strings.Join(names, "\n")
		var row []bot.Button
		for _, q := range sortedPeople(r) {
			if q.Active() && q.ID != p.ID && q.Role != crm.RoleHead && len(row) < 4 {
				row = append(row, bot.Button{Label: "→ " + q.Name, Data: "/handover @#" + strconv.FormatUint(p.ID, 10) + " @#" + strconv.FormatUint(q.ID, 10)})
			}
		}
		if len(row) > 0 {
			rep.Buttons = [][]bot.Button{row}
		}
	}
	return w.Reply(ctx, rep)
}

// handoverCmd: "/handover @from @to" moves every client of one person.
func (s *service) handoverCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Command.Args) != 2 {
		return crm.Errorf(crm.EINVALID, "handover.usage")
	}
	from, err := r.ResolvePerson(r.Command.Args[0])
	if err != nil {
		return err
	}
	to, err := r.ResolvePerson(r.Command.Args[1])
	if err != nil {
		return err
	}
	actor := r.RightsOver(from.ID)
	if actor == nil || r.RightsOver(to.ID) == nil {
		return crm.Errorf(crm.EFORBIDDEN, "handover.forbidden")
	}
	if from.ID == to.ID {
		return crm.Errorf(crm.EINVALID, "handover.usage")
	}
	if err := r.MayHandTo(*actor, to); err != nil {
		return err
	}
	clients, err := s.store.ClientsByOwner(ctx, []uint64{from.ID})
	if err != nil {
		return err
	}
	for _, c := range clients {
		if err := s.kit.Reassign(ctx, r, c, to, *actor); err != nil {
			return err
		}
	}
	// Open tasks not tied to a client move too, so nothing is orphaned.
	tasks, err := s.store.OpenTasks(ctx, []uint64{from.ID}, r.Now.AddDate(100, 0, 0))
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if _, err := s.store.UpdateTask(ctx, t.ID, func(t *crm.Task) error { t.AssigneeID = to.ID; return nil }); err != nil {
			return err
		}
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("handover.done", "count", len(clients), "from", from.Name, "to", to.Name), Edit: r.Button})
}

// teamCmd lists people, roles and who reports to whom.
func (s *service) teamCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	counts, err := s.store.CountClients(ctx)
	if err != nil {
		return err
	}
	var lines []string
	var dismissed []string
	// The answer lists everyone: each role's name and each count's words
	// are translated once, not once per person (translating was most of
	// the cost of a company's /team).
	roles := map[crm.Role]string{}
	role := func(p *crm.Person) string {
		t, ok := roles[p.Role]
		if !ok {
			t = r.T("role." + string(p.Role))
			roles[p.Role] = t
		}
		return t
	}
	numbers := map[int]string{}
	clients := func(p *crm.Person) string {
		n := counts[p.ID]
		t, ok := numbers[n]
		if !ok {
			t = r.T("team.clients", "count", n)
			numbers[n] = t
		}
		return t
	}
	line := func(p *crm.Person, indent string) string {
		l := indent + "• " + p.Name + " — " + role(p) + " · " + clients(p)
		if p.Unreachable {
			l += " · " + r.T("team.unreachable")
		}
		if r.Me.Role == crm.RoleHead {
			l += " · " + strings.Join(p.Identities, ", ")
		}
		return l
	}
	// People are sorted once; each person's reports keep that order.
	people := sortedPeople(r)
	reports := map[uint64][]*crm.Person{}
	for _, q := range people {
		if q.Active() {
			reports[q.ReportsTo] = append(reports[q.ReportsTo], q)
		}
	}
	shown := map[uint64]bool{}
	var walk func(p *crm.Person, indent string)
	walk = func(p *crm.Person, indent string) {
		if shown[p.ID] {
			return
		}
		shown[p.ID] = true
		lines = append(lines, line(p, indent))
		for _, q := range reports[p.ID] {
			walk(q, indent+"   ")
		}
	}
	for _, p := range people {
		if !p.Active() {
			if counts[p.ID] > 0 {
				dismissed = append(dismissed, "• "+p.Name+" · "+clients(p)+" · "+r.T("team.handover_hint", "ref", "@#"+strconv.FormatUint(p.ID, 10)))
			}
			continue
		}
		if p.ReportsTo == 0 || !r.People[p.ReportsTo].Active() {
			walk(p, "")
		}
	}
	text := strings.Join(lines, "\n")
	if len(dismissed) > 0 {
		text += "\n\n" + r.T("team.dismissed_with_clients") + "\n" + strings.Join(dismissed, "\n")
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("team.title"), Text: text})
}
