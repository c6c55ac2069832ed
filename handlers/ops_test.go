package handlers_test

import (
	"sync"
	"testing"
	"time"

	"accountbot/handlers"
)

// outcomes records what the service tells its metrics observer.
type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) Observe(adapter, command, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, adapter+" "+command+" "+outcome)
}

func (o *outcomes) AnsweredAgain(adapter string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, adapter+" answered again")
}

func (o *outcomes) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.got[len(o.got)-1]
}

func TestObserverOutcomes(t *testing.T) {
	obs := &outcomes{}
	e := newEnv(t, handlers.WithObserver(obs))
	e.must("console:admin", `/client add "Acme Ltd"`)
	e.must("console:admin", `/client add "Acme Trade"`)
	for _, tc := range []struct{ text, want string }{
		{"/клиент Acme Ltd", "console client ok"},
		// A name that matches two clients is answered with a choice: normal
		// use, which an alert on internal errors must not see.
		{"/client acme", "console client choice"},
		{"/client nosuch", "console client not_found"},
		{"/deal add", "console deal invalid"},
	} {
		e.send("console:admin", tc.text)
		if got := obs.last(); got != tc.want {
			t.Errorf("%q: observed %q, want %q", tc.text, got, tc.want)
		}
	}
	e.send("telegram:1", "/today")
	if got := obs.last(); got != "telegram today ok" {
		t.Errorf("telegram: observed %q", got)
	}
}
