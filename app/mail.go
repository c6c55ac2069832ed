package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"accountbot/crm"
	"accountbot/email"
	"accountbot/handlers"
)

// loadMailConfig reads the e-mail and calendar variables.
func loadMailConfig(c *Config, getenv func(string) string) error {
	c.SMTPURL = strings.TrimSpace(getenv("ACCOUNTBOT_SMTP_URL"))
	c.MailFrom = strings.TrimSpace(getenv("ACCOUNTBOT_MAIL_FROM"))
	c.IMAPURL = strings.TrimSpace(getenv("ACCOUNTBOT_IMAP_URL"))
	c.PublicURL = strings.TrimRight(or(getenv("ACCOUNTBOT_PUBLIC_URL"), "http://"+c.HTTPAddr), "/")
	if c.SMTPURL != "" {
		if _, err := email.NewSender(c.SMTPURL, c.MailFrom); err != nil {
			return err
		}
	}
	if c.IMAPURL != "" {
		if _, err := email.NewReader(c.IMAPURL, nil, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// mailOptions are the handlers' e-mail and link settings.
func mailOptions(cfg Config) []handlers.Option {
	opts := []handlers.Option{handlers.WithPublicURL(cfg.PublicURL)}
	if cfg.SMTPURL != "" {
		// Checked by LoadConfig.
		if snd, err := email.NewSender(cfg.SMTPURL, cfg.MailFrom); err == nil {
			opts = append(opts, handlers.WithMailer(snd))
		}
	}
	return opts
}

// catchUpFor bounds the console's first read of the mailbox.
const catchUpFor = 5 * time.Second

// startMail starts reading the logged mailbox, when one is configured; the
// returned func stops it. With catchUp (the console), what is new in the
// mailbox is read before it returns (for catchUpFor at most), so that the
// first line typed sees it.
func startMail(ctx context.Context, s *services, catchUp bool) func() {
	if s.cfg.IMAPURL == "" {
		return func() {}
	}
	rd, err := email.NewReader(s.cfg.IMAPURL, s.store, s.handler.LogMail, s.log)
	if err != nil {
		s.log.Error("mailbox not read", "err", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	caughtUp := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if catchUp {
			if err := rd.Once(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("mailbox: not read before the console started", "err", err)
			}
		}
		close(caughtUp)
		rd.Run(ctx)
	}()
	if catchUp {
		select {
		case <-caughtUp:
		case <-time.After(catchUpFor):
		}
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// serveCalendar registers the calendar feeds, GET /calendar/TOKEN.ics.
// Neither the token nor the path is logged.
func serveCalendar(mux *http.ServeMux, s *services) {
	mux.HandleFunc("GET /calendar/{file}", func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, err := s.handler.CalendarFeed(r.Context(), tok)
		switch {
		case crm.IsNotFound(err):
			http.NotFound(w, r)
			return
		case err != nil:
			var ce *crm.Error
			if !errors.As(err, &ce) || ce.Code != crm.EUNAVAILABLE {
				s.log.Error("calendar feed", "err", err)
			}
			http.Error(w, "the calendar is not available now", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Content-Disposition", `inline; filename="accountbot.ics"`)
		w.Header().Set("Cache-Control", "private, max-age=300")
		_, _ = w.Write(body)
	})
}
