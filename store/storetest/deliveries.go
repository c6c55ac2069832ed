package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

func testDeliveredSharesTheDeliveryKey(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	ctx := context.Background()
	const k = "telegram/update/7"
	if ok, err := s.Delivered(ctx, k); err != nil || ok {
		t.Fatalf("Delivered before anything = %v, %v", ok, err)
	}
	// A write made for the delivery records the key in its transaction.
	dctx := crm.WithDeliveryKey(ctx, k)
	p := &crm.Person{Name: "Ann", Role: crm.RoleManager, Identities: []string{"telegram:7"}}
	if err := s.CreatePerson(dctx, p); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Delivered(ctx, k); !ok {
		t.Fatal("the delivery's write did not record its key")
	}
	// The same delivery again is a duplicate, and MarkDelivered is a no-op.
	again := &crm.Person{Name: "Ann", Role: crm.RoleManager, Identities: []string{"telegram:8"}}
	if err := s.CreatePerson(crm.WithDeliveryKey(ctx, k), again); !errors.Is(err, crm.ErrDuplicate) {
		t.Fatalf("redelivery: %v, want ErrDuplicate", err)
	}
	if err := s.MarkDelivered(ctx, k, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func testBookkeepingNeverClaimsTheDeliveryKey(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	ctx := crm.WithDeliveryKey(context.Background(), "telegram/update/9")
	if err := s.SetCursor(ctx, "telegram/offset", 10); err != nil {
		t.Fatal(err)
	}
	if err := s.PutToken(ctx, "~abc", "/log #1: a long text", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkUnreachable(ctx, "telegram:404"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Delivered(context.Background(), "telegram/update/9"); ok {
		t.Fatal("bookkeeping recorded the delivery key; the real write would be lost on redelivery")
	}
	// The real write of the delivery still goes through.
	if err := s.CreatePerson(ctx, &crm.Person{Name: "Bo", Identities: []string{"telegram:9"}}); err != nil {
		t.Fatalf("the delivery's own write: %v", err)
	}
	if n, _ := s.Cursor(ctx, "telegram/offset"); n != 10 {
		t.Errorf("cursor = %d", n)
	}
	if v, err := s.Token(ctx, "~abc"); err != nil || v != "/log #1: a long text" {
		t.Errorf("token = %q, %v", v, err)
	}
	if _, err := s.Token(ctx, "~nope"); !crm.IsNotFound(err) {
		t.Errorf("unknown token: %v", err)
	}
}

func testMarkDeliveredAndUnreachable(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	ctx := context.Background()
	if err := s.MarkDelivered(ctx, "telegram/update/1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Delivered(ctx, "telegram/update/1"); !ok {
		t.Error("MarkDelivered not seen")
	}
	p := &crm.Person{Name: "Ann", Role: crm.RoleManager, Identities: []string{"telegram:5", "slack:U5"}}
	if err := s.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkUnreachable(ctx, "telegram:5"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.PersonByIdentity(ctx, "slack:U5")
	if !got.Unreachable || got.Name != "Ann" {
		t.Errorf("person after MarkUnreachable: %+v", got)
	}
	if err := s.MarkUnreachable(ctx, "telegram:999"); err != nil {
		t.Errorf("unknown identity: %v", err)
	}
}

// testConcurrentRedelivery delivers one update to many handlers at once
// (a platform's retry reaching two replicas): exactly one write lands,
// every other one is a duplicate, and the key is delivered.
func testConcurrentRedelivery(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	c := addDataClient(t, s, "Acme", 1)
	const deliveries = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for i := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dctx := crm.WithDeliveryKey(ctx, "telegram/update/77")
			err := s.LogConversation(dctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: fmt.Sprint("delivery ", i), At: dataT0}, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				outcomes["written"]++
			case errors.Is(err, crm.ErrDuplicate):
				outcomes["duplicate"]++
			default:
				t.Errorf("delivery %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if outcomes["written"] != 1 || outcomes["duplicate"] != deliveries-1 {
		t.Errorf("outcomes %v, want 1 written and %d duplicates", outcomes, deliveries-1)
	}
	if convs, _ := s.Conversations(ctx, c.ID, 0); len(convs) != 1 {
		t.Errorf("%d conversations from one update delivered %d times at once", len(convs), deliveries)
	}
	if ok, _ := s.Delivered(ctx, "telegram/update/77"); !ok {
		t.Error("the update is not marked delivered")
	}
}
