package handlers_test

import "testing"

// TestDatesTypedEverywhere: one date reader serves every command, with the
// phrases people type in both languages. The clock is Thursday 26
// November 2026 in Sofia.
func TestDatesTypedEverywhere(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/език bg")
	e.must("console:admin", `/клиент добави "Акме ООД" град=София`)
	for _, tc := range []struct{ text, want string }{
		// A next step without "до": the date at its end.
		{"/запиши Акме: говорихме за цените следващо: обаждане утре", "27.11.2026"},
		{"/запиши Акме: среща следващо: изпращам офертата в петък", "27.11.2026"},
		{"/запиши Акме: среща next: send the offer by 15 декември", "15.12.2026"},
		{"/напомни Акме: да се обадя края на месеца", "30.11.2026"},
		{"/напомни Акме: договор до 15 декември", "15.12.2026"},
		// Unquoted, two words: the whole phrase is the date.
		{"/сделка добави Акме: Помпи сума=1000 срок=следващата седмица", "30.11.2026"},
		// /днес with a day shows that day, not today.
		{"/днес утре", "27.11.2026"},
	} {
		e.must("console:admin", tc.text, tc.want)
	}
	e.must("console:admin", "/днес някога", "„някога“")
	e.must("console:admin", "/lang en")
	e.must("console:admin", "/log acme: call next: demo next friday", "2026-11-27")
}
