package handlers

import "testing"

// testLexicon returns the typed-word tables New builds from the embedded
// translation files.
func testLexicon(t testing.TB) *lexicon {
	t.Helper()
	s, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.lex
}
