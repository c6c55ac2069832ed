package crm

import "testing"

func TestNormalizeName(t *testing.T) {
	same := [][]string{
		{"Acme", "ACME", "Акме", "akme", "A.C.M.E."},
		{"Мария", "Maria", "mariya"},
		{"Юлия", "Yulia", "Julia"},
		{"Петров ЕООД", "petrov eood", "Petrov-EOOD"},
		{"Йордан", "Yordan", "Jordan"},
		{"Щерев", "shterev"},
		{"Анна", "Ana", "Anna"},
	}
	for _, group := range same {
		want := NormalizeName(group[0])
		if want == "" {
			t.Errorf("%q folds to nothing", group[0])
		}
		for _, s := range group[1:] {
			if got := NormalizeName(s); got != want {
				t.Errorf("NormalizeName(%q) = %q, want %q (as %q)", s, got, want, group[0])
			}
		}
	}
	if NormalizeName("Acme") == NormalizeName("Acne") || NormalizeName("Client 1001") == NormalizeName("Client 101") {
		t.Error("different names fold together")
	}
}
