package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/i18n"
	"accountbot/store"
	"accountbot/store/storetest"
)

// dyingStore is a shared store as one replica sees it; kill makes the
// replica die as far as the store can tell: no renewal, no release.
type dyingStore struct {
	*store.Store
	dead atomic.Bool
}

// Shared is true: the in-memory store stands for a database that two
// processes share.
func (d *dyingStore) Shared() bool { return true }

func (d *dyingStore) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if d.dead.Load() {
		return false, errors.New("replica is dead")
	}
	return d.Store.Lease(ctx, name, holder, ttl)
}

func (d *dyingStore) ReleaseLease(ctx context.Context, name, holder string) error {
	if d.dead.Load() {
		return nil
	}
	return d.Store.ReleaseLease(ctx, name, holder)
}

// pollCounter counts one replica's getUpdates requests.
type pollCounter struct{ n atomic.Int64 }

func (c *pollCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/getUpdates") {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// replicaService is the real handlers over st, with Telegram user 100 as
// the head, and the catalog and the quiet logger the replicas share.
func replicaService(t *testing.T, st *store.Store) (*i18n.Catalog, *handlers.Service, *slog.Logger) {
	t.Helper()
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	hc := handlers.DefaultConfig()
	hc.TZ = time.UTC
	hc.Heads = []string{"telegram:100"}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := handlers.New(st, cat, handlers.WithConfig(hc), handlers.WithLogger(logger),
		handlers.WithClock(dates.NewOffsetClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))))
	if err != nil {
		t.Fatal(err)
	}
	return cat, svc, logger
}

// TestOneReplicaPollsAndAnotherTakesOver runs two long-polling adapters on
// one store: only the lease holder polls, and when it dies the other one
// takes over within the lease time and handles what comes next.
func TestOneReplicaPollsAndAnotherTakesOver(t *testing.T) {
	api := newFakeAPI(t)
	st := storetest.Open(t)
	cat, svc, logger := replicaService(t, st)
	const ttl, renew = 600 * time.Millisecond, 100 * time.Millisecond
	replica := func() (*Adapter, *dyingStore, *pollCounter, func()) {
		ds := &dyingStore{Store: st}
		pc := &pollCounter{}
		a, err := New(Config{Token: fakeToken, APIURL: api.URL(), Lang: "en"}, svc, ds,
			WithLogger(logger), WithCatalog(cat), WithCommands(svc), WithPacing(time.Millisecond, time.Millisecond),
			WithPollTimeout(time.Second), WithBackoff(10*time.Millisecond, 100*time.Millisecond),
			WithShutdownGrace(5*time.Second), WithLease(ttl, renew), WithHTTPClient(&http.Client{Transport: pc, Timeout: 10 * time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		return a, ds, pc, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	head := tgUser{ID: 100, Name: "Head"}
	_, deadA, pollsA, stopA := replica()
	defer stopA()
	api.WaitFor(t, 5*time.Second, "the first replica polls", func() bool { return pollsA.n.Load() > 0 })
	_, _, pollsB, stopB := replica()
	defer stopB()
	api.WaitHandled(t, api.Say(head, "/help"))
	time.Sleep(3 * renew) // B had time to poll if it would
	if n := pollsB.n.Load(); n != 0 {
		t.Fatalf("the standby replica polled %d times while the other held the lease", n)
	}
	deadA.dead.Store(true)
	died := time.Now()
	api.WaitFor(t, 5*time.Second, "the second replica takes over", func() bool { return pollsB.n.Load() > 0 })
	if took := time.Since(died); took > ttl+3*renew {
		t.Errorf("takeover took %v, want within the lease time %v", took, ttl)
	}
	aAtTakeover := pollsA.n.Load()
	before := len(api.Sent(head.ID))
	api.WaitHandled(t, api.Say(head, "/help"))
	if len(api.Sent(head.ID)) == before {
		t.Error("the update after the takeover got no answer")
	}
	if n := pollsA.n.Load(); n > aAtTakeover {
		t.Errorf("the replica that lost its lease polled again (%d → %d)", aAtTakeover, n)
	}
}

// TestReplicasAgreeOnTheWebhookSecret starts two webhook adapters without
// TELEGRAM_WEBHOOK_SECRET on one shared store at once: both register the
// same generated secret (Telegram keeps the last one registered and sends
// it to whichever replica the load balancer picks), and both accept it.
func TestReplicasAgreeOnTheWebhookSecret(t *testing.T) {
	api := newFakeAPI(t)
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, svc, logger := replicaService(t, st)
	var replicas []*Adapter
	for range 2 {
		a, err := New(Config{Token: fakeToken, APIURL: api.URL(), Lang: "en", WebhookURL: "https://bot.example.com/tg"}, svc, &dyingStore{Store: st},
			WithLogger(logger), WithCatalog(cat), WithPacing(time.Millisecond, time.Millisecond), WithShutdownGrace(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, len(replicas))
	for _, a := range replicas {
		go func() { done <- a.Run(ctx) }()
	}
	defer func() {
		cancel()
		for range replicas {
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}()
	api.WaitFor(t, 5*time.Second, "both replicas register the webhook", func() bool { return len(api.Calls("setWebhook")) == 2 })
	calls := api.Calls("setWebhook")
	secret := calls[0].Params["secret_token"]
	if secret == "" || calls[1].Params["secret_token"] != secret {
		t.Fatalf("the replicas registered the secrets %q and %q", secret, calls[1].Params["secret_token"])
	}
	for i, a := range replicas {
		for _, c := range []struct {
			secret string
			want   int
		}{{secret, http.StatusOK}, {secret + "x", http.StatusUnauthorized}} {
			upd := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":5,"date":1767225600,"chat":{"id":100,"type":"private"},"from":{"id":100,"is_bot":false,"first_name":"Hristo"},"text":"/help"}}`, 7000+i)
			req := httptest.NewRequest(http.MethodPost, "/tg", strings.NewReader(upd))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(secretHeader, c.secret)
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Errorf("replica %d, secret %q: status %d, want %d", i+1, c.secret, rec.Code, c.want)
			}
		}
	}
}
