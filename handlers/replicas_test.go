package handlers_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/internal/pgtest"
	"accountbot/store"
	"accountbot/store/storetest"
)

// TestScheduledWorkOnceAcrossReplicas runs the scheduled jobs (digests,
// reminders, agenda, escalations, meeting notices) of two services on one
// PostgreSQL database at the same moments, concurrently, and checks that
// people get exactly what one service alone sends them: each job claims
// its work in the store before sending.
func TestScheduledWorkOnceAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	scenario := func(replicas []*store.Store) []string {
		clock := dates.NewManualClock(time.Date(2026, 11, 26, 8, 0, 0, 0, sofia(t)))
		n := &chattest.Notifier{}
		var envs []*testEnv
		for _, st := range replicas {
			cfg := handlers.DefaultConfig()
			cfg.TZ = sofia(t)
			envs = append(envs, wrapEnv(handlerstest.New(t, chattest.Options{Reuse: st, Clock: clock, Notes: n, Notify: true}, handlers.WithConfig(cfg))))
		}
		e := envs[0]
		e.must("console:admin", `/client add "Acme Ltd"`, "Saved")
		e.must("console:admin", `/appoint console:sofia supervisor "Sofia Sup"`, "Sofia Sup")
		e.must("console:admin", `/appoint console:maria manager "Maria Man" reports_to "Sofia Sup"`, "Maria Man")
		e.must("console:admin", "/remind acme: call about the contract by today 10:30", "T-1")
		for _, hm := range [][2]int{{9, 0}, {10, 30}, {12, 0}, {18, 0}} {
			e.At(2026, 11, 26, hm[0], hm[1])
			var wg sync.WaitGroup
			for _, r := range envs {
				for range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r.svc.RunJobs(context.Background())
					}()
				}
			}
			wg.Wait()
		}
		var got []string
		for _, s := range n.All() {
			got = append(got, s.Identity+" "+s.Reply.Title)
		}
		sort.Strings(got)
		return got
	}
	alone := scenario([]*store.Store{storetest.Open(t)})
	t.Logf("one service sends %q", alone)
	if len(alone) == 0 {
		t.Fatal("the scenario sends nothing: it tests nothing")
	}
	var stores []*store.Store
	for range 2 {
		st, err := store.Open(store.Options{DatabaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	both := scenario(stores)
	if fmt.Sprint(both) != fmt.Sprint(alone) {
		t.Errorf("two replicas sent\n%q\none service sends\n%q", both, alone)
	}
}

// TestReplicaAnswersWithTheTeamAsItIs dismisses a manager on one replica
// right after the other served her, and then asks the other: it started
// her request from the team as it last saw it (store/engine_pg_guess.go),
// finds the guess wrong, and answers again from the start, so that she
// gets the one answer a stranger gets, and nothing of what she saw before.
func TestReplicaAnswersWithTheTeamAsItIs(t *testing.T) {
	url := pgtest.URL(t)
	clock := dates.NewManualClock(time.Date(2026, 11, 26, 9, 0, 0, 0, sofia(t)))
	var envs []*testEnv
	obs := &outcomes{}
	for range 2 {
		st, err := store.Open(store.Options{DatabaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		envs = append(envs, wrapEnv(handlerstest.New(t, chattest.Options{Reuse: st, Clock: clock}, handlers.WithObserver(obs))))
	}
	a, b := envs[0], envs[1]
	a.must("console:admin", `/appoint console:maria manager "Maria Man"`, "Maria Man")
	a.must("console:maria", `/client add "Acme Ltd"`, "Saved")
	for range 2 { // the second is answered from a guess of her, confirmed
		a.must("console:maria", "/clients", "Acme Ltd")
	}
	b.must("console:admin", "/dismiss @Maria", "no longer has access")
	rec := a.send("console:maria", "/clients")
	if got := rec.Text(); strings.Contains(got, "Acme") || !strings.Contains(got, "I don't know you") {
		t.Errorf("a dismissed manager asking the other replica got %q", got)
	}
	if n := len(rec.Replies); n != 1 {
		t.Errorf("%d replies, want the one of the request answered again", n)
	}
	// Observed once answered again, as the stranger she now is; the
	// attempt from the guess is no outcome.
	after := obs.got[slices.Index(obs.got, "console dismiss ok")+1:]
	if want := []string{"console answered again", "console text ok"}; !slices.Equal(after, want) {
		t.Errorf("after the dismissal the observer was told %q, want %q", after, want)
	}
	// The replica now has the team as it is, and guesses from that.
	a.must("console:admin", "/team", "Maria")
	a.must("console:maria", "/clients", "I don't know you")
}
