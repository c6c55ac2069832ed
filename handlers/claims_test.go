package handlers

import (
	"accountbot/internal/golden"
	"accountbot/store/storetest"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"
	"accountbot/store"
)

// claimsClock is a clock the test moves by hand.
type claimsClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *claimsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *claimsClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// claimsNote is one message the bot sent outside a conversation.
type claimsNote struct {
	identity string
	reply    bot.Reply
}

// claimsNotifier records notifications.
type claimsNotifier struct {
	mu   sync.Mutex
	sent []claimsNote
	fail bool
}

func (n *claimsNotifier) Notify(_ context.Context, identity string, r bot.Reply) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return io.ErrClosedPipe
	}
	n.sent = append(n.sent, claimsNote{identity, r})
	return nil
}

// to returns what identity was sent, leaving out the scheduled digests
// (they run in the same jobs and carry /digest buttons).
func (n *claimsNotifier) to(identity string) []bot.Reply {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []bot.Reply
	for _, s := range n.sent {
		if s.identity == identity && !isDigest(s.reply) {
			out = append(out, s.reply)
		}
	}
	return out
}

func isDigest(r bot.Reply) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, "/digest") {
				return true
			}
		}
	}
	return false
}

type claimsEnv struct {
	t     testing.TB
	ctx   context.Context
	st    *store.Store
	svc   *Service
	clock *claimsClock
	notes *claimsNotifier
	sofia *time.Location
}

// monday10 is Monday 2 March 2026, 10:00 in Sofia.
func monday10(loc *time.Location) time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, loc) }

// newClaimsEnv starts a service over an in-memory store at Monday 10:00
// in Sofia, with a head (console:admin), a supervisor Ivan, his managers
// Maria and Petar, and Georgi who reports to nobody; Maria owns Acme and
// Beta, Petar owns Gamma, Georgi owns Delta.
func newClaimsEnv(t testing.TB) *claimsEnv {
	t.Helper()
	st := storetest.OpenWith(t, store.Options{InMemory: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.TZ = sofia
	e := &claimsEnv{t: t, ctx: context.Background(), st: st, clock: &claimsClock{t: monday10(sofia)}, notes: &claimsNotifier{}, sofia: sofia}
	e.svc, err = New(st, cat, WithClock(e.clock), WithConfig(cfg), WithNotifier(e.notes), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"/appoint console:ivan supervisor Ivan",
		"/appoint console:maria manager Maria reports=@Ivan",
		"/appoint console:petar manager Petar reports=@Ivan",
		"/appoint console:georgi manager Georgi",
	} {
		e.must("admin", line, "")
	}
	e.must("maria", "/client add Acme city=Sofia", "Saved")
	e.must("maria", "/client add Beta", "Saved")
	e.must("petar", "/client add Gamma", "Saved")
	e.must("georgi", "/client add Delta", "Saved")
	return e
}

// send delivers one line from console:NAME and returns the replies.
func (e *claimsEnv) send(name, text string) *bot.Recorder {
	e.t.Helper()
	rec := &bot.Recorder{}
	m := &bot.Message{Platform: bot.Console, ChatID: "console", Identity: "console:" + name, Private: true, Text: text}
	if err := e.svc.ServeChat(e.ctx, rec, m); err != nil {
		e.t.Fatalf("%s: %v", text, err)
	}
	return rec
}

// say returns the text of the replies.
func (e *claimsEnv) say(name, text string) string {
	e.t.Helper()
	return e.send(name, text).Text()
}

// must sends a line and fails unless every want is in the reply.
func (e *claimsEnv) must(name, text string, wants ...string) string {
	e.t.Helper()
	got := e.say(name, text)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			e.t.Fatalf("%s %q:\n%s\nwant %q", name, text, got, w)
		}
	}
	return got
}

// mustNot fails if any of the words is in the reply.
func (e *claimsEnv) mustNot(name, text string, words ...string) string {
	e.t.Helper()
	got := e.say(name, text)
	for _, w := range words {
		if strings.Contains(got, w) {
			e.t.Fatalf("%s %q:\n%s\nmust not contain %q", name, text, got, w)
		}
	}
	return got
}

func (e *claimsEnv) claim(id uint64) *crm.Claim {
	e.t.Helper()
	c, err := e.st.Claim(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *claimsEnv) person(name string) *crm.Person {
	e.t.Helper()
	p, err := e.st.PersonByIdentity(e.ctx, "console:"+strings.ToLower(name))
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestClaimsRecord(t *testing.T) {
	e := newClaimsEnv(t)
	rec := e.send("maria", `/claim Acme: 3 pallets arrived broken severity=high category=delivery remedy="replace them"`)
	text := rec.Text()
	for _, want := range []string{"Saved: claim C-1 from Acme — high · delivery.", "Acknowledge by 2026-03-03 10:00 · resolve by 2026-03-09 10:00", "The client asks for: replace them"} {
		if !strings.Contains(text, want) {
			t.Errorf("reply:\n%s\nwant %q", text, want)
		}
	}
	if !hasButton(rec, "/claim ack C-1") || !hasButton(rec, "/claim C-1") {
		t.Errorf("no next-step buttons: %+v", rec.Replies)
	}
	c := e.claim(1)
	if c.Text != "3 pallets arrived broken" || c.Remedy != "replace them" || c.Severity != crm.SeverityHigh || c.Category != "delivery" ||
		c.Status != crm.ClaimNew || c.ReporterID != e.person("maria").ID || c.OwnerID != e.person("maria").ID {
		t.Errorf("stored claim = %+v", c)
	}

	// Defaults: medium and other; a custom category is kept.
	e.must("maria", "/claim Beta: the invoice is late", "C-2", "medium · other", "Acknowledge by 2026-03-04 10:00 · resolve by 2026-03-16 10:00")
	e.must("maria", "/claim Beta: torn boxes category=Packaging", "C-3", "medium · packaging")
	// Received on Friday evening: the clock waits for Monday.
	e.clock.Set(time.Date(2026, 3, 6, 17, 0, 0, 0, e.sofia))
	e.must("maria", "/claim Acme: line stopped severity=critical", "C-4", "Acknowledge by 2026-03-09 12:00 · resolve by 2026-03-10 17:00")

	// Bulgarian command, keys and words.
	e.must("maria", "/lang bg", "")
	e.must("maria", "/рекламация Акме: грешно количество тежест=критична категория=качество искане=\"нова доставка\"",
		"Записано: рекламация C-5 от Acme — критична · качество.", "Потвърждение до 09.03.2026 12:00 · решаване до 10.03.2026 17:00", "Клиентът иска: нова доставка")

	// Client names that start with a sub-word are still clients.
	e.must("maria", "/client add Note Ltd", "")
	e.must("maria", "/client add Нова Звезда", "")
	e.must("maria", "/claim Note Ltd: wrong labels", "рекламация C-6 от Note Ltd")
	e.must("maria", "/claim нова Нова Звезда: счупено", "рекламация C-7 от Нова Звезда")
	e.must("maria", "/claim Нова Звезда: пак", "рекламация C-8 от Нова Звезда")
	e.must("maria", "/claim new Acme: again", "рекламация C-9 от Acme")

	// Errors change nothing.
	e.must("maria", "/claim Acme: x severity=huge", "„huge“ не е тежест")
	e.must("maria", "/claim Acme", "Употреба: /рекламация")
	e.must("maria", "/claim Nobody: x", "Нямате клиент")
	if _, err := e.st.Claim(e.ctx, 10); !crm.IsNotFound(err) {
		t.Errorf("a refused claim was stored: %v", err)
	}
	// Petar cannot record a claim on Maria's client.
	e.must("petar", "/claim Acme: x", "No client of yours matches")
}

func TestClaimsLifecycle(t *testing.T) {
	e := newClaimsEnv(t)
	e.must("maria", "/claim Acme: 3 pallets arrived broken severity=high category=delivery", "C-1")
	at := func(d, h int) { e.clock.Set(time.Date(2026, 3, d, h, 0, 0, 0, e.sofia)) }

	at(2, 11)
	rec := e.send("maria", "/claim ack C-1")
	if !strings.Contains(rec.Text(), "C-1 acknowledged. Resolve by 2026-03-09 10:00") || !hasButton(rec, "/claim investigate C-1") || hasButton(rec, "/claim ack C-1") {
		t.Fatalf("ack reply: %s %+v", rec.Text(), rec.Replies)
	}
	e.must("maria", "/claim ack C-1", "C-1 is acknowledged: you cannot acknowledge it now.")
	e.must("maria", "/claim investigate C-1", "C-1 is under investigation.")
	e.must("maria", "/claim note C-1: the warehouse says the pallets left damaged", "note on C-1")
	e.must("maria", "/claim note C-1", "Usage: /claim note")
	e.must("maria", "/claim assign C-1 @Petar", "C-1 is assigned to Petar.")
	if n := e.notes.to("console:petar"); len(n) != 1 || !strings.Contains(n[0].Text, "Maria assigned claim C-1 from Acme to you") {
		t.Errorf("assignee not told: %+v", n)
	}
	at(3, 9)
	e.must("petar", "/claim respond C-1: we replace the pallets on Thursday", "response on C-1")
	// No cause: refused, and nothing changes.
	before := e.claim(1)
	e.must("petar", "/claim resolve C-1: replaced", "A resolved claim needs a root cause: /claim resolve C-1")
	e.must("petar", "/claim resolve C-1: replaced cause=x action=maybe", `action must be corrective, preventive or none, not "maybe"`)
	if after := e.claim(1); len(after.Timeline) != len(before.Timeline) || after.Status != crm.ClaimResponded {
		t.Fatalf("a refused resolve changed the claim: %+v", after)
	}
	at(5, 12)
	rec = e.send("petar", `/claim resolve C-1: replaced all 3 pallets cause="loading at the warehouse" action=corrective`)
	if !strings.Contains(rec.Text(), "C-1 resolved. Root cause: loading at the warehouse (corrective action).") || !strings.Contains(rec.Text(), "Within the SLA.") || !hasButton(rec, "/claim satisfied C-1 4") {
		t.Fatalf("resolve reply: %s", rec.Text())
	}
	e.must("petar", "/claim reject C-1: not ours", "C-1 is resolved: you cannot reject it until it is reopened (/claim reopen C-1: reason).")
	e.must("maria", "/claim satisfied C-1 9", "Satisfaction is a number from 1")
	e.must("maria", "/claim satisfied C-1 4", "satisfaction with C-1 is 4/5")
	e.must("maria", "/claim reopen C-1", "Reopening needs a reason")
	at(9, 10)
	e.must("maria", "/claim reopen C-1: the replacement is damaged too", "C-1 reopened", "Acknowledge by 2026-03-10 10:00 · resolve by 2026-03-16 10:00")
	e.must("maria", "/claim reject C-1: damage happened after delivery", "C-1 rejected: damage happened after delivery")

	c := e.claim(1)
	if c.Status != crm.ClaimRejected || c.Cause != "loading at the warehouse" || c.Action != crm.ActionCorrective || c.AssigneeID != e.person("petar").ID || !c.AckedAt.Equal(time.Date(2026, 3, 2, 11, 0, 0, 0, e.sofia)) {
		t.Errorf("claim = %+v", c)
	}
	card := e.must("maria", "/claim C-1",
		"Claim C-1 · Acme", "Status: rejected", "Assigned to: Petar", "Rejected because: damage happened after delivery",
		"2026-03-02 10:00 · Maria: received",
		"2026-03-02 11:00 · Maria: acknowledged",
		"Maria: note: the warehouse says the pallets left damaged",
		"Maria: assigned to Petar",
		"2026-03-03 09:00 · Petar: told the client: we replace the pallets on Thursday",
		"2026-03-05 12:00 · Petar: resolved: replaced all 3 pallets (cause: loading at the warehouse, corrective action)",
		"Maria: client satisfaction 4/5",
		"2026-03-09 10:00 · Maria: reopened: the replacement is damaged too",
		"Maria: rejected: damage happened after delivery")
	_ = card
	hist, err := e.st.History(e.ctx, "claim", 1)
	if err != nil || len(hist) < 10 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
	// Bulgarian words for the same steps.
	e.must("maria", "/lang bg", "")
	e.must("maria", "/рекламация оценка C-1 2", "удовлетвореността на клиента по C-1 е 2/5")
	e.must("maria", "/рекламация реши C-1: x причина=y", "C-1 е отхвърлена: не можете да я решите, докато не бъде отворена отново")
	e.must("maria", "/рекламация C-1", "Рекламация C-1 · Acme", "Статус: отхвърлена", "02.03.2026 10:00 · Maria: получена")
}

func TestClaimsRights(t *testing.T) {
	e := newClaimsEnv(t)
	e.must("maria", "/claim Acme: wrong invoice category=invoice", "C-1")
	e.must("georgi", "/claim C-1", "No claim C-1 that you may see.")
	e.must("georgi", "/claim ack C-1", "No claim C-1 that you may see.")
	e.must("petar", "/claim C-1", "No claim C-1 that you may see.")
	e.must("petar", "/claim C-99", "No claim C-99")
	// The supervisor and the head may act.
	e.must("ivan", "/claim ack C-1", "C-1 acknowledged")
	e.must("admin", "/claim note C-1: called the client", "note on C-1")
	// The assignee may act, and sees it in their lists.
	e.must("ivan", "/claim assign C-1 @Petar", "assigned to Petar")
	e.must("petar", "/claim note C-1: checking", "note on C-1")
	e.must("petar", "/claims", "C-1 · Acme")
	e.must("georgi", "/claim assign C-1 @Georgi", "No claim C-1")
	// A deputy acts for the absent owner, and the timeline says so.
	from := e.clock.Now().Add(-time.Hour)
	if err := e.st.SaveDelegation(e.ctx, &crm.Delegation{AbsentID: e.person("maria").ID, DeputyID: e.person("georgi").ID, From: from, To: from.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.must("georgi", "/claim respond C-1: a corrected invoice goes out today", "response on C-1")
	e.must("maria", "/claim C-1", "Georgi for Maria: told the client: a corrected invoice goes out today")
	hist, _ := e.st.History(e.ctx, "claim", 1)
	last := hist[len(hist)-1]
	if last.By != e.person("georgi").ID || last.OnBehalfOf != e.person("maria").ID {
		t.Errorf("history entry = %+v", last)
	}
	// Claims follow their client to a new owner.
	e.must("admin", "/client reassign Acme @Georgi", "now belongs to Georgi")
	if c := e.claim(1); c.OwnerID != e.person("georgi").ID {
		t.Errorf("claim owner = %d after reassignment", c.OwnerID)
	}
	e.must("georgi", "/claims mine", "C-1 · Acme")
	e.must("maria", "/claim C-1", "No claim C-1 that you may see.")
}

func TestClaimsList(t *testing.T) {
	e := newClaimsEnv(t)
	at := func(d, h int) { e.clock.Set(time.Date(2026, 3, d, h, 0, 0, 0, e.sofia)) }
	e.must("maria", "/claim Acme: low thing severity=low category=service", "C-1")    // ack by 09.03 10:00
	e.must("maria", "/claim Beta: critical thing severity=critical", "C-2")           // ack by 02.03 14:00
	e.must("petar", "/claim Gamma: medium thing category=delivery", "C-3")            // ack by 04.03 10:00
	e.must("maria", "/claim Acme: high thing severity=high category=delivery", "C-4") // ack by 03.03 10:00
	e.must("georgi", "/claim Delta: georgi's thing severity=critical", "C-5")         // not Ivan's team
	e.must("maria", "/claim Beta: done thing category=invoice", "C-6")                // to be resolved
	e.must("maria", `/claim resolve C-6: fixed cause="wrong VAT"`, "resolved")
	at(3, 12) // C-2 (ack 02.03 14:00) and C-4 (ack 03.03 10:00) are overdue

	got := e.must("ivan", "/claims", "4 open claims · 2 overdue")
	lines := strings.Split(strings.TrimSpace(got), "\n")[1:]
	order := []string{"⚠ C-2 · Beta · critical", "⚠ C-4 · Acme · high", "C-3 · Gamma · medium", "C-1 · Acme · low"}
	if len(lines) != len(order) {
		t.Fatalf("/claims:\n%s", got)
	}
	for i, w := range order {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want %q…", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[0], "not acknowledged, due 2026-03-02 14:00 (Maria)") || !strings.Contains(lines[2], "acknowledge by 2026-03-04 10:00 (Petar)") {
		t.Errorf("lines: %q", lines)
	}
	e.must("ivan", "/claims overdue", "2 overdue claims", "C-2", "C-4")
	e.mustNot("ivan", "/claims overdue", "C-1", "C-3")
	e.must("ivan", "/claims closed", "1 closed claim", "C-6 · Beta · medium · invoice · resolved 2026-03-02")
	e.must("ivan", "/claims all", "5 claims")
	e.mustNot("ivan", "/claims all", "C-5")
	e.must("ivan", "/claims category=delivery", "2 open claims", "C-4", "C-3")
	e.must("ivan", "/claims @Petar", "1 open claim", "C-3")
	e.must("ivan", "/claims Acme", "2 open claims", "C-4", "C-1")
	e.must("ivan", "/claims severity=critical", "1 open claim", "C-2")
	e.must("maria", "/claims", "3 open claims")
	e.mustNot("maria", "/claims", "C-3", "C-5")
	e.must("maria", "/claims @Petar", "You have no rights over Petar.")
	e.must("maria", "/claims team", "Only supervisors and heads see the team.")
	e.must("admin", "/claims", "5 open claims · 3 overdue", "C-5")
	e.must("ivan", "/рекламации просрочени", "2 overdue claims")
	e.must("georgi", "/claims overdue", "1 overdue claim", "C-5")
	e.must("petar", "/claims closed", "0 closed claims")
}

func TestClaimsTodayAndCard(t *testing.T) {
	e := newClaimsEnv(t)
	e.must("maria", "/claim Acme: high thing severity=high category=delivery", "C-1") // ack by 03.03 10:00, resolve by 09.03 10:00
	e.must("maria", "/claim Acme: low thing severity=low", "C-2")                     // ack by 09.03 10:00
	e.must("maria", "/claim Beta: other thing", "C-3")
	e.must("maria", "/claim resolve C-3: done cause=x", "resolved")
	e.mustNot("maria", "/today", "C-1", "C-2")
	e.clock.Set(time.Date(2026, 3, 3, 11, 0, 0, 0, e.sofia))
	rec := e.send("maria", "/today")
	if text := rec.Text(); !strings.Contains(text, "⚠ C-1 · Acme · high · delivery · new · not acknowledged, due 2026-03-03 10:00") || strings.Contains(text, "C-2") {
		t.Fatalf("/today:\n%s", text)
	}
	if !hasButton(rec, "/claim ack C-1") {
		t.Errorf("no ack button in /today")
	}
	e.must("maria", "/claim ack C-1", "acknowledged")
	e.mustNot("maria", "/today", "C-1")
	e.clock.Set(time.Date(2026, 3, 9, 11, 0, 0, 0, e.sofia))
	e.must("maria", "/today", "⚠ C-1 · Acme · high · delivery · acknowledged · resolve overdue since 2026-03-09 10:00", "⚠ C-2")
	// Petar's /today does not show Maria's claims.
	e.mustNot("petar", "/today", "C-1")

	card := e.must("maria", "/client Acme", "Claims, last 12 months: 2 (2 open)", "Open claim: ⚠ C-1 · high · delivery · acknowledged · resolve overdue since 2026-03-09 10:00")
	_ = card
	e.must("maria", "/client Beta", "Claims, last 12 months: 1 (0 open)")
	e.mustNot("petar", "/client Gamma", "Claims, last 12 months")
	// A year later the old claims no longer count.
	e.clock.Set(time.Date(2027, 3, 10, 11, 0, 0, 0, e.sofia))
	e.must("maria", "/client Beta", "Claims, last 12 months: 0 (0 open)")
}

func TestClaimsEscalationOnce(t *testing.T) {
	e := newClaimsEnv(t)
	e.must("maria", "/claim Acme: high thing severity=high", "resolve by 2026-03-09 10:00")
	e.must("georgi", "/claim Delta: georgi's thing severity=critical", "resolve by 2026-03-04 10:00")
	e.must("ivan", "/lang bg", "")
	// Only escalations are counted here; the morning agenda that lists the
	// overdue claim is tested in push_test.go.
	e.must("maria", "/agenda off", "off")
	e.clock.Set(time.Date(2026, 3, 9, 10, 0, 0, 0, e.sofia)) // exactly at the deadline: not yet
	e.svc.RunJobs(e.ctx)
	if n := e.notes.to("console:ivan"); len(n) != 0 {
		t.Fatalf("escalated before the deadline: %+v", n)
	}
	e.clock.Set(time.Date(2026, 3, 9, 10, 30, 0, 0, e.sofia))
	e.svc.RunJobs(e.ctx)
	e.svc.RunJobs(e.ctx)
	got := e.notes.to("console:ivan")
	if len(got) != 1 {
		t.Fatalf("supervisor got %d messages, want 1: %+v", len(got), got)
	}
	if !strings.Contains(got[0].Text, "Рекламация C-1 от Acme (отговорник: Maria) не е решена в срок — срокът беше 09.03.2026 10:00") {
		t.Errorf("escalation text: %s", got[0].Text)
	}
	// Georgi has no supervisor: the head is told.
	if a := e.notes.to("console:admin"); len(a) != 1 || !strings.Contains(a[0].Text, "C-2 from Delta (owner: Georgi)") {
		t.Errorf("head got %+v", a)
	}
	if n := e.notes.to("console:maria"); len(n) != 0 {
		t.Errorf("the owner was pinged: %+v", n)
	}
	e.must("maria", "/claim C-1", "accountbot: resolve deadline passed; Ivan was told")

	// A reopened claim that breaches its new deadline is a new breach.
	e.must("maria", "/claim resolve C-1: done cause=x", "After the resolve deadline")
	e.must("maria", "/claim reopen C-1: broke again", "resolve by 2026-03-16 10:30")
	e.clock.Set(time.Date(2026, 3, 16, 11, 0, 0, 0, e.sofia))
	e.svc.RunJobs(e.ctx)
	e.svc.RunJobs(e.ctx)
	if got := e.notes.to("console:ivan"); len(got) != 2 {
		t.Fatalf("after a second breach the supervisor has %d messages, want 2", len(got))
	}
}

func TestClaimsEscalationRetriesDelivery(t *testing.T) {
	e := newClaimsEnv(t)
	e.must("maria", "/claim Acme: high thing severity=high", "C-1")
	e.clock.Set(time.Date(2026, 3, 10, 10, 0, 0, 0, e.sofia))
	e.notes.fail = true
	e.svc.RunJobs(e.ctx)
	e.notes.fail = false
	e.svc.RunJobs(e.ctx)
	e.svc.RunJobs(e.ctx)
	if got := e.notes.to("console:ivan"); len(got) != 1 {
		t.Fatalf("after a failed delivery the supervisor got %d messages, want 1", len(got))
	}
	steps := 0
	for _, s := range e.claim(1).Timeline {
		if s.Kind == crm.StepEscalated {
			steps++
		}
	}
	if steps != 1 {
		t.Errorf("%d escalation steps", steps)
	}
}

func TestClaimsSettings(t *testing.T) {
	e := newClaimsEnv(t)
	e.must("maria", "/claims settings", "Business hours: Mon–Fri 09:00–18:00 (a working day = 9h)", "• critical: acknowledge within 4h, resolve within 2d", "• low: acknowledge within 5d, resolve within 20d")
	e.must("maria", "/claims settings critical=1h/4h", "Only a head of the company changes the claim SLA.")
	e.must("admin", "/claims settings critical=1h/4h", "Saved: claim SLA", "• critical: acknowledge within 1h, resolve within 4h")
	e.must("admin", "/claims settings hours=25:00-18:00", `"25:00-18:00" are not business hours`)
	e.must("admin", "/claims settings high=1h", `"1h" is not an SLA`)
	e.must("admin", "/claims settings days=fri-xyz", `"fri-xyz" are not working days`)
	e.must("maria", "/claim Acme: stopped severity=critical", "Acknowledge by 2026-03-02 11:00 · resolve by 2026-03-02 14:00")
	e.must("admin", "/lang bg", "")
	e.must("admin", "/рекламации настройки часове=08:00-17:00 дни=пн-сб висока=2ч/1д", "Работно време: пн–сб 08:00–17:00 (работен ден = 9 ч)", "• висока: потвърждение до 2 ч, решаване до 1 д")
	e.clock.Set(time.Date(2026, 3, 7, 16, 0, 0, 0, e.sofia)) // Saturday
	e.must("maria", "/claim Acme: saturday thing severity=high", "Acknowledge by 2026-03-09 09:00 · resolve by 2026-03-09 16:00")
	hist, _ := e.st.History(e.ctx, "claim_settings", 0)
	if len(hist) < 4 {
		t.Errorf("settings history: %+v", hist)
	}
	e.must("admin", "/рекламации настройки нулирай", "пн–пт 09:00–18:00", "критична: потвърждение до 4 ч, решаване до 2 д")
}

// TestClaimsSettingsHolidays: with Bulgaria's calendar switched on, a claim
// received before Christmas is due after the days off; a closed day moves
// the deadline further; switching off restores the plain count.
func TestClaimsSettingsHolidays(t *testing.T) {
	e := newClaimsEnv(t)
	e.clock.Set(time.Date(2026, 12, 23, 10, 0, 0, 0, e.sofia))
	e.must("admin", "/claims settings", "Public holidays: SLA time runs through them (holidays=bg skips Bulgaria's)")
	e.must("maria", "/claim Acme: before the holidays severity=high", "Acknowledge by 2026-12-24 10:00 · resolve by 2026-12-30 10:00")
	e.must("maria", "/claims settings holidays=bg", "Only a head of the company changes the claim SLA.")
	e.must("admin", "/claims settings holidays=bg", "Saved: claim SLA",
		"Days off besides the weekly ones: Bulgaria's public holidays. Next: 2026-12-24, 2026-12-25, 2026-12-26, 2026-12-28, 2027-01-01")
	e.must("maria", "/claim Acme: during the holidays severity=high", "Acknowledge by 2026-12-29 10:00 · resolve by 2027-01-05 10:00")
	e.must("admin", "/claims settings closed=31.12.2026,2026-12-31", "Bulgaria's public holidays; 1 closed day. Next: 2026-12-24, 2026-12-25, 2026-12-26, 2026-12-28, 2026-12-31")
	e.must("maria", "/claim Beta: with a closed day severity=high", "resolve by 2027-01-06 10:00")
	e.must("admin", "/claims settings holidays=xmas", `"xmas" is not a holiday calendar`)
	e.must("admin", "/claims settings closed=someday", `"someday" is not a list of dates`)
	e.must("admin", "/lang bg", "")
	e.must("admin", "/рекламации настройки празници=няма почивни=няма", "Официални празници: сроковете текат и в тях")
	e.must("maria", "/claim Beta: after switching off severity=high", "Acknowledge by 2026-12-24 10:00")
	// The claims recorded under the calendar keep their deadlines.
	e.must("maria", "/claim C-2", "Acknowledge by: 2026-12-29 10:00")
}

func TestClaimsReport(t *testing.T) {
	e := newClaimsEnv(t)
	at := func(d, h int) { e.clock.Set(time.Date(2026, 3, d, h, 0, 0, 0, e.sofia)) }
	e.must("maria", "/claim Acme: broken pallets severity=high category=delivery", "C-1")
	e.must("maria", "/claim Beta: late truck severity=high category=delivery", "C-2")
	e.must("petar", "/claim Gamma: wrong VAT category=invoice", "C-3")
	e.must("maria", "/claim Acme: rude driver severity=low category=service", "C-4")
	at(2, 12)
	e.must("maria", "/claim ack C-1", "acknowledged") // 2h
	e.must("maria", "/claim ack C-2", "acknowledged") // 2h
	at(3, 12)
	e.must("petar", "/claim ack C-3", "acknowledged") // 11h
	at(4, 10)
	e.must("maria", `/claim resolve C-1: replaced cause="Loading at the warehouse" action=corrective`, "Within the SLA") // 2d
	e.must("maria", `/claim resolve C-2: apologised cause="loading at the warehouse"`, "Within the SLA")                 // 2d
	e.must("maria", "/claim satisfied C-1 5", "5/5")
	e.must("maria", "/claim satisfied C-2 4", "4/5")
	at(20, 10)
	e.must("petar", `/claim resolve C-3: credit note cause="wrong VAT rate"`, "After the resolve deadline") // 14d
	e.must("maria", "/claim reject C-4: not our driver", "rejected")

	got := e.must("ivan", "/claims report month",
		"Claims report 2026-03-01 – 2026-03-31: 4 claims",
		"By category: delivery 2 · invoice 1 · service 1",
		"By severity: high 2 · medium 1 · low 1",
		"Now: 0 open (0 overdue) · 3 resolved · 1 rejected",
		"• high: acknowledge 2h (SLA 1d) · resolve 2d (SLA 5d)",
		"• medium: acknowledge 1d 2h (SLA 2d) · resolve 14d (SLA 10d)",
		"• low: acknowledge 14d (SLA 5d) · resolve — (SLA 20d)", // a rejection tells the client too
		"Acknowledged within the SLA: 3 of 4 (75%)",
		"Resolved within the SLA: 2 of 3 (67%)",
		"Average satisfaction: 4.5 of 5 (2 ratings)",
		"Root causes: Loading at the warehouse 2 · wrong VAT rate 1",
		`⚠ Needs corrective action: "Loading at the warehouse" recurs at 2 clients (Acme, Beta). Action recorded on 1 of 2 claims.`,
		"Top clients by claims: Acme 2 · Beta 1 · Gamma 1")
	_ = got
	e.mustNot("ivan", "/claims report month", "wrong VAT rate\" recurs")
	e.must("maria", "/claims report", "3 claims")
	e.must("ivan", "/claims report 2026-03-02..2026-03-02 @Petar", "Claims report 2026-03-02 – 2026-03-02: 1 claim")
	e.must("ivan", "/claims report quarter", "Claims report 2026-01-01 – 2026-03-31: 4 claims")
	e.must("ivan", "/claims report last month", "Claims report 2026-02-01 – 2026-02-28: 0 claims", "No claims were received")
	e.must("ivan", "/claims report 2026-03-05..2026-03-01", "Usage: /claims report")
	e.must("ivan", "/lang bg", "")
	e.must("ivan", "/рекламации отчет месец", "Отчет за рекламациите 01.03.2026 – 31.03.2026: 4 рекламации", "Нужно е коригиращо действие: „Loading at the warehouse“ се повтаря при 2 клиента (Acme, Beta).", "Средна удовлетвореност: 4,5 от 5 (2 оценки)")
}

// TestClaimsConsoleScenario is the end-to-end story of the README: a
// manager records a claim, acknowledges it, resolves it, and the
// supervisor reads the report.
func TestClaimsConsoleScenario(t *testing.T) {
	e := newClaimsEnv(t)
	var transcript strings.Builder
	step := func(who, line string, wants ...string) {
		t.Helper()
		got := e.must(who, line, wants...)
		transcript.WriteString(who + "> " + line + "\n" + got + "\n")
	}
	step("maria", `/claim Acme: 3 pallets arrived broken severity=high category=delivery remedy="replace them"`, "C-1", "Acknowledge by 2026-03-03 10:00")
	e.clock.Set(time.Date(2026, 3, 2, 10, 40, 0, 0, e.sofia))
	step("maria", "/claim ack C-1: called Ivan Petrov, replacement on Thursday", "C-1 acknowledged")
	e.clock.Set(time.Date(2026, 3, 5, 15, 0, 0, 0, e.sofia))
	step("maria", `/claim resolve C-1: replaced all 3 pallets cause="loading at the warehouse" action=corrective`, "C-1 resolved", "Within the SLA")
	step("maria", "/claim satisfied C-1 5", "5/5")
	step("maria", "/claim C-1", "Status: resolved", "Client satisfaction: 5/5", "acknowledged: called Ivan Petrov")
	step("ivan", "/claims report", "Claims report 2026-03-01 – 2026-03-31: 1 claim", "Resolved within the SLA: 1 of 1 (100%)", "Average satisfaction: 5.0 of 5 (1 rating)")
	golden.Check(t, filepath.Join("testdata", "claims_scenario.golden"), transcript.String())
}

func TestTakeClaimKV(t *testing.T) {
	tests := []struct {
		in, text string
		kv       map[string]string
	}{
		{`broken severity=high`, "broken", map[string]string{"severity": "high"}},
		{`broken remedy="replace them" category=delivery now`, "broken now", map[string]string{"remedy": "replace them", "category": "delivery"}},
		{`a=b stays and url=x stays`, "a=b stays and url=x stays", map[string]string{}},
		{`счупени тежест=висока искане="нова доставка"`, "счупени", map[string]string{"severity": "висока", "remedy": "нова доставка"}},
		{`quote "inside" text cause="say \"no\""`, `quote "inside" text cause="say \"no\""`, map[string]string{}},
	}
	for _, tt := range tests {
		text, kv := takeClaimKV(tt.in, "severity", "category", "remedy")
		if text != tt.text || len(kv) != len(tt.kv) {
			t.Errorf("takeClaimKV(%q) = %q %v", tt.in, text, kv)
			continue
		}
		for k, v := range tt.kv {
			if kv[k] != v {
				t.Errorf("takeClaimKV(%q)[%s] = %q, want %q", tt.in, k, kv[k], v)
			}
		}
	}
}

// TestClaimsWordsExist checks the message keys that the claims code builds
// from domain words, which the i18n completeness test cannot see.
func TestClaimsWordsExist(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, st := range crm.ClaimStatuses {
		keys = append(keys, "claim.status."+string(st))
	}
	for _, sev := range crm.Severities {
		keys = append(keys, "claim.severity."+string(sev))
	}
	for _, c := range crm.ClaimCategories {
		keys = append(keys, "claim.category."+c)
	}
	for _, a := range []crm.CorrectiveAction{crm.ActionCorrective, crm.ActionPreventive, crm.ActionNone} {
		keys = append(keys, "claim.action."+string(a))
	}
	for _, k := range []crm.ClaimStepKind{crm.StepAck, crm.StepInvestigate, crm.StepNote, crm.StepAssign, crm.StepRespond, crm.StepResolve, crm.StepReject, crm.StepReopen, crm.StepSatisfied, crm.StepEscalated} {
		keys = append(keys, "claim.verb."+string(k))
	}
	for _, k := range claimSteps {
		keys = append(keys, "claim."+string(k)+"_usage")
	}
	for _, k := range []crm.ClaimStepKind{crm.StepReceived, crm.StepAck, crm.StepInvestigate, crm.StepNote, crm.StepRespond, crm.StepReject, crm.StepReopen} {
		keys = append(keys, "claim.step."+string(k))
	}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		keys = append(keys, "claim.weekday."+d)
	}
	for _, st := range claimStatusWords {
		keys = append(keys, "claims.title."+st)
	}
	for _, lang := range i18n.Languages {
		for _, k := range keys {
			if !cat.Has(lang, k) {
				t.Errorf("%s has no %q", lang, k)
			}
		}
	}
}
