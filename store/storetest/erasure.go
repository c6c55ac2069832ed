package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"accountbot/crm"
	"accountbot/store"

	"github.com/shopspring/decimal"
)

// recordKinds writes one record of every kind a client has, each with
// its own word (prefix + the kind) so that a failure names the kind, and
// returns the words.
func recordKinds(t *testing.T, s *store.Store, c *crm.Client, prefix string) []string {
	t.Helper()
	var words []string
	w := func(kind string) string {
		word := prefix + "-" + kind
		words = append(words, word)
		return word
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s of %s: %v", what, c.Name, err)
		}
	}
	at := planT0
	must("conversation", s.LogConversation(ctx, &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: w("conversation"), At: at},
		&crm.Task{ClientID: c.ID, AssigneeID: 1, Text: w("next-step"), Due: at.AddDate(0, 0, 1), CreatedAt: at}))
	must("task", s.CreateTask(ctx, &crm.Task{ClientID: c.ID, AssigneeID: 1, Text: w("task"), Due: at.AddDate(0, 0, 2), CreatedAt: at}))
	must("deal", s.CreateDeal(ctx, &crm.Deal{ClientID: c.ID, OwnerID: 1, Title: w("deal"), Amount: decimal.NewFromInt(5),
		Currency: "EUR", Stage: crm.StageLead, CreatedAt: at}, crm.Actor{PersonID: 1}))
	must("claim", s.CreateClaim(ctx, &crm.Claim{ClientID: c.ID, OwnerID: 1, ReporterID: 1, Text: w("claim"), Severity: "low",
		Category: "quality", Status: crm.ClaimNew, CreatedAt: at, AckDue: at.Add(time.Hour), ResolveDue: at.Add(48 * time.Hour)}))
	_, err := s.SetContactPlan(ctx, &crm.ContactPlan{ClientID: c.ID, Every: crm.Cadence{Days: 7}, SetAt: at}, crm.Actor{PersonID: 1})
	must("contact plan", err)
	must("plan note", s.AddPlanNote(ctx, &crm.PlanNote{ClientID: c.ID, Kind: crm.NoteGoal, Text: w("plan-note"), By: 1, At: at}))
	must("meeting", s.CreateMeeting(ctx, &crm.Meeting{ClientID: c.ID, PersonID: 1, At: at.Add(time.Hour), Topic: w("meeting")}))
	must("promise", s.CreatePromise(ctx, &crm.Promise{ClientID: c.ID, Text: w("promise"), Due: at, CreatedAt: at}))
	must("payment", s.AddPayment(ctx, &crm.Payment{ClientID: c.ID, DaysLate: 3, Invoice: w("payment"), At: at}))
	_, err = s.AddCompetitorNote(ctx, "Metro", &crm.CompetitorNote{Aspect: crm.AspectPrice, Text: w("competitor-note"), ClientID: c.ID, At: at})
	must("competitor note", err)
	camp := &crm.Campaign{Name: w("campaign-of"), Kind: crm.CampaignFair, Date: at}
	must("campaign", s.CreateCampaign(ctx, camp))
	words = words[:len(words)-1] // the campaign is the company's, not the client's
	_, err = s.AddLead(ctx, &crm.Lead{CampaignID: camp.ID, ClientID: c.ID, At: at}, crm.Actor{PersonID: 1})
	must("lead", err)
	_, err = s.SaveHealth(ctx, crm.HealthUpdate{ClientID: c.ID, Health: atRisk(60), Day: "2026-11-26", At: at})
	must("health", err)
	must("renewal", s.CreateRenewal(ctx, &crm.Renewal{ClientID: c.ID, Date: at.AddDate(0, 2, 0), Amount: decimal.New(5000, 0),
		Currency: "EUR", Contract: w("renewal"), CreatedBy: 1, CreatedAt: at}))
	must("satisfaction", s.AddSatisfaction(ctx, &crm.Satisfaction{ClientID: c.ID, Kind: crm.SatisfactionCSAT, Score: 2,
		Comment: w("satisfaction"), By: 1, At: at}))
	must("attachment", s.SaveAttachment(ctx, &crm.Attachment{ClientID: c.ID, RecordKind: crm.AttachedToClient, RecordID: c.ID,
		Kind: "document", Name: w("attachment-name") + ".pdf", By: 1, At: at}, []byte(w("attachment-bytes"))))
	_, err = s.LogMail(ctx, "mid:"+prefix+"@example.com", &crm.Conversation{ClientID: c.ID, AuthorID: 1, Text: w("mail"), At: at})
	must("mail", err)
	trail := crm.WithClientTrail(ctx)
	crm.TouchClient(trail, c.ID)
	must("token", s.PutToken(trail, "tok-"+prefix, "/log "+w("token"), time.Hour))
	return words
}

// testErasureOfEveryKind gives two clients a record of every kind, erases
// one, and looks for each record's words in a plain backup (which holds
// every record): none of the erased client's may be left, all of the
// other's must be.
func testErasureOfEveryKind(t *testing.T, open func() *store.Store) {
	s := opened(t, open)
	keep := addDataClient(t, s, "Keeper Ltd", 1)
	gone := addDataClient(t, s, "MARKER-ERASE-name Ltd", 1)
	if _, err := s.UpdateClient(ctx, gone.ID, crm.Actor{PersonID: 1}, planT0, func(c *crm.Client) error {
		c.Name, c.Phone, c.Email = "MARKER-ERASE-renamed", "MARKER-ERASE-phone", "marker-erase-mail@gone.example"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	kept := recordKinds(t, s, keep, "KEPT")
	erased := append(recordKinds(t, s, gone, "MARKER-ERASE"), "MARKER-ERASE-name", "MARKER-ERASE-renamed", "MARKER-ERASE-phone", "marker-erase-mail")
	backup := func() []byte {
		t.Helper()
		var buf bytes.Buffer
		if err := s.Backup(&buf, nil, planT0); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	before := backup()
	for _, w := range erased {
		if !bytes.Contains(before, []byte(w)) {
			t.Fatalf("before erasure %q is in no record of the backup: the case would prove nothing", w)
		}
	}
	if _, err := s.EraseClient(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	after := backup()
	var left []string
	for _, w := range erased {
		if i := bytes.Index(after, []byte(w)); i >= 0 {
			left = append(left, fmt.Sprintf("%s in %q", w, after[max(0, i-40):min(len(after), i+len(w)+20)]))
		}
	}
	if len(left) > 0 {
		t.Errorf("after erasure the backup still holds:\n%s", strings.Join(left, "\n"))
	}
	for _, w := range kept {
		if !bytes.Contains(after, []byte(w)) {
			t.Errorf("the other client's %s went with the erased one", w)
		}
	}
	if _, err := s.Client(ctx, gone.ID); !crm.IsNotFound(err) {
		t.Errorf("the erased client can still be read: %v", err)
	}
	if _, err := s.Token(ctx, "tok-MARKER-ERASE"); !crm.IsNotFound(err) {
		t.Errorf("a token made on the erased client's behalf is left: %v", err)
	}
	if v, err := s.Token(ctx, "tok-KEPT"); err != nil || !strings.Contains(v, "KEPT-token") {
		t.Errorf("the other client's token: %q %v", v, err)
	}
}
