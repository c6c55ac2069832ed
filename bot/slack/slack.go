// Package slack is the chat adapter for Slack. People reach the bot with
// the slash command "/crm <command> …", in a direct message to the bot (with
// or without the leading "/"), and by mentioning it in a channel. Updates
// arrive over Socket Mode (SLACK_APP_TOKEN), over HTTP (SLACK_SIGNING_SECRET)
// or both; every one is acknowledged at once and answered afterwards,
// through the response_url or the Web API, so that Slack's three-second
// rule always holds whatever the handler does.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"accountbot/bot"
	"accountbot/dates"
	"accountbot/i18n"

	slackapi "github.com/slack-go/slack"
)

// Store is what the adapter keeps in the database: which deliveries were
// handled (so that Slack's retries are answered once, also across a
// restart) and the commands behind buttons too long for Slack.
type Store interface {
	Delivered(ctx context.Context, key string) (bool, error)
	MarkDelivered(ctx context.Context, key string, ttl time.Duration) error
	PutToken(ctx context.Context, token, value string, ttl time.Duration) error
	Token(ctx context.Context, token string) (string, error)
}

// deliveryTTL is how long a handled delivery is remembered (Slack retries
// for well under an hour); buttonTTL how long the command behind a long
// button is kept, as long as anyone might press a button in an old message.
const (
	deliveryTTL = 48 * time.Hour
	buttonTTL   = 90 * 24 * time.Hour
)

// Config is what the adapter needs from the environment.
type Config struct {
	// BotToken (xoxb-…) is used for every Web API call.
	BotToken string
	// AppToken (xapp-…) turns Socket Mode on.
	AppToken string
	// SigningSecret turns HTTP mode on (POST /slack/commands, /slack/events,
	// /slack/interactive).
	SigningSecret string
	// APIURL is the Web API base, with a final "/"; empty for Slack's.
	APIURL string
	// Lang is the reply language when neither the person nor Slack says.
	Lang string
}

// Adapter connects the bot to one Slack workspace.
type Adapter struct {
	cfg   Config
	api   *slackapi.Client
	h     bot.Handler
	cat   *i18n.Catalog
	store Store
	log   *slog.Logger
	sends bot.SendObserver
	clock dates.Clock
	tz    *time.Location
	// personLang returns the language a person chose in the bot, "" when
	// unknown; it wins over Slack's locale for the adapter's own words.
	personLang func(ctx context.Context, identity string) string
	// clientName names a client reference ("#12") as the person may see
	// it, "" when unknown; the log form shows the name, not the number.
	clientName func(ctx context.Context, identity, ref string) string
	httpClient *http.Client

	workingAfter time.Duration
	grace        time.Duration

	pace     *pacer
	users    *userCache
	dms      sync.Map // user id → DM channel id
	inMu     sync.Mutex
	inFlight map[string]bool

	// Work started by an update runs on workCtx, which outlives the
	// context of Run so that work in hand finishes at shutdown.
	workCtx    context.Context
	cancelWork context.CancelFunc
	workMu     sync.Mutex
	closing    bool
	work       sync.WaitGroup
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithSendObserver sets who counts failed and retried Web API calls.
func WithSendObserver(o bot.SendObserver) Option { return func(a *Adapter) { a.sends = o } }

// WithClock sets the clock used for dates typed in the log form.
func WithClock(c dates.Clock) Option { return func(a *Adapter) { a.clock = c } }

// WithLocation sets the time zone in which dates typed in the log form are
// read.
func WithLocation(tz *time.Location) Option { return func(a *Adapter) { a.tz = tz } }

// WithPersonLang sets how the adapter learns the language a person chose
// in the bot (/lang), for the words the adapter itself says.
func WithPersonLang(f func(ctx context.Context, identity string) string) Option {
	return func(a *Adapter) { a.personLang = f }
}

// WithClientName sets how the log form learns the name of the client a
// Log a talk button names by reference ("#12").
func WithClientName(f func(ctx context.Context, identity, ref string) string) Option {
	return func(a *Adapter) { a.clientName = f }
}

// WithHTTPClient sets the HTTP client for the Web API and response URLs.
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.httpClient = c } }

// WithWorkingAfter sets how long a handler may take before the person is
// shown a short "working…" (default 1.5 s).
func WithWorkingAfter(d time.Duration) Option { return func(a *Adapter) { a.workingAfter = d } }

// WithChannelInterval sets the least time between two messages to one
// channel (default 1 s, Slack's limit for chat.postMessage).
func WithChannelInterval(d time.Duration) Option { return func(a *Adapter) { a.pace.every = d } }

// WithShutdownGrace sets how long Run waits for work in hand after its
// context is done (default 25 s).
func WithShutdownGrace(d time.Duration) Option { return func(a *Adapter) { a.grace = d } }

// New returns an adapter that serves h. It calls nothing yet: Run connects
// Socket Mode, and Register adds the HTTP routes.
func New(cfg Config, h bot.Handler, cat *i18n.Catalog, st Store, opts ...Option) (*Adapter, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("slack: SLACK_BOT_TOKEN is empty")
	}
	if cfg.Lang == "" {
		cfg.Lang = "en"
	}
	a := &Adapter{
		cfg: cfg, h: h, cat: cat, store: st,
		log:          slog.Default(),
		sends:        bot.NopSendObserver{},
		clock:        dates.SystemClock{},
		tz:           time.Local,
		httpClient:   &http.Client{Timeout: 30 * time.Second},
		workingAfter: 1500 * time.Millisecond,
		grace:        25 * time.Second,
		pace:         newPacer(time.Second),
		users:        newUserCache(24*time.Hour, 10000),
		inFlight:     map[string]bool{},
	}
	for _, o := range opts {
		o(a)
	}
	// Without a catalog, the embedded words: the adapter reads typed
	// words too (share, /log's names and markers).
	var err error
	if a.cat, err = i18n.OrEmbedded(a.cat); err != nil {
		return nil, err
	}
	apiOpts := []slackapi.Option{slackapi.OptionHTTPClient(a.httpClient)}
	if cfg.APIURL != "" {
		apiOpts = append(apiOpts, slackapi.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		apiOpts = append(apiOpts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	a.api = slackapi.New(cfg.BotToken, apiOpts...)
	a.workCtx, a.cancelWork = context.WithCancel(context.Background())
	return a, nil
}

// Register adds the HTTP mode routes to mux when a signing secret is set.
func (a *Adapter) Register(mux *http.ServeMux) {
	if a.cfg.SigningSecret == "" {
		return
	}
	mux.Handle("POST /slack/commands", a.verified(a.serveCommand))
	mux.Handle("POST /slack/events", a.verified(a.serveEvents))
	mux.Handle("POST /slack/interactive", a.verified(a.serveInteractive))
}

// Run serves Socket Mode (when configured) until ctx is done, then waits
// for the work in hand: replies being written are finished, new updates
// are refused so that Slack delivers them again later.
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.checkAuth(ctx); err != nil {
		return err
	}
	if a.cfg.AppToken == "" && a.cfg.SigningSecret == "" {
		a.log.Warn("slack: neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set; the bot can only send notifications")
	}
	var socketErr error
	var socketDone chan struct{}
	if a.cfg.AppToken != "" {
		socketDone = make(chan struct{})
		go func() {
			defer close(socketDone)
			socketErr = a.runSocket(ctx)
		}()
	}
	if socketDone != nil {
		select {
		case <-ctx.Done():
			<-socketDone
		case <-socketDone:
		}
	} else {
		<-ctx.Done()
	}
	a.shutdown()
	if socketErr != nil && ctx.Err() == nil {
		return socketErr
	}
	return nil
}

// checkAuth asks Slack who the bot is, so that a wrong token stops the
// program with a clear reason instead of failing every reply later. A
// network failure is only logged: Slack may be back by the first update.
func (a *Adapter) checkAuth(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	resp, err := a.api.AuthTestContext(actx)
	if err != nil {
		if isAuthError(err) {
			return fmt.Errorf("slack: SLACK_BOT_TOKEN was refused (%v)", err)
		}
		a.log.Warn("slack: cannot reach the Web API yet", "err", err)
		return nil
	}
	a.log.Info("slack connected", "team", resp.Team, "bot_user", resp.UserID,
		"socket_mode", a.cfg.AppToken != "", "http_mode", a.cfg.SigningSecret != "")
	return nil
}

func isAuthError(err error) bool {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type":
			return true
		}
	}
	return false
}

// shutdown refuses new work and waits for the work in hand, at most the
// grace period; then it cancels what is left.
func (a *Adapter) shutdown() {
	a.workMu.Lock()
	a.closing = true
	a.workMu.Unlock()
	done := make(chan struct{})
	go func() { a.work.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(a.grace):
		a.log.Warn("slack: work still running at shutdown; cancelling it")
		a.cancelWork()
		<-done
	}
	a.cancelWork()
}

// spawn runs fn on the work context unless the adapter is shutting down,
// and reports whether it was started.
func (a *Adapter) spawn(fn func(ctx context.Context)) bool {
	a.workMu.Lock()
	defer a.workMu.Unlock()
	if a.closing {
		return false
	}
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		defer func() {
			// One bad update must not take the bot down.
			if p := recover(); p != nil {
				a.log.Error("slack: panic while handling an update", "panic", p, "stack", string(debug.Stack()))
			}
		}()
		fn(a.workCtx)
	}()
	return true
}

// isClosing reports whether the adapter has stopped taking updates.
func (a *Adapter) isClosing() bool {
	a.workMu.Lock()
	defer a.workMu.Unlock()
	return a.closing
}

// Notify sends r to the person with a "slack:U…" identity, in the direct
// messages with the bot.
func (a *Adapter) Notify(ctx context.Context, identity string, r bot.Reply) error {
	user, ok := strings.CutPrefix(identity, bot.Slack+":")
	if !ok || user == "" {
		return fmt.Errorf("slack: %q is not a Slack identity", identity)
	}
	ch, err := a.dmChannel(ctx, user)
	if err != nil {
		return err
	}
	o := origin{user: user, channel: ch, im: true}
	w := a.newReplier(o, a.cfg.Lang)
	return w.Reply(ctx, r)
}

var (
	_ bot.Notifier = (*Adapter)(nil)
)
