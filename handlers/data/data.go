// Package data is the data family: /export (the clients CSV first, then
// the tables other families add with core.Registry.AddExport), /import
// and a CSV file sent without a command (Family.ImportFiles), and one
// client's records, "/client export NAME" (everything stored about it as
// JSON, with the records other families add with AddClientRecords) and
// "/client forget NAME" (its erasure, by a head, after a confirmation).
// The console's import and export sub-commands go through the service
// to the same Family. Its words are in i18n/locales/{en,bg}/data.toml;
// its data goes through Store. It registers itself with Register and
// meets other families only through the hooks of handlers/core.
package data

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/csvio"
	"accountbot/handlers/core"
)

// Store is the data family's port: the import's writes and the erasure,
// and the reads of clients, their conversations, tasks and history that
// exports hold (10 methods).
type Store interface {
	DataStore
	core.TaskMover
	// EachClient calls fn with every client, by id, until fn returns
	// false. fn runs inside a read transaction: it must not call the
	// store.
	EachClient(ctx context.Context, fn func(*crm.Client) bool) error
	// ClientsByOwner returns the clients of owners, owner by owner in the
	// order given and by name within an owner.
	ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error)
	// CustomFields returns the names of the custom fields some client
	// has, sorted.
	CustomFields(ctx context.Context) ([]string, error)
	// Conversations returns up to limit (0: all) of the client's
	// conversations, newest first.
	Conversations(ctx context.Context, clientID uint64, limit int) ([]*crm.Conversation, error)
	// History returns the changes of the record kind/id ("client", "deal",
	// "claim", …), oldest first; a record without any is no error.
	History(ctx context.Context, kind string, id uint64) ([]crm.Change, error)
}

// DataStore is what import and erasure write. It follows the rules every
// port shares (handlers/service.go).
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

// Family answers the data commands, and imports and exports clients for
// the service (a bare CSV file, the console's sub-commands).
type Family struct {
	kit   *core.Kit
	store Store
	// hooks are the other families' tables and records, read when a
	// command runs (the families registered later add theirs too).
	hooks *core.ExportHooks
}

// Register adds /export, /import, "/client export" and "/client forget"
// to the service behind reg, and returns the family the service hands
// bare CSV files and the console's import and export.
func Register(reg core.Registry, st Store) *Family {
	f := &Family{kit: reg.Kit(), store: st, hooks: reg.Exports()}
	_, missing := core.Vocab(f.kit.Catalog, "export", "clients")
	core.FailMissing(reg, "data", missing)
	defer reg.Family("data")()
	reg.Add(&core.Spec{Name: "export", MinRole: crm.RoleManager, Run: f.exportCmd})
	reg.Add(&core.Spec{Name: "import", MinRole: crm.RoleManager, Run: f.importCmd, Direct: true})
	reg.AddClientSub("export", f.clientExportSub)
	reg.AddClientSub("forget", f.clientForgetSub)
	return f
}

// exports are the tables of /export: clients first, then the other
// families' in the order they registered them.
func (f *Family) exports() []core.ExportKind {
	return append([]core.ExportKind{{Name: "clients", Write: f.WriteClients}}, f.hooks.Tables...)
}

// exportCmd: "/export clients|deals|claims".
func (f *Family) exportCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	kinds := f.exports()
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	usage := crm.Errorf(crm.EINVALID, "export.usage", "kinds", strings.Join(names, "|"))
	if len(r.Command.Args) != 1 {
		return usage
	}
	want := strings.ToLower(r.Command.Args[0])
	for _, k := range kinds {
		if k.Name != want && !r.Is(want, "export."+k.Name) {
			continue
		}
		var buf bytes.Buffer
		cw := csvio.NewWriter(&buf, csvio.WithBOM())
		if err := k.Write(ctx, r, cw); err != nil {
			return err
		}
		if err := cw.Flush(); err != nil {
			return crm.Internal(err)
		}
		name := fmt.Sprintf("%s-%s.csv", k.Name, r.Now.In(r.TZ).Format("2006-01-02"))
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
func (f *Family) eachVisibleClient(ctx context.Context, r *core.Request, fn func(*crm.Client) error) error {
	if r.DefaultScope() == "all" {
		var ferr error
		err := f.store.EachClient(ctx, func(c *crm.Client) bool {
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
	cs, err := f.store.ClientsByOwner(ctx, owners)
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

// WriteClients writes the client CSV (CONTRACT.md) of the clients r's
// sender sees by default: the known columns, then every custom field in
// use, streaming the clients as they are read rather than holding them
// all. Everyone's export takes the custom fields from the store's
// maintained list, reading each client once; a smaller scope reads its
// clients twice (once for the fields its clients use).
func (f *Family) WriteClients(ctx context.Context, r *core.Request, w *csvio.Writer) error {
	var keys []string
	if r.DefaultScope() == "all" {
		var err error
		if keys, err = f.store.CustomFields(ctx); err != nil {
			return err
		}
	} else {
		custom := map[string]bool{}
		if err := f.eachVisibleClient(ctx, r, func(c *crm.Client) error {
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
	owners := core.OwnerRefs(r)
	return f.eachVisibleClient(ctx, r, func(c *crm.Client) error {
		if err := w.Write(csvio.ClientRecord(c, owners[c.OwnerID], header)); err != nil {
			return crm.Internal(err)
		}
		return nil
	})
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
func (f *Family) clientExportSub(ctx context.Context, w bot.ReplyWriter, r *core.Request, args []string) error {
	if len(args) == 0 {
		return crm.Errorf(crm.EINVALID, "client.export_usage")
	}
	c, err := r.Client(ctx, strings.Join(args, " "))
	if err != nil {
		return err
	}
	doc := clientDoc{ExportedAt: r.Now, Client: c, Owner: r.PersonName(c.OwnerID), People: map[string]string{}}
	if doc.Conversations, err = f.store.Conversations(ctx, c.ID, 0); err != nil {
		return err
	}
	if doc.Tasks, err = f.store.ClientTasks(ctx, c.ID, false); err != nil {
		return err
	}
	if doc.History, err = f.store.History(ctx, "client", c.ID); err != nil {
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
	for _, k := range f.hooks.Records {
		v, err := k.Collect(ctx, r, c)
		if err != nil {
			return err
		}
		if v != nil {
			if doc.More == nil {
				doc.More = map[string]any{}
			}
			doc.More[k.Name] = v
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
func (f *Family) clientForgetSub(ctx context.Context, w bot.ReplyWriter, r *core.Request, args []string) error {
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
	er, err := f.store.EraseClient(ctx, c.ID)
	if err != nil {
		return err
	}
	total, err := f.store.ErasedClients(ctx)
	if err != nil {
		return err
	}
	// The log keeps the fact, never the name.
	f.kit.Log.Info("client erased", "client", c.ID, "by", r.Me.ID)
	var parts []string
	kinds := make([]string, 0, len(er.Counts))
	for k := range er.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		label := k // a kind another family added, until it has words
		if f.kit.Catalog.Has(r.Loc.Lang(), "erase.kind."+k) {
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
