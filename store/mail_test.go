package store

import (
	"testing"
	"time"

	"accountbot/crm"
)

// A store written before the e-mail index existed is indexed at the next
// Open: the index entries and the marker are dropped here as such a store
// lacks them, and the client is found by its address after reopening.
func TestEmailIndexBackfilledAtOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := &crm.Client{Name: "Acme", Email: "Ivan@Acme.bg; office@acme.bg", OwnerID: 1, CreatedAt: time.Now()}
	if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.update(ctx, func(tx *Tx) error {
		for _, e := range crm.Emails(c.Email) {
			if err := tx.del(emailKey(e, c.ID)); err != nil {
				return err
			}
		}
		return tx.del(keyEmailIndexed)
	}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.ClientsByEmail(ctx, "ivan@acme.bg"); len(cs) != 0 {
		t.Fatal("the index was not dropped")
	}
	s.Close()
	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, addr := range []string{"IVAN@acme.bg", "office@acme.bg"} {
		if cs, err := s.ClientsByEmail(ctx, addr); err != nil || len(cs) != 1 || cs[0].ID != c.ID {
			t.Errorf("%s: %v %v", addr, cs, err)
		}
	}
}
