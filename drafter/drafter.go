// Package drafter writes follow-up drafts without a language model: a
// letter template per language (templates/letter.<lang>.tmpl) filled from
// the same facts a model would get. It serves when no model is configured,
// and when the model fails or is too slow, so /followup always answers.
//
// The drafter writes only what the facts support. It does not quote
// internal notes to the client; it thanks for the latest contact, answers
// open claims with their state, mentions open deals, and either confirms
// the agreed next step or proposes a call, which it returns as the next
// step to set when the draft is sent.
package drafter

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"accountbot/crm"
	"accountbot/dates"
)

//go:embed templates/*.tmpl
var files embed.FS

// Variants is how many wordings "regenerate" cycles through.
const Variants = 3

// callAfter is how many working days after today the proposed call is.
const callAfter = 3

// Draft is a written draft.
type Draft struct {
	Subject string
	Body    string
	// CallDue is set when the draft promises a call on that day: the next
	// step to set when the draft is marked as sent.
	CallDue time.Time
}

// Drafter fills the letter templates.
type Drafter struct {
	t map[string]*template.Template
}

// New parses the embedded templates.
func New() (*Drafter, error) {
	d := &Drafter{t: map[string]*template.Template{}}
	for _, lang := range []string{"en", "bg"} {
		name := "templates/letter." + lang + ".tmpl"
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("drafter: %w", err)
		}
		d.t[lang] = t
	}
	return d, nil
}

// Draft writes a follow-up from f in f.Lang (English for an unknown one).
func (d *Drafter) Draft(f *crm.Facts) (Draft, error) {
	lang := f.Lang
	t, ok := d.t[lang]
	if !ok {
		lang, t = "en", d.t["en"]
	}
	v := build(f, lang)
	var out Draft
	for _, part := range []struct {
		name string
		dst  *string
	}{{"subject", &out.Subject}, {"body", &out.Body}} {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, part.name, v); err != nil {
			return Draft{}, fmt.Errorf("drafter: %s: %w", part.name, err)
		}
		*part.dst = tidy(b.String())
	}
	out.Subject = strings.Join(strings.Fields(out.Subject), " ")
	if v.CallDay != "" {
		out.CallDue = v.callDue
	}
	return out, nil
}

// view is what the templates read: the facts, already phrased for the
// letter's language.
type view struct {
	Short, Formal bool
	Variant       int
	Client        string
	Contact       string
	Sender        string
	// LastNoun and LastDate describe the latest conversation ("meeting",
	// "2026-05-01"); empty when none was logged.
	LastNoun string
	LastDate string
	// Intent is what the goal asks for: apology, confirm, offer, thanks,
	// payment, meeting, or "" for any other goal.
	Intent string
	// GoalMode is "verb" when Goal can follow "I am writing to" ("за да"),
	// "topic" when it can follow "regarding" ("във връзка с"), "" when
	// there is no goal or it is in another language than the letter.
	GoalMode string
	Goal     string
	// GoalTitle is the goal as a subject line; GoalWith the goal after
	// the Bulgarian "във връзка" with its preposition ("със срещата").
	GoalTitle string
	GoalWith  string
	// StepText and StepDate are the agreed next step, when it is still
	// ahead; StepText is empty when the step is written in another
	// language than the letter.
	HasStep  bool
	StepText string
	StepDate string
	// CallDay is the proposed call ("on Thursday, 2026-05-07"), when no
	// next step is agreed.
	CallDay string
	callDue time.Time
	Claims  []claimView
	// ClaimIDs lists the claims' ids: "C-12, C-14".
	ClaimIDs string
	Deals    []dealView
}

type claimView struct {
	ID, Text, Status, Due string
}

type dealView struct {
	ID, Title, Stage, Amount string
}

func build(f *crm.Facts, lang string) view {
	v := view{Short: f.Short, Formal: f.Formal, Variant: ((f.Variant % Variants) + Variants) % Variants,
		Client: f.Client.Name, Contact: strings.TrimSpace(f.Client.Contact), Sender: f.Sender}
	today := f.Today
	if len(f.Conversations) > 0 {
		c := f.Conversations[0]
		ch := ""
		if len(c.Channels) > 0 {
			ch = c.Channels[0]
		}
		v.LastNoun = channelNoun(ch, lang)
		v.LastDate = formatDate(c.At, lang)
	}
	goal := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(f.Goal), ".!"))
	if goal != "" {
		v.Intent = intent(goal)
		if fitsLang(goal, lang) {
			v.GoalMode, v.Goal = goalPhrase(goal, lang)
			v.GoalTitle = upperFirst(goal)
			v.GoalWith = withPrep(v.Goal) + " " + v.Goal
		}
	}
	if s := f.NextStep; s != nil && !s.Due.Before(today) {
		v.HasStep = true
		v.StepDate = formatDate(s.Due, lang)
		if fitsLang(s.Text, lang) {
			v.StepText = strings.TrimRight(strings.TrimSpace(s.Text), ".")
		}
	} else {
		v.callDue = addWorkdays(today, callAfter)
		v.CallDay = dayPhrase(v.callDue, lang)
	}
	var ids []string
	for _, c := range f.Claims {
		cv := claimView{ID: c.ID, Text: strings.TrimSpace(c.Text), Status: claimState(c.Status)}
		if !c.Due.IsZero() && !c.Due.Before(today) {
			cv.Due = formatDate(c.Due, lang)
		}
		v.Claims = append(v.Claims, cv)
		ids = append(ids, c.ID)
	}
	v.ClaimIDs = strings.Join(ids, ", ")
	for _, d := range f.Deals {
		v.Deals = append(v.Deals, dealView{ID: d.ID, Title: strings.TrimSpace(d.Title), Stage: strings.ToLower(d.Stage), Amount: d.Amount})
	}
	return v
}

// formatDate writes a day as the letter's language expects it.
func formatDate(t time.Time, lang string) string {
	if lang == "bg" {
		return dates.Format(t, lang) + " г."
	}
	return dates.Format(t, lang)
}

var bgWeekdays = [...]string{"неделя", "понеделник", "вторник", "сряда", "четвъртък", "петък", "събота"}

// dayPhrase writes "on Thursday, 2026-05-07" or "в четвъртък, 07.05.2026 г.".
func dayPhrase(t time.Time, lang string) string {
	if lang == "bg" {
		wd := bgWeekdays[t.Weekday()]
		prep := "в"
		if strings.HasPrefix(wd, "в") || strings.HasPrefix(wd, "ф") {
			prep = "във"
		}
		return prep + " " + wd + ", " + formatDate(t, lang)
	}
	return "on " + t.Weekday().String() + ", " + formatDate(t, lang)
}

// addWorkdays returns the day n working days (Monday to Friday) after day.
func addWorkdays(day time.Time, n int) time.Time {
	for n > 0 {
		day = dates.AddDays(day, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day
}

func channelNoun(ch, lang string) string {
	if lang == "bg" {
		switch ch {
		case "meeting":
			return "срещата"
		case "call":
			return "телефонния разговор"
		case "email":
			return "писмото"
		case "visit":
			return "посещението"
		case "fair":
			return "срещата на изложението"
		case "presentation":
			return "презентацията"
		}
		return "разговора"
	}
	switch ch {
	case "meeting":
		return "meeting"
	case "call":
		return "phone call"
	case "email":
		return "e-mail"
	case "visit":
		return "visit"
	case "fair":
		return "meeting at the fair"
	case "presentation":
		return "presentation"
	}
	return "conversation"
}

// intents maps words of a goal to what it asks for; the first match wins.
var intents = []struct {
	name  string
	stems []string
}{
	{"apology", []string{"apolog", "sorry", "извин", "съжал"}},
	{"payment", []string{"payment", "invoice", "overdue", "плащан", "фактур", "дълж"}},
	{"confirm", []string{"confirm", "потвър"}},
	{"offer", []string{"offer", "quote", "proposal", "price", "оферт", "предложени", "цен"}},
	{"thanks", []string{"thank", "благодар"}},
	{"meeting", []string{"meeting", "meet", "visit", "среща", "срещн", "посещ"}},
}

func intent(goal string) string {
	g := strings.ToLower(goal)
	for _, in := range intents {
		for _, s := range in.stems {
			if strings.Contains(g, s) {
				return in.name
			}
		}
	}
	return ""
}

// enVerbs are verbs that can follow "I am writing to".
var enVerbs = map[string]bool{
	"confirm": true, "apologise": true, "apologize": true, "thank": true, "send": true, "ask": true,
	"remind": true, "invite": true, "offer": true, "propose": true, "follow": true, "check": true,
	"share": true, "arrange": true, "schedule": true, "discuss": true, "update": true, "request": true,
	"introduce": true, "clarify": true, "inform": true, "present": true, "agree": true, "book": true,
	"let": true, "say": true, "explain": true, "suggest": true, "recap": true, "summarise": true, "summarize": true,
}

// bgVerbs turns a Bulgarian imperative into the first person that follows
// "за да": "потвърди срещата" → "потвърдя срещата".
var bgVerbs = map[string]string{
	"потвърди": "потвърдя", "изпрати": "изпратя", "покани": "поканя", "напомни": "напомня",
	"благодари": "благодаря", "предложи": "предложа", "уточни": "уточня", "попитай": "попитам",
	"обсъди": "обсъдя", "договори": "договоря", "представи": "представя", "информирай": "информирам",
	"уведоми": "уведомя", "поискай": "поискам", "провери": "проверя", "насрочи": "насроча",
	"сподели": "споделя", "обясни": "обясня", "поздрави": "поздравя", "запитай": "запитам",
	"извини": "извиня", "извинете": "извиня", "резюмирай": "резюмирам", "обобщи": "обобщя",
}

// goalPhrase returns how the goal fits the letter: after "I am writing to"
// / "Пиша Ви, за да" ("verb"), or after "regarding" / "във връзка с"
// ("topic").
func goalPhrase(goal, lang string) (string, string) {
	words := strings.Fields(goal)
	first := strings.ToLower(strings.Trim(words[0], ",;:"))
	if lang == "bg" {
		if first == "да" && len(words) > 1 {
			return "verb", lowerFirst(strings.Join(words[1:], " "))
		}
		if fp, ok := bgVerbs[first]; ok {
			rest := words[1:]
			// "извини се за …" → "се извиня за …"
			if len(rest) > 0 && strings.ToLower(rest[0]) == "се" {
				fp, rest = "се "+fp, rest[1:]
			}
			return "verb", strings.TrimSpace(fp + " " + strings.Join(rest, " "))
		}
		for _, fp := range bgVerbs {
			if first == fp {
				return "verb", lowerFirst(goal)
			}
		}
		return "topic", lowerFirst(goal)
	}
	if first == "to" && len(words) > 1 {
		return "verb", lowerFirst(strings.Join(words[1:], " "))
	}
	if enVerbs[first] {
		return "verb", lowerFirst(goal)
	}
	return "topic", lowerFirst(goal)
}

// lowerFirst lowers the first letter unless the first word looks like a
// name or an acronym (a capital letter after the first).
func lowerFirst(s string) string {
	w, _, _ := strings.Cut(s, " ")
	r, size := utf8.DecodeRuneInString(w)
	for _, x := range w[size:] {
		if unicode.IsUpper(x) {
			return s
		}
	}
	return string(unicode.ToLower(r)) + s[size:]
}

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// withPrep is the Bulgarian "с", or "със" before a word that starts with
// "с" or "з".
func withPrep(next string) string {
	r, _ := utf8.DecodeRuneInString(strings.ToLower(next))
	if r == 'с' || r == 'з' {
		return "със"
	}
	return "с"
}

// fitsLang reports whether text is written in the script of lang: Cyrillic
// for Bulgarian, Latin for English. Text in the other script is left out
// of the letter rather than mixed into it.
func fitsLang(text, lang string) bool {
	var cyr, lat int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Latin, r):
			lat++
		}
	}
	if lang == "bg" {
		return cyr >= lat
	}
	return lat >= cyr
}

// claimState reduces a claim status to the states the letter words:
// received, acknowledged, working, responded, resolved.
func claimState(status string) string {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "new", "open", "received", "opened", "":
		return "received"
	case "acknowledged", "ack", "acked":
		return "acknowledged"
	case "responded", "answered":
		return "responded"
	case "resolved", "satisfied", "closed":
		return "resolved"
	}
	return "working"
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// tidy trims every line and leaves at most one blank line between
// paragraphs, so that the templates may leave out paragraphs freely.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	s = strings.Join(lines, "\n")
	s = blankRuns.ReplaceAllString(s, "\n\n")
	// A Bulgarian date ends in "г."; a sentence that ends with one needs
	// no second full stop.
	s = strings.ReplaceAll(s, "г..", "г.")
	return strings.TrimSpace(s)
}
