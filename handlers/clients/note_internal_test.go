package clients

import (
	"fmt"
	"testing"

	"accountbot/crm"
	"accountbot/internal/chattest"
)

// testLexicon returns the family's typed-word tables read from the
// embedded translation files.
func testLexicon(t testing.TB) *lexicon { return chattest.Words(t, newLexicon) }

// ActionCommand is the command line action a stands for, for the tests
// outside the package.
func ActionCommand(t testing.TB, a crm.Action) string { return testLexicon(t).actionCommand(a) }

// assistTZ and assistNow are the model tests' time zone and a Monday
// morning in it.
var (
	assistTZ  = chattest.ModelTZ
	assistNow = chattest.ModelNow
)

func TestMatchClients(t *testing.T) {
	cs := []*crm.Client{
		{ID: 1, Name: "Acme Pumps"}, {ID: 2, Name: "Acme Foods"}, {ID: 3, Name: "Акме"}, {ID: 4, Name: "Metro"}, {ID: 5, Name: "ОМВ България"},
	}
	for _, c := range []struct {
		text string
		want []uint64
	}{
		{"Met Acme Pumps today", []uint64{1}},
		{"met acme pumps today", []uint64{1}},
		{"Spoke to Acme about pumps", []uint64{3}}, // "Acme" is Акме's whole name
		{"Акмето иска отстъпка", []uint64{3}},
		{"Met the guys from Acme Foo", []uint64{2}},
		{"Met them today", nil}, // "Met" is no start of "Metro": too short
		{"Среща в ОМВ България", []uint64{5}},
		{"Acmé", nil},
	} {
		var got []uint64
		for _, m := range topMatches(matchClients(c.text, cs)) {
			got = append(got, m.ID)
		}
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
			t.Errorf("%q: got %v, want %v", c.text, got, c.want)
		}
	}
}

func TestFindDateAndStep(t *testing.T) {
	now := assistNow
	lx := testLexicon(t)
	for _, c := range []struct {
		text, day, step string
	}{
		{"call back Friday", "2026-05-08", "call back"},
		{"Met them today, call back on friday.", "2026-05-08", "call back"},
		{"send the offer by 12.05.2026, then wait", "2026-05-12", "send the offer"},
		{"да им се обадя в петък", "2026-05-08", "да им се обадя"},
		{"price up 5 percent", "", ""},
		{"talked yesterday, nothing else", "", ""},
		{"+3d follow up", "2026-05-07", "follow up"},
	} {
		d, start, end, ok := findDate(c.text, now, assistTZ)
		if c.day == "" {
			if ok {
				t.Errorf("%q: found %v", c.text, d)
			}
			continue
		}
		if !ok || d.Format("2006-01-02") != c.day {
			t.Errorf("%q: %v %v, want %s", c.text, d, ok, c.day)
			continue
		}
		cs, ce := clauseAround(c.text, start, end)
		if got := lx.noteStepText(c.text[cs:start], c.text[end:ce]); got != c.step {
			t.Errorf("%q: step %q, want %q", c.text, got, c.step)
		}
	}
}

func benchNames(n int) []string {
	first := []string{"Acme", "Beta", "Gamma", "Delta", "Omega", "Nova", "Terra", "Aqua", "Volt", "Sigma", "Акме", "Бета", "Светлина", "Родопа", "Дунав"}
	second := []string{"Pumps", "Foods", "Trade", "Steel", "Logistics", "Energy", "Помпи", "Храни", "Транс", "Строй"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %s %d", first[i%len(first)], second[(i/len(first))%len(second)], i)
	}
	return out
}

func BenchmarkMatchClients10k(b *testing.B) {
	names := benchNames(10000)
	clients := make([]*crm.Client, len(names))
	for i, n := range names {
		clients[i] = &crm.Client{ID: uint64(i + 1), Name: n}
	}
	note := "Met " + names[4242] + " today at the fair, they complain the pumps came late and want 5% off, call back on Friday about the revised offer and the delivery schedule"
	b.ReportAllocs()
	for b.Loop() {
		if m := topMatches(matchClients(note, clients)); len(m) != 1 {
			b.Fatalf("%d matches", len(m))
		}
	}
}

// BenchNames is benchNames for the benchmarks outside the package.
var BenchNames = benchNames
