package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"accountbot/bot"
	"accountbot/bot/console"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/i18n"
	"accountbot/metrics"
	"accountbot/store"
)

// Env is the process's outside world, so that tests can run the whole
// program in memory.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// softMemoryLimit keeps the Go heap in check on a small shared machine:
// with Badger's caches (store/store.go) the process stays under 300 MiB
// even while a head lists 50,000 clients. GOMEMLIMIT overrides it.
const softMemoryLimit = 192 << 20

// Main runs the sub-command named in env.Args and returns the exit code.
func Main(ctx context.Context, env Env) int {
	if env.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	args := env.Args
	sub := "run"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	fail := func(err error) int {
		fmt.Fprintln(env.Stderr, "accountbot:", redactURLs(oneLine(err)))
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	switch sub {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	case "version", "--version", "-version", "-v":
		if len(args) > 0 {
			return fail(usageErrorf("version takes no arguments (usage: accountbot version)"))
		}
		fmt.Fprint(env.Stdout, versionLine())
		return 0
	case "run", "console", "import", "export", "backup", "restore", "healthcheck":
	default:
		if strings.HasPrefix(sub, "-") {
			fmt.Fprintf(env.Stderr, "accountbot: unknown flag %q\n\n%s", sub, usage)
		} else {
			fmt.Fprintf(env.Stderr, "accountbot: unknown sub-command %q\n\n%s", sub, usage)
		}
		return 2
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return fail(err)
	}
	logger, err := newLogger(env.Stderr, env.Getenv)
	if err != nil {
		return fail(err)
	}
	switch sub {
	case "run":
		if len(args) > 0 {
			return fail(usageErrorf("run: unknown argument %q (usage: accountbot [run])", args[0]))
		}
		if !cfg.HasAdapters() {
			if stdinIsNull(env.Stdin) && runsAsInit() {
				// A container started without -i -t: a console would read
				// nothing and exit 0 at once, which looks like a crash loop.
				return fail(errors.New("no chat adapter is configured (set TELEGRAM_BOT_TOKEN or SLACK_BOT_TOKEN) and standard input is empty, so there is no console to serve either; for the console chat run it with a terminal (docker run -it … console)"))
			}
			logger.Info("no chat adapter configured: starting the console chat (type /help)")
			err = runConsole(ctx, env, cfg, logger, "")
			break
		}
		err = runAdapters(ctx, env, cfg, logger)
	case "console":
		name := ""
		for i := 0; i < len(args); i++ {
			switch {
			case args[i] == "--as" && i+1 < len(args):
				name = args[i+1]
				i++
			case strings.HasPrefix(args[i], "--as="):
				name = strings.TrimPrefix(args[i], "--as=")
			default:
				return fail(usageErrorf("console: unknown argument %q (usage: accountbot console [--as NAME])", args[i]))
			}
		}
		err = runConsole(ctx, env, cfg, logger, name)
	case "healthcheck":
		err = healthcheck(ctx, env, cfg, args)
	case "import", "export", "backup", "restore":
		err = runData(ctx, env, cfg, logger, sub, args)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// usageError is a sub-command called the wrong way: exit code 2, as
// shells and supervisors expect, apart from failures of the work (1).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// services is the wired program.
type services struct {
	cfg     Config
	store   *store.Store
	cat     *i18n.Catalog
	clock   dates.Clock
	metrics *metrics.Metrics
	handler *handlers.Service
	log     *slog.Logger
	notify  *notifyRouter
	// holder names this process in the claims it makes in a shared store
	// (the daily backup's day).
	holder string
}

func open(cfg Config, logger *slog.Logger) (*services, error) {
	st, err := store.Open(storeOptions(cfg, logger))
	if err != nil {
		return nil, err
	}
	cat, err := i18n.New()
	if err != nil {
		st.Close()
		return nil, err
	}
	var clock dates.Clock = dates.SystemClock{}
	if !cfg.Now.IsZero() {
		clock = dates.NewOffsetClock(cfg.Now)
	}
	hc := handlers.DefaultConfig()
	hc.Lang, hc.TZ, hc.Currency = cfg.Lang, cfg.TZ, cfg.Currency
	hc.Heads = append([]string{"console:admin"}, cfg.Heads...)
	m := metrics.New()
	m.SetBuild(buildInfo())
	nr := newNotifyRouter()
	opts := append([]handlers.Option{handlers.WithClock(clock), handlers.WithConfig(hc), handlers.WithLogger(logger),
		handlers.WithObserver(m), handlers.WithNotifier(nr), handlers.WithModel(newModel(cfg, logger)),
		handlers.WithTranscriber(newTranscriber(cfg, logger))}, mailOptions(cfg)...)
	svc, err := handlers.New(st, cat, opts...)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &services{cfg: cfg, store: st, cat: cat, clock: clock, metrics: m, handler: svc, log: logger, notify: nr, holder: processName()}, nil
}

func (s *services) close() {
	// Transcriptions still running (outside the chat queues) finish
	// before the store closes under them.
	s.handler.Wait(30 * time.Second)
	if err := s.store.Close(); err != nil {
		s.log.Error("closing the store", "err", err)
	}
}

// openRunning opens the services of a running bot: the store, with the
// data services and the mail reader (catchUp: what is new in the mailbox
// is read first) started, and a context that SIGINT or SIGTERM cancels; stop
// undoes it all, in the reverse order.
func openRunning(ctx context.Context, cfg Config, logger *slog.Logger, catchUp bool) (context.Context, *services, func(), error) {
	s, err := open(cfg, logger)
	if err != nil {
		return ctx, nil, nil, err
	}
	stopData := startDataServices(ctx, s)
	stopMail := startMail(ctx, s, catchUp)
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	return ctx, s, func() {
		stopSignals()
		stopMail()
		stopData()
		s.close()
	}, nil
}

func runConsole(ctx context.Context, env Env, cfg Config, logger *slog.Logger, name string) error {
	ctx, s, stop, err := openRunning(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer stop()
	opts := []console.Option{}
	if name != "" {
		opts = append(opts, console.WithUser(name))
	}
	if stdinIsTerminal(env.Stdin) {
		// Without a line a person at a terminal sees nothing and thinks
		// the program hung; a pipe (scripts, tests) gets only the replies.
		fmt.Fprintln(env.Stdout, "accountbot — type /help")
	}
	con := console.New(env.Stdin, env.Stdout, opts...)
	// What the bot sends by itself to the console user (reminders, the
	// agenda, digests) is printed while the console runs: the jobs run
	// once before the first line is read, so what was missed while nobody
	// ran the bot comes first, and then on the scheduler's ticks.
	s.notify.register(bot.Console, con)
	// Upkeep (health scores) waits for the scheduler's first tick, so a
	// large company's console answers its first line at once.
	s.handler.RunMessageJobs(ctx)
	jobsCtx, stopJobs := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runScheduler(jobsCtx, s, false)
	}()
	err = con.Run(ctx, s.handler)
	// At the end of input: finish a tick under way, then close the store.
	stopJobs()
	<-done
	return err
}

// adapter is a chat platform connection.
type adapter interface {
	// Run serves until ctx is done, then finishes the work in hand.
	Run(ctx context.Context) error
}

func runAdapters(ctx context.Context, env Env, cfg Config, logger *slog.Logger) error {
	ctx, s, stop, err := openRunning(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer stop()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.store.Ping(); err != nil {
			http.Error(w, "store closed", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", s.metrics.Handler())
	serveCalendar(mux, s)
	adapters, err := buildAdapters(ctx, s, mux)
	if err != nil {
		return err
	}
	if len(adapters) == 0 {
		return errors.New("no chat adapter could be started")
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (ACCOUNTBOT_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	srv := newHTTPServer(mux)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server", "err", err)
		}
	}()
	logger.Info("accountbot running", "http", ln.Addr().String(), "adapters", len(adapters))

	var wg sync.WaitGroup
	wg.Add(1)
	// Only now, after buildAdapters registered every notifier: the first
	// run catches up on digests missed while down, and each needs its adapter.
	go func() {
		defer wg.Done()
		runScheduler(ctx, s, true)
	}()
	errs := make(chan error, len(adapters))
	for _, a := range adapters {
		wg.Add(1)
		go func(a adapter) {
			defer wg.Done()
			if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errs <- err
				stop()
			}
		}(a)
	}
	wg.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	logger.Info("accountbot stopped")
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

var _ bot.Handler = (*handlers.Service)(nil)

// runScheduler runs the scheduled jobs (digests, escalations, reminders,
// the agenda) at start when first is set, to catch up on what was missed
// while the bot was down, and then on every whole half minute of the
// service clock until ctx is done: a reminder set for 10:00 rings at
// 10:00:00, also when ACCOUNTBOT_NOW moved the clock.
func runScheduler(ctx context.Context, s *services, first bool) {
	if first {
		s.handler.RunJobs(ctx)
	}
	t := time.NewTimer(untilTick(s.clock.Now()))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.handler.RunJobs(ctx)
		t.Reset(untilTick(s.clock.Now()))
	}
}

// tickEvery is the scheduler's period.
const tickEvery = 30 * time.Second

// untilTick is the wait from now to just after the next whole period.
func untilTick(now time.Time) time.Duration {
	return tickEvery - time.Duration(now.UnixNano()%int64(tickEvery)) + 20*time.Millisecond
}

const usage = `accountbot — a chat assistant for account managers.

Usage:
  accountbot [run]                     start every configured chat adapter;
                                       with none, the console chat
  accountbot console [--as NAME]       the console chat (console:admin, or console:NAME)
  accountbot import clients FILE.csv   import clients from CSV
  accountbot export clients [FILE]     export clients as CSV (stdout without FILE)
  accountbot backup FILE               back up the store (also while the bot runs)
  accountbot restore [--force] FILE    restore a backup into an empty store (data directory or database)
  accountbot healthcheck [URL]         exit 0 when the running bot's /healthz answers
                                       (default http://ACCOUNTBOT_HTTP_ADDR/healthz),
                                       for HEALTHCHECK in images without curl
  accountbot version                   the version (also --version)
  accountbot help                      this text

Usage errors and unknown flags exit 2; other failures exit 1.

Environment:
  ACCOUNTBOT_DATA_DIR        Badger directory (./data); with a database, local files only
  ACCOUNTBOT_DATABASE_URL    PostgreSQL instead of Badger: postgres://user:pass@host:5432/db (none)
  ACCOUNTBOT_HEADS           comma-separated identities that are heads
  ACCOUNTBOT_LANG            default reply language, en or bg (en)
  ACCOUNTBOT_TZ              default IANA time zone (the machine's)
  ACCOUNTBOT_CURRENCY        default currency code (EUR)
  ACCOUNTBOT_HTTP_ADDR       health, metrics, Slack HTTP and Telegram webhook (127.0.0.1:8080)
  ACCOUNTBOT_ENCRYPTION_KEY  hex key (16/24/32 bytes) that encrypts the store (and its backups) at rest
  ACCOUNTBOT_BACKUP_DIR      a daily backup into this directory (none)
  ACCOUNTBOT_BACKUP_KEEP     how many daily backups to keep (7)
  ACCOUNTBOT_BACKUP_KEY      restore: the key a backup was made with, if not the store's (none)
  ACCOUNTBOT_NOW             start the clock at this RFC 3339 time (tests, demos)
  ACCOUNTBOT_LOG_LEVEL       debug, info, warn or error (info)
  ACCOUNTBOT_LOG_FORMAT      text or json (text); logs go to stderr
  TELEGRAM_BOT_TOKEN         enables Telegram; TELEGRAM_API_URL overrides the Bot API server
  TELEGRAM_WEBHOOK_URL       webhook mode, with TELEGRAM_WEBHOOK_SECRET
  SLACK_BOT_TOKEN            enables Slack; SLACK_APP_TOKEN for Socket Mode,
                             SLACK_SIGNING_SECRET for HTTP mode, SLACK_API_URL overrides the API
  OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL
                             any OpenAI-compatible server; none: the offline drafter
  OPENAI_TRANSCRIBE_MODEL    speech-to-text model for voice notes, same server (whisper-1)
  ACCOUNTBOT_SMTP_URL        outgoing e-mail: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465
  ACCOUNTBOT_MAIL_FROM       the From address of e-mail the bot sends
  ACCOUNTBOT_IMAP_URL        a mailbox to log client mail from: imaps://user:pass@host:993/INBOX or imap://…
  ACCOUNTBOT_PUBLIC_URL      the base URL of links to the HTTP server, for calendar feeds (http://ACCOUNTBOT_HTTP_ADDR)
`

// newHTTPServer is the one HTTP server of the process (health, metrics,
// Slack HTTP mode, the Telegram webhook, calendar feeds). Every timeout is
// set, so that stalled or slow clients cannot hold connections and memory:
// headers within 5 s, a whole request within 30 s, idle keep-alive
// connections closed after 60 s; responses (a feed, a handler's ack) get
// two minutes.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
