package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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
func (rep *ImportReport) summary(r *request) string {
	return r.T("import.summary", "added", rep.Added, "updated", rep.Updated, "unchanged", rep.Unchanged, "rejected", rep.RejectedCount)
}

// importProgress is told, after each batch, how many bytes of the file and
// how many rows were read.
type importProgress func(done int64, rows int)

// importRow is a good row waiting for its batch.
type importRow struct {
	line  int
	row   csvio.ClientRow
	owner *crm.Person // nil: the importer for a new client, unchanged for an existing one
}

// importClients reads a client CSV (CONTRACT.md, "Client CSV") and creates
// or updates the clients as r's sender may: a row matching an existing
// client by normalised name updates it (empty cells keep what is stored);
// an owner is a person's name or identity, and rows without one belong to
// the sender. A bad row is rejected with its line and reason; the others
// are imported. A file that cannot be read at all is an error.
func (s *Service) importClients(ctx context.Context, r *request, src io.Reader, progress importProgress) (*ImportReport, error) {
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
		err := s.writeImportBatch(ctx, r, batch, rep)
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
		owner, err := s.checkImportRow(r, &cells, owners)
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
func (s *Service) checkImportRow(r *request, row *csvio.ClientRow, owners map[string]ownerLookup) (*crm.Person, error) {
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
func (s *Service) writeImportBatch(ctx context.Context, r *request, batch []importRow, rep *ImportReport) error {
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
	res, err := s.store.UpsertClients(ctx, r.Now, names, merge)
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
				if err := core.MoveOpenTasks(ctx, s.store, x.ID, movedFrom[i], batch[i].owner.ID); err != nil {
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

// ImportClients imports a client CSV for the import sub-command, as the
// person with identity (console:admin), in the configured language.
// progress, when set, is told how many bytes and rows were read. A file
// that cannot be imported at all is an error in the person's words.
func (s *Service) ImportClients(ctx context.Context, identity string, src io.Reader, progress func(done int64, rows int)) (*ImportReport, string, error) {
	r, err := s.requestFor(ctx, identity)
	if err != nil {
		return nil, "", err
	}
	rep, err := s.importClients(ctx, r, src, progress)
	if err != nil {
		return rep, "", s.plainError(r, err)
	}
	return rep, rep.summary(r), nil
}

// plainError words err in r's language for a sub-command's one line.
func (s *Service) plainError(r *request, err error) error {
	var ce *crm.Error
	if !errors.As(err, &ce) || ce.Code == crm.EINTERNAL {
		return err
	}
	if ce.Code == crm.EUNAVAILABLE {
		return fmt.Errorf("%s (%v)", r.T("error.unavailable"), ce.Err)
	}
	return errors.New(r.Loc.TMap(ce.Key, ce.Args))
}
