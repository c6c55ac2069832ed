package bot

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		name string
		args []string
	}{
		{"/help", true, "help", nil},
		{"  /Client Acme  ", true, "client", []string{"Acme"}},
		{"/client@accountbot add \"Acme Ltd\" city=Sofia", true, "client", []string{"add", "Acme Ltd", "city=Sofia"}},
		{`/log "Say \"hi\"": text`, true, "log", []string{`Say "hi":`, "text"}},
		{`/client add name="Two words"`, true, "client", []string{"add", "name=Two words"}},
		{"/клиент Акме", true, "клиент", []string{"Акме"}},
		{"hello", false, "", nil},
		{"/", false, "", nil},
		{"", false, "", nil},
	}
	for _, tt := range tests {
		c, ok := ParseCommand(tt.in)
		if ok != tt.ok || c.Name != tt.name || !reflect.DeepEqual(c.Args, tt.args) {
			t.Errorf("ParseCommand(%q) = %q %q %v; want %q %q %v", tt.in, c.Name, c.Args, ok, tt.name, tt.args, tt.ok)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"plain", "two words", `a "quoted" b`, `back\slash`, ""} {
		got := Split(Quote(s))
		if s == "" {
			if len(got) != 1 || got[0] != "" {
				t.Errorf("Quote(%q) splits to %q", s, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != s {
			t.Errorf("Split(Quote(%q)) = %q", s, got)
		}
	}
}

func TestNearest(t *testing.T) {
	r := NewRouter()
	h := HandlerFunc(nil)
	r.Handle(h, "client", "клиент")
	r.Handle(h, "clients")
	r.Handle(h, "today")
	for in, want := range map[string]string{"clien": "client", "tody": "today", "клиенд": "клиент", "xyzzyq": ""} {
		if got := r.Nearest(in); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseCommand checks that no input makes the parser panic, and that
// what it returns is well-formed.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/help", `/log "A \"B\"": x`, "/client add Acme city=Sofia", "/\xff", `/"`, "/a \\", "/клиент"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := ParseCommand(s)
		if !ok {
			return
		}
		if c.Name == "" || strings.ContainsAny(c.Name, " \t\n@") || !utf8.ValidString(c.Name) {
			t.Fatalf("bad name %q from %q", c.Name, s)
		}
		for _, a := range c.Args {
			if len(a) > len(s) {
				t.Fatalf("arg longer than input")
			}
		}
	})
}

func TestRouterRecordsConflicts(t *testing.T) {
	r := NewRouter()
	h := HandlerFunc(func(context.Context, ReplyWriter, *Message) error { return nil })
	r.Handle(h, "client", "клиент")
	r.Handle(h, "Clients", "КЛИЕНТ")
	if got := r.Conflicts(); len(got) != 1 || got[0] != "клиент" {
		t.Fatalf("conflicts = %q, want [клиент]", got)
	}
}
