package storetest

import (
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"
)

func testMailClaimsAndFeedTokens(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	c := &crm.Client{Name: "Acme", OwnerID: 1, CreatedAt: time.Now()}
	if err := s.CreateClient(ctx, c, crm.Actor{PersonID: 1}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		logged, err := s.LogMail(ctx, "mid:x@y", &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: "hi", At: time.Now()})
		if err != nil || logged != want {
			t.Fatalf("LogMail %d: %v %v", i, logged, err)
		}
	}
	if kept, _ := s.KeepUnmatchedMail(ctx, &crm.UnmatchedMail{Key: "mid:x@y", At: time.Now()}); kept {
		t.Fatal("a logged message was kept again as unmatched")
	}
	token := func(n int) string { return "tok-" + string(rune('a'+n)) + "-0123456789abcdefghij" }
	t1, _ := s.CalendarToken(ctx, 7, false, token(1))
	if again, _ := s.CalendarToken(ctx, 7, false, token(2)); again != t1 {
		t.Fatal("a second call made a new token")
	}
	if p, err := s.CalendarOwner(ctx, t1); err != nil || p != 7 {
		t.Fatalf("owner %d %v", p, err)
	}
	t2, _ := s.CalendarToken(ctx, 7, true, token(3))
	if _, err := s.CalendarOwner(ctx, t1); !crm.IsNotFound(err) || t2 == t1 {
		t.Fatalf("the old token after a reset: %v", err)
	}
	if p, err := s.CalendarOwner(ctx, t2); err != nil || p != 7 {
		t.Fatalf("new token owner %d %v", p, err)
	}
}
