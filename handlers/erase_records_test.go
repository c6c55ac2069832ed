package handlers_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/store"
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

// tokenWriter stores every button of every reply as a long-button token,
// as the Telegram adapter does, with the context of the reply.
type tokenWriter struct {
	st  *store.Store
	n   int
	ids []string
}

func (w *tokenWriter) Reply(ctx context.Context, r bot.Reply) error {
	for _, row := range r.Buttons {
		for _, b := range row {
			w.n++
			id := "t" + strconv.Itoa(w.n)
			if err := w.st.PutToken(ctx, id, b.Label+" "+b.Data+" "+r.Text, time.Hour); err != nil {
				return err
			}
			w.ids = append(w.ids, id)
		}
	}
	return nil
}

// TestForgetDropsButtonTokens: the buttons of a reply about a client, kept
// as tokens by an adapter, are erased with the client.
func TestForgetDropsButtonTokens(t *testing.T) {
	e := newEnv(t)
	e.must("console:admin", "/client add Zorbatron city=Sofia", "Saved")
	e.must("console:admin", "/log Zorbatron: SECRET-PLAN discussed next: call by 2026-12-01", "Saved")
	w := &tokenWriter{st: e.st}
	m := &bot.Message{Platform: "console", ChatID: "c", Identity: "console:admin", Text: "/client Zorbatron", Private: true}
	if err := e.svc.ServeChat(context.Background(), w, m); err != nil {
		t.Fatal(err)
	}
	if len(w.ids) == 0 {
		t.Fatal("the card has no buttons")
	}
	rec := e.send("console:admin", "/client forget Zorbatron")
	e.must("console:admin", rec.Replies[0].Buttons[0][0].Data, "Erased for good")
	for _, id := range w.ids {
		if v, err := e.st.Token(context.Background(), id); err == nil {
			t.Errorf("token %s survived the erasure: %q", id, v)
		}
	}
}
