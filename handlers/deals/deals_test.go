package deals_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/internal/golden"
	"accountbot/store"
)

// dealsEnv is the shared chat environment (handlerstest) in Sofia, head
// console:admin, currency EUR; the lower-case fields are its own under
// short names.
type dealsEnv struct {
	*handlerstest.Env
	t     testing.TB
	ctx   context.Context
	st    *store.Store
	svc   *handlers.Service
	clock *dates.ManualClock
	tz    *time.Location
}

// newDealsEnv starts at Friday 15 May 2026, 10:00 in Sofia.
func newDealsEnv(t testing.TB) *dealsEnv {
	t.Helper()
	tz := chattest.Sofia(t)
	cfg := handlerstest.Config(tz)
	cfg.Currency, cfg.Heads = "EUR", []string{"console:admin"}
	ce := handlerstest.New(t, chattest.Options{Now: time.Date(2026, 5, 15, 10, 0, 0, 0, tz), TZ: tz}, handlers.WithConfig(cfg))
	return &dealsEnv{Env: ce, t: t, ctx: ce.Ctx, st: ce.Store, svc: ce.Svc, clock: ce.Clock, tz: tz}
}

// at sets the clock to a day at 10:00 in Sofia.
func (e *dealsEnv) at(day string) {
	e.t.Helper()
	d, err := time.ParseInLocation("2006-01-02", day, e.tz)
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Set(d.Add(10 * time.Hour))
}

// addPerson appoints a person with identity console:<lower name>.
func (e *dealsEnv) addPerson(name string, role crm.Role, reportsTo *crm.Person) *crm.Person {
	e.t.Helper()
	p := &crm.Person{Name: name, Role: role, Identities: []string{"console:" + strings.ToLower(name)}, CreatedAt: e.clock.Now()}
	if reportsTo != nil {
		p.ReportsTo = reportsTo.ID
	}
	if err := e.st.CreatePerson(e.ctx, p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// say sends text as the person with identity console:<who>, in lang, and
// returns every reply as plain text with its buttons.
func (e *dealsEnv) say(who, lang, text string) string {
	e.t.Helper()
	return chattest.Render(e.Send(who, text, chattest.Chat("console"), chattest.Lang(lang), chattest.Received(e.clock.Now())))
}

// must marks the test failed unless the reply contains every want.
func (e *dealsEnv) must(reply string, wants ...string) {
	e.t.Helper()
	chattest.Want(e.t, reply, wants...)
}

func (e *dealsEnv) mustNot(reply string, nots ...string) {
	e.t.Helper()
	chattest.WantNot(e.t, reply, nots...)
}

func (e *dealsEnv) client(name string, owner *crm.Person) *crm.Client {
	e.t.Helper()
	c := &crm.Client{Name: name, OwnerID: owner.ID, CreatedAt: e.clock.Now(), ReviewedAt: e.clock.Now()}
	if err := e.st.CreateClient(e.ctx, c, crm.Actor{PersonID: owner.ID}); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// company is the fixed data set of the golden tests: a head, a supervisor
// with two managers, a manager outside the team, and deals opened, moved,
// won and lost over a year and a half, seen on 2026-05-15.
type company struct {
	head, ivan, maria, petar, georgi *crm.Person
}

func (e *dealsEnv) company() company {
	e.t.Helper()
	e.at("2025-01-02")
	var c company
	c.head = e.addPerson("Elena", crm.RoleHead, nil)
	c.ivan = e.addPerson("Ivan", crm.RoleSupervisor, c.head)
	c.maria = e.addPerson("Maria", crm.RoleManager, c.ivan)
	c.petar = e.addPerson("Petar", crm.RoleManager, c.ivan)
	c.georgi = e.addPerson("Georgi", crm.RoleManager, c.head)
	e.client("Acme", c.maria)
	e.client("Beta Trade", c.maria)
	e.client("Gamma", c.petar)
	e.client("Delta", c.georgi)

	steps := []struct{ day, who, text string }{
		// Last year, for the comparison in /forecast.
		{"2025-04-05", "maria", "/deal add Beta: Filters amount=8000 close=2025-05-01"},
		{"2025-04-28", "maria", "/deal won D-1"},
		{"2025-05-03", "petar", "/deal add Gamma: Tubes amount=4000 close=2025-05-20"},
		{"2025-05-08", "petar", "/deal lost D-2: timing"},
		// This year.
		{"2026-01-12", "maria", "/deal add Acme: Pumps amount=12500 close=2026-04-30"},
		{"2026-01-20", "maria", `/deal add Beta: Valves amount="3 200,50" stage=qualified close=2026-05-31`},
		{"2026-02-02", "maria", "/deal add Acme: Service contract amount=48000 stage=proposal close=2026-06-15 competitor=Rival"},
		{"2026-02-10", "petar", "/deal add Gamma: Boilers amount=20000 currency=USD close=2026-06-30"},
		{"2026-02-15", "maria", "/deal move D-3 qualified"},
		{"2026-03-01", "maria", "/deal move D-3 proposal"},
		{"2026-03-05", "petar", "/deal add Gamma: Spare parts amount=999.99 close=2026-04-15"},
		{"2026-04-10", "petar", "/deal lost D-7: price too high competitor=Rival"},
		{"2026-04-15", "georgi", "/deal add Delta: Turbine amount=250000 stage=negotiation close=2026-05-31 probability=60"},
		{"2026-04-20", "maria", "/deal won D-5"},
		{"2026-05-05", "maria", "/deal move D-4 negotiation"},
		{"2026-05-05", "maria", "/deal edit D-4 probability=90"},
		{"2026-05-10", "petar", "/deal add Gamma: Pipes amount=7300 stage=proposal close=2026-07-20"},
		{"2026-05-12", "georgi", "/deal add Delta: Survey amount=1500.555 close=2026-05-29"},
	}
	for _, s := range steps {
		e.at(s.day)
		out := e.say(s.who, "en", s.text)
		if strings.Contains(out, "Usage") || strings.Contains(out, "not ") || strings.Contains(out, "cannot") {
			e.t.Fatalf("%s %s: %s", s.day, s.text, out)
		}
	}
	e.at("2026-05-15")
	return c
}

func checkDealsGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name+".golden"), got)
}

// The replies of /pipeline, /forecast and the deal card, word for word,
// for the fixed data set.
func TestPipelineGolden(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	for _, tc := range []struct{ name, who, lang, text string }{
		{"pipeline_mine_en", "maria", "en", "/pipeline"},
		{"pipeline_team_en", "ivan", "en", "/pipeline"},
		{"pipeline_all_bg", "elena", "bg", "/фуния"},
		{"pipeline_stage_en", "elena", "en", "/pipeline all negotiation"},
		{"pipeline_stuck_en", "elena", "en", "/pipeline stuck"},
		{"pipeline_report_en", "elena", "en", "/pipeline report"},
		{"pipeline_report_bg", "elena", "bg", "/фуния отчет тримесечие"},
		{"forecast_quarter_en", "elena", "en", "/forecast quarter"},
		{"forecast_month_bg", "ivan", "bg", "/прогноза месец"},
		{"deal_card_en", "maria", "en", "/deal D-3"},
		{"deal_card_bg", "maria", "bg", "/сделка D-4"},
		{"deals_client_en", "maria", "en", "/deals Acme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDealsGolden(t, tc.name, e.say(tc.who, tc.lang, tc.text))
		})
	}
}

func TestDealAddRefusesBadInput(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	for _, tc := range []struct{ text, want string }{
		{"/deal add Acme: Pumps amount=12,5,0", `"12,5,0" is not an amount. Examples: 12500`},
		{"/deal add Acme: Pumps amount=-5", "cannot be negative"},
		{"/deal add Acme: Pumps amount=1000000000000.01", "is over 1,000,000,000,000"},
		{"/deal add Acme: Pumps amount=2000000m", "is over 1,000,000,000,000"},
		{"/deal add Acme: Pumps", "How much is the deal?"},
		{"/deal add Acme: amount=100", "Usage: /deal add NAME: TITLE"},
		{"/deal add Acme Pumps amount=100", "Usage: /deal add NAME: TITLE"},
		{"/deal add Acme: Pumps amount=100 stage=maybe", `"maybe" is not a stage. Stages: lead, qualified`},
		{"/deal add Acme: Pumps amount=100 close=2026-05-14", "The close date 2026-05-14 has already passed"},
		{"/deal add Acme: Pumps amount=100 close=yesterday", "The close date 2026-05-14 has already passed"},
		{"/deal add Acme: Pumps amount=100 close=someday", `"someday" is not a date I know`},
		{"/deal add Acme: Pumps amount=100 currency=EURO1", `"EURO1" is not a currency`},
		{"/deal add Acme: Pumps amount=100 probability=120", `"120" is not a probability`},
		{"/deal add Acme: Pumps amount=100 colour=red", `I don't know "colour=" on a deal`},
		{"/deal add Gamma: Pumps amount=100", `No client of yours matches "Gamma"`},
	} {
		before := e.say("maria", "en", "/deals Acme")
		got := e.say("maria", "en", tc.text)
		e.must(got, tc.want)
		if after := e.say("maria", "en", "/deals Acme"); after != before {
			t.Errorf("%s changed the deals:\n%s", tc.text, after)
		}
	}
	// Bulgarian refusals with a short example too.
	got := e.say("maria", "bg", "/сделка добави Акме: Помпи сума=12,5,0")
	e.must(got, "„12,5,0“ не е сума. Примери: 12500")
	// A close date of today is fine; so is the same date on an edit of an
	// older deal.
	e.must(e.say("maria", "en", "/deal add Acme: Today amount=1 close=today"), "D-11 saved", "Expected to close 2026-05-15.")
	e.must(e.say("maria", "en", "/deal edit D-3 close=2026-05-01"), "expected close: 2026-04-30 → 2026-05-01")
}

func TestDealAddReadsAmountsAndCurrencies(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	for _, tc := range []struct{ text, want string }{
		{"/deal add Acme: A amount=12 500,50", "€12,500.50"},
		{"/deal add Acme: B amount=12,500.50", "€12,500.50"},
		{`/deal add Acme: C amount="12 500,50" currency=usd`, "$12,500.50"},
		{"/deal add Acme: D amount=1.5k", "€1,500.00"},
		{"/deal add Acme: E amount=300 USD", "$300.00"},
		{"/deal add Acme: F amount=€0.125", "€0.13"},
		{"/deal add Acme: G for the new plant amount=7000 stage=proposal", "Acme — G for the new plant, €7,000.00, proposal (50%)"},
	} {
		e.must(e.say("maria", "en", tc.text), tc.want)
	}
	e.must(e.say("maria", "bg", "/сделка добави Акме: Помпи сума=\"12 500,50\" етап=оферта срок=30.06.2026 конкурент=Ривал"),
		"е записана: Acme — Помпи, 12 500,50 €, оферта (50 %).", "Очаквано приключване: 30.06.2026.")
	card := e.say("maria", "en", "/deal D-18")
	e.must(card, "Competitor: Ривал", "Amount: €12,500.50")
	// The amount kept every digit; only the display rounds.
	d, err := e.st.Deal(e.ctx, 16)
	if err != nil {
		t.Fatal(err)
	}
	if d.Amount.String() != "0.125" {
		t.Errorf("stored amount %s, want 0.125", d.Amount)
	}
}

func TestDealLifecycle(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	// Moves are in the history, with days in each stage on the card.
	e.must(e.say("maria", "en", "/deal move D-3 negotiation"), "D-3 moved: proposal → negotiation (75%).")
	e.must(e.say("maria", "en", "/deal move D-3 to negotiation"), "D-3 is already in negotiation.")
	e.must(e.say("maria", "en", "/deal move D-3 maybe"), `"maybe" is not a stage`)
	e.must(e.say("maria", "en", "/deal won D-3"), "D-3 won: Pumps, €12,500.00, 123 days after it was opened.", "[↺ Reopen → /deal reopen D-3]")
	// A closed deal does not move until it is reopened.
	e.must(e.say("maria", "en", "/deal move D-3 proposal"), "D-3 is won and cannot move. Reopen it first: /deal reopen D-3")
	e.must(e.say("maria", "en", "/deal lost D-3: price"), "D-3 is won and cannot move")
	e.must(e.say("maria", "bg", "/сделка премести D-3 оферта"), "D-3 е спечелена и не може да сменя етапа си")
	e.must(e.say("maria", "en", "/deal reopen D-3"), "D-3 is open again, in negotiation.")
	e.must(e.say("maria", "en", "/deal reopen D-3"), "D-3 is still open")
	e.must(e.say("maria", "en", "/deal lost D-3"), "D-3 marked lost: Pumps.", "Note why, to learn from it: /deal lost D-3: reason")
	e.must(e.say("maria", "en", `/deal lost D-3: they chose "Rival Ltd" on price competitor="Rival Ltd"`), "D-3: reason and competitor noted.")
	card := e.say("maria", "en", "/deal D-3")
	e.must(card, `Loss reason: they chose "Rival Ltd" on price`, "Competitor: Rival Ltd", "Stage: lost",
		"lead · 2026-01-12 · 34 days", "negotiation · 2026-05-15 · 0 days", "won · 2026-05-15 · 0 days", "lost · 2026-05-15")
	hist := e.say("maria", "en", "/deal D-3 history")
	e.must(hist, "History of D-3 · Pumps", "2026-01-12 10:00 · Maria · created", "Maria · stage: lead → qualified",
		"Maria · stage: won → negotiation", "Maria · loss reason: — → they chose", "competitor: — → Rival Ltd")
	// Edits: each field in the reply and in the history.
	e.must(e.say("maria", "en", "/deal edit D-4 amount=4000 probability=none close=2026-06-30"),
		"D-4 saved:", "amount: €3,200.50 → €4,000.00", "probability: 90% → —", "expected close: 2026-05-31 → 2026-06-30")
	e.must(e.say("maria", "en", "/deal edit D-4 amount=4000"), "D-4: nothing changed.")
	e.must(e.say("maria", "en", "/deal edit D-4 owner=@Petar"), "You have no rights over Petar.")
	e.must(e.say("ivan", "en", "/deal edit D-4 owner=@Petar"), "owner: Maria → Petar")
	e.must(e.say("petar", "en", "/deal D-4 history"), "Ivan · owner: Maria → Petar", "Maria · amount: €3,200.50 → €4,000.00")
}

// Weighted sums use the deal's own probability when it has one, else the
// stage weight; won counts fully and lost not at all.
func TestPipelineWeights(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	for _, st := range []string{"lead", "qualified", "proposal", "negotiation"} {
		e.say("georgi", "en", "/deal add Delta: "+st+" amount=1000 stage="+st)
	}
	got := e.say("georgi", "en", "/pipeline")
	e.must(got,
		"lead (10%): 2 · €2,500.56 · weighted €250.06", // 1000 + 1500.555 at 10 %
		"qualified (25%): 1 · €1,000.00 · weighted €250.00",
		"proposal (50%): 1 · €1,000.00 · weighted €500.00",
		"negotiation (75%): 2 · €251,000.00 · weighted €150,750.00", // 250000 at its own 60 % + 1000 at 75 %
	)
	e.say("georgi", "en", "/deal edit D-8 probability=20")
	e.must(e.say("georgi", "en", "/pipeline"), "negotiation (75%): 2 · €251,000.00 · weighted €50,750.00")
	e.say("georgi", "en", "/deal won D-8")
	got = e.say("georgi", "en", "/pipeline")
	e.must(got, "negotiation (75%): 1 · €1,000.00 · weighted €750.00", "Won in Q2 2026: 1 · €250,000.00")
	e.say("georgi", "en", "/deal reopen D-8")
	e.must(e.say("georgi", "en", "/pipeline"), "weighted €50,750.00", "Won in Q2 2026: 0 · €0.00")
}

func TestPipelineScopes(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	for _, tc := range []struct {
		who, text string
		wants     []string
		nots      []string
	}{
		// Defaults: mine for a manager, team for a supervisor, all for a head.
		{"maria", "/pipeline", []string{"Pipeline — Maria", "D-3 Acme", "D-4 Beta"}, []string{"D-6", "D-8", "D-9"}},
		{"ivan", "/pipeline", []string{"Pipeline — team", "D-6 Gamma", "D-3 Acme"}, []string{"D-8"}},
		{"elena", "/pipeline", []string{"Pipeline — everyone", "D-8 Delta"}, nil},
		{"maria", "/pipeline team", []string{"Only supervisors and heads see the team."}, []string{"D-"}},
		{"maria", "/pipeline all", []string{"Only heads see everything."}, []string{"D-"}},
		{"maria", "/pipeline @Petar", []string{"You have no rights over Petar."}, []string{"D-"}},
		{"ivan", "/pipeline all", []string{"Only heads see everything."}, []string{"D-"}},
		{"ivan", "/pipeline @Georgi", []string{"You have no rights over Georgi."}, []string{"D-"}},
		{"ivan", "/pipeline @Petar", []string{"Pipeline — Petar", "D-6 Gamma"}, []string{"D-3"}},
		{"ivan", "/pipeline mine", []string{"Pipeline — Ivan", "Open in total: 0"}, []string{"D-3"}},
		{"elena", "/pipeline team", []string{"Pipeline — team", "D-8 Delta"}, nil},
		{"maria", "/pipeline stuck", []string{"D-3 Acme"}, []string{"D-6", "D-8"}},
		{"ivan", "/pipeline stuck", []string{"D-3 Acme", "D-6 Gamma"}, []string{"D-8"}},
		{"maria", "/forecast all", []string{"Only heads see everything."}, []string{"€"}},
		{"ivan", "/forecast @Georgi", []string{"You have no rights over Georgi."}, []string{"€"}},
		{"maria", "/pipeline report", []string{"Won 1, lost 0: win rate 100%"}, []string{"Rival"}},
		{"petar", "/pipeline report", []string{"Won 0, lost 1: win rate 0%", "Top loss reasons: price too high (1)"}, nil},
		{"maria", "/deal D-6", []string{"There is no deal D-6 that you can see."}, []string{"Boilers"}},
		{"maria", "/deal won D-8", []string{"There is no deal D-8 that you can see."}, nil},
		{"ivan", "/deal D-8", []string{"There is no deal D-8 that you can see."}, nil},
		{"elena", "/deal D-8", []string{"D-8 · Turbine"}, nil},
		{"maria", "/pipeline bogus", []string{"Usage: /pipeline"}, nil},
	} {
		got := e.say(tc.who, "en", tc.text)
		e.must(got, tc.wants...)
		e.mustNot(got, tc.nots...)
	}
	// A supervisor changes a report's deal, recorded under their own name.
	e.must(e.say("ivan", "en", "/deal move D-3 negotiation"), "D-3 moved: proposal → negotiation")
	e.must(e.say("maria", "en", "/deal D-3"), "negotiation · 2026-05-15 · 0 days so far (Ivan)")
}

// A deputy sees and works the absent manager's pipeline.
func TestPipelineDeputy(t *testing.T) {
	e := newDealsEnv(t)
	c := e.company()
	d := &crm.Delegation{AbsentID: c.maria.ID, DeputyID: c.georgi.ID, From: e.clock.Now().Add(-time.Hour), To: e.clock.Now().Add(48 * time.Hour), CreatedBy: c.head.ID}
	if err := e.st.SaveDelegation(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	e.must(e.say("georgi", "en", "/pipeline"), "D-3 Acme", "D-8 Delta")
	e.must(e.say("georgi", "en", "/deal add Acme: Extra amount=10"), "D-11 saved: Acme")
	e.must(e.say("maria", "en", "/deals Acme"), "D-11 Extra")
	e.must(e.say("maria", "en", "/deal D-11 history"), "Georgi for Maria · created")
}

func TestClientCardShowsDeals(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	got := e.say("maria", "en", "/client Acme")
	e.must(got, "Open deals: 1 open · €12,500.00 (weighted €6,250.00)", "D-3: Pumps · €12,500.00 · proposal · 2026-04-30 ⚠", "Won in total: 1 · €48,000.00")
	got = e.say("petar", "bg", "/клиент Gamma")
	e.must(got, "Отворени сделки: 2 отворени · 7 300,00 €, 20 000,00 $ (претеглено 3 650,00 €, 2 000,00 $)")
	e.mustNot(got, "Спечелени общо")
	e.say("elena", "en", "/client add Omega")
	e.must(e.say("elena", "en", "/client Omega"), "Open deals: none")
	e.must(e.say("elena", "en", "/deals Omega"), "Omega has no deals yet.")
	e.must(e.say("maria", "en", "/deals Acme"), "Deals of Acme (2)", "D-3 Pumps", "D-5 Service contract", "Won in total: 1 · €48,000.00")
}

func TestDealsOnToday(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	got := e.say("maria", "en", "/today")
	e.must(got, "⚠ Close date passed: D-3 Acme — Pumps", "[✓ Won → /deal won D-3]")
	e.at("2026-05-31")
	e.must(e.say("maria", "en", "/today"), "Expected to close today: D-4 Beta Trade — Valves")
}

func TestBulgarianAliases(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	e.must(e.say("maria", "bg", "/сделка добави Акме: Монтаж сума=5000 етап=квалифицирана"), "D-11 е записана", "квалифицирана (25 %)")
	e.must(e.say("maria", "bg", "/сделка премести D-11 преговори"), "D-11 е преместена: квалифицирана → преговори (75 %).")
	e.must(e.say("maria", "bg", "/сделка промени D-11 сума=6000 вероятност=80"), "сума: 5 000,00 € → 6 000,00 €", "вероятност: — → 80 %")
	e.must(e.say("maria", "bg", "/сделка загубена D-11: висока цена конкурент=Ривал"), "D-11 е отбелязана като загубена")
	e.must(e.say("maria", "bg", "/сделка отвори D-11"), "D-11 отново е отворена, в етап „преговори“.")
	e.must(e.say("maria", "bg", "/сделка спечелена D-11"), "D-11 е спечелена: Монтаж, 6 000,00 €, 0 дни след откриването. Браво!")
	e.must(e.say("maria", "bg", "/сделки Акме"), "Сделки на Acme (3)")
	e.must(e.say("ivan", "bg", "/фуния екип застояли"), "Застояли сделки — екипът: 2")
	e.must(e.say("ivan", "bg", "/фуния @Мар"), "Фуния на продажбите — Maria")
	e.must(e.say("elena", "bg", "/прогноза тримесечие"), "Прогноза, II тримесечие на 2026 г. — всички", "юни 2026 г.: 1")
	e.must(e.say("elena", "bg", "/фуния всички оферта"), "Сделки в етап „оферта“, първо най-големите:")
}

func TestPipelineReportPeriods(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	e.must(e.say("elena", "en", "/pipeline report Q2 2025"), "Win/loss, Q2 2025 — everyone", "Won 1, lost 1: win rate 50%", "Top loss reasons: timing (1)", "Average cycle (won deals, opening to closing): 23 days")
	e.must(e.say("elena", "en", "/pipeline report 2025-Q1"), "No deal was won or lost in this period.")
	e.must(e.say("elena", "en", "/pipeline report month"), "Win/loss, May 2026", "No deal was won or lost")
	e.must(e.say("elena", "en", "/pipeline report year"), "Win/loss, 2026", "Won 1, lost 1")
	e.must(e.say("elena", "en", "/pipeline report last quarter"), "Win/loss, Q1 2026", "No deal")
	e.must(e.say("elena", "en", "/pipeline report soon"), "Usage: /pipeline")
	e.must(e.say("elena", "en", "/pipeline won"), "Won in Q2 2026: 1 · €48,000.00", "D-5 Acme — Service contract")
	e.must(e.say("elena", "en", "/pipeline lost"), "Lost in Q2 2026: 1 · €999.99", "D-7 Gamma — Spare parts", "price too high")
	e.must(e.say("elena", "en", "/forecast month"), "Forecast, May 2026 — everyone", "May 2026: 3")
	e.must(e.say("elena", "en", "/forecast Q3"), "July 2026: 1 · weighted €3,650.00 · best case €7,300.00", "August 2026: —")
	e.must(e.say("elena", "en", "/forecast sometime"), "Usage: /forecast")
}

func TestDealButtonsRepeatTypedCommands(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	rec := &bot.Recorder{}
	m := &bot.Message{Platform: bot.Console, Identity: "console:maria", Text: "/deal D-4", LangHint: "en"}
	if err := e.svc.ServeChat(e.ctx, rec, m); err != nil {
		t.Fatal(err)
	}
	var data []string
	for _, row := range rec.Replies[0].Buttons {
		for _, b := range row {
			data = append(data, b.Data)
		}
	}
	want := "[/deal move D-4 lead /deal move D-4 qualified /deal move D-4 proposal /deal won D-4 /deal lost D-4 /deal D-4 history]"
	if got := strings.Join(data, " "); "["+got+"]" != want {
		t.Errorf("buttons = [%s], want %s", got, want)
	}
	// Pressing one is the same as typing it, and edits the card.
	rec = &bot.Recorder{}
	m = &bot.Message{Platform: bot.Console, Identity: "console:maria", Text: data[2], Button: true, LangHint: "en"}
	if err := e.svc.ServeChat(e.ctx, rec, m); err != nil {
		t.Fatal(err)
	}
	if !rec.Replies[0].Edit || !strings.Contains(rec.Replies[0].Text, "D-4 moved: negotiation → proposal") {
		t.Errorf("button reply = %+v", rec.Replies[0])
	}
}

// A deal the client calls off, won or open, becomes lost and cancelled: it
// leaves the won totals, shows on the card and in the history, and counts
// against the buyer's reliability; reopening clears it.
func TestDealCancel(t *testing.T) {
	e := newDealsEnv(t)
	e.company()
	before := e.say("maria", "en", "/pipeline mine")
	e.must(before, "Won in Q2 2026: 1 · €48,000.00")
	e.must(e.say("maria", "en", "/deal cancel"), "Usage: /deal cancel D-7: reason")
	// Another manager may not cancel Maria's deal.
	refused := e.say("petar", "en", "/deal cancel D-5")
	e.must(refused, "There is no deal D-5 that you can see.")
	e.mustNot(e.say("maria", "en", "/deal D-5"), "cancelled by the client")
	e.must(e.say("maria", "en", "/deal cancel D-5: the order was withdrawn"),
		"D-5 cancelled by the client: Service contract. It counts as lost, and against the client's reliability.",
		"It was won: €48,000.00 leaves the won totals.")
	e.must(e.say("maria", "en", "/deal D-5"), "Stage: lost · cancelled by the client", "Loss reason: the order was withdrawn")
	e.must(e.say("maria", "en", "/deal cancel D-5"), "D-5 is already cancelled.")
	after := e.say("maria", "en", "/pipeline mine")
	e.must(after, "Won in Q2 2026: 0 · €0.00", "Lost in Q2 2026: 1 · €48,000.00")
	e.must(e.say("maria", "en", "/reliability Acme"), "won: 0, lost: 0, cancelled by the client: 1")
	e.must(e.say("maria", "en", "/deal D-5 history"), "stage: won → lost", "cancelled by the client: — → yes")
	// An open deal, in Bulgarian.
	open := e.say("maria", "bg", "/сделка откажи D-4: клиентът спря проекта")
	e.must(open, "D-4 е отказана от клиента: Valves.")
	e.mustNot(open, "Беше спечелена") // it was open, so no won totals change
	e.must(e.say("maria", "bg", "/сделка откажи D-4"), "D-4 вече е отказана.")
	e.must(e.say("maria", "en", "/deal reopen D-5"), "D-5 is open again")
	e.mustNot(e.say("maria", "en", "/deal D-5"), "cancelled by the client")
	e.must(e.say("maria", "en", "/reliability Acme"), "won: 0, lost: 0")
}
