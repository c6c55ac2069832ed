// Package prompts holds the language model's prompts as text/template files,
// one per task and language (followup.en.tmpl, note.bg.tmpl, …), embedded in
// the binary. Each file defines two templates, "system" and "user".
//
// Client-written text (conversation notes, claims, deal titles) is put into
// a prompt only through the q function, inside a <data> block that the
// prompt declares untrusted: q writes it as a JSON string, so quotes, new
// lines and angle brackets are escaped and it cannot end the block or pose
// as an instruction.
package prompts

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"text/template"
	"time"

	"accountbot/crm"
)

//go:embed *.tmpl
var files embed.FS

// Tasks and languages every template set must cover.
var (
	Tasks     = []string{"followup", "note", "ask", "next", "qbr"}
	Languages = []string{"en", "bg"}
)

// Prompt is a rendered prompt: the system message and the first user
// message.
type Prompt struct {
	System string
	User   string
}

// Set is the parsed templates.
type Set struct {
	t map[string]*template.Template // "followup.en" → template
}

// New parses the embedded templates.
func New() (*Set, error) { return Load(files) }

// Load parses every *.tmpl file of fsys. A missing variable is an error
// when a template runs (missingkey=error), never "<no value>" in a prompt.
func Load(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*.tmpl")
	if err != nil {
		return nil, err
	}
	s := &Set{t: map[string]*template.Template{}}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		t, err := template.New(n).Funcs(Funcs()).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("prompts: %w", err)
		}
		for _, part := range []string{"system", "user"} {
			if t.Lookup(part) == nil {
				return nil, fmt.Errorf("prompts: %s defines no %q template", n, part)
			}
		}
		s.t[strings.TrimSuffix(n, ".tmpl")] = t
	}
	return s, nil
}

// Names returns the loaded template names ("ask.bg", …), sorted.
func (s *Set) Names() []string {
	var out []string
	for n := range s.t {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Render fills the templates of task in lang with data. An unknown
// language falls back to English.
func (s *Set) Render(task, lang string, data any) (Prompt, error) {
	t, ok := s.t[task+"."+lang]
	if !ok {
		t, ok = s.t[task+".en"]
	}
	if !ok {
		return Prompt{}, fmt.Errorf("prompts: no template for %s", task)
	}
	var p Prompt
	for _, part := range []struct {
		name string
		out  *string
	}{{"system", &p.System}, {"user", &p.User}} {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, part.name, data); err != nil {
			return Prompt{}, fmt.Errorf("prompts: %s.%s: %w", task, lang, err)
		}
		*part.out = strings.TrimSpace(b.String())
	}
	return p, nil
}

// Funcs are the functions templates may use.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"q":        Quote,
		"day":      func(t time.Time) string { return day(t) },
		"weekday":  weekday,
		"join":     strings.Join,
		"langName": langName,
	}
}

// Quote writes untrusted text as a JSON string: quoted, with new lines,
// quotes and <, >, & escaped, so that it reads as data and cannot close the
// <data> block around it.
func Quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return `""`
	}
	return string(b)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02")
}

var bgWeekdays = [...]string{"неделя", "понеделник", "вторник", "сряда", "четвъртък", "петък", "събота"}

// weekday names t's day of the week in lang.
func weekday(t time.Time, lang string) string {
	if lang == "bg" {
		return bgWeekdays[t.Weekday()]
	}
	return t.Weekday().String()
}

func langName(lang string) string {
	switch lang {
	case "bg":
		return "Bulgarian"
	}
	return "English"
}

// Followup fills followup.*.tmpl: the facts about one client, and the
// language the proposed next step is written in (the caller's).
type Followup struct {
	*crm.Facts
	StepLang string
}

// Note fills note.*.tmpl: a person's note and the clients it may be about.
type Note struct {
	Person  string
	Today   time.Time
	Note    string
	Clients []NoteClient
	// Kinds are the action kinds that may be proposed (crm.Action*).
	Kinds []string
}

// NoteClient is a client a note may be about, with its open records.
type NoteClient struct {
	Ref    string
	Name   string
	City   string
	Deals  []crm.FactDeal
	Claims []crm.FactClaim
}

// Next fills next.*.tmpl: the facts about one client and the steps the
// rules recommend, the first one first; the model only phrases them.
type Next struct {
	*crm.Facts
	Steps []NextStep
}

// QBR fills qbr.*.tmpl: one client's facts of a business review period.
type QBR struct {
	*crm.QBRFacts
}

// NextStep is one recommended step and its reason, as the reply shows them.
type NextStep struct {
	Step   string
	Reason string
}

// Ask fills ask.*.tmpl.
type Ask struct {
	Person string
	Role   string
	Today  time.Time
	// Question is the person's question.
	Question string
}
