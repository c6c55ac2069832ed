// Package telegram is the Telegram chat adapter. It receives updates by
// long polling (its own getUpdates loop) or by webhook, turns them into
// bot.Messages for the handlers, and sends replies in Telegram's HTML with
// inline keyboards, paced to Telegram's limits.
//
// Exactly-once handling: an update's offset is confirmed to Telegram only
// after the update's effect is committed and its replies are sent. The
// handlers run with the delivery key "telegram/update/<id>", which the store
// records in the same transaction as the update's first write, and the
// adapter records the key for read-only updates too; so a redelivery after
// a crash, a restart or a webhook retry is recognised and not done again.
//
// Outgoing calls go through github.com/go-telegram/bot; the library's own
// polling is not used, because it confirms an update as soon as it is
// queued, before it is handled.
package telegram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

const (
	// cursorName is where the confirmed offset is kept in the store.
	cursorName = "telegram/offset"
	// deliveryTTL is how long handled update ids are remembered; Telegram
	// keeps unconfirmed updates for 24 hours.
	deliveryTTL = 48 * time.Hour
	// tokenTTL is how long a long button's data stays resolvable.
	tokenTTL = 30 * 24 * time.Hour
	// maxInFlight bounds the updates taken but not yet finished.
	maxInFlight = 256
)

// allowedUpdates are the update kinds the bot asks for.
var allowedUpdates = []string{"message", "callback_query"}

// Store is what the adapter keeps: handled deliveries, its offset, tokens
// for long button data, and who blocked the bot.
type Store interface {
	Delivered(ctx context.Context, deliveryKey string) (bool, error)
	MarkDelivered(ctx context.Context, deliveryKey string, ttl time.Duration) error
	Cursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, pos int64) error
	PutToken(ctx context.Context, token, value string, ttl time.Duration) error
	Token(ctx context.Context, token string) (string, error)
	MarkUnreachable(ctx context.Context, identity string) error
}

// Leaser is a Store that several processes may share (PostgreSQL
// replicas): long polling holds its lease, so that one replica polls at a
// time (Telegram answers a second poller with 409) and another takes over
// when the poller dies.
type Leaser interface {
	// Shared reports whether other processes use the store too.
	Shared() bool
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// SharedValuer is a shared Store that keeps one value for all its
// processes: replicas in webhook mode without TELEGRAM_WEBHOOK_SECRET
// agree on one generated secret through it, since Telegram sends the one
// that was registered last to whichever replica the load balancer picks.
type SharedValuer interface {
	SharedValue(ctx context.Context, name, value string) (string, error)
}

// CommandLister gives the command menu in a language.
type CommandLister interface {
	Commands(lang string) []bot.CommandInfo
}

// RoleCommandLister also gives the menu of one role. With it, the default
// menu lists what everyone may use, and a person's home (bot.Home, at
// /start) sets their private chat's menu to their role's commands.
type RoleCommandLister interface {
	CommandsFor(lang string, role crm.Role) []bot.CommandInfo
}

// Config is the adapter's configuration, from the environment.
type Config struct {
	// Token is TELEGRAM_BOT_TOKEN.
	Token string
	// APIURL is the Bot API server (TELEGRAM_API_URL), DefaultAPIURL when
	// empty.
	APIURL string
	// WebhookURL, when set, selects webhook mode (TELEGRAM_WEBHOOK_URL).
	WebhookURL string
	// WebhookSecret is checked on every webhook request
	// (TELEGRAM_WEBHOOK_SECRET); a random one is made when empty.
	WebhookSecret string
	// Lang is the default language (ACCOUNTBOT_LANG), for the default
	// command menu and the adapter's own words before a person is known.
	Lang string
}

// Adapter is a running connection to Telegram.
type Adapter struct {
	cfg      Config
	apiURL   string
	api      *tgbot.Bot
	handler  bot.Handler
	store    Store
	cat      *i18n.Catalog
	commands CommandLister
	log      *slog.Logger
	sends    bot.SendObserver

	httpClient  *http.Client
	pollClient  *http.Client
	pollTimeout time.Duration
	backoffMin  time.Duration
	backoffMax  time.Duration
	grace       time.Duration
	pacer       *pacer
	// leaseTTL and leaseRenew time the polling lease (see Leaser);
	// holder names this process in it.
	leaseTTL, leaseRenew time.Duration
	holder               string

	webhookPath string
	// secret is the webhook's; secretAgreed is set once a generated one
	// was agreed with the other replicas (see webhookSecret), both under
	// secretMu.
	secretMu     sync.Mutex
	secret       string
	secretAgreed bool

	disp *dispatcher
	// username is the bot's @name, known after getMe.
	username atomic.Pointer[string]
	// workCtx lives past the run context so that updates in hand finish at
	// shutdown; it ends when the shutdown grace is over.
	workCtx    context.Context
	cancelWork context.CancelFunc
	// ready is closed once updates can be handled (the bot knows its name).
	ready     chan struct{}
	readyOnce sync.Once
	closing   atomic.Bool
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithSendObserver sets who counts failed and retried Bot API calls.
func WithSendObserver(o bot.SendObserver) Option { return func(a *Adapter) { a.sends = o } }

// WithCatalog sets the translations of the adapter's own words.
func WithCatalog(c *i18n.Catalog) Option { return func(a *Adapter) { a.cat = c } }

// WithCommands sets where the command menu comes from (setMyCommands).
func WithCommands(c CommandLister) Option { return func(a *Adapter) { a.commands = c } }

// WithPacing sets the least time between two messages to one chat
// (default 1 s) and between any two messages (default 1/30 s).
func WithPacing(perChat, global time.Duration) Option {
	return func(a *Adapter) { a.pacer = newPacer(perChat, global) }
}

// WithLease times the polling lease: how long it runs without renewal and
// how often the poller renews it (and a standby replica tries to take it).
// Defaults: 10 s and 3 s, so a replica takes over within about 13 s; ttl
// must exceed twice renew (a holder that cannot renew stops polling
// before its lease runs out).
func WithLease(ttl, renew time.Duration) Option {
	return func(a *Adapter) { a.leaseTTL, a.leaseRenew = ttl, renew }
}

// WithPollTimeout sets the long-poll timeout of getUpdates (default 25 s).
func WithPollTimeout(d time.Duration) Option { return func(a *Adapter) { a.pollTimeout = d } }

// WithBackoff sets the first and the longest wait before retrying a failed
// call (default 500 ms and 30 s).
func WithBackoff(min, max time.Duration) Option {
	return func(a *Adapter) { a.backoffMin, a.backoffMax = min, max }
}

// WithShutdownGrace sets how long updates in hand may take to finish after
// the run context ends (default 20 s); then retries of unsent replies stop,
// and those updates stay unconfirmed, to be handled after the restart.
func WithShutdownGrace(d time.Duration) Option { return func(a *Adapter) { a.grace = d } }

// WithHTTPClient sets the HTTP client for sending (default: 30 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.httpClient = c } }

// New returns an adapter that passes messages to h. It makes no network
// call; Run does.
func New(cfg Config, h bot.Handler, st Store, opts ...Option) (*Adapter, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("telegram: TELEGRAM_BOT_TOKEN is empty")
	}
	a := &Adapter{
		cfg: cfg, handler: h, store: st, log: slog.Default(), sends: bot.NopSendObserver{},
		pollTimeout: 25 * time.Second,
		backoffMin:  500 * time.Millisecond, backoffMax: 30 * time.Second,
		grace:    20 * time.Second,
		leaseTTL: 10 * time.Second, leaseRenew: 3 * time.Second,
		pacer: newPacer(time.Second, time.Second/30),
		ready: make(chan struct{}),
	}
	for _, o := range opts {
		o(a)
	}
	// Without a catalog, the embedded words: the adapter reads typed
	// words too (share).
	var err error
	if a.cat, err = i18n.OrEmbedded(a.cat); err != nil {
		return nil, err
	}
	if a.cfg.Lang == "" {
		a.cfg.Lang = "en"
	}
	a.apiURL = strings.TrimRight(strings.TrimSpace(cfg.APIURL), "/")
	if a.apiURL == "" {
		a.apiURL = DefaultAPIURL
	}
	if _, err := url.Parse(a.apiURL); err != nil {
		return nil, fmt.Errorf("telegram: TELEGRAM_API_URL %q: %w", a.apiURL, err)
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("telegram: TELEGRAM_WEBHOOK_URL must be an absolute URL such as https://bot.example.com/telegram, not %q", cfg.WebhookURL)
		}
		a.webhookPath = u.EscapedPath()
		if a.webhookPath == "" {
			a.webhookPath = "/"
		}
		a.secret = cfg.WebhookSecret
		if a.secret == "" {
			// Telegram sends back whatever secret the bot registers, so an
			// unset secret is replaced by a random one: the webhook path is
			// never open to anyone who guesses it.
			b := make([]byte, 24)
			_, _ = rand.Read(b)
			a.secret = hex.EncodeToString(b)
		}
	}
	host, _ := os.Hostname()
	hb := make([]byte, 6)
	_, _ = rand.Read(hb)
	a.holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(hb))
	if a.httpClient == nil {
		a.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	a.pollClient = &http.Client{Timeout: a.pollTimeout + 15*time.Second, Transport: a.httpClient.Transport}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(a.apiURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(a.pollTimeout, a.httpClient),
		tgbot.WithErrorsHandler(func(err error) { a.log.Debug("telegram library", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	a.api = api
	a.disp = newDispatcher(a.handleUpdate)
	a.workCtx, a.cancelWork = context.WithCancel(context.Background())
	return a, nil
}

// WebhookPath returns the path to serve the webhook on, "" in polling mode.
func (a *Adapter) WebhookPath() string { return a.webhookPath }

// Run connects to Telegram and serves until ctx is done; then it stops
// taking updates, finishes those in hand and confirms the offset.
func (a *Adapter) Run(ctx context.Context) error {
	defer a.cancelWork()
	me, err := a.getMe(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	name := me.Username
	a.username.Store(&name)
	a.log.Info("telegram: connected", "bot", "@"+name, "mode", map[bool]string{true: "webhook", false: "long polling"}[a.webhookPath != ""])
	if a.webhookPath != "" {
		// Updates are taken from here on: a webhook left registered by an
		// earlier run may deliver before the menu and setWebhook are done.
		a.markReady()
	}
	a.setCommands(ctx)
	if a.webhookPath != "" {
		return a.runWebhook(ctx)
	}
	return a.runPolling(ctx)
}

// markReady lets webhook requests through; it may be called more than once.
func (a *Adapter) markReady() { a.readyOnce.Do(func() { close(a.ready) }) }

// getMe asks who the bot is, retrying while the network is down. A refused
// token ends the run.
func (a *Adapter) getMe(ctx context.Context) (*models.User, error) {
	var me *models.User
	err := a.call(ctx, 0, "getMe", 0, func(ctx context.Context) (err error) {
		me, err = a.api.GetMe(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("telegram: getMe: the Bot API refused the bot token or the server (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL): %w", redact(err, a.cfg.Token))
	}
	return me, nil
}

// botName returns the bot's username, "" before getMe.
func (a *Adapter) botName() string {
	if p := a.username.Load(); p != nil {
		return *p
	}
	return ""
}

// setCommands sets the command menu in the default language and in every
// supported one. A refusal is logged and the bot carries on.
func (a *Adapter) setCommands(ctx context.Context) {
	if a.commands == nil {
		return
	}
	for _, lang := range append([]string{""}, i18n.Languages...) {
		l := lang
		if l == "" {
			l = a.cfg.Lang
		}
		infos := a.commands.Commands(l)
		if rl, ok := a.commands.(RoleCommandLister); ok {
			infos = rl.CommandsFor(l, crm.RoleManager)
		}
		cmds := menuCommands(infos)
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err := a.api.SetMyCommands(cctx, &tgbot.SetMyCommandsParams{Commands: cmds, LanguageCode: lang})
		cancel()
		if err != nil {
			a.log.Warn("telegram: the command menu was not set; carrying on", "lang", l, "err", redact(err, a.cfg.Token))
		}
	}
}

// setChatCommands sets the command menu of one private chat to the
// commands of the person's role, in their language. A refusal is logged.
func (a *Adapter) setChatCommands(ctx context.Context, chat int64, h *bot.Home) {
	rl, ok := a.commands.(RoleCommandLister)
	if !ok || chat <= 0 || h.Role == "" {
		return
	}
	lang := h.Lang
	if lang == "" {
		lang = a.cfg.Lang
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := a.api.SetMyCommands(cctx, &tgbot.SetMyCommandsParams{Commands: menuCommands(rl.CommandsFor(lang, h.Role)), Scope: &models.BotCommandScopeChat{ChatID: chat}})
	if err != nil {
		a.log.Warn("telegram: the chat's command menu was not set; carrying on", "chat", chat, "err", redact(err, a.cfg.Token))
	}
}

// menuCommands turns command descriptions into Telegram's menu entries
// (valid names only, at most 100).
func menuCommands(infos []bot.CommandInfo) []models.BotCommand {
	var cmds []models.BotCommand
	for _, c := range infos {
		if !validCommandName(c.Name) {
			continue
		}
		desc := truncateRunes(strings.TrimSpace(c.Description), 256)
		if desc == "" {
			desc = c.Name
		}
		cmds = append(cmds, models.BotCommand{Command: c.Name, Description: desc})
	}
	if len(cmds) > 100 {
		cmds = cmds[:100]
	}
	return cmds
}

func validCommandName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// finish waits for the updates in hand, at most the shutdown grace; then it
// stops the retries of what is still unsent.
func (a *Adapter) finish() {
	done := make(chan struct{})
	go func() {
		a.disp.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(a.grace):
		a.log.Warn("telegram: shutdown grace is over; updates still in hand stay unconfirmed and come again after the restart")
		a.cancelWork()
		<-done
	}
	a.cancelWork()
}

// Notify sends r to the person with a telegram identity, outside any
// conversation (digests, reminders).
func (a *Adapter) Notify(ctx context.Context, identity string, r bot.Reply) error {
	platform, id, _ := strings.Cut(identity, ":")
	if platform != bot.Telegram {
		return fmt.Errorf("telegram: %q is not a telegram identity", identity)
	}
	chat, err := strconv.ParseInt(id, 10, 64)
	if err != nil || chat <= 0 {
		return fmt.Errorf("telegram: bad identity %q", identity)
	}
	return a.deliver(ctx, chat, r, 0)
}

var _ bot.Notifier = (*Adapter)(nil)

// redact removes the bot token from an error's text: request URLs carry it.
func redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "***"))
}
