// Package console is the chat adapter for a terminal: each line read is one
// message, each reply is printed. It needs no configuration, so a new user
// can try every command at once.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"accountbot/bot"
)

// maxLine is the most of one line the console reads; the rest of a longer
// line is discarded, and the handler refuses the over-long message.
const maxLine = 4 << 20

// Console reads messages from In and prints replies to Out.
type Console struct {
	in       io.Reader
	out      io.Writer
	identity string
	lang     string
	fileDir  string
	now      func() time.Time
	// mu keeps replies and messages the bot sends by itself (Notify, from
	// the scheduler) from mixing their lines, and guards buttons.
	mu sync.Mutex
	// buttons are the choices of the last reply, numbered from 1, and of
	// messages sent by the bot since, numbered on.
	buttons []bot.Button
}

// Option configures a Console.
type Option func(*Console)

// WithUser sets the console user's name (identity "console:NAME").
func WithUser(name string) Option {
	return func(c *Console) { c.identity = bot.Console + ":" + name }
}

// WithFileDir sets where images and files are written (default: the
// current directory).
func WithFileDir(dir string) Option { return func(c *Console) { c.fileDir = dir } }

// WithLangHint sets the language the console user is assumed to speak.
func WithLangHint(lang string) Option { return func(c *Console) { c.lang = lang } }

// New returns a console reading in and writing out.
func New(in io.Reader, out io.Writer, opts ...Option) *Console {
	c := &Console{in: in, out: out, identity: "console:admin", now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Run serves lines until the end of input or until ctx is done (a
// signal). Each line is handled to the end before the next is taken, so a
// stop never cuts a write in half.
func (c *Console) Run(ctx context.Context, h bot.Handler) error {
	type line struct {
		text string
		err  error
	}
	lines := make(chan line)
	go func() {
		r := bufio.NewReaderSize(c.in, 64<<10)
		for {
			text, err := readLine(r)
			select {
			case lines <- line{text, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case l := <-lines:
			if l.text != "" || l.err == nil {
				c.handle(ctx, h, l.text)
			}
			if errors.Is(l.err, io.EOF) {
				return nil
			}
			if l.err != nil {
				return l.err
			}
		}
	}
}

// readLine reads one line of at most maxLine bytes, discarding the rest.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := r.ReadLine()
		if b.Len() < maxLine {
			b.Write(chunk)
		}
		if err != nil {
			return b.String(), err
		}
		if !isPrefix {
			return strings.TrimRight(b.String(), "\r"), nil
		}
	}
}

func (c *Console) handle(ctx context.Context, h bot.Handler, line string) {
	text := strings.TrimSpace(line)
	m := &bot.Message{
		Platform: bot.Console, ChatID: "console", Identity: c.identity, Private: true,
		LangHint: c.lang, ReceivedAt: c.now(), Text: text,
	}
	c.mu.Lock()
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(c.buttons) {
		m.Text, m.Button = c.buttons[n-1].Data, true
	}
	if m.Text != "" {
		c.buttons = nil
	}
	c.mu.Unlock()
	if m.Text == "" {
		return
	}
	if err := h.ServeChat(ctx, c, m); err != nil {
		fmt.Fprintln(c.out, "error:", err)
	}
}

// Reply prints r: title, text, fields, then numbered buttons.
func (c *Console) Reply(_ context.Context, r bot.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.print(r, false)
}

// Notify prints a message the bot sends by itself (a reminder, the
// agenda, a digest) to the console user, between replies. Its buttons are
// numbered after those already shown, so a number typed for the last reply
// still picks the same choice. Other identities are not at this console:
// the delivery fails, and the sender may try again later.
func (c *Console) Notify(_ context.Context, identity string, r bot.Reply) error {
	if identity != c.identity {
		return fmt.Errorf("console: %s is not the console user (%s): %w", identity, c.identity, bot.ErrNotRunning)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.print(r, true)
}

// print writes r; more numbers its buttons after the ones shown.
func (c *Console) print(r bot.Reply, more bool) error {
	var b strings.Builder
	if r.Title != "" {
		b.WriteString("== " + r.Title + " ==\n")
	}
	if r.Text != "" {
		b.WriteString(r.Text + "\n")
	}
	for _, f := range r.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	if r.Image != nil {
		path, err := c.writeFile(r.Image.Name, r.Image.PNG)
		if err != nil {
			return err
		}
		b.WriteString(path + "\n")
	}
	if r.File != nil {
		path, err := c.writeFile(r.File.Name, r.File.Data)
		if err != nil {
			return err
		}
		b.WriteString(path + "\n")
	}
	if len(r.Buttons) > 0 {
		if !more {
			c.buttons = nil
		}
		for _, row := range r.Buttons {
			var cells []string
			for _, btn := range row {
				c.buttons = append(c.buttons, btn)
				cells = append(cells, fmt.Sprintf("[%d] %s", len(c.buttons), btn.Label))
			}
			b.WriteString(strings.Join(cells, "  ") + "\n")
		}
	}
	_, err := io.WriteString(c.out, b.String())
	return err
}

// writeFile writes data under the file directory and returns its absolute
// path.
func (c *Console) writeFile(name string, data []byte) (string, error) {
	dir := c.fileDir
	if dir == "" {
		dir = "."
	}
	name = filepath.Base(name)
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	path := filepath.Join(dir, name)
	for i := 2; ; i++ {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			break
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", base, i, ext))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", err
	}
	return filepath.Abs(path)
}

var (
	_ bot.ReplyWriter = (*Console)(nil)
	_ bot.Notifier    = (*Console)(nil)
)
