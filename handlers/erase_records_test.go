package handlers_test

import (
	"strings"
	"testing"
)

// Forgetting a client takes its deals out of the pipeline and its claims
// out of every list, and exports no longer show them.
func TestForgetErasesDealsAndClaims(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Acme", "Saved")
	e.must("console:admin", "/client add Beta", "Saved")
	e.must("console:admin", "/deal add Acme: pumps amount=1000 stage=proposal", "D-1")
	e.must("console:admin", "/deal add Beta: valves amount=300 stage=proposal", "D-2")
	e.must("console:admin", "/claim Acme: MARKER late pumps", "C-1")
	e.must("console:admin", "/pipeline", "€1,300.00")
	e.must("console:admin", "/export deals", "deals")
	exp := e.send("console:admin", "/export claims")
	if len(exp.Replies) == 0 || exp.Replies[len(exp.Replies)-1].File == nil || !strings.Contains(string(exp.Replies[len(exp.Replies)-1].File.Data), "MARKER late pumps") {
		t.Fatalf("claims export: %+v", exp.Replies)
	}
	js := e.send("console:admin", "/client export Acme")
	if f := js.Replies[len(js.Replies)-1].File; f == nil || !strings.Contains(string(f.Data), "MARKER late pumps") || !strings.Contains(string(f.Data), "pumps") {
		t.Fatalf("client export lacks claims or deals: %+v", js.Replies)
	}

	e.must("console:admin", "/client forget #1 confirm", "claims", "deals")
	e.must("console:admin", "/pipeline", "€300.00")
	e.mustNot("console:admin", "/pipeline", "€1,300.00", "pumps")
	e.mustNot("console:admin", "/claims all", "C-1", "Acme")
	e.mustNot("console:admin", "/deal D-1", "pumps", "€1,000.00")
	exp = e.send("console:admin", "/export claims")
	if f := exp.Replies[len(exp.Replies)-1].File; f == nil || strings.Contains(string(f.Data), "MARKER") {
		t.Fatalf("erased claim exported")
	}
}
