package store

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"accountbot/crm"
)

// Keys of account health, satisfaction and renewals:
//
//	hs/<client>                            the client's health summary (JSON)
//	hx/<owner><worst><score><client>       accounts at risk or critical by owner, worst first;
//	                                       value: the list row (JSON), so lists read no record
//	hd/<client>                            the health inputs changed since the summary; value: a version
//	hsat/<client><at><id>                  a satisfaction score (JSON)
//	hr/<id>                                a renewal (JSON)
//	hrc/<client><id>                       renewals by client
//	hro/<owner><date><id>                  open renewals by the client's owner and date
//	meta/health/weights, meta/health/settings, meta/health/sweep
//
// Every write that changes a health input (the client, its conversations,
// claims, deals, payments, promises, plan, satisfaction, renewals) marks
// the client in hd/ in its own transaction; the handlers bring the summary
// up to date right after the request, and a job catches what was left.

var (
	healthWeightsKey  = []byte("meta/health/weights")
	healthSettingsKey = []byte("meta/health/settings")
	healthSweepKey    = []byte("meta/health/sweep")
)

func healthKey(client uint64) []byte { return key("hs/", client) }
func healthDirtyKey(client uint64) []byte {
	return key("hd/", client)
}
func renewalKey(id uint64) []byte { return key("hr/", id) }
func renewalOpenKey(r *crm.Renewal) []byte {
	return key("hro/", r.OwnerID, r.Date, r.ID)
}

// healthIndexKey is the list entry of an account at risk or critical (nil
// for a healthy one): critical sorts before at risk, a lower score first.
func healthIndexKey(owner, client uint64, h crm.Health) []byte {
	if h.Band == crm.BandHealthy || h.Band == "" {
		return nil
	}
	return key("hx/", owner, byte(2-h.Band.Rank()), byte(max(0, min(100, h.Score))), client)
}

// healthRowVal is the value of an index entry.
type healthRowVal struct {
	Name  string           `json:"n"`
	Score int              `json:"s"`
	Band  crm.Band         `json:"b"`
	Main  crm.HealthFactor `json:"m"`
}

// dirtyVersion makes the versions of health markers: a write's marker
// differs from any earlier one, so a recompute clears only the marker it
// started from.
var dirtySeq atomic.Uint64

// healthDirty marks that a health input of the client changed, and tells
// the request's collector (crm.NoteHealthChange).
func (tx *Tx) healthDirty(client uint64) error {
	if client == 0 {
		return nil
	}
	v := uint64(time.Now().UnixNano()) + dirtySeq.Add(1)
	crm.NoteHealthChange(tx.ctx, client)
	return tx.set(healthDirtyKey(client), u64(v))
}

// healthSummary reads the stored summary (nil when there is none).
func (tx *Tx) healthSummary(client uint64) (*crm.HealthSummary, error) {
	var s crm.HealthSummary
	err := tx.get(healthKey(client), &s)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func (tx *Tx) putHealthIndex(s *crm.HealthSummary) error {
	k := healthIndexKey(s.OwnerID, s.ClientID, s.Health)
	if k == nil {
		return nil
	}
	var main crm.HealthFactor
	if m := s.Main(); m != nil {
		main = *m
	}
	b, err := json.Marshal(healthRowVal{Name: s.Name, Score: s.Score, Band: s.Band, Main: main})
	if err != nil {
		return err
	}
	return tx.set(k, b)
}

func (tx *Tx) delHealthIndex(s *crm.HealthSummary) error {
	if k := healthIndexKey(s.OwnerID, s.ClientID, s.Health); k != nil {
		return tx.del(k)
	}
	return nil
}

// healthFollowClient runs in every transaction that stores a client: the
// client's health is to be recomputed (its last touch, name or owner may
// have changed), and on a new owner its list entry and open renewals move
// at once.
func (tx *Tx) healthFollowClient(old, c *crm.Client) error {
	if err := tx.healthDirty(c.ID); err != nil {
		return err
	}
	if old == nil || old.OwnerID == c.OwnerID {
		return nil
	}
	s, err := tx.healthSummary(c.ID)
	if err != nil {
		return err
	}
	if s != nil {
		if err := tx.delHealthIndex(s); err != nil {
			return err
		}
		s.OwnerID = c.OwnerID
		if err := tx.putHealthIndex(s); err != nil {
			return err
		}
		if err := tx.put(healthKey(c.ID), s); err != nil {
			return err
		}
	}
	var ids []uint64
	if err := tx.scan(key("hrc/", c.ID), false, false, func(k []byte, _ Item) (bool, error) {
		ids = append(ids, tailID(k))
		return true, nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		var r crm.Renewal
		if err := tx.get(renewalKey(id), &r); err != nil {
			return err
		}
		if r.Open() {
			if err := tx.del(renewalOpenKey(&r)); err != nil {
				return err
			}
		}
		r.OwnerID = c.OwnerID
		if err := tx.putRenewal(nil, &r, false); err != nil {
			return err
		}
	}
	return nil
}

// healthFollowClaim runs in every transaction that stores a claim: the
// client's health is to be recomputed, and a satisfaction rating given on
// the claim goes into the client's satisfaction history (a CSAT with the
// claim's id), in the same transaction.
func (tx *Tx) healthFollowClaim(old, c *crm.Claim) error {
	if err := tx.healthDirty(c.ClientID); err != nil {
		return err
	}
	if c.Satisfaction == 0 || (old != nil && old.Satisfaction == c.Satisfaction) {
		return nil
	}
	sat := &crm.Satisfaction{ClientID: c.ClientID, Kind: crm.SatisfactionCSAT, Score: c.Satisfaction, ClaimID: c.ID}
	for i := len(c.Timeline) - 1; i >= 0; i-- {
		if st := c.Timeline[i]; st.Kind == crm.StepSatisfied {
			sat.By, sat.OnBehalfOf, sat.At, sat.Comment = st.By, st.OnBehalfOf, st.At, st.Text
			break
		}
	}
	if sat.At.IsZero() {
		sat.At = c.ClosedAt
	}
	return tx.addSatisfaction(sat)
}

func (tx *Tx) addSatisfaction(s *crm.Satisfaction) error {
	id, err := tx.nextID("satisfaction")
	if err != nil {
		return err
	}
	s.ID = id
	if err := tx.put(key("hsat/", s.ClientID, s.At, id), s); err != nil {
		return err
	}
	return tx.healthDirty(s.ClientID)
}

// AddSatisfaction records a CSAT or NPS score of an existing client.
func (s *Store) AddSatisfaction(ctx context.Context, sat *crm.Satisfaction) error {
	return s.update(ctx, func(tx *Tx) error {
		if _, err := tx.client(sat.ClientID); err != nil {
			return err
		}
		return tx.addSatisfaction(sat)
	})
}

// Satisfactions returns a client's satisfaction scores, oldest first.
func (s *Store) Satisfactions(ctx context.Context, client uint64) ([]crm.Satisfaction, error) {
	var out []crm.Satisfaction
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(client)
		return tx.scan(key("hsat/", client), false, true, func(_ []byte, item Item) (bool, error) {
			v, err := decode[crm.Satisfaction](item)
			if err != nil {
				return false, err
			}
			out = append(out, *v)
			return true, nil
		})
	})
	return out, err
}

func (tx *Tx) putRenewal(old, r *crm.Renewal, isNew bool) error {
	if old != nil && old.Open() {
		if err := tx.del(renewalOpenKey(old)); err != nil {
			return err
		}
	}
	if r.Open() {
		if err := tx.set(renewalOpenKey(r), nil); err != nil {
			return err
		}
	}
	if isNew {
		if err := tx.set(key("hrc/", r.ClientID, r.ID), nil); err != nil {
			return err
		}
	}
	return tx.put(renewalKey(r.ID), r)
}

// CreateRenewal stores a new renewal of an existing client, giving it the
// next renewal id (R-3; never reused) and its history entry.
func (s *Store) CreateRenewal(ctx context.Context, r *crm.Renewal) error {
	return s.update(ctx, func(tx *Tx) error {
		c, err := tx.client(r.ClientID)
		if err != nil {
			return err
		}
		id, err := tx.nextID("renewal")
		if err != nil {
			return err
		}
		r.ID, r.OwnerID = id, c.OwnerID
		if err := tx.putRenewal(nil, r, true); err != nil {
			return err
		}
		if err := tx.healthDirty(r.ClientID); err != nil {
			return err
		}
		return tx.addChange(crm.Change{Kind: "renewal", RecordID: id, At: r.CreatedAt, By: r.CreatedBy, OnBehalfOf: r.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "created", New: r.Date.Format("2006-01-02")}})
	})
}

// Renewal returns the renewal with id.
func (s *Store) Renewal(ctx context.Context, id uint64) (*crm.Renewal, error) {
	var r crm.Renewal
	if err := s.view(ctx, func(tx *Tx) error { return tx.get(renewalKey(id), &r) }); err != nil {
		return nil, err
	}
	return &r, nil
}

// UpdateRenewal applies fn to the renewal and stores it with its indexes
// and one history entry per changed field.
func (s *Store) UpdateRenewal(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Renewal) error) (*crm.Renewal, error) {
	var out *crm.Renewal
	err := s.update(ctx, func(tx *Tx) error {
		var old crm.Renewal
		if err := tx.get(renewalKey(id), &old); err != nil {
			return err
		}
		r := old
		if err := fn(&r); err != nil {
			return err
		}
		r.ID, r.ClientID, r.OwnerID = old.ID, old.ClientID, old.OwnerID
		for _, ch := range crm.Diff(renewalFields(&old), renewalFields(&r)) {
			if err := tx.addChange(crm.Change{Kind: "renewal", RecordID: id, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
				return err
			}
		}
		out = &r
		if err := tx.healthDirty(r.ClientID); err != nil {
			return err
		}
		return tx.putRenewal(&old, &r, false)
	})
	return out, err
}

func renewalFields(r *crm.Renewal) map[string]string {
	m := map[string]string{"date": r.Date.Format("2006-01-02"), "contract": r.Contract, "currency": r.Currency}
	if !r.Amount.IsZero() {
		m["amount"] = r.Amount.String()
	}
	if !r.DoneAt.IsZero() {
		m["done"] = r.DoneAt.UTC().Format(time.RFC3339)
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

// ClientRenewals returns every renewal of a client, by id.
func (s *Store) ClientRenewals(ctx context.Context, client uint64) ([]crm.Renewal, error) {
	var out []crm.Renewal
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan(key("hrc/", client), false, false, func(k []byte, _ Item) (bool, error) {
			var r crm.Renewal
			if err := tx.get(renewalKey(tailID(k)), &r); err != nil {
				return false, err
			}
			out = append(out, r)
			return true, nil
		})
	})
	return out, err
}

// OpenRenewals returns the open renewals of the owners' clients dated
// before before, owner by owner in the order given and soonest first
// within one, read in one transaction.
func (s *Store) OpenRenewals(ctx context.Context, owners []uint64, before time.Time) ([]crm.Renewal, error) {
	var out []crm.Renewal
	err := s.view(ctx, func(tx *Tx) error {
		out = out[:0]
		// The ids first, then the renewals, all asked at once.
		ranges := make([]keyRange, len(owners))
		for i, o := range owners {
			ranges[i] = keyRange{lo: key("hro/", o), hi: key("hro/", o, before)}
		}
		var keys [][]byte
		if err := tx.scanRanges([]byte("hro/"), false, false, ranges, func(_ int, k []byte, _ Item) (bool, error) {
			keys = append(keys, renewalKey(tailID(k)))
			return true, nil
		}); err != nil {
			return err
		}
		tx.prefetch(keys)
		for _, k := range keys {
			var r crm.Renewal
			if err := tx.get(k, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// HealthSummary returns the client's stored health summary, nil when none
// was computed yet.
func (s *Store) HealthSummary(ctx context.Context, client uint64) (*crm.HealthSummary, error) {
	var out *crm.HealthSummary
	err := s.view(ctx, func(tx *Tx) (err error) {
		tx.aboutClient(client)
		out, err = tx.healthSummary(client)
		return err
	})
	return out, err
}

// HealthVersion returns the version of the client's "inputs changed"
// marker, 0 when its summary is current. It is read right before the
// client's health is recomputed (or found current): on an engine that
// pays a round trip per read, the client, the records its score is
// computed from and the score's weights are read with it, for the reads
// of the recomputation that follow in the same request.
func (s *Store) HealthVersion(ctx context.Context, client uint64) (uint64, error) {
	var v uint64
	err := s.view(ctx, func(tx *Tx) (err error) {
		tx.aboutClientHealth(client)
		v, err = tx.counter(healthDirtyKey(client))
		return err
	})
	return v, err
}

// DirtyHealth returns up to limit clients whose health inputs changed
// since their summary, with their markers' versions.
func (s *Store) DirtyHealth(ctx context.Context, limit int) (map[uint64]uint64, error) {
	out := map[uint64]uint64{}
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("hd/"), false, true, func(k []byte, item Item) (bool, error) {
			v, err := item.ValueCopy(nil)
			if err != nil {
				return false, err
			}
			if len(v) == 8 {
				out[tailID(k)] = tailID(v)
			}
			return len(out) < limit, nil
		})
	})
	return out, err
}

// SaveHealth stores newly computed healths, all in one transaction (the
// daily job saves a batch at a time): for each client the summary with the
// day in its history, the list entry, and, when the account fell into a
// band worse than any it was given a task for since it was last healthy,
// the playbook task u.Task (if the head's settings want one) with the
// marker that makes it once per fall. A client's "inputs changed" marker
// is cleared only if it is still the version its computation started
// from. It returns the tasks created. Clients erased meanwhile are left
// alone.
func (s *Store) SaveHealth(ctx context.Context, us ...crm.HealthUpdate) ([]*crm.Task, error) {
	var made []*crm.Task
	// All of it is computed again from the durable records while the
	// client's "inputs changed" mark stands, and only this clears the
	// mark: a save lost in a crash leaves the mark, and the health (its
	// playbook task with it) is recomputed; a summary older than today is
	// recomputed when read or swept. So it need not wait for the disk
	// (updateDerived). On PostgreSQL the log is flushed in order, so that
	// any durable commit after it (the sweep's bookmark, the next /log)
	// makes it durable too.
	err := s.updateDerived(ctx, func(tx *Tx) error {
		made = made[:0]
		// What saveHealth reads of each client, in one round trip where
		// reads cost one each.
		keys := [][]byte{healthSettingsKey}
		for _, u := range us {
			keys = append(keys, clientKey(u.ClientID), healthKey(u.ClientID), healthDirtyKey(u.ClientID))
		}
		tx.prefetch(keys)
		settings, err := tx.healthSettings()
		if err != nil {
			return err
		}
		for i := range us {
			t, err := tx.saveHealth(&us[i], settings)
			if err != nil {
				return err
			}
			if t != nil {
				made = append(made, t)
			}
		}
		return nil
	})
	return made, err
}

func (tx *Tx) saveHealth(u *crm.HealthUpdate, settings crm.HealthSettings) (*crm.Task, error) {
	c, err := tx.client(u.ClientID)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	old, err := tx.healthSummary(c.ID)
	if err != nil {
		return nil, err
	}
	sum := &crm.HealthSummary{}
	if old != nil {
		*sum = *old
		sum.History = append([]crm.HealthDay(nil), old.History...)
		if err := tx.delHealthIndex(old); err != nil {
			return nil, err
		}
	}
	sum.ClientID, sum.OwnerID, sum.Name = c.ID, c.OwnerID, c.Name
	sum.Record(u.Health, u.Day, u.At)
	var made *crm.Task
	fell, band := sum.PlaybookFall(u.Health)
	sum.PlaybookBand = band
	if fell && u.Task != nil && settings.Wants(band) {
		t := *u.Task
		t.ClientID, t.AssigneeID = c.ID, c.OwnerID
		if err := tx.createTask(&t); err != nil {
			return nil, err
		}
		sum.PlaybookTask, made = t.ID, &t
	}
	if err := tx.putHealthIndex(sum); err != nil {
		return nil, err
	}
	if err := tx.put(healthKey(c.ID), sum); err != nil {
		return nil, err
	}
	cur, err := tx.counter(healthDirtyKey(c.ID))
	if err != nil {
		return nil, err
	}
	if cur != 0 && cur == u.Version {
		return made, tx.del(healthDirtyKey(c.ID))
	}
	return made, nil
}

// HealthRows returns the accounts at risk or critical of the owners, each
// owner's worst first, from the owners' list entries only.
func (s *Store) HealthRows(ctx context.Context, owners []uint64) ([]crm.HealthRow, error) {
	var out []crm.HealthRow
	ranges := make([]keyRange, len(owners))
	for i, o := range owners {
		ranges[i] = ownerRange("hx/", o)
	}
	err := s.view(ctx, func(tx *Tx) error {
		out = out[:0]
		return tx.scanRanges([]byte("hx/"), false, true, ranges, func(i int, k []byte, item Item) (bool, error) {
			var v healthRowVal
			if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
				return false, err
			}
			out = append(out, crm.HealthRow{ClientID: tailID(k), OwnerID: owners[i], Name: v.Name, Score: v.Score, Band: v.Band, Main: v.Main})
			return true, nil
		})
	})
	return out, err
}

// ClientIDs returns up to limit client ids after after, in id order, for
// the daily recomputation.
func (s *Store) ClientIDs(ctx context.Context, after uint64, limit int) ([]uint64, error) {
	var out []uint64
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scanFromKey([]byte("c/"), clientKey(after+1), func(k []byte, _ Item) (bool, error) {
			out = append(out, tailID(k))
			return len(out) < limit, nil
		})
	})
	return out, err
}

// healthSweep is where the daily recomputation stands.
type healthSweep struct {
	Day   string `json:"day"`
	After uint64 `json:"after"`
	Done  bool   `json:"done"`
}

// HealthSweep returns the day the daily recomputation runs for, the last
// client id it did, and whether it finished that day.
func (s *Store) HealthSweep(ctx context.Context) (day string, after uint64, done bool, err error) {
	var sw healthSweep
	err = s.view(ctx, func(tx *Tx) error {
		err := tx.get(healthSweepKey, &sw)
		if errors.Is(err, errNotFound) {
			return nil
		}
		return err
	})
	return sw.Day, sw.After, sw.Done, err
}

// SetHealthSweep records where the daily recomputation stands.
func (s *Store) SetHealthSweep(ctx context.Context, day string, after uint64, done bool) error {
	return s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		return tx.put(healthSweepKey, healthSweep{Day: day, After: after, Done: done})
	})
}

// HealthWeights returns the weights of the health score: the saved ones
// over the defaults.
func (s *Store) HealthWeights(ctx context.Context) (crm.HealthWeights, error) {
	var w map[string]int
	err := s.view(ctx, func(tx *Tx) (err error) {
		w, err = tx.weights(healthWeightsKey, crm.DefaultHealthWeights())
		return err
	})
	return w, err
}

// SaveHealthWeights stores the weights with one history entry (kind
// "health_weights") per changed weight.
func (s *Store) SaveHealthWeights(ctx context.Context, w crm.HealthWeights, by crm.Actor, at time.Time) error {
	return s.update(ctx, func(tx *Tx) error {
		return tx.saveWeights(healthWeightsKey, "health_weights", crm.DefaultHealthWeights(), crm.HealthFactors, w, by, at)
	})
}

func (tx *Tx) healthSettings() (crm.HealthSettings, error) {
	st := crm.DefaultHealthSettings()
	err := tx.get(healthSettingsKey, &st)
	if errors.Is(err, errNotFound) {
		return crm.DefaultHealthSettings(), nil
	}
	return st, err
}

// HealthSettings returns the playbook's rules (both on by default).
func (s *Store) HealthSettings(ctx context.Context) (crm.HealthSettings, error) {
	var st crm.HealthSettings
	err := s.view(ctx, func(tx *Tx) (err error) {
		st, err = tx.healthSettings()
		return err
	})
	return st, err
}

// SaveHealthSettings stores the playbook's rules with their history.
func (s *Store) SaveHealthSettings(ctx context.Context, st crm.HealthSettings, by crm.Actor, at time.Time) error {
	return s.update(ctx, func(tx *Tx) error {
		old, err := tx.healthSettings()
		if err != nil {
			return err
		}
		onOff := func(b bool) string {
			if b {
				return "on"
			}
			return "off"
		}
		for _, ch := range []struct {
			field    string
			old, new bool
		}{{"at_risk_task", old.AtRiskTask, st.AtRiskTask}, {"critical_task", old.CriticalTask, st.CriticalTask}} {
			if ch.old != ch.new {
				if err := tx.addChange(crm.Change{Kind: "health_settings", RecordID: 1, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
					FieldChange: crm.FieldChange{Field: ch.field, Old: onOff(ch.old), New: onOff(ch.new)}}); err != nil {
					return err
				}
			}
		}
		return tx.put(healthSettingsKey, st)
	})
}

// eraseHealth lists the client's health summary, list entry and marker,
// satisfaction scores, and renewals with their indexes and history.
func eraseHealth(tx *Tx, clientID uint64) ([][]byte, int, error) {
	keys := [][]byte{healthKey(clientID), healthDirtyKey(clientID), key("hsat/", clientID), key("hrc/", clientID)}
	n := 0
	sum, err := tx.healthSummary(clientID)
	if err != nil {
		return nil, 0, err
	}
	if sum != nil {
		if k := healthIndexKey(sum.OwnerID, clientID, sum.Health); k != nil {
			keys = append(keys, k)
		}
	}
	if err := tx.scan(key("hsat/", clientID), false, false, func(_ []byte, _ Item) (bool, error) {
		n++
		return true, nil
	}); err != nil {
		return nil, 0, err
	}
	err = tx.scan(key("hrc/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
		var r crm.Renewal
		if err := tx.get(renewalKey(tailID(k)), &r); err != nil {
			return false, err
		}
		n++
		keys = append(keys, renewalKey(r.ID), renewalOpenKey(&r), historyPrefix("renewal", r.ID))
		return true, nil
	})
	return keys, n, err
}
