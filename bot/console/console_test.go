package console

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
)

// echo answers every message with its text and, for "menu", two buttons.
func echo(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r := bot.Reply{Text: m.Identity + " said " + m.Text}
	if m.Text == "menu" {
		r.Buttons = [][]bot.Button{{{Label: "First", Data: "/first"}, {Label: "Second", Data: "/second"}}}
	}
	if m.Text == "chart" {
		r.Image = &bot.Image{Name: "chart.png", PNG: []byte("\x89PNG")}
	}
	return w.Reply(ctx, r)
}

func TestConsoleButtonsAndIdentity(t *testing.T) {
	var out strings.Builder
	c := New(strings.NewReader("menu\n2\n2\n\n"), &out, WithUser("ivan"))
	if err := c.Run(context.Background(), bot.HandlerFunc(echo)); err != nil {
		t.Fatal(err)
	}
	want := "console:ivan said menu\n[1] First  [2] Second\nconsole:ivan said /second\nconsole:ivan said 2\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestConsoleWritesImagesAndPrintsPath(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	c := New(strings.NewReader("chart\nchart"), &out, WithFileDir(dir))
	if err := c.Run(context.Background(), bot.HandlerFunc(echo)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || lines[1] != filepath.Join(dir, "chart.png") || lines[3] != filepath.Join(dir, "chart-2.png") {
		t.Fatalf("output %q", out.String())
	}
	if b, err := os.ReadFile(lines[3]); err != nil || string(b) != "\x89PNG" {
		t.Fatalf("image file: %q %v", b, err)
	}
}

func TestConsoleStopsOnSignal(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- New(pr, io.Discard).Run(ctx, bot.HandlerFunc(echo)) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("console kept waiting for input after the stop")
	}
}

// A message the bot sends by itself is printed for the console user, its
// buttons numbered after the last reply's, so both stay pickable; one for
// another identity is not this console's to show.
func TestConsoleNotifyNumbersButtonsOn(t *testing.T) {
	var out strings.Builder
	c := New(strings.NewReader("menu\n"), &out)
	if err := c.Run(context.Background(), bot.HandlerFunc(echo)); err != nil {
		t.Fatal(err)
	}
	ring := bot.Reply{Title: "Reminder", Text: "T-1 · call", Buttons: [][]bot.Button{{{Label: "Done", Data: "/task done T-1"}}}}
	if err := c.Notify(context.Background(), "console:admin", ring); err != nil {
		t.Fatal(err)
	}
	if err := c.Notify(context.Background(), "console:maria", ring); !errors.Is(err, bot.ErrNotRunning) {
		t.Errorf("another identity: %v", err)
	}
	want := "console:admin said menu\n[1] First  [2] Second\n== Reminder ==\nT-1 · call\n[3] Done\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	var picked []string
	rec := bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		picked = append(picked, m.Text)
		return nil
	})
	c.handle(context.Background(), rec, "1")
	if len(picked) != 1 || picked[0] != "/first" {
		t.Fatalf("picked %q", picked)
	}
	c.Notify(context.Background(), "console:admin", ring)
	c.handle(context.Background(), rec, "1")
	if picked[1] != "/task done T-1" {
		t.Errorf("after a reply without buttons, the pushed message's button is 1: %q", picked)
	}
}
