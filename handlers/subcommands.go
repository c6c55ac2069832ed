package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/csvio"
	"accountbot/handlers/core"
	"accountbot/handlers/data"
)

// The console's import and export sub-commands (app/data.go) act as a
// person through these, and the data family does the work.

// ExportClients writes, for the export sub-command, the clients that the
// person with identity (console:admin) may see as CSV to out, and returns
// how many rows it wrote.
func (s *Service) ExportClients(ctx context.Context, identity string, out io.Writer) (int, error) {
	r, err := s.requestFor(ctx, identity)
	if err != nil {
		return 0, err
	}
	cw := csvio.NewWriter(out)
	if err := s.data.WriteClients(ctx, r.Request, cw); err != nil {
		return 0, s.plainError(r, err)
	}
	return cw.Rows(), cw.Flush()
}

// ImportClients imports a client CSV for the import sub-command, as the
// person with identity (console:admin), in the configured language.
// progress, when set, is told how many bytes and rows were read. A file
// that cannot be imported at all is an error in the person's words.
func (s *Service) ImportClients(ctx context.Context, identity string, src io.Reader, progress func(done int64, rows int)) (*data.ImportReport, string, error) {
	r, err := s.requestFor(ctx, identity)
	if err != nil {
		return nil, "", err
	}
	rep, err := s.data.ImportClients(ctx, r.Request, src, progress)
	if err != nil {
		return rep, "", s.plainError(r, err)
	}
	return rep, rep.Summary(r.Request), nil
}

// RejectedLine words one rejected row for the import sub-command.
func (s *Service) RejectedLine(identity string, x data.RejectedRow) string {
	r := core.Words(s.cat.For(s.cfg.Lang))
	if p, err := s.store.PersonByIdentity(context.Background(), identity); err == nil && p.Lang != "" {
		r.Loc = s.cat.For(p.Lang)
	}
	return data.RejectedLine(r, x)
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
