// Package health is the account health family: the health score of every
// client (/health, with its weights and playbook settings), contract
// renewals (/renewal, /renewals), satisfaction scores (/csat, /nps) and the
// quarterly business review (/qbr); the score on the client card, the
// renewals in /today, the digest's renewals and accounts at risk, the
// client export's health part, and the upkeep that keeps scores current
// (after every chat request that changed a client's inputs, and the job
// that catches up on the rest and sweeps every client once a day). Its
// words are in i18n/locales/{en,bg}/health.toml; its data goes through
// Store. It registers itself with Register and meets other families only
// through the hooks of handlers/core: the playbook's step is /next's
// (core.Kit.AdviceText), the brief's model is the assistant's
// (core.Kit.Assistant).
package health

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/i18n"
	"accountbot/money"
)

// Store is the health family's port: its own records (HealthScoreStore,
// SatisfactionStore, RenewalStore), the team and its clients as a request
// reads them (core.Directory), and the reads of others' records a score
// and a business review are made of (30 methods). It follows the rules
// every port shares (handlers/service.go).
type Store interface {
	HealthScoreStore
	SatisfactionStore
	RenewalStore
	core.Directory
	// Person returns the person with id, or crm.ErrNotFound.
	Person(ctx context.Context, id uint64) (*crm.Person, error)
	// Conversations returns up to limit (0: all) of the client's
	// conversations, newest first.
	Conversations(ctx context.Context, clientID uint64, limit int) ([]*crm.Conversation, error)
	// ClientClaims returns every claim of the client, oldest first.
	ClientClaims(ctx context.Context, clientID uint64) ([]*crm.Claim, error)
	// ContactPlan returns the client's contact plan, or nil (no error)
	// when it has none.
	ContactPlan(ctx context.Context, client uint64) (*crm.ContactPlan, error)
	// ClientPromises returns every promise of the client, by id.
	ClientPromises(ctx context.Context, client uint64) ([]crm.Promise, error)
	// DealFactsOf returns the facts of the client's deals (what health
	// weighs and a business review tells), by deal id.
	DealFactsOf(ctx context.Context, clientID uint64) ([]crm.DealFact, error)
	// Payments returns the client's payments, oldest first.
	Payments(ctx context.Context, client uint64) ([]crm.Payment, error)
}

// HealthScoreStore keeps account health: the per-client summaries with
// their list index, the "inputs changed" markers that say which are out of
// date, the daily sweep's bookmark, and the score's weights and playbook
// settings. It follows the rules every port shares (handlers/service.go).
type HealthScoreStore interface {
	// HealthSummary returns the client's stored summary, nil (no error)
	// when none was computed yet.
	HealthSummary(ctx context.Context, client uint64) (*crm.HealthSummary, error)
	// HealthVersion returns the version of the client's "inputs changed"
	// marker, 0 when its summary is current.
	HealthVersion(ctx context.Context, client uint64) (uint64, error)
	// DirtyHealth returns up to limit clients whose inputs changed since
	// their summary, with their markers' versions.
	DirtyHealth(ctx context.Context, limit int) (map[uint64]uint64, error)
	// SaveHealth stores the computed healths in one transaction: each
	// client's summary (its day in the history), list entry and, once per
	// fall into a worse band, the playbook task u.Task. A client's marker
	// is cleared only if it still has the version u started from; erased
	// clients are left alone. It returns the tasks created.
	SaveHealth(ctx context.Context, us ...crm.HealthUpdate) ([]*crm.Task, error)
	// HealthRows returns the owners' accounts at risk or critical (list
	// rows, no summary), each owner's worst first.
	HealthRows(ctx context.Context, owners []uint64) ([]crm.HealthRow, error)
	// ClientIDs returns up to limit client ids after after, in id order.
	ClientIDs(ctx context.Context, after uint64, limit int) ([]uint64, error)
	// HealthSweep returns the daily sweep's bookmark: the day it runs for
	// (as SetHealthSweep was given it), the last client id it did and
	// whether it finished; zero values before the first sweep.
	HealthSweep(ctx context.Context) (day string, after uint64, done bool, err error)
	// SetHealthSweep stores the bookmark (a write that records no
	// delivery key).
	SetHealthSweep(ctx context.Context, day string, after uint64, done bool) error
	// HealthWeights returns the saved score weights over the defaults.
	HealthWeights(ctx context.Context) (crm.HealthWeights, error)
	// SaveHealthWeights stores w with one history entry (kind
	// "health_weights") per changed weight, by by at at.
	SaveHealthWeights(ctx context.Context, w crm.HealthWeights, by crm.Actor, at time.Time) error
	// HealthSettings returns the playbook's rules (both on by default).
	HealthSettings(ctx context.Context) (crm.HealthSettings, error)
	// SaveHealthSettings stores st with its history, by by at at.
	SaveHealthSettings(ctx context.Context, st crm.HealthSettings, by crm.Actor, at time.Time) error
}

// SatisfactionStore keeps the clients' CSAT and NPS scores.
type SatisfactionStore interface {
	// AddSatisfaction records s, a score of an existing client (an unknown
	// one is crm.ErrNotFound).
	AddSatisfaction(ctx context.Context, s *crm.Satisfaction) error
	// Satisfactions returns the client's scores, oldest first.
	Satisfactions(ctx context.Context, client uint64) ([]crm.Satisfaction, error)
}

// Limits of the health upkeep.
const (
	// healthRefreshNow is how many clients touched by one request are
	// recomputed right after it; more are left to the job.
	healthRefreshNow = 50
	// healthDirtyBatch is how many changed clients one run of the job (or
	// a list) recomputes.
	healthDirtyBatch = 2000
	// healthSweepBatch is how many clients one run of the job recomputes
	// for the day.
	healthSweepBatch = 1000
	// healthSaveBatch is how many summaries one transaction of the job
	// stores (one synced commit for many clients).
	healthSaveBatch = 100
	// healthJobBudget is about how long one run of the job works before it
	// leaves the rest to the next run: a tick also carries reminders, and
	// a console at end of input waits for the tick under way.
	healthJobBudget = 300 * time.Millisecond
	// healthListMax is how many accounts a list shows.
	healthListMax = 30
)

// service is the health family's handlers over its store.
type service struct {
	kit   *core.Kit
	store Store
	words *words
	// staleTouch is how long without a conversation makes a client stale
	// (a factor of the score and a rule of /next).
	staleTouch time.Duration
}

// Register adds account health, renewals, satisfaction and the business
// review, with their lines in /today, on the card, in digests and in the
// client export, and the job that keeps scores current. staleTouch is how
// long without a conversation makes a client stale. It returns the
// middleware that brings the health of the clients a request changed up
// to date once the request is answered; the service puts it in its chain
// inside the sender's identification.
func Register(reg core.Registry, st Store, staleTouch time.Duration) bot.Middleware {
	s := &service{kit: reg.Kit(), store: st, staleTouch: staleTouch, words: core.LoadWords(reg, "health", newWords)}
	defer reg.Family("health")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "health", Run: s.healthCmd},
		&core.Spec{Name: "renewal", Run: s.renewalCmd}, &core.Spec{Name: "renewals", Run: s.renewalsCmd},
		&core.Spec{Name: "csat", Run: s.csatCmd}, &core.Spec{Name: "nps", Run: s.npsCmd}, &core.Spec{Name: "qbr", Run: s.qbrCmd})
	reg.AddAgenda(s.renewalAgenda)
	reg.AddCardSection(s.healthCardSection)
	reg.AddJob(core.Job{Name: "health.refresh", Run: s.healthJob, Upkeep: true})
	reg.AddDigestSection("health", s.healthDigest)
	reg.AddClientRecords("health", s.healthExport)
	return s.refreshTouched
}

// SettingsKeys are the keys of /health settings: the factors' weights and
// the playbook rules (at_risk, critical), their words "words.health.key.*";
// a rule's switch is "words.health.switch.on" or "…off".
var SettingsKeys = append(append([]string{}, crm.HealthFactors...), string(crm.BandAtRisk), string(crm.BandCritical))

// RenewalKeys are the key=value keys of /renewal, their words
// "words.renewal.key.*".
var RenewalKeys = []string{"amount", "contract", "currency", "date"}

// words are the family's typed-word tables, read from the translation
// files when it registers.
type words struct {
	// healthKeys map the keys of /health settings to factors and rules,
	// onOff a rule's switch to "on" or "off".
	healthKeys, onOff map[string]string
	// renewalKeys map the keys of /renewal to RenewalKeys.
	renewalKeys map[string]string
}

// newWords reads the tables from cat; missing are the entries some
// language lacks.
func newWords(cat *i18n.Catalog) (*words, []string) {
	v := &core.Vocabs{Cat: cat}
	return &words{healthKeys: v.Table("health.key", SettingsKeys...), onOff: v.Table("health.switch", "on", "off"),
		renewalKeys: v.Table("renewal.key", RenewalKeys...)}, v.Missing
}

// refreshTouched brings the health of the clients a request's writes
// changed up to date once the request is answered (the store names them
// through crm.NoteHealthChange), so that the score, the lists and a playbook
// task follow the write at once.
func (s *service) refreshTouched(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		ctx, touched := crm.WithHealthChanges(ctx)
		err := next.ServeChat(ctx, w, m)
		ids := touched.IDs()
		if len(ids) > healthRefreshNow {
			ids = ids[:healthRefreshNow]
		}
		rctx := crm.WithoutDeliveryKey(context.WithoutCancel(ctx))
		for _, id := range ids {
			if rerr := s.refreshHealthOf(rctx, []uint64{id}, nil, false); rerr != nil && !crm.IsNotFound(rerr) {
				s.kit.Log.Warn("health not brought up to date", "client", id, "err", rerr)
			}
		}
		return err
	})
}

// healthFacts gathers what the health score of one client is computed
// from, and the facts the rules of /next read (for the playbook's step).
func (s *service) healthFacts(ctx context.Context, c *crm.Client, loc *time.Location) (crm.HealthFacts, crm.NextFacts, error) {
	ps := s.store
	nf := crm.NextFacts{Client: c, StaleTouch: s.staleTouch, StuckAfter: s.kit.StuckAfter, Loc: loc}
	hf := crm.HealthFacts{Client: c, StaleTouch: s.staleTouch, StuckAfter: s.kit.StuckAfter, Loc: loc}
	var err error
	if nf.Plan, err = ps.ContactPlan(ctx, c.ID); err != nil {
		return hf, nf, err
	}
	claims, err := s.store.ClientClaims(ctx, c.ID)
	if err != nil {
		return hf, nf, err
	}
	for _, cl := range claims {
		if cl.Status.Open() {
			nf.Claims = append(nf.Claims, cl.Summary())
		}
	}
	if nf.Promises, err = ps.ClientPromises(ctx, c.ID); err != nil {
		return hf, nf, err
	}
	if nf.Deals, err = ps.DealFactsOf(ctx, c.ID); err != nil {
		return hf, nf, err
	}
	if hf.Payments, err = ps.Payments(ctx, c.ID); err != nil {
		return hf, nf, err
	}
	if hf.Satisfaction, err = s.store.Satisfactions(ctx, c.ID); err != nil {
		return hf, nf, err
	}
	hf.Plan, hf.Claims, hf.Promises, hf.Deals = nf.Plan, nf.Claims, nf.Promises, nf.Deals
	return hf, nf, nil
}

// refreshHealthOf recomputes the clients' health now and stores it in one
// transaction; a fall into a worse band gives the owner the playbook task.
// owners caches the requests made for owners (their language) across
// calls; nil for none. Without clear, a client whose health came out as
// it is stored for today is not written again: most writes (a talk with
// a healthy client) change nothing, and a request then costs no second
// synced commit; its "inputs changed" mark waits for the job, which
// clears marks in batches. Clients erased meanwhile are skipped.
func (s *service) refreshHealthOf(ctx context.Context, ids []uint64, owners map[uint64]*core.Request, clear bool) error {
	hs := s.store
	var w crm.HealthWeights
	now := s.kit.Clock.Now()
	day := dates.Day(now, s.kit.TZ).Format(time.DateOnly)
	us := make([]crm.HealthUpdate, 0, len(ids))
	for _, id := range ids {
		u, ok, err := s.healthUpdate(ctx, id, &w, owners, clear, now, day)
		if err != nil {
			return err
		}
		if ok {
			us = append(us, u)
		}
	}
	if len(us) == 0 {
		return nil
	}
	made, err := hs.SaveHealth(ctx, us...)
	for _, t := range made {
		s.kit.Log.Info("playbook task given", "client", t.ClientID, "task", t.ID)
	}
	return err
}

// healthUpdate recomputes the health of client id; ok is false when
// there is nothing to save (the client is gone, or, without clear, its
// health is as stored for today). The client's reads share one snapshot
// (a request's, or one of their own in a job), so that, where reads cost
// a round trip each, the version's read brings the rest with it
// (store.HealthVersion); the weights are read with the first client's.
func (s *service) healthUpdate(ctx context.Context, id uint64, w *crm.HealthWeights, owners map[uint64]*core.Request, clear bool, now time.Time, day string) (u crm.HealthUpdate, ok bool, err error) {
	ctx, end := crm.WithRequestScope(ctx)
	defer end()
	hs := s.store
	version, err := hs.HealthVersion(ctx, id)
	if err != nil {
		return u, false, err
	}
	if *w == nil {
		if *w, err = hs.HealthWeights(ctx); err != nil {
			return u, false, err
		}
	}
	c, err := s.store.Client(ctx, id)
	if crm.IsNotFound(err) {
		return u, false, nil
	}
	if err != nil {
		return u, false, err
	}
	hf, nf, err := s.healthFacts(ctx, c, s.kit.TZ)
	if err != nil {
		return u, false, err
	}
	h := crm.ScoreHealth(hf, *w, now)
	if !clear {
		old, err := hs.HealthSummary(ctx, id)
		if err != nil {
			return u, false, err
		}
		if old != nil && old.Day == day && old.OwnerID == c.OwnerID && old.Name == c.Name && sameHealth(old.Health, h) {
			return u, false, nil
		}
	}
	u = crm.HealthUpdate{ClientID: id, Version: version, Health: h, Day: day, At: now}
	if h.Band != crm.BandHealthy {
		r, err := s.ownerRequest(ctx, c.OwnerID, owners)
		if err != nil {
			return u, false, err
		}
		if r != nil {
			u.Task = s.playbookTask(r, c, h, crm.Recommend(nf, now))
		}
	}
	return u, true, nil
}

// sameHealth reports whether two healths say the same: score, band and
// every factor with its numbers.
func sameHealth(a, b crm.Health) bool {
	if a.Score != b.Score || a.Band != b.Band || len(a.Factors) != len(b.Factors) {
		return false
	}
	for i := range a.Factors {
		x, y := a.Factors[i], b.Factors[i]
		if x.Name != y.Name || x.Effect != y.Effect || x.Kind != y.Kind || len(x.Args) != len(y.Args) {
			return false
		}
		for k, v := range x.Args {
			if y.Args[k] != v {
				return false
			}
		}
	}
	return true
}

// ownerRequest returns a request as the owner would make it (their
// language and zone), for words written to them; nil when the owner is
// gone.
func (s *service) ownerRequest(ctx context.Context, owner uint64, cache map[uint64]*core.Request) (*core.Request, error) {
	if r, ok := cache[owner]; ok {
		return r, nil
	}
	p, err := s.store.Person(ctx, owner)
	if crm.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lang := s.kit.Lang
	if p.Lang != "" {
		lang = p.Lang
	}
	r, err := core.NewRequest(ctx, s.store, s.kit.Catalog, &bot.Message{Person: p, Lang: lang}, s.kit.Clock.Now(), s.kit.TZ)
	if err != nil {
		return nil, err
	}
	if cache != nil {
		cache[owner] = r
	}
	return r, nil
}

// playbookTask is the task an account's fall gives its owner: the band,
// the main reason, and the step the rules of /next suggest.
func (s *service) playbookTask(r *core.Request, c *crm.Client, h crm.Health, advice []crm.Advice) *crm.Task {
	reason := ""
	if m := h.Main(); m != nil {
		reason = healthFactorText(r, *m)
	}
	step := r.T("health.playbook.step_call")
	if len(advice) > 0 && advice[0].Kind != crm.AdviceNone {
		step, _ = s.kit.AdviceText(r, advice[0])
	}
	text := r.T("health.playbook.task", "name", c.Name, "band", bandWord(r, h.Band), "score", h.Score, "reason", reason, "step", step)
	return &crm.Task{Text: text, Due: dates.Day(r.Now, r.TZ), CreatedAt: r.Now, CreatedBy: 0}
}

// currentHealth returns the client's health summary as of today: the
// stored one, recomputed first when the client's inputs changed since or
// it is from an earlier day.
func (s *service) currentHealth(ctx context.Context, r *core.Request, c *crm.Client) (*crm.HealthSummary, error) {
	hs := s.store
	sum, err := hs.HealthSummary(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	today := dates.Day(r.Now, s.kit.TZ).Format(time.DateOnly)
	dirty := uint64(0)
	if sum != nil && sum.Day == today {
		if dirty, err = hs.HealthVersion(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if sum == nil || sum.Day != today || dirty != 0 {
		if err := s.refreshHealthOf(crm.WithoutDeliveryKey(ctx), []uint64{c.ID}, nil, false); err != nil {
			// A store that takes no writes now (a full disk) still answers:
			// the health computed, not kept.
			s.kit.Log.Warn("health not stored; shown as computed", "client", c.ID, "err", err)
			return s.computedHealth(ctx, c, sum, today)
		}
		if sum, err = hs.HealthSummary(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if sum == nil {
		return nil, crm.ErrNotFound
	}
	return sum, nil
}

// computedHealth is the client's health computed now over the stored
// summary's history, without storing it.
func (s *service) computedHealth(ctx context.Context, c *crm.Client, stored *crm.HealthSummary, today string) (*crm.HealthSummary, error) {
	w, err := s.store.HealthWeights(ctx)
	if err != nil {
		return nil, err
	}
	hf, _, err := s.healthFacts(ctx, c, s.kit.TZ)
	if err != nil {
		return nil, err
	}
	sum := &crm.HealthSummary{ClientID: c.ID, OwnerID: c.OwnerID, Name: c.Name}
	if stored != nil {
		sum.History = append([]crm.HealthDay(nil), stored.History...)
	}
	now := s.kit.Clock.Now()
	sum.Record(crm.ScoreHealth(hf, w, now), today, now)
	return sum, nil
}

// refreshDirty recomputes up to limit clients whose inputs changed, and
// reports how many it did.
func (s *service) refreshDirty(ctx context.Context, limit int) (int, error) {
	dirty, err := s.store.DirtyHealth(ctx, limit)
	if err != nil || len(dirty) == 0 {
		return 0, err
	}
	ids := make([]uint64, 0, len(dirty))
	for id := range dirty {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	owners := map[uint64]*core.Request{}
	// The budget is wall time on purpose: it bounds the work of one run,
	// whatever the service clock says.
	start := time.Now()
	done := 0
	for i := 0; i < len(ids); i += healthSaveBatch {
		if done > 0 && (ctx.Err() != nil || time.Since(start) > healthJobBudget) {
			break // the rest stays marked for the next run
		}
		batch := ids[i:min(i+healthSaveBatch, len(ids))]
		if err := s.refreshHealthOf(ctx, batch, owners, true); err != nil {
			return done, err
		}
		done += len(batch)
	}
	return done, nil
}

// healthJob keeps scores current: it recomputes the clients whose inputs
// changed (writes outside a chat request: imports, mail) and, once a day,
// every client, a batch per run, because time alone moves a score (days
// without a talk, a claim past its deadline). Two replicas doing the same
// batch write the same summaries; a playbook task stays once per fall (the
// marker is in the summary's transaction).
func (s *service) healthJob(ctx context.Context, now time.Time) error {
	ctx = crm.WithoutDeliveryKey(ctx)
	start := time.Now() // wall time: the run's budget, not the service clock
	if _, err := s.refreshDirty(ctx, healthDirtyBatch); err != nil {
		return err
	}
	if ctx.Err() != nil || time.Since(start) > healthJobBudget {
		return nil // the day's sweep goes on at the next run
	}
	hs := s.store
	today := dates.Day(now, s.kit.TZ).Format(time.DateOnly)
	day, after, done, err := hs.HealthSweep(ctx)
	if err != nil {
		return err
	}
	if day != today {
		after, done = 0, false
	}
	if done {
		return nil
	}
	ids, err := hs.ClientIDs(ctx, after, healthSweepBatch)
	if err != nil {
		return err
	}
	owners := map[uint64]*core.Request{}
	var due []uint64
	for _, id := range ids {
		sum, err := hs.HealthSummary(ctx, id)
		if err != nil {
			return err
		}
		if sum == nil || sum.Day != today {
			due = append(due, id)
		}
	}
	for i := 0; i < len(due); i += healthSaveBatch {
		if ctx.Err() != nil || time.Since(start) > healthJobBudget {
			// Out of time: the next run starts after the last client
			// done (those not due in between are skipped again cheaply).
			if i > 0 {
				after = due[i-1]
			}
			return hs.SetHealthSweep(crm.WithoutDeliveryKey(context.WithoutCancel(ctx)), today, after, false)
		}
		if err := s.refreshHealthOf(ctx, due[i:min(i+healthSaveBatch, len(due))], owners, true); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		after = ids[len(ids)-1]
	}
	return hs.SetHealthSweep(ctx, today, after, len(ids) < healthSweepBatch)
}

// bandWord is a band in the reader's words: "healthy", "at risk",
// "critical".
func bandWord(r *core.Request, b crm.Band) string { return r.T("health.band." + string(b)) }

// bandMark is a band's sign in lists.
func bandMark(b crm.Band) string {
	switch b {
	case crm.BandCritical:
		return "🔴"
	case crm.BandAtRisk:
		return "🟠"
	}
	return "🟢"
}

// healthFactorText explains one factor: "no talk for 64 days, plan says
// every 14".
func healthFactorText(r *core.Request, f crm.HealthFactor) string {
	a := f.Args
	switch f.Name {
	case crm.HealthContact:
		switch {
		case a["never"] == 1 && a["planned"] == 1:
			return r.T("health.factor.contact_never_plan", "count", a["days"], "cadence", a["cadence"])
		case a["never"] == 1:
			return r.T("health.factor.contact_never", "count", a["days"])
		case a["planned"] == 1:
			return r.T("health.factor.contact_plan", "count", a["days"], "cadence", a["cadence"])
		}
		return r.T("health.factor.contact", "count", a["days"], "cadence", a["cadence"])
	case crm.HealthClaims:
		text := r.T("health.factor.claims", "count", a["open"])
		if a["overdue"] > 0 {
			text += ", " + r.T("health.factor.claims_overdue", "count", a["overdue"])
		}
		if a["severe"] > 0 {
			text += ", " + r.T("health.factor.claims_severe", "count", a["severe"])
		}
		return text
	case crm.HealthSatisfaction:
		key := "health.factor.csat"
		if f.Kind == crm.SatisfactionNPS {
			key = "health.factor.nps"
		}
		return r.T(key, "score", a["score"], "count", a["count"])
	case crm.HealthDeals:
		return r.T("health.factor.deals", "lost", a["lost"], "stuck", a["stuck"], "won", a["won"])
	case crm.HealthPayments:
		return r.T("health.factor.payments", "late", a["late"], "count", a["count"], "days", a["days"])
	case crm.HealthPromises:
		return r.T("health.factor.promises", "broken", a["broken"], "count", a["count"])
	}
	return f.Name
}

// effectText writes an effect: "−18".
func effectText(n int) string {
	if n < 0 {
		return "−" + strconv.Itoa(-n)
	}
	return "+" + strconv.Itoa(n)
}

// healthTrend compares the summary's score with the one of 30 days ago:
// the change, the day compared with, and whether there was one.
func (s *service) healthTrend(r *core.Request, sum *crm.HealthSummary) (delta int, then crm.HealthDay, ok bool) {
	day := dates.AddDays(dates.Day(r.Now, s.kit.TZ), -crm.HealthTrendDays).Format(time.DateOnly)
	then, ok = sum.ScoreOn(day)
	return sum.Score - then.Score, then, ok
}

// dayOf reads a summary's day back as a date.
func dayOf(r *core.Request, day string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, r.TZ)
	if err != nil {
		return time.Time{}
	}
	return t
}

// healthCmd: "/health NAME", "/health [mine|team|all]", "/health settings …".
func (s *service) healthCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) == 0 {
		return s.healthList(ctx, w, r, r.DefaultScope())
	}
	if len(args) == 1 {
		if scope, ok := r.ScopeWord(args[0]); ok {
			return s.healthList(ctx, w, r, scope)
		}
	}
	if r.Is(args[0], "health.settings") {
		return s.healthSettings(ctx, w, r, args[1:])
	}
	c, err := r.Client(ctx, r.Command.Rest)
	if err != nil {
		return err
	}
	return s.healthShow(ctx, w, r, c)
}

// healthShow answers "/health NAME": the score and band, the trend, the
// factors that moved it, the satisfaction and the next renewal.
func (s *service) healthShow(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client) error {
	sum, err := s.currentHealth(ctx, r, c)
	if err != nil {
		return err
	}
	rep := bot.Reply{Title: r.T("health.title", "name", c.Name, "score", sum.Score, "band", bandWord(r, sum.Band))}
	var lines []string
	if delta, then, ok := s.healthTrend(r, sum); ok {
		lines = append(lines, r.T("health.trend", "trend", core.TrendArrow(delta), "date", r.FmtDate(dayOf(r, then.Day)), "score", then.Score))
	} else {
		lines = append(lines, r.T("health.trend_none", "count", crm.HealthTrendDays))
	}
	if len(sum.Factors) == 0 {
		lines = append(lines, r.T("health.no_factors"))
	}
	for _, f := range sum.Factors {
		lines = append(lines, effectText(f.Effect)+": "+healthFactorText(r, f))
	}
	renewals, err := s.store.ClientRenewals(ctx, c.ID)
	if err != nil {
		return err
	}
	if next := nextRenewal(renewals); next != nil {
		lines = append(lines, "", renewalLine(r, next, ""))
	}
	lines = append(lines, "", r.T("health.model"))
	rep.Text = strings.Join(lines, "\n")
	ref := core.ClientRef(c)
	rep.Buttons = [][]bot.Button{{
		{Label: r.T("button.log"), Data: "/log " + ref},
		{Label: r.T("button.next"), Data: "/next " + ref},
		{Label: r.T("button.card"), Data: "/client " + ref},
	}}
	return w.Reply(ctx, rep)
}

// healthList answers "/health [mine|team|all]": the accounts at risk or
// critical of the scope, worst first, each with its main reason, read
// from the owners' list entries only. (Writes in chat are folded in
// before their reply is done; others, such as imports, by the job within
// a minute.)
func (s *service) healthList(ctx context.Context, w bot.ReplyWriter, r *core.Request, scope string) error {
	owners, err := r.VisibleOwners(scope)
	if err != nil {
		return err
	}
	rows, err := s.store.HealthRows(ctx, owners)
	if err != nil {
		return err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Band.Rank() != rows[j].Band.Rank() {
			return rows[i].Band.Rank() > rows[j].Band.Rank()
		}
		if rows[i].Score != rows[j].Score {
			return rows[i].Score < rows[j].Score
		}
		return rows[i].Name < rows[j].Name
	})
	if len(rows) == 0 {
		return w.Reply(ctx, bot.Reply{Text: r.T("health.list_none")})
	}
	critical := 0
	for _, row := range rows {
		if row.Band == crm.BandCritical {
			critical++
		}
	}
	var lines []string
	pg := r.Page(healthListMax)
	from, to, more := r.Range(pg, len(rows))
	for i := from; i < to; i++ {
		row := rows[i]
		line := bandMark(row.Band) + " " + strconv.Itoa(row.Score) + " " + bandWord(r, row.Band) + " · " + row.Name
		if row.Main.Name != "" {
			line += " — " + effectText(row.Main.Effect) + ": " + healthFactorText(r, row.Main)
		}
		if row.OwnerID != r.Me.ID {
			line += " (" + r.PersonName(row.OwnerID) + ")"
		}
		lines = append(lines, line)
	}
	if more != "" {
		lines = append(lines, more)
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("health.list_title", "count", len(rows), "critical", critical), Text: strings.Join(lines, "\n"), Buttons: r.PageButtons(pg, len(rows)), Edit: r.Paged()})
}

// healthSettings shows the weights and playbook rules or (heads only)
// changes them: "/health settings contact=40 claims=15", "at-risk=off",
// "reset".
func (s *service) healthSettings(ctx context.Context, w bot.ReplyWriter, r *core.Request, words []string) error {
	hs := s.store
	cur, err := hs.HealthWeights(ctx)
	if err != nil {
		return err
	}
	rules, err := hs.HealthSettings(ctx)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		if r.Me.Role != crm.RoleHead {
			return crm.Errorf(crm.EFORBIDDEN, "health.settings_forbidden")
		}
		next := crm.HealthWeights{}
		for k, v := range cur {
			next[k] = v
		}
		nextRules := rules
		if len(words) == 1 && r.Is(words[0], "reset") {
			next, nextRules = crm.DefaultHealthWeights(), crm.DefaultHealthSettings()
		} else {
			for _, wd := range words {
				k, v, ok := strings.Cut(wd, "=")
				k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
				if !ok {
					return crm.Errorf(crm.EINVALID, "health.settings_usage")
				}
				key := s.words.healthKeys[k]
				if band := crm.Band(key); band == crm.BandAtRisk || band == crm.BandCritical {
					sw, known := s.words.onOff[v]
					if !known {
						return crm.Errorf(crm.EINVALID, "health.settings_usage")
					}
					on := sw == "on"
					if band == crm.BandAtRisk {
						nextRules.AtRiskTask = on
					} else {
						nextRules.CriticalTask = on
					}
					continue
				}
				f := key
				if f == "" {
					return crm.Errorf(crm.EINVALID, "health.settings_usage")
				}
				n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
				if err != nil || n < 0 || n > crm.MaxHealthWeight {
					return crm.Errorf(crm.EINVALID, "health.bad_weight", "value", v, "max", crm.MaxHealthWeight)
				}
				next[f] = n
			}
		}
		if err := hs.SaveHealthWeights(ctx, next, r.Actor(), r.Now); err != nil {
			return err
		}
		if err := hs.SaveHealthSettings(ctx, nextRules, r.Actor(), r.Now); err != nil {
			return err
		}
		cur, rules = next, nextRules
	}
	total := 0
	var parts []string
	for _, f := range crm.HealthFactors {
		total += cur[f]
		parts = append(parts, r.T("health.weight."+f)+" "+strconv.Itoa(cur[f]))
	}
	onOff := func(b bool) string {
		if b {
			return r.T("health.rule_on")
		}
		return r.T("health.rule_off")
	}
	text := r.T("health.weights", "weights", strings.Join(parts, " · "), "total", total) + "\n" +
		r.T("health.rules", "at_risk", onOff(rules.AtRiskTask), "critical", onOff(rules.CriticalTask)) + "\n" +
		r.T("health.settings_hint")
	if len(words) > 0 {
		text = r.T("health.settings_saved") + "\n" + text
	}
	return w.Reply(ctx, bot.Reply{Text: text})
}

// healthCardSection adds the score to the client card in one line.
func (s *service) healthCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	sum, err := s.currentHealth(ctx, r, c)
	if err != nil {
		return nil, err
	}
	value := r.T("health.card_value", "score", sum.Score, "band", bandWord(r, sum.Band))
	if delta, then, ok := s.healthTrend(r, sum); ok {
		value += " " + r.T("health.card_trend", "trend", core.TrendArrow(delta), "date", r.FmtDate(dayOf(r, then.Day)))
	}
	if m := sum.Main(); m != nil && sum.Band != crm.BandHealthy {
		value += " · " + healthFactorText(r, *m)
	}
	return []bot.Field{{Label: r.T("card.health"), Value: value}}, nil
}

// healthDigest is the digest's section of account health: the renewals
// of this quarter (how many, their value, how many of an account at risk),
// the renewals at a mark today (90, 60, 30 days ahead, on the day) even
// beyond the quarter, overdue ones under "needs you", and the accounts at
// risk of the people the digest covers.
func (s *service) healthDigest(ctx context.Context, sc *core.DigestScope) (*core.DigestPart, error) {
	today := sc.Today()
	qEnd := quarterStart(today).AddDate(0, 3, 0)
	until := qEnd
	if h := dates.AddDays(today, crm.RenewalMarks[0]+1); h.After(until) {
		until = h
	}
	rows, err := s.store.HealthRows(ctx, sc.Owners)
	if err != nil {
		return nil, err
	}
	risky := map[uint64]crm.HealthRow{}
	critical := 0
	for _, row := range rows {
		risky[row.ClientID] = row
		if row.Band == crm.BandCritical {
			critical++
		}
	}
	var n, atRisk int
	var sums money.Sums
	var marked []string
	part := &core.DigestPart{}
	rs, err := s.store.OpenRenewals(ctx, sc.Owners, until)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		o := rs[i].OwnerID
		rn := &rs[i]
		row, risk := risky[rn.ClientID]
		inQuarter := rn.Date.Before(qEnd)
		if inQuarter {
			n++
			sums.Add(rn.Currency, rn.Amount)
			if risk {
				atRisk++
			}
		}
		line := renewalLine(sc.Request, rn, s.clientName(ctx, rn.ClientID))
		if risk {
			line += " · " + bandMark(row.Band) + " " + bandWord(sc.Request, row.Band)
		}
		if !sc.Personal() && o != sc.Subject.ID {
			line += " (" + sc.PersonName(o) + ")"
		}
		days, due := rn.RenewalDue(today)
		switch {
		case rn.Date.Before(today):
			part.Needs = append(part.Needs, core.DigestNeed{Rank: core.NeedRankOverdue, Since: rn.Date, Text: "⚠ " + line})
		case due && days >= 0:
			marked = append(marked, "• "+sc.T("today.renewal", "line", line))
		case inQuarter:
			part.Detail = append(part.Detail, line)
		}
	}
	if n == 0 && len(marked) == 0 && len(part.Needs) == 0 && len(rows) == 0 {
		return nil, nil
	}
	if n > 0 {
		part.Lines = append(part.Lines, sc.T("digest.health.renewals", "count", n, "value", sums.Format(sc.Lang, s.kit.Currency), "at_risk", atRisk))
	}
	part.Lines = append(part.Lines, marked...)
	if len(rows) > 0 {
		part.Lines = append(part.Lines, sc.T("digest.health.at_risk", "count", len(rows), "critical", critical))
	}
	return part, nil
}

// clientName returns a client's name, or "" when it is gone.
func (s *service) clientName(ctx context.Context, id uint64) string {
	if c, err := s.store.Client(ctx, id); err == nil {
		return c.Name
	}
	return ""
}

// quarterStart is the first day of day's calendar quarter.
func quarterStart(day time.Time) time.Time {
	m := ((int(day.Month())-1)/3)*3 + 1
	return time.Date(day.Year(), time.Month(m), 1, 0, 0, 0, 0, day.Location())
}

// healthExport is the client export's health part: the summary, the
// satisfaction scores and the renewals.
func (s *service) healthExport(ctx context.Context, r *core.Request, c *crm.Client) (any, error) {
	hs := s.store
	sum, err := hs.HealthSummary(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	sat, err := hs.Satisfactions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ren, err := hs.ClientRenewals(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if sum == nil && len(sat) == 0 && len(ren) == 0 {
		return nil, nil
	}
	return map[string]any{"summary": sum, "satisfaction": sat, "renewals": ren}, nil
}
