package app

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"accountbot/csvio"
	"accountbot/dates"
	"accountbot/store"
)

// socketName is the Unix socket that the process holding the store keeps
// in the data directory, so that "accountbot backup" can ask it for a
// backup. Being in the data directory (mode 0700, the socket 0600), it
// answers only those who may read the data anyway.
const socketName = "accountbot.sock"

// importer is the identity the import and export sub-commands act as.
const importer = "console:admin"

// loadDataConfig reads the backup settings.
func loadDataConfig(c *Config, getenv func(string) string) error {
	c.BackupDir = strings.TrimSpace(getenv("ACCOUNTBOT_BACKUP_DIR"))
	c.BackupKeep = 7
	if k := strings.TrimSpace(getenv("ACCOUNTBOT_BACKUP_KEEP")); k != "" {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 {
			return fmt.Errorf("ACCOUNTBOT_BACKUP_KEEP must be a whole number of backups, 1 or more, not %q", k)
		}
		c.BackupKeep = n
	}
	if k := strings.TrimSpace(getenv("ACCOUNTBOT_BACKUP_KEY")); k != "" {
		key, err := hex.DecodeString(k)
		if err != nil || (len(key) != 16 && len(key) != 24 && len(key) != 32) {
			return errors.New("ACCOUNTBOT_BACKUP_KEY must be 16, 24 or 32 bytes in hex (32, 48 or 64 hex digits)")
		}
		c.BackupKey = key
	}
	return nil
}

// runData runs "import", "export", "backup" and "restore".
func runData(ctx context.Context, env Env, cfg Config, logger *slog.Logger, sub string, args []string) error {
	for _, a := range args {
		if len(a) > 1 && strings.HasPrefix(a, "-") && !(sub == "restore" && (a == "--force" || a == "-force")) {
			return usageErrorf("%s: unknown flag %q (see accountbot help)", sub, a)
		}
	}
	switch sub {
	case "import":
		if len(args) != 2 || args[0] != "clients" {
			return usageErrorf("usage: accountbot import clients FILE.csv")
		}
		return importClients(ctx, env, cfg, logger, args[1])
	case "export":
		if len(args) < 1 || len(args) > 2 || args[0] != "clients" {
			return usageErrorf("usage: accountbot export clients [FILE]")
		}
		file := ""
		if len(args) == 2 {
			file = args[1]
		}
		return exportClients(ctx, env, cfg, logger, file)
	case "backup":
		if len(args) != 1 {
			return usageErrorf("usage: accountbot backup FILE")
		}
		return backup(ctx, env, cfg, logger, args[0])
	case "restore":
		force, file := false, ""
		for _, a := range args {
			switch {
			case a == "--force" || a == "-force":
				force = true
			case file == "" && !strings.HasPrefix(a, "-"):
				file = a
			default:
				return usageErrorf("usage: accountbot restore [--force] FILE")
			}
		}
		if file == "" {
			return usageErrorf("usage: accountbot restore [--force] FILE")
		}
		return restore(env, cfg, logger, file, force)
	}
	return fmt.Errorf("unknown sub-command %q", sub)
}

// held words store.ErrLocked for the sub-commands that need the store.
func held(err error) error {
	var locked *store.ErrLocked
	if errors.As(err, &locked) {
		return fmt.Errorf("the data directory %s is held by a running accountbot (bot or console); stop it first, or send the file to the bot in chat", locked.Dir)
	}
	return err
}

func importClients(ctx context.Context, env Env, cfg Config, logger *slog.Logger, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() > csvio.DefaultMaxBytes {
		return fmt.Errorf("%s is larger than %d MB; split it into smaller files", path, csvio.DefaultMaxBytes>>20)
	}
	s, err := open(cfg, logger)
	if err != nil {
		return held(err)
	}
	defer s.close()
	var progress func(int64, int)
	if fi.Size() >= progressFrom {
		bar := newProgressBar(env.Stderr, "import "+filepath.Base(path), fi.Size())
		defer bar.finish()
		progress = func(done int64, rows int) { bar.update(done, fmt.Sprintf("%d rows", rows)) }
	}
	rep, summary, err := s.handler.ImportClients(ctx, importer, f, progress)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(env.Stdout)
	fmt.Fprintf(out, "%s: %s\n", filepath.Base(path), summary)
	for _, x := range rep.Rejected {
		fmt.Fprintln(out, s.handler.RejectedLine(importer, x))
	}
	if rep.RejectedCount > len(rep.Rejected) {
		fmt.Fprintf(out, "… %d more rejected rows\n", rep.RejectedCount-len(rep.Rejected))
	}
	return out.Flush()
}

func exportClients(ctx context.Context, env Env, cfg Config, logger *slog.Logger, path string) error {
	s, err := open(cfg, logger)
	if err != nil {
		return held(err)
	}
	defer s.close()
	if path == "" {
		w := bufio.NewWriter(env.Stdout)
		if _, err := s.handler.ExportClients(ctx, importer, w); err != nil {
			return err
		}
		return w.Flush()
	}
	n := 0
	err = writeFileAtomic(path, func(w io.Writer) (err error) {
		n, err = s.handler.ExportClients(ctx, importer, w)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "accountbot: %d clients written to %s\n", n, path)
	return nil
}

// writeFileAtomic writes a file through a temporary file in the same
// directory, synced and renamed into place, so that the file is either the
// old one or the whole new one.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// backup writes a backup to path: from the store directly when no one
// holds it, else through the holder's socket.
func backup(ctx context.Context, env Env, cfg Config, logger *slog.Logger, path string) error {
	st, err := store.Open(storeOptions(cfg, logger))
	var locked *store.ErrLocked
	switch {
	case errors.As(err, &locked):
		err = writeFileAtomic(path, func(w io.Writer) error {
			cw := newCountingWriter(w, env.Stderr, "backup")
			defer cw.finish()
			return askBackup(ctx, cfg.DataDir, cw)
		})
		if err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		err = writeFileAtomic(path, func(w io.Writer) error {
			cw := newCountingWriter(w, env.Stderr, "backup")
			defer cw.finish()
			return st.Backup(cw, cfg.EncryptionKey, clockOf(cfg).Now())
		})
		if cerr := st.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	// Read what was written: a backup that cannot be read back is no backup.
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := store.CheckBackup(f, cfg.EncryptionKey)
	if err != nil {
		return fmt.Errorf("the backup in %s does not read back: %w", path, err)
	}
	enc := "not encrypted"
	if info.Encrypted {
		enc = "encrypted"
	}
	fmt.Fprintf(env.Stderr, "accountbot: backup written to %s (%s, %s)\n", path, size(info.Bytes), enc)
	return nil
}

// askBackup asks the holder of dir for a backup over its socket and
// copies it to w.
func askBackup(ctx context.Context, dir string, w io.Writer) error {
	abs, _ := filepath.Abs(dir)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(dir, socketName))
	if err != nil {
		return fmt.Errorf("the data directory %s is held by another accountbot process that does not answer on %s: %v", abs, socketName, errors.Unwrap(err))
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "backup\n"); err != nil {
		return err
	}
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := br.ReadString('\n')
	if err != nil {
		return fmt.Errorf("the accountbot holding %s did not answer the backup request: %v", abs, err)
	}
	if line = strings.TrimSpace(line); line != "ok" {
		return fmt.Errorf("the accountbot holding %s refused the backup: %s", abs, strings.TrimPrefix(line, "error "))
	}
	conn.SetReadDeadline(time.Time{})
	_, err = io.Copy(w, br)
	return err
}

// restore writes a backup into the data directory: a missing or empty one,
// or, with force, one whose contents it replaces. The backup is loaded into
// a new directory beside it first, so a failed restore changes nothing.
func restore(env Env, cfg Config, logger *slog.Logger, path string, force bool) error {
	backupKey := cfg.BackupKey
	if backupKey == nil {
		backupKey = cfg.EncryptionKey
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	if _, err := store.CheckBackup(f, backupKey); err != nil {
		if errors.Is(err, store.ErrBackupNeedsKey) || errors.Is(err, store.ErrBackupKey) {
			return err
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.DatabaseURL != "" {
		return restoreDatabase(env, cfg, logger, f, path, backupKey, force)
	}
	target, _ := filepath.Abs(cfg.DataDir)
	state, err := dirState(target)
	if err != nil {
		return err
	}
	if state == dirFull {
		if !force {
			return fmt.Errorf("the data directory %s is not empty: restore writes only into a missing or empty directory (use --force to replace its contents)", target)
		}
		// Whoever runs on it must stop first.
		st, err := store.Open(store.Options{Dir: target, EncryptionKey: cfg.EncryptionKey, Logger: logger})
		if err != nil {
			var locked *store.ErrLocked
			if errors.As(err, &locked) {
				return held(err)
			}
		} else {
			st.Close()
		}
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".accountbot-restore-*")
	if err != nil {
		return fmt.Errorf("cannot restore next to %s: %w", target, errors.Unwrap(err))
	}
	defer os.RemoveAll(tmp)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	st, err := store.Open(store.Options{Dir: tmp, EncryptionKey: cfg.EncryptionKey, Logger: logger})
	if err != nil {
		return err
	}
	r, done := restoreProgress(env, f, path)
	defer done()
	info, err := st.Restore(r, backupKey)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := replaceDir(target, tmp, state); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "accountbot: restored %s (made %s) into %s\n", path, info.Created.Format(time.RFC3339), target)
	return nil
}

// restoreProgress is the backup file f (read from path) to restore from:
// a large one shows a progress bar on stderr while it is read, which done
// closes.
func restoreProgress(env Env, f *os.File, path string) (r io.Reader, done func()) {
	fi, _ := f.Stat()
	if fi == nil || fi.Size() < progressFrom {
		return f, func() {}
	}
	bar := newProgressBar(env.Stderr, "restore "+filepath.Base(path), fi.Size())
	return &countingReader{r: f, bar: bar}, bar.finish
}

// restoreDatabase restores into the database of ACCOUNTBOT_DATABASE_URL:
// an empty one, or with force one whose contents it replaces, in one
// transaction (a failed restore changes nothing).
func restoreDatabase(env Env, cfg Config, logger *slog.Logger, f *os.File, path string, backupKey []byte, force bool) error {
	st, err := store.Open(storeOptions(cfg, logger))
	if err != nil {
		return err
	}
	defer st.Close()
	empty, err := st.Empty()
	if err != nil {
		return err
	}
	if !empty && !force {
		return errors.New("the database of ACCOUNTBOT_DATABASE_URL is not empty: restore writes only into an empty store (use --force to replace its contents; stop the replicas first)")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r, done := restoreProgress(env, f, path)
	defer done()
	var info *store.BackupInfo
	if empty {
		info, err = st.Restore(r, backupKey)
	} else {
		info, err = st.RestoreReplacing(r, backupKey)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(env.Stderr, "accountbot: restored %s (made %s) into the database\n", path, info.Created.Format(time.RFC3339))
	return nil
}

type dirKind int

const (
	dirMissing dirKind = iota
	dirEmpty
	dirFull
)

func dirState(dir string) (dirKind, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return dirMissing, nil
	case err != nil:
		return 0, fmt.Errorf("cannot read the data directory %s: %w", dir, errors.Unwrap(err))
	case len(entries) == 0:
		return dirEmpty, nil
	}
	return dirFull, nil
}

// replaceDir puts the restored directory tmp in target's place. Renaming
// directories keeps the old data whole until the new is in place; where
// target cannot be renamed (a mount point), its contents are replaced.
func replaceDir(target, tmp string, state dirKind) error {
	switch state {
	case dirMissing:
		return os.Rename(tmp, target)
	case dirEmpty:
		if err := os.Remove(target); err == nil {
			if err := os.Rename(tmp, target); err == nil {
				return nil
			}
			os.Mkdir(target, 0o700)
		}
	case dirFull:
		old := target + ".old-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if err := os.Rename(target, old); err == nil {
			if err := os.Rename(tmp, target); err != nil {
				os.Rename(old, target)
				return err
			}
			return os.RemoveAll(old)
		}
		entries, err := os.ReadDir(target)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(target, e.Name())); err != nil {
				return err
			}
		}
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(target, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// startDataServices starts, for the process that holds the store, the
// backup socket and the daily backups, and returns the function that stops
// them (before the store closes).
func startDataServices(ctx context.Context, s *services) func() {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stopSocket := func() {}
	if s.cfg.DatabaseURL == "" {
		// A database is open to every process: backup reads it directly.
		stopSocket = serveBackups(s)
	}
	if s.cfg.BackupDir != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runDailyBackups(ctx, s)
		}()
	}
	return func() {
		cancel()
		stopSocket()
		wg.Wait()
	}
}

// serveBackups answers backup requests on the data directory's socket.
func serveBackups(s *services) func() {
	path := filepath.Join(s.cfg.DataDir, socketName)
	os.Remove(path) // left by a process that was killed; we hold the store now
	ln, err := net.Listen("unix", path)
	if err != nil {
		s.log.Warn("no backup socket: accountbot backup cannot ask this process while it runs", "path", path, "err", err)
		return func() {}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.Remove(path)
		s.log.Warn("no backup socket", "path", path, "err", err)
		return func() {}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[conn] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					mu.Lock()
					delete(conns, conn)
					mu.Unlock()
					conn.Close()
				}()
				s.answerBackup(conn)
			}()
		}
	}()
	return func() {
		ln.Close() // removes the socket file too
		os.Remove(path)
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

func (s *services) answerBackup(conn net.Conn) {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(conn, 64)).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "backup" {
		io.WriteString(conn, "error unknown request\n")
		return
	}
	conn.SetReadDeadline(time.Time{})
	if _, err := io.WriteString(conn, "ok\n"); err != nil {
		return
	}
	w := bufio.NewWriterSize(conn, 256<<10)
	if err := s.store.Backup(w, s.cfg.EncryptionKey, s.clock.Now()); err != nil {
		s.log.Error("backup over the socket failed", "err", err)
		return // the client sees a cut stream and says so
	}
	if err := w.Flush(); err != nil {
		s.log.Error("backup over the socket failed", "err", err)
		return
	}
	s.log.Info("backup sent over the socket")
}

// Daily backups: a file accountbot-YYYYMMDDTHHMMSSZ.bak in the backup
// directory whenever the newest is a day old, the newest N kept. On a
// store that replicas share, each replica may have a directory of its own
// (on its own machine), so the files cannot tell whether today's backup
// was made: the replicas claim the day in the store instead, and the one
// that wins writes it.
const backupLayout = "20060102T150405Z"

// backupClaimStale is how long a replica's claim of a day holds while it
// has not said the backup is written: past it, the writer is taken for
// dead and another replica writes the day's backup.
const backupClaimStale = time.Hour

func runDailyBackups(ctx context.Context, s *services) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if err := dailyBackup(s, s.clock.Now()); err != nil {
			s.log.Error("daily backup failed", "dir", s.cfg.BackupDir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dailyBackup makes a backup when one is due and removes all but the
// newest keep. On a store of one process a backup is due when the newest
// file is 24 hours old (or from the future: the clock was set back); on a
// shared store, when this process wins the claim of now's day (UTC).
func dailyBackup(s *services, now time.Time) error {
	dir := s.cfg.BackupDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	names, err := backupFiles(dir)
	if err != nil {
		return err
	}
	due := true
	day := now.UTC().Format(time.DateOnly)
	ctx := context.Background()
	if s.store.Shared() {
		// The machine's time for the claim's age, as leases use: the
		// replicas' ACCOUNTBOT_NOW clocks started at different moments.
		if due, err = s.store.ClaimDailyBackup(ctx, day, s.holder, time.Now(), backupClaimStale); err != nil {
			return err
		}
	} else if len(names) > 0 {
		last, _ := time.Parse(backupLayout, strings.TrimSuffix(strings.TrimPrefix(names[len(names)-1], "accountbot-"), ".bak"))
		due = now.Sub(last) >= 24*time.Hour || last.After(now.Add(time.Hour))
	}
	if due {
		name := "accountbot-" + now.UTC().Format(backupLayout) + ".bak"
		if err := writeFileAtomic(filepath.Join(dir, name), func(w io.Writer) error {
			return s.store.Backup(w, s.cfg.EncryptionKey, now)
		}); err != nil {
			if s.store.Shared() {
				// Let the next attempt, here or on another replica, try
				// at once.
				if rerr := s.store.ReleaseDailyBackup(ctx, day, s.holder); rerr != nil {
					s.log.Warn("releasing the claim of the daily backup", "day", day, "err", rerr)
				}
			}
			return err
		}
		os.Chmod(filepath.Join(dir, name), 0o600)
		if s.store.Shared() {
			if err := s.store.DailyBackupDone(ctx, day, s.holder, time.Now()); err != nil {
				return err
			}
		}
		s.log.Info("daily backup written", "file", filepath.Join(dir, name))
		if names, err = backupFiles(dir); err != nil {
			return err
		}
	}
	for len(names) > s.cfg.BackupKeep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return err
		}
		names = names[1:]
	}
	return nil
}

// processName names this process among the replicas of a shared store:
// host, process id and a random part (a restarted container may get the
// same host name and pid).
func processName() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// backupFiles lists the daily backups in dir, oldest first.
func backupFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, "accountbot-") || !strings.HasSuffix(n, ".bak") {
			continue
		}
		if _, err := time.Parse(backupLayout, strings.TrimSuffix(strings.TrimPrefix(n, "accountbot-"), ".bak")); err == nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// progressFrom is the size from which sub-commands show progress.
const progressFrom = 1 << 20

// progressBar draws progress on stderr: a bar redrawn in place on a
// terminal, a line per tenth elsewhere (logs).
type progressBar struct {
	w        io.Writer
	label    string
	total    int64
	tty      bool
	last     time.Time
	lastTen  int64
	drawn    bool
	finished bool
}

func newProgressBar(w io.Writer, label string, total int64) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, label: label, total: total, tty: tty, lastTen: -1}
}

func (p *progressBar) update(done int64, extra string) {
	pct := int64(100)
	if p.total > 0 {
		pct = min(100, done*100/p.total)
	}
	if p.tty {
		if time.Since(p.last) < 100*time.Millisecond && pct < 100 {
			return
		}
		p.last = time.Now()
		const width = 30
		fill := int(pct * width / 100)
		fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %s ", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, extra)
		p.drawn = true
		return
	}
	if pct/10 > p.lastTen {
		p.lastTen = pct / 10
		fmt.Fprintf(p.w, "%s: %d%% %s\n", p.label, pct, extra)
	}
}

func (p *progressBar) finish() {
	if p.tty && p.drawn && !p.finished {
		fmt.Fprintln(p.w)
	}
	p.finished = true
}

// countingReader tells a progress bar how much was read.
type countingReader struct {
	r   io.Reader
	n   int64
	bar *progressBar
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.bar.update(c.n, "")
	return n, err
}

// countingWriter shows how much of a backup (whose size is not known
// beforehand) was written, on a terminal.
type countingWriter struct {
	w     io.Writer
	n     int64
	out   io.Writer
	label string
	tty   bool
	drawn bool
	last  time.Time
}

func newCountingWriter(w, stderr io.Writer, label string) *countingWriter {
	c := &countingWriter{w: w, out: stderr, label: label, last: time.Now()}
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			c.tty = true
		}
	}
	return c
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.tty && time.Since(c.last) > 200*time.Millisecond {
		c.last = time.Now()
		c.drawn = true
		fmt.Fprintf(c.out, "\r%s: %s ", c.label, size(uint64(c.n)))
	}
	return n, err
}

func (c *countingWriter) finish() {
	if c.drawn {
		fmt.Fprintln(c.out)
	}
}

// clockOf is the clock the configuration asks for.
func clockOf(cfg Config) dates.Clock {
	if !cfg.Now.IsZero() {
		return dates.NewOffsetClock(cfg.Now)
	}
	return dates.SystemClock{}
}

func size(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
