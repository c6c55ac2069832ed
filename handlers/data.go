package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/csvio"
	"accountbot/handlers/core"
)

// DataStore is what import, export and erasure need beyond the other
// ports.
type DataStore interface {
	// UpsertClients creates or updates the clients names (matched by
	// normalised name) in batches of a few hundred, one transaction each.
	// For row i, merge gets the existing client (nil for none) and returns
	// the client to store and who changes it; it may be re-run and must
	// not call the store; its error rejects that row alone. The results
	// are in the order of names; a store error stops the import, and the
	// batches committed before it stay written.
	UpsertClients(ctx context.Context, at time.Time, names []string, merge crm.ClientMerge) ([]crm.UpsertResult, error)
	// EraseClient removes the client and every record about it (every
	// kind, derived copies included), counts one more erased client, and
	// compacts the files so that none of it can be read back. Other
	// writes wait while it runs.
	EraseClient(ctx context.Context, id uint64) (*crm.Erasure, error)
	// ErasedClients returns how many clients were erased.
	ErasedClients(ctx context.Context) (uint64, error)
}

// dataHooks are the extension points of export: other record kinds add
// their table to /export and their records to /client export here, from
// their own register function.
type dataHooks struct {
	exports  []exportKind
	sections []clientSection
}

// exportKind is one table that "/export KIND" sends as CSV.
type exportKind struct {
	name string // "clients"
	// aliases are the other forms of "words.export.NAME" ("клиенти").
	aliases []string
	// write writes the header, then the rows the sender may see.
	write func(ctx context.Context, r *request, w *csvio.Writer) error
}

// clientSection is one kind of record in "/client export NAME": collect
// returns everything of that kind about the client (JSON-encodable), or
// nil when there is none.
type clientSection struct {
	name    string // "claims"
	collect func(ctx context.Context, r *request, c *crm.Client) (any, error)
}

// addExport makes "/export NAME" send a CSV written by write (deals,
// claims… call it from their register function).
func (s *Service) addExport(name string, write func(ctx context.Context, r *request, w *csvio.Writer) error) {
	s.data.exports = append(s.data.exports, exportKind{name: name, aliases: s.words("export." + name), write: write})
}

// addClientSection adds a kind of record to "/client export NAME". The
// store's erasure hook list (store/erase.go clientErasers) must erase the
// same records on "/client forget".
func (s *Service) addClientSection(name string, collect func(ctx context.Context, r *request, c *crm.Client) (any, error)) {
	s.data.sections = append(s.data.sections, clientSection{name: name, collect: collect})
}

// registerData adds import, export and erasure.
func (s *Service) registerData() {
	defer s.inFamily("data")()
	s.add(&spec{name: "export", minRole: crm.RoleManager, run: s.exportCmd})
	s.add(&spec{name: "import", minRole: crm.RoleManager, run: s.importCmd, direct: true})
	s.addClientSub("export", s.clientExportSub)
	s.addClientSub("forget", s.clientForgetSub)
	// Clients come first in /export; the other kinds follow in the order
	// their families registered them.
	clients := exportKind{name: "clients", aliases: s.words("export.clients"), write: s.writeClientsCSV}
	s.data.exports = append([]exportKind{clients}, s.data.exports...)
}

// exportCmd: "/export clients|deals|claims".
func (s *Service) exportCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	var names []string
	for _, k := range s.data.exports {
		names = append(names, k.name)
	}
	usage := crm.Errorf(crm.EINVALID, "export.usage", "kinds", strings.Join(names, "|"))
	if len(r.Command.Args) != 1 {
		return usage
	}
	want := strings.ToLower(r.Command.Args[0])
	for _, k := range s.data.exports {
		if k.name != want && !contains(k.aliases, want) {
			continue
		}
		var buf bytes.Buffer
		cw := csvio.NewWriter(&buf, csvio.WithBOM())
		if err := k.write(ctx, r, cw); err != nil {
			return err
		}
		if err := cw.Flush(); err != nil {
			return crm.Internal(err)
		}
		name := fmt.Sprintf("%s-%s.csv", k.name, r.Now.In(r.TZ).Format("2006-01-02"))
		return w.Reply(ctx, bot.Reply{
			Text:    r.T("export.done", "count", cw.Rows(), "file", name),
			File:    &bot.File{Name: name, MIME: "text/csv", Data: buf.Bytes()},
			Private: true,
		})
	}
	return usage
}

// eachVisibleClient calls fn for every client the sender may see in their
// default scope: all clients for a head, the team's for a supervisor, a
// manager's own (and those of whom they stand in for).
func (s *Service) eachVisibleClient(ctx context.Context, r *request, fn func(*crm.Client) error) error {
	if r.DefaultScope() == "all" {
		var ferr error
		err := s.store.EachClient(ctx, func(c *crm.Client) bool {
			ferr = fn(c)
			return ferr == nil
		})
		if err != nil {
			return err
		}
		return ferr
	}
	owners, err := r.VisibleOwners(r.DefaultScope())
	if err != nil {
		return err
	}
	cs, err := s.store.ClientsByOwner(ctx, owners)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// writeClientsCSV writes the client CSV (CONTRACT.md): the known columns,
// then every custom field in use, streaming the clients as they are read
// rather than holding them all. Everyone's export takes the custom fields
// from the store's maintained list, reading each client once; a smaller
// scope reads its clients twice (once for the fields its clients use).
func (s *Service) writeClientsCSV(ctx context.Context, r *request, w *csvio.Writer) error {
	var keys []string
	if r.DefaultScope() == "all" {
		var err error
		if keys, err = s.store.CustomFields(ctx); err != nil {
			return err
		}
	} else {
		custom := map[string]bool{}
		if err := s.eachVisibleClient(ctx, r, func(c *crm.Client) error {
			for k := range c.Custom {
				custom[k] = true
			}
			return nil
		}); err != nil {
			return err
		}
		for k := range custom {
			keys = append(keys, k)
		}
	}
	header := csvio.ClientHeader(keys)
	if err := w.Write(header); err != nil {
		return crm.Internal(err)
	}
	owners := core.OwnerRefs(r.Request)
	return s.eachVisibleClient(ctx, r, func(c *crm.Client) error {
		if err := w.Write(csvio.ClientRecord(c, owners[c.OwnerID], header)); err != nil {
			return crm.Internal(err)
		}
		return nil
	})
}

// ExportClients writes, for the export sub-command, the clients that the
// person with identity (console:admin) may see as CSV to out, and returns
// how many rows it wrote.
func (s *Service) ExportClients(ctx context.Context, identity string, out io.Writer) (int, error) {
	r, err := s.requestFor(ctx, identity)
	if err != nil {
		return 0, err
	}
	cw := csvio.NewWriter(out)
	if err := s.writeClientsCSV(ctx, r, cw); err != nil {
		return 0, s.plainError(r, err)
	}
	return cw.Rows(), cw.Flush()
}

// requestFor builds a request for a sub-command acting as identity, which
// must be a known person or a configured head (registered on first use,
// as when they first write to the bot).
func (s *Service) requestFor(ctx context.Context, identity string) (*request, error) {
	m := &bot.Message{Platform: bot.Console, ChatID: "sub-command", Identity: identity, Private: true, Lang: s.cfg.Lang}
	p, err := s.store.PersonByIdentity(ctx, identity)
	if err != nil && !crm.IsNotFound(err) {
		return nil, err
	}
	if p == nil && s.isConfiguredHead(identity) {
		if p, err = s.bootstrapHead(ctx, m); err != nil {
			return nil, err
		}
	}
	if !p.Active() {
		return nil, fmt.Errorf("%s is not a person of this bot", identity)
	}
	if p.Lang != "" {
		m.Lang = p.Lang
	}
	m.Person = p
	return s.newRequest(ctx, m)
}

// importCmd: "/import" with a CSV file attached (a bare file does the same).
func (s *Service) importCmd(ctx context.Context, w bot.ReplyWriter, r *request) error {
	if len(r.Attachments) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("import.usage", "columns", strings.Join(csvio.ClientColumns, ", "))})
	}
	return s.importAttachments(ctx, w, r)
}

// importAttachments imports each file of the message in turn.
func (s *Service) importAttachments(ctx context.Context, w bot.ReplyWriter, r *request) error {
	for _, a := range r.Attachments {
		if err := s.importAttachment(ctx, w, r, a); err != nil {
			return err
		}
	}
	return nil
}

// attachments handles a message that brings files but no command: a CSV
// file is a client import; any other file waits to be attached to a
// client (the capture family).
func (s *Service) attachments(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.newRequest(ctx, m)
	if err != nil {
		return err
	}
	if !isImport(m.Attachments[0]) {
		return s.capture.Files(ctx, w, m)
	}
	if !r.HasRole(crm.RoleManager) {
		return crm.Errorf(crm.EFORBIDDEN, "error.forbidden_command", "command", "/import")
	}
	return s.importAttachments(ctx, w, r)
}

// progressEvery is how often the progress message changes, at most.
const progressEvery = 2 * time.Second

// progressAbove is the file size from which the import shows progress.
const progressAbove = 256 << 10

// maxRejectedShown rejected rows are listed in the reply; all of them are
// in the attached file.
const maxRejectedShown = 20

// importAttachment imports a CSV file sent in chat. Rows are imported as
// far as the sender has rights: a head's anywhere, a supervisor's for the
// team, a manager's for their own clients.
func (s *Service) importAttachment(ctx context.Context, w bot.ReplyWriter, r *request, a bot.Attachment) error {
	name := path.Base(strings.ReplaceAll(a.Name, "\\", "/"))
	if ext := strings.ToLower(path.Ext(name)); ext != ".csv" && ext != ".txt" && !strings.Contains(a.MIME, "csv") {
		return crm.Errorf(crm.EINVALID, "import.not_csv", "file", name)
	}
	if a.Size > csvio.DefaultMaxBytes {
		return crm.Errorf(crm.EINVALID, "import.file.too_large", "max", csvio.DefaultMaxBytes>>20)
	}
	if a.Open == nil {
		return crm.Internal(fmt.Errorf("attachment %q cannot be opened", a.Name))
	}
	data, err := a.Open(ctx)
	if errors.Is(err, bot.ErrAttachmentTooLarge) {
		return crm.Errorf(crm.EINVALID, "import.file.too_large", "max", csvio.DefaultMaxBytes>>20)
	}
	if err != nil {
		s.log.Warn("attachment not fetched", "file", name, "err", err)
		return crm.Errorf(crm.EINVALID, "import.fetch_failed", "file", name)
	}
	if len(data) > csvio.DefaultMaxBytes {
		return crm.Errorf(crm.EINVALID, "import.file.too_large", "max", csvio.DefaultMaxBytes>>20)
	}
	var progress importProgress
	ed, canEdit := w.(bot.MessageEditor)
	var ref string
	if canEdit && len(data) > progressAbove {
		ref, _ = ed.SendEditable(ctx, bot.Reply{Text: r.T("import.progress", "file", name, "percent", 0, "rows", 0)})
		last := s.clock.Now()
		progress = func(done int64, rows int) {
			if now := s.clock.Now(); ref != "" && now.Sub(last) >= progressEvery {
				last = now
				pct := int(done * 100 / int64(len(data)))
				_ = ed.EditMessage(ctx, ref, bot.Reply{Text: r.T("import.progress", "file", name, "percent", pct, "rows", rows)})
			}
		}
	}
	rep, err := s.importClients(ctx, r, bytes.NewReader(data), progress)
	if ref != "" {
		text := r.T("import.progress_done", "file", name)
		if err != nil {
			text = r.T("import.progress_failed", "file", name)
		}
		_ = ed.EditMessage(ctx, ref, bot.Reply{Text: text})
	}
	if err != nil {
		return err
	}
	return w.Reply(ctx, importReply(r, name, rep))
}

// importReply is the outcome of an import: the counts, the first rejected
// rows, and all of them in a CSV file.
func importReply(r *request, name string, rep *ImportReport) bot.Reply {
	lines := []string{rep.summary(r)}
	for i, x := range rep.Rejected {
		if i == maxRejectedShown {
			lines = append(lines, r.T("import.more_rejected", "count", rep.RejectedCount-maxRejectedShown))
			break
		}
		lines = append(lines, rejectedLine(r, x))
	}
	reply := bot.Reply{Title: r.T("import.title", "file", name), Text: strings.Join(lines, "\n")}
	if rep.RejectedCount > 0 {
		var buf bytes.Buffer
		cw := csvio.NewWriter(&buf, csvio.WithBOM())
		cw.Write([]string{"line", "name", "reason"})
		for _, x := range rep.Rejected {
			cw.Write([]string{strconv.Itoa(x.Line), x.Name, x.Reason})
		}
		if rep.RejectedCount > len(rep.Rejected) {
			cw.Write([]string{"", "", r.T("import.more_rejected", "count", rep.RejectedCount-len(rep.Rejected))})
		}
		cw.Flush()
		reply.File = &bot.File{Name: strings.TrimSuffix(name, path.Ext(name)) + "-rejected.csv", MIME: "text/csv", Data: buf.Bytes()}
	}
	return reply
}

func rejectedLine(r *request, x RejectedRow) string {
	if x.Name != "" {
		return r.T("import.rejected_named", "line", x.Line, "name", x.Name, "reason", x.Reason)
	}
	return r.T("import.rejected", "line", x.Line, "reason", x.Reason)
}

// RejectedLine words one rejected row for the import sub-command.
func (s *Service) RejectedLine(identity string, x RejectedRow) string {
	r := &request{Request: core.Words(s.cat.For(s.cfg.Lang)), svc: s}
	if p, err := s.store.PersonByIdentity(context.Background(), identity); err == nil && p.Lang != "" {
		r.Loc = s.cat.For(p.Lang)
	}
	return rejectedLine(r, x)
}

// clientDoc is everything stored about one client (GDPR Art. 15 and 20).
type clientDoc struct {
	ExportedAt    time.Time           `json:"exported_at"`
	Client        *crm.Client         `json:"client"`
	Owner         string              `json:"owner"`
	Conversations []*crm.Conversation `json:"conversations"`
	Tasks         []*crm.Task         `json:"tasks"`
	History       []crm.Change        `json:"history"`
	// People names the people the records refer to by id.
	People map[string]string `json:"people"`
	// More holds the records other kinds add (claims, deals…).
	More map[string]any `json:"more,omitempty"`
}

// clientExportSub: "/client export NAME" sends everything stored about the
// client as a JSON file.
func (s *Service) clientExportSub(ctx context.Context, w bot.ReplyWriter, r *request, args []string) error {
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "client.export_usage")
	}
	c, err := r.Client(ctx, strings.Join(args, " "))
	if err != nil {
		return err
	}
	doc := clientDoc{ExportedAt: r.Now, Client: c, Owner: r.PersonName(c.OwnerID), People: map[string]string{}}
	if doc.Conversations, err = s.store.Conversations(ctx, c.ID, 0); err != nil {
		return err
	}
	if doc.Tasks, err = s.store.ClientTasks(ctx, c.ID, false); err != nil {
		return err
	}
	if doc.History, err = s.store.History(ctx, "client", c.ID); err != nil {
		return err
	}
	ids := []uint64{c.OwnerID}
	for _, v := range doc.Conversations {
		ids = append(ids, v.AuthorID, v.OnBehalfOf)
	}
	for _, t := range doc.Tasks {
		ids = append(ids, t.AssigneeID, t.CreatedBy)
	}
	for _, h := range doc.History {
		ids = append(ids, h.By, h.OnBehalfOf)
	}
	for _, id := range ids {
		if p := r.People[id]; p != nil {
			doc.People[strconv.FormatUint(id, 10)] = p.Name
		}
	}
	for _, sec := range s.data.sections {
		v, err := sec.collect(ctx, r, c)
		if err != nil {
			return err
		}
		if v != nil {
			if doc.More == nil {
				doc.More = map[string]any{}
			}
			doc.More[sec.name] = v
		}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return crm.Internal(err)
	}
	return w.Reply(ctx, bot.Reply{
		Text:    r.T("client.export_done", "name", c.Name),
		File:    &bot.File{Name: fmt.Sprintf("client-%d.json", c.ID), MIME: "application/json", Data: b},
		Private: true,
	})
}

// clientForgetSub: "/client forget NAME" asks a head to confirm, then
// erases the client and everything about it for good.
func (s *Service) clientForgetSub(ctx context.Context, w bot.ReplyWriter, r *request, args []string) error {
	if r.Me.Role != crm.RoleHead {
		return crm.Errorf(crm.EFORBIDDEN, "client.forget_forbidden")
	}
	confirm := false
	if n := len(args); n > 0 && r.Is(args[n-1], "client.forget.confirm") {
		confirm, args = true, args[:n-1]
	}
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "client.forget_usage")
	}
	c, err := r.Client(ctx, strings.Join(args, " "))
	if err != nil {
		return err
	}
	ref := core.ClientRef(c)
	if !confirm {
		return w.Reply(ctx, bot.Reply{
			Text: r.T("client.forget_confirm", "name", c.Name),
			Buttons: [][]bot.Button{{
				{Label: r.T("forget.button"), Data: "/client forget " + ref + " confirm"},
				{Label: r.T("forget.cancel"), Data: "/client " + ref},
			}},
		})
	}
	er, err := s.store.EraseClient(ctx, c.ID)
	if err != nil {
		return err
	}
	total, err := s.store.ErasedClients(ctx)
	if err != nil {
		return err
	}
	// The log keeps the fact, never the name.
	s.log.Info("client erased", "client", c.ID, "by", r.Me.ID)
	var parts []string
	kinds := make([]string, 0, len(er.Counts))
	for k := range er.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		label := k // a kind another file added, until it has words
		if s.cat.Has(r.Loc.Lang(), "erase.kind."+k) {
			label = r.T("erase.kind." + k)
		}
		parts = append(parts, fmt.Sprintf("%s: %d", label, er.Counts[k]))
	}
	what := strings.Join(parts, ", ")
	if what == "" {
		what = r.T("erase.nothing_else")
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("client.forgotten", "name", c.Name, "what", what, "total", total), Edit: r.Button})
}

// isImport reports whether a file sent without a command is a client
// import (a CSV file); anything else waits to be attached.
func isImport(a bot.Attachment) bool {
	if a.Kind != "" && a.Kind != bot.KindDocument {
		return false
	}
	ext := strings.ToLower(path.Ext(a.Name))
	return ext == ".csv" || ext == ".txt" || strings.Contains(a.MIME, "csv")
}
