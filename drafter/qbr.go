package drafter

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"text/template"
	"time"

	"accountbot/crm"
)

var (
	qbrOnce sync.Once
	qbrT    map[string]*template.Template
	qbrErr  error
)

// qbrTemplates parses the business review templates once.
func qbrTemplates() (map[string]*template.Template, error) {
	qbrOnce.Do(func() {
		qbrT = map[string]*template.Template{}
		funcs := template.FuncMap{
			"join": strings.Join,
			"inc":  func(n int) int { return n + 1 },
		}
		for _, lang := range []string{"en", "bg"} {
			name := "templates/qbr." + lang + ".tmpl"
			b, err := files.ReadFile(name)
			if err != nil {
				qbrErr = err
				return
			}
			lf := template.FuncMap{"date": func(t time.Time) string { return formatDate(t, lang) }}
			t, err := template.New(name).Funcs(funcs).Funcs(lf).Option("missingkey=error").Parse(string(b))
			if err != nil {
				qbrErr = fmt.Errorf("drafter: %w", err)
				return
			}
			qbrT[lang] = t
		}
	})
	return qbrT, qbrErr
}

// QBR writes a quarterly business review brief from f in f.Lang (English
// for an unknown one): the period's talks, deals, claims, promises, the
// account's health and renewal, and an agenda built from what is open.
// It writes only what the facts hold.
func (d *Drafter) QBR(f *crm.QBRFacts) (string, error) {
	ts, err := qbrTemplates()
	if err != nil {
		return "", err
	}
	t, ok := ts[f.Lang]
	if !ok {
		t = ts["en"]
	}
	var open []string
	for _, c := range f.Claims {
		open = append(open, c.ID)
	}
	for _, p := range f.PromisesOpen {
		open = append(open, p.ID)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "brief", qbrView{QBRFacts: f, OpenRefs: strings.Join(open, ", ")}); err != nil {
		return "", fmt.Errorf("drafter: qbr: %w", err)
	}
	return tidy(b.String()), nil
}

// qbrView is what the brief's template reads.
type qbrView struct {
	*crm.QBRFacts
	// OpenRefs are the open claims' and promises' ids: "C-3, P-2".
	OpenRefs string
}
