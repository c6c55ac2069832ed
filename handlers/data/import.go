package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/csvio"
	"accountbot/handlers/core"
)

// Limits of a client import.
const (
	// importBatch rows are checked and written together (one transaction).
	importBatch = 1000
	// maxRejectedKept is how many rejected rows an import remembers in
	// detail; the rest are only counted, so memory stays bounded.
	maxRejectedKept = 10000
	// giveUpAfter rejected rows with none accepted stop an import: the file
	// is not a client list (or not in the expected shape).
	giveUpAfter = 1000
	// progressEvery is how often the progress message changes, at most.
	progressEvery = 2 * time.Second
	// progressAbove is the file size from which the import shows progress.
	progressAbove = 256 << 10
	// maxRejectedShown rejected rows are listed in the reply; all of them
	// are in the attached file.
	maxRejectedShown = 20
)

// ImportReport is the outcome of a client import.
type ImportReport struct {
	Added, Updated, Unchanged int
	// Rejected lists the rejected rows, in line order (at most
	// maxRejectedKept); RejectedCount counts them all.
	Rejected      []RejectedRow
	RejectedCount int
	// Rows is how many rows were read.
	Rows int
}

// RejectedRow is a row that was not imported, with the reason in the
// importer's language.
type RejectedRow struct {
	Line   int
	Name   string
	Reason string
}

func (rep *ImportReport) reject(line int, name, reason string) {
	rep.RejectedCount++
	if len(rep.Rejected) < maxRejectedKept {
		rep.Rejected = append(rep.Rejected, RejectedRow{Line: line, Name: name, Reason: reason})
	}
}

// Summary is the one-line outcome in the importer's language.
func (rep *ImportReport) Summary(r *core.Request) string {
	return r.T("import.summary", "added", rep.Added, "updated", rep.Updated, "unchanged", rep.Unchanged, "rejected", rep.RejectedCount)
}

// importCmd: "/import" with a CSV file attached (a bare file does the same).
func (f *Family) importCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Attachments) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("import.usage", "columns", strings.Join(csvio.ClientColumns, ", "))})
	}
	return f.ImportFiles(ctx, w, r)
}

// ImportFiles imports each file of r's message in turn as a client CSV,
// as far as the sender has rights (a head's anywhere, a supervisor's for
// the team, a manager's for their own clients), answering each with its
// outcome. The service sends it the CSV files that come without a
// command.
func (f *Family) ImportFiles(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	for _, a := range r.Attachments {
		if err := f.importAttachment(ctx, w, r, a); err != nil {
			return err
		}
	}
	return nil
}

// importAttachment imports a CSV file sent in chat, showing progress on
// a large one when w can edit what it sent.
func (f *Family) importAttachment(ctx context.Context, w bot.ReplyWriter, r *core.Request, a bot.Attachment) error {
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
		f.kit.Log.Warn("attachment not fetched", "file", name, "err", err)
		return crm.Errorf(crm.EINVALID, "import.fetch_failed", "file", name)
	}
	if len(data) > csvio.DefaultMaxBytes {
		return crm.Errorf(crm.EINVALID, "import.file.too_large", "max", csvio.DefaultMaxBytes>>20)
	}
	var progress func(done int64, rows int)
	ed, canEdit := w.(bot.MessageEditor)
	var ref string
	if canEdit && len(data) > progressAbove {
		ref, _ = ed.SendEditable(ctx, bot.Reply{Text: r.T("import.progress", "file", name, "percent", 0, "rows", 0)})
		last := f.kit.Clock.Now()
		progress = func(done int64, rows int) {
			if now := f.kit.Clock.Now(); ref != "" && now.Sub(last) >= progressEvery {
				last = now
				pct := int(done * 100 / int64(len(data)))
				_ = ed.EditMessage(ctx, ref, bot.Reply{Text: r.T("import.progress", "file", name, "percent", pct, "rows", rows)})
			}
		}
	}
	rep, err := f.ImportClients(ctx, r, bytes.NewReader(data), progress)
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
func importReply(r *core.Request, name string, rep *ImportReport) bot.Reply {
	lines := []string{rep.Summary(r)}
	for i, x := range rep.Rejected {
		if i == maxRejectedShown {
			lines = append(lines, r.T("import.more_rejected", "count", rep.RejectedCount-maxRejectedShown))
			break
		}
		lines = append(lines, RejectedLine(r, x))
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

// RejectedLine words one rejected row in r's language: its line, the
// client's name when the row has one, and the reason.
func RejectedLine(r *core.Request, x RejectedRow) string {
	if x.Name != "" {
		return r.T("import.rejected_named", "line", x.Line, "name", x.Name, "reason", x.Reason)
	}
	return r.T("import.rejected", "line", x.Line, "reason", x.Reason)
}

// importRow is a good row waiting for its batch.
type importRow struct {
	line  int
	row   csvio.ClientRow
	owner *crm.Person // nil: the importer for a new client, unchanged for an existing one
}

// ImportClients reads a client CSV (CONTRACT.md, "Client CSV") and
// creates or updates the clients as r's sender may: a row matching an
// existing client by normalised name updates it (empty cells keep what is
// stored); an owner is a person's name or identity, and rows without one
// belong to the sender. A bad row is rejected with its line and reason;
// the others are imported. A file that cannot be read at all is a
// crm.EINVALID error in the person's words, as is one whose first rows
// are all rejected. progress, when set, is told after each batch how many
// bytes of the file and how many rows were read.
func (f *Family) ImportClients(ctx context.Context, r *core.Request, src io.Reader, progress func(done int64, rows int)) (*ImportReport, error) {
	cr, err := csvio.NewReader(src)
	if err != nil {
		return nil, fileError(err)
	}
	schema, err := csvio.NewClientSchema(cr.Header())
	if err != nil {
		return nil, fileError(err)
	}
	rep := &ImportReport{}
	owners := map[string]ownerLookup{}
	var batch []importRow
	giveUp := func() error {
		if rep.RejectedCount >= giveUpAfter && rep.Added+rep.Updated+rep.Unchanged+len(batch) == 0 {
			return crm.Errorf(crm.EINVALID, "import.file.all_bad", "count", rep.RejectedCount)
		}
		return nil
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := f.writeImportBatch(ctx, r, batch, rep)
		batch = batch[:0]
		if progress != nil {
			progress(cr.Offset(), rep.Rows)
		}
		if err != nil {
			return err
		}
		return giveUp()
	}
	for {
		row, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *csvio.RowError
		if errors.As(err, &re) {
			rep.Rows++
			rep.reject(re.Line, "", r.T("import.err."+re.Kind, "got", re.Got, "want", re.Want))
			if err := giveUp(); err != nil {
				return rep, err
			}
			continue
		}
		if err != nil {
			return rep, fileError(err)
		}
		rep.Rows++
		cells := schema.Parse(row.Values)
		owner, err := checkImportRow(r, &cells, owners)
		if err != nil {
			rep.reject(row.Line, cells.Name, r.Loc.TMap(errKey(err)))
			if err := giveUp(); err != nil {
				return rep, err
			}
			continue
		}
		batch = append(batch, importRow{line: row.Line, row: cells, owner: owner})
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	return rep, nil
}

// ownerLookup caches the owner column's values: a file names few people.
type ownerLookup struct {
	p   *crm.Person
	err error
}

// checkImportRow checks what can be checked without the store: the name,
// the values, and the owner named (who must exist, and be someone the
// sender may give clients to).
func checkImportRow(r *core.Request, row *csvio.ClientRow, owners map[string]ownerLookup) (*crm.Person, error) {
	if crm.NormalizeName(row.Name) == "" {
		return nil, crm.Errorf(crm.EINVALID, "import.err.name_missing")
	}
	if len([]rune(row.Name)) > 200 {
		return nil, crm.Errorf(crm.EINVALID, "client.name_too_long")
	}
	if v, ok := row.Fields["lang"]; ok {
		row.Fields["lang"] = strings.ToLower(v)
	}
	for _, k := range row.Keys {
		if err := core.ValidField(k, row.Fields[k]); err != nil {
			return nil, err
		}
	}
	if row.Owner == "" {
		return nil, nil
	}
	l, ok := owners[row.Owner]
	if !ok {
		p, err := r.ResolvePerson(row.Owner)
		switch {
		case err != nil:
			var amb *core.AmbiguousError
			if errors.As(err, &amb) {
				err = crm.Errorf(crm.EINVALID, "import.err.owner_ambiguous", "ref", row.Owner)
			} else {
				err = crm.Errorf(crm.EINVALID, "import.err.owner_unknown", "ref", row.Owner)
			}
		case r.RightsOver(p.ID) == nil:
			err = crm.Errorf(crm.EFORBIDDEN, "client.owner_forbidden", "name", p.Name)
		}
		l = ownerLookup{p: p, err: err}
		owners[row.Owner] = l
	}
	return l.p, l.err
}

// writeImportBatch writes one batch of good rows; the merge decides, per
// row and against what is stored, whether the sender may make the change.
func (f *Family) writeImportBatch(ctx context.Context, r *core.Request, batch []importRow, rep *ImportReport) error {
	names := make([]string, len(batch))
	for i, b := range batch {
		names[i] = b.row.Name
	}
	// movedFrom[i] is the former owner of a client the row gives to
	// someone else: their open tasks for it follow, as on /client reassign.
	movedFrom := make([]uint64, len(batch))
	merge := func(i int, existing *crm.Client) (*crm.Client, crm.Actor, error) {
		b := batch[i]
		if existing == nil {
			c := &crm.Client{Name: b.row.Name, OwnerID: r.Me.ID, CreatedAt: r.Now, ReviewedAt: r.Now}
			actor := r.Actor()
			if b.owner != nil {
				if !b.owner.Active() {
					return nil, actor, crm.Errorf(crm.EINVALID, "person.dismissed", "name", b.owner.Name)
				}
				c.OwnerID = b.owner.ID
				actor = *r.RightsOver(b.owner.ID)
			}
			for _, k := range b.row.Keys {
				c.SetField(k, b.row.Fields[k])
			}
			return c, actor, nil
		}
		a := r.RightsOver(existing.OwnerID)
		if a == nil {
			// The row's own spelling: the other client's name is not the
			// sender's to learn.
			return nil, crm.Actor{}, crm.Errorf(crm.EFORBIDDEN, "import.err.client_forbidden", "name", b.row.Name)
		}
		c := existing
		movedFrom[i] = 0
		if b.owner != nil && b.owner.ID != c.OwnerID {
			// The same rule as /client reassign: a deputy moves the absent
			// person's clients only within their rights, never to himself.
			if err := r.MayHandTo(*a, b.owner); err != nil {
				return nil, *a, err
			}
			movedFrom[i] = c.OwnerID
			c.OwnerID = b.owner.ID
		}
		for _, k := range b.row.Keys {
			c.SetField(k, b.row.Fields[k])
		}
		c.ReviewedAt = r.Now
		return c, *a, nil
	}
	res, err := f.store.UpsertClients(ctx, r.Now, names, merge)
	if err != nil {
		return err
	}
	for i, x := range res {
		switch {
		case x.Err != nil:
			rep.reject(batch[i].line, batch[i].row.Name, r.Loc.TMap(errKey(x.Err)))
		case x.Added:
			rep.Added++
		case x.Changed:
			rep.Updated++
			if movedFrom[i] != 0 {
				if err := core.MoveOpenTasks(ctx, f.store, x.ID, movedFrom[i], batch[i].owner.ID); err != nil {
					return err
				}
			}
		default:
			rep.Unchanged++
		}
	}
	return nil
}

// errKey returns the message key and arguments of a person-facing error.
func errKey(err error) (string, map[string]any) {
	var ce *crm.Error
	if errors.As(err, &ce) {
		return ce.Key, ce.Args
	}
	return "error.internal", nil
}

// fileError turns a reader's file-level error into the person's words.
func fileError(err error) error {
	var dup *csvio.DuplicateColumnError
	switch {
	case errors.As(err, &dup):
		return crm.Errorf(crm.EINVALID, "import.file.duplicate_column", "column", dup.Column)
	case errors.Is(err, csvio.ErrNoNameColumn):
		return crm.Errorf(crm.EINVALID, "import.file.no_name")
	case errors.Is(err, csvio.ErrEmpty):
		return crm.Errorf(crm.EINVALID, "import.file.empty")
	case errors.Is(err, csvio.ErrTooLarge):
		return crm.Errorf(crm.EINVALID, "import.file.too_large", "max", csvio.DefaultMaxBytes>>20)
	case errors.Is(err, csvio.ErrUTF16):
		return crm.Errorf(crm.EINVALID, "import.file.utf16")
	case errors.Is(err, csvio.ErrNotText):
		return crm.Errorf(crm.EINVALID, "import.file.not_text")
	case errors.Is(err, csvio.ErrHeader):
		return crm.Errorf(crm.EINVALID, "import.file.header")
	}
	var ce *crm.Error
	if errors.As(err, &ce) {
		return err
	}
	return crm.Internal(err)
}
