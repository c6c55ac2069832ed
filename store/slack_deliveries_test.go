package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"accountbot/crm"
)

func openSlackTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDeliveryHandled(t *testing.T) {
	s := openSlackTestStore(t)
	ctx := context.Background()
	if ok, err := s.DeliveryHandled(ctx, "slack/event/Ev1"); ok || err != nil {
		t.Fatalf("a new key: %v %v", ok, err)
	}
	if err := s.MarkDeliveryHandled(ctx, "slack/event/Ev1"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDeliveryHandled(ctx, "slack/event/Ev1"); err != nil {
		t.Fatalf("marking twice: %v", err)
	}
	if ok, _ := s.DeliveryHandled(ctx, "slack/event/Ev1"); !ok {
		t.Error("a marked key is not handled")
	}
	if ok, _ := s.DeliveryHandled(ctx, "slack/event/Ev2"); ok {
		t.Error("another key is handled")
	}
	// The first write of a delivery counts as handling it, and a second
	// delivery of it writes nothing.
	dctx := crm.WithDeliveryKey(ctx, "slack/event/Ev3")
	if err := s.CreatePerson(dctx, &crm.Person{Name: "A", Identities: []string{"slack:U1"}}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.DeliveryHandled(ctx, "slack/event/Ev3"); !ok {
		t.Error("the delivery of a committed write is not handled")
	}
	again := crm.WithDeliveryKey(ctx, "slack/event/Ev3")
	if err := s.CreatePerson(again, &crm.Person{Name: "B", Identities: []string{"slack:U2"}}); !errors.Is(err, crm.ErrDuplicate) {
		t.Errorf("a redelivery wrote: %v", err)
	}
}

func TestSlackButton(t *testing.T) {
	s := openSlackTestStore(t)
	ctx := context.Background()
	long := "/client " + strings.Repeat("ж", 3000)
	if err := s.SaveSlackButton(ctx, "tok1", long); err != nil {
		t.Fatal(err)
	}
	got, err := s.SlackButton(ctx, "tok1")
	if err != nil || got != long {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	if _, err := s.SlackButton(ctx, "nope"); !crm.IsNotFound(err) {
		t.Errorf("unknown token: %v", err)
	}
}
