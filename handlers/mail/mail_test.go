package mail_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
)

// newMailEnv starts the shared chat environment (handlerstest) with the
// company Team(), Maria's address maria@firm.bg and her client Acme, whose
// contact Иван Петров writes from Ivan@Acme.bg.
func newMailEnv(t *testing.T) *handlerstest.Env {
	t.Helper()
	e := handlerstest.New(t, chattest.Options{})
	mailFixture(e)
	return e
}

// mailFixture gives e the company, Maria's address and her client Acme.
func mailFixture(e *handlerstest.Env) {
	e.T.Helper()
	e.Team()
	e.Must("maria", "/me email=maria@firm.bg", "maria@firm.bg")
	e.Must("maria", `/client add Acme contact="Иван Петров" email=Ivan@Acme.bg lang=bg`, "Acme")
}

func TestLogMailOnceByContactAddress(t *testing.T) {
	e := newMailEnv(t)
	in := &crm.InboundMail{Key: "mid:1@acme.bg", From: "maria@firm.bg", To: []string{"IVAN@acme.bg"}, Cc: []string{"log@firm.bg"},
		Subject: "Оферта", Text: "Здравейте,\nизпращам офертата.\n\n-- \nМария Петрова\nтел. 0888\n\nOn Tue, Ivan wrote:\n> старо\n",
		Date: e.Clock.Now().Add(-time.Hour)}
	in.Files = []crm.MailFile{{Name: "оферта.pdf", MIME: "application/pdf", Data: []byte("%PDF-1.4\n")}}
	for i := 0; i < 3; i++ {
		if err := e.Svc.LogMail(e.Ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	c := e.Client("Acme")
	convs, _ := e.Store.Conversations(e.Ctx, c.ID, 0)
	if len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
	v := convs[0]
	maria := e.Person("maria")
	if v.AuthorID != maria.ID || v.Channels[0] != "email" || !strings.HasPrefix(v.Text, "Оферта\n\nЗдравейте,") ||
		strings.Contains(v.Text, "0888") || strings.Contains(v.Text, "старо") {
		t.Fatalf("conversation %+v", v)
	}
	files, err := e.Store.ClientAttachments(e.Ctx, c.ID)
	if err != nil || len(files) != 1 || files[0].Name != "оферта.pdf" || files[0].RecordKind != crm.AttachedToConversation || files[0].RecordID != v.ID {
		t.Fatalf("attachments %+v %v", files, err)
	}
}

func TestLogMailForwardAndUnmatched(t *testing.T) {
	e := newMailEnv(t)
	fwd := &crm.InboundMail{Key: "mid:2@firm.bg", From: "maria@firm.bg", To: []string{"log@firm.bg"}, Subject: "Fwd: поръчка",
		Text: "Виж по-долу.\n\n---------- Forwarded message ---------\nFrom: Иван <ivan@acme.bg>\nDate: Mon\nSubject: поръчка\nTo: maria@firm.bg\n\nДесет кашона, моля.\n"}
	if err := e.Svc.LogMail(e.Ctx, fwd); err != nil {
		t.Fatal(err)
	}
	c := e.Client("Acme")
	convs, _ := e.Store.Conversations(e.Ctx, c.ID, 0)
	if len(convs) != 1 || !strings.Contains(convs[0].Text, "Десет кашона") || convs[0].AuthorID != e.Person("maria").ID {
		t.Fatalf("forward: %+v", convs)
	}
	// Mail naming no client goes to /mail unmatched, once, for heads only.
	other := &crm.InboundMail{Key: "mid:3@x.bg", From: "stranger@x.bg", To: []string{"log@firm.bg"}, Subject: "Въпрос за цени", Text: "Здравейте"}
	e.Svc.LogMail(e.Ctx, other)
	e.Svc.LogMail(e.Ctx, other)
	got := e.Must("admin", "/mail unmatched", "Въпрос за цени", "E-1", "stranger@x.bg")
	if strings.Count(got, "Въпрос за цени") != 1 {
		t.Fatalf("listed twice: %q", got)
	}
	e.MustNot("maria", "/mail unmatched", "Въпрос за цени")
	e.Must("admin", "/mail attach E-1 Acme", "Acme")
	convs, _ = e.Store.Conversations(e.Ctx, c.ID, 0)
	if len(convs) != 2 {
		t.Fatalf("attached: %d conversations", len(convs))
	}
	e.MustNot("admin", "/mail unmatched", "Въпрос за цени")
	e.Must("admin", "/mail attach E-1 Acme", "E-1")
}

func TestClientsByEmailIndexFollowsEditsAndErasure(t *testing.T) {
	e := newMailEnv(t)
	if cs, _ := e.Store.ClientsByEmail(e.Ctx, "ivan@ACME.bg"); len(cs) != 1 {
		t.Fatalf("by address: %d", len(cs))
	}
	e.Must("maria", "/client edit Acme email=office@acme.bg", "Acme")
	if cs, _ := e.Store.ClientsByEmail(e.Ctx, "ivan@acme.bg"); len(cs) != 0 {
		t.Fatal("the old address still finds the client")
	}
	if cs, _ := e.Store.ClientsByEmail(e.Ctx, "office@acme.bg"); len(cs) != 1 {
		t.Fatal("the new address does not find the client")
	}
	c := e.Client("Acme")
	if _, err := e.Store.EraseClient(e.Ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := e.Store.ClientsByEmail(e.Ctx, "office@acme.bg"); len(cs) != 0 {
		t.Fatal("an erased client is found by its address")
	}
}

func TestMailAttachAsksAndDismiss(t *testing.T) {
	e := newMailEnv(t)
	for i, subj := range []string{"Първо", "Второ"} {
		m := &crm.InboundMail{Key: "mid:u" + subj, From: "maria@firm.bg", To: []string{"stranger@x.bg"}, Subject: subj, Text: "текст",
			Date: e.Clock.Now().Add(-time.Duration(i+1) * time.Hour)}
		if err := e.Svc.LogMail(e.Ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Sent by Maria: her clients are offered as buttons.
	rec := e.Send("admin", "/mail attach E-1")
	if !chattest.HasButton(rec, "/mail attach E-1 #"+itoa(e.Client("Acme").ID)) {
		t.Fatalf("no button for Acme: %q", chattest.Render(rec))
	}
	e.Must("admin", "/mail dismiss E-2", "Dismissed: E-2")
	got := e.MustNot("admin", "/mail unmatched", "Второ")
	chattest.Want(t, got, "Първо")
	e.Must("admin", "/mail dismiss E-2", "no unmatched message E-2")
	e.Must("admin", "/mail attach E-9 Acme", "no unmatched message E-9")
	e.Must("admin", "/mail", "Usage: /mail unmatched")
	e.MustNot("maria", "/mail dismiss E-1", "Dismissed")
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
