package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"accountbot/crm"
)

// Keys of claims and their indexes, all written in the claim's own
// transaction:
//
//	cl/<id>                        the claim (JSON)
//	clc/<client><id>               every claim of a client
//	clw/<owner><open><id>          claims by the client's owner; value: summary
//	cls/<assignee><open><id>       claims by assignee; value: summary
//	cla/<received><id>             claims by the time received; value: summary
//	cld/<resolve due><id>          open claims whose resolve breach is not yet escalated
//	clx/<id>                       an escalation decided but not yet delivered (JSON)
//	meta/claims/settings           the SLA settings (JSON)
//
// <open> is one byte, 1 for an open claim and 0 for a closed one, so that
// the open claims of a person are one short range. The summary (see
// encodeSummary) holds what lists and SLA checks need, so a list reads no
// claim text.

var claimSettingsKey = []byte("meta/claims/settings")

func claimKey(id uint64) []byte { return key("cl/", id) }

func openByte(c *crm.Claim) byte {
	if c.Status.Open() {
		return 1
	}
	return 0
}

// claimIndexKeys returns every index key of c, and which of them carry the
// summary as value.
func claimIndexKeys(c *crm.Claim) (withSummary, bare [][]byte) {
	ob := openByte(c)
	withSummary = append(withSummary, key("clw/", c.OwnerID, ob, c.ID), key("cla/", c.CreatedAt, c.ID))
	if c.AssigneeID != 0 {
		withSummary = append(withSummary, key("cls/", c.AssigneeID, ob, c.ID))
	}
	bare = append(bare, key("clc/", c.ClientID, c.ID))
	if c.Status.Open() && !c.ResolveDue.IsZero() && !c.EscalatedDue.Equal(c.ResolveDue) {
		bare = append(bare, key("cld/", c.ResolveDue, c.ID))
	}
	return withSummary, bare
}

// claimIndexEntries are c's index entries with their values. Derived
// from the claims table on PostgreSQL.
func claimIndexEntries(c *crm.Claim) []kvEntry {
	ws, bare := claimIndexKeys(c)
	sum := encodeSummary(c)
	es := make([]kvEntry, 0, len(ws)+len(bare))
	for _, k := range ws {
		es = append(es, kvEntry{k, sum})
	}
	for _, k := range bare {
		es = append(es, kvEntry{k, nil})
	}
	return es
}

// putClaim stores c and moves its indexes from old (nil for a new claim).
func (tx *Tx) putClaim(old, c *crm.Claim) error {
	if old != nil {
		if err := tx.delEntries(claimIndexEntries(old)); err != nil {
			return err
		}
	}
	if err := tx.healthFollowClaim(old, c); err != nil {
		return err
	}
	if err := tx.setEntries(claimIndexEntries(c)); err != nil {
		return err
	}
	if old != nil {
		tx.segmentsDirty(old.ClientID)
	}
	tx.segmentsDirty(c.ClientID)
	return tx.put(claimKey(c.ID), c)
}

func (tx *Tx) claim(id uint64) (*crm.Claim, error) {
	var c crm.Claim
	if err := tx.get(claimKey(id), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateClaim stores a new claim of an existing client, giving it the next
// claim id (never reused, also after a crash: the counter is written in the
// same transaction) and the first history entry.
func (s *Store) CreateClaim(ctx context.Context, c *crm.Claim) error {
	return s.update(ctx, func(tx *Tx) error {
		if _, err := tx.client(c.ClientID); err != nil {
			return err
		}
		id, err := tx.nextID("claim")
		if err != nil {
			return err
		}
		c.ID = id
		if err := tx.putClaim(nil, c); err != nil {
			return err
		}
		by := crm.Actor{PersonID: c.ReporterID}
		if len(c.Timeline) > 0 {
			by = crm.Actor{PersonID: c.Timeline[0].By, OnBehalfOf: c.Timeline[0].OnBehalfOf}
		}
		return tx.addChange(crm.Change{Kind: "claim", RecordID: id, At: c.CreatedAt, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "created", New: c.Text}})
	})
}

// Claim returns the claim with id.
func (s *Store) Claim(ctx context.Context, id uint64) (*crm.Claim, error) {
	var c *crm.Claim
	err := s.view(ctx, func(tx *Tx) (err error) {
		c, err = tx.claim(id)
		return err
	})
	return c, err
}

// UpdateClaim applies fn (normally crm.ApplyClaimEvent) to the claim and
// stores the result with its indexes and one history entry per changed
// field, all in one transaction. fn returning an error changes nothing.
func (s *Store) UpdateClaim(ctx context.Context, id uint64, fn func(crm.Claim) (crm.Claim, error)) (*crm.Claim, error) {
	var out *crm.Claim
	err := s.update(ctx, func(tx *Tx) error {
		old, err := tx.claim(id)
		if err != nil {
			return err
		}
		c, err := fn(old.Clone())
		if err != nil {
			return err
		}
		c.ID, c.ClientID, c.CreatedAt = old.ID, old.ClientID, old.CreatedAt
		if err := tx.claimHistory(old, &c); err != nil {
			return err
		}
		out = &c
		return tx.putClaim(old, &c)
	})
	return out, err
}

// claimFields are the fields whose changes go to the history.
func claimFields(c *crm.Claim) map[string]string {
	m := map[string]string{
		"status": string(c.Status), "severity": string(c.Severity), "category": c.Category,
		"remedy": c.Remedy, "cause": c.Cause, "action": string(c.Action), "response": c.Response,
		"resolution": c.Resolution, "reject_reason": c.RejectReason,
	}
	if c.AssigneeID != 0 {
		m["assignee"] = strconv.FormatUint(c.AssigneeID, 10)
	}
	if c.OwnerID != 0 {
		m["owner"] = strconv.FormatUint(c.OwnerID, 10)
	}
	if c.Satisfaction != 0 {
		m["satisfaction"] = strconv.Itoa(c.Satisfaction)
	}
	for k, t := range map[string]time.Time{"ack_due": c.AckDue, "resolve_due": c.ResolveDue, "escalated_due": c.EscalatedDue} {
		if !t.IsZero() {
			m[k] = t.UTC().Format(time.RFC3339)
		}
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

// claimHistory records what changed from old to c, by the actor of the
// newest timeline step; notes (which change no field) are recorded as
// "note" entries.
func (tx *Tx) claimHistory(old, c *crm.Claim) error {
	at := time.Time{}
	var by crm.Actor
	var steps []crm.ClaimStep
	if len(c.Timeline) > len(old.Timeline) {
		steps = c.Timeline[len(old.Timeline):]
		last := steps[len(steps)-1]
		at, by = last.At, crm.Actor{PersonID: last.By, OnBehalfOf: last.OnBehalfOf}
	}
	if at.IsZero() {
		at = tx.now
	}
	changes := crm.Diff(claimFields(old), claimFields(c))
	for _, st := range steps {
		if st.Kind == crm.StepNote {
			changes = append(changes, crm.FieldChange{Field: "note", New: st.Text})
		}
	}
	for _, ch := range changes {
		if err := tx.addChange(crm.Change{Kind: "claim", RecordID: c.ID, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
			return err
		}
	}
	return nil
}

// claimsFollowOwner moves the claims of a client to its new owner, in the
// transaction that reassigns the client, so that the owner's lists and
// rights follow the client.
func (tx *Tx) claimsFollowOwner(old, c *crm.Client) error {
	if old == nil || old.OwnerID == c.OwnerID {
		return nil
	}
	var ids []uint64
	if err := tx.scan(key("clc/", c.ID), false, false, func(k []byte, _ Item) (bool, error) {
		ids = append(ids, tailID(k))
		return true, nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		cl, err := tx.claim(id)
		if err != nil {
			return err
		}
		moved := cl.Clone()
		moved.OwnerID = c.OwnerID
		if err := tx.putClaim(cl, &moved); err != nil {
			return err
		}
	}
	return nil
}

// ClaimsOf returns the summaries of the claims owned by or assigned to one
// of people, the open ones or the closed ones, each once, by id. Only the
// people's index ranges are read, in one transaction.
func (s *Store) ClaimsOf(ctx context.Context, people []uint64, open bool) ([]crm.ClaimSummary, error) {
	var ob byte
	if open {
		ob = 1
	}
	var out []crm.ClaimSummary
	err := s.view(ctx, func(tx *Tx) error {
		out = out[:0]
		// An assigned claim may also be owned, or assigned and owned
		// within people: each is listed once.
		prefixes := claimsPrefixes(people, ob)
		// Each prefix is the open or the closed part of one person's
		// group of an index: the parts are read at once, and only they
		// (a person's open claims without the years of closed ones).
		tx.readAhead(nil, prefixes)
		listed := map[uint64]bool{}
		for n, prefix := range prefixes {
			if n > 0 && len(listed) < len(out) {
				for _, sm := range out[len(listed):] {
					listed[sm.ID] = true
				}
			}
			// Summaries are small values kept in the LSM tree: reading each
			// lazily avoids the copies of prefetching.
			if err := tx.scan(prefix, false, false, func(k []byte, item Item) (bool, error) {
				id := tailID(k)
				if listed[id] {
					return true, nil
				}
				var sum crm.ClaimSummary
				if err := item.Value(func(v []byte) (err error) {
					sum, err = decodeSummary(v)
					return err
				}); err != nil {
					return false, err
				}
				sum.ID = id
				out = append(out, sum)
				return true, nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if !slices.IsSortedFunc(out, func(a, b crm.ClaimSummary) int { return cmp.Compare(a.ID, b.ID) }) {
		slices.SortFunc(out, func(a, b crm.ClaimSummary) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out, err
}

// claimsPrefixes are the walks of ClaimsOf: the open (ob 1) or closed (0)
// claims of each person as owner and as assignee.
func claimsPrefixes(people []uint64, ob byte) [][]byte {
	prefixes := make([][]byte, 0, 2*len(people))
	for _, person := range people {
		prefixes = append(prefixes, key("clw/", person, ob), key("cls/", person, ob))
	}
	return prefixes
}

// ReadClaimsAhead says that the claims of people, the open ones, the
// closed ones or both, are about to be listed with the names of their
// clients (ClaimsOf, then ClientNames of their clients: /claims). Within
// a request (crm.WithRequestScope), on an engine that pays a round trip
// per read, the claims and their clients are read at once, and those
// reads are answered from the request's transaction. It changes no
// answer, and does nothing on Badger or outside a request.
func (s *Store) ReadClaimsAhead(ctx context.Context, people []uint64, open, closed bool) error {
	if crm.RequestScopeOf(ctx) == nil {
		return nil
	}
	return s.view(ctx, func(tx *Tx) error {
		if ra, ok := tx.kv.(readAheader); !ok || !ra.keeps() {
			return nil // Badger, or a view of its own (no request transaction free)
		}
		var prefixes [][]byte
		if open {
			prefixes = append(prefixes, claimsPrefixes(people, 1)...)
		}
		if closed {
			prefixes = append(prefixes, claimsPrefixes(people, 0)...)
		}
		tx.readAheadWithClients(prefixes)
		return nil
	})
}

// ClientClaims returns every claim of a client, oldest first.
func (s *Store) ClientClaims(ctx context.Context, clientID uint64) ([]*crm.Claim, error) {
	var out []*crm.Claim
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(clientID)
		return tx.scan(key("clc/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
			c, err := tx.claim(tailID(k))
			if err != nil {
				return false, err
			}
			out = append(out, c)
			return true, nil
		})
	})
	return out, err
}

// ClaimsByID returns the claims with the given ids, in that order; missing
// ones are left out.
func (s *Store) ClaimsByID(ctx context.Context, ids []uint64) ([]*crm.Claim, error) {
	out := make([]*crm.Claim, 0, len(ids))
	err := s.view(ctx, func(tx *Tx) error {
		for _, id := range ids {
			c, err := tx.claim(id)
			if errors.Is(err, errNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// ClaimsReceived calls fn for each claim q picks, oldest first, until fn
// returns false. The received index holds each claim's summary: only the
// claims it keeps are read in full.
func (s *Store) ClaimsReceived(ctx context.Context, q crm.ClaimsReceivedQuery, fn func(*crm.Claim) bool) error {
	end := key("cla/", q.To)
	var people map[uint64]bool
	if len(q.People) > 0 {
		people = make(map[uint64]bool, len(q.People))
		for _, id := range q.People {
			people[id] = true
		}
	}
	keep := func(sm *crm.ClaimSummary) bool {
		return (people == nil || people[sm.OwnerID] || sm.AssigneeID != 0 && people[sm.AssigneeID]) &&
			(q.Category == "" || sm.Category == q.Category)
	}
	return s.view(ctx, func(tx *Tx) error {
		it := tx.iter([]byte("cla/"), false, true)
		defer it.close()
		for it.seek(key("cla/", q.From)); it.valid(); it.next() {
			item := it.item()
			if string(item.Key()) >= string(end) {
				return nil
			}
			id := tailID(item.Key())
			if people != nil || q.Category != "" {
				var sum crm.ClaimSummary
				if err := item.Value(func(v []byte) (err error) {
					sum, err = decodeSummary(v)
					return err
				}); err != nil {
					return err
				}
				sum.ID = id
				if !keep(&sum) {
					continue
				}
			}
			c, err := tx.claim(id)
			if err != nil {
				return err
			}
			if !fn(c) {
				return nil
			}
		}
		return nil
	})
}

// EachClaim calls fn for every claim in id order until fn returns false.
func (s *Store) EachClaim(ctx context.Context, fn func(*crm.Claim) bool) error {
	return s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("cl/"), false, true, func(_ []byte, item Item) (bool, error) {
			c, err := decode[crm.Claim](item)
			if err != nil {
				return false, err
			}
			return fn(c), nil
		})
	})
}

// ClaimSettings returns the SLA settings, the defaults when none were saved.
func (s *Store) ClaimSettings(ctx context.Context) (crm.ClaimSettings, error) {
	out := crm.DefaultClaimSettings()
	err := s.view(ctx, func(tx *Tx) error {
		var saved crm.ClaimSettings
		err := tx.get(claimSettingsKey, &saved)
		if errors.Is(err, errNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for sev, t := range saved.SLA {
			out.SLA[sev] = t
		}
		if saved.Hours.Valid() {
			out.Hours = saved.Hours
		}
		return nil
	})
	return out, err
}

// SaveClaimSettings stores the SLA settings with one history entry (kind
// "claim_settings") per changed value.
func (s *Store) SaveClaimSettings(ctx context.Context, cs crm.ClaimSettings, by crm.Actor, at time.Time) error {
	old, err := s.ClaimSettings(ctx)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *Tx) error {
		for _, ch := range crm.Diff(settingsFields(old), settingsFields(cs)) {
			if err := tx.addChange(crm.Change{Kind: "claim_settings", At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
				return err
			}
		}
		return tx.put(claimSettingsKey, cs)
	})
}

func settingsFields(cs crm.ClaimSettings) map[string]string {
	m := map[string]string{}
	for sev, t := range cs.SLA {
		m[string(sev)] = t.Ack.String() + "/" + t.Resolve.String()
	}
	m["hours"] = fmt.Sprintf("%02d:%02d-%02d:%02d", cs.Hours.Start/60, cs.Hours.Start%60, cs.Hours.End/60, cs.Hours.End%60)
	days := ""
	for _, d := range cs.Hours.Days {
		days += d.String()[:3] + " "
	}
	m["days"] = days
	return m
}

// EscalateClaims decides the escalations due at now: every open claim whose
// resolve deadline passed and whose breach was not escalated yet (at most
// limit of them, the oldest breaches first) gets the escalation step, the
// marker and a pending delivery to the person route names (0: nobody), all
// in one transaction, so a breach is decided exactly once. It returns every
// pending delivery, new and earlier undelivered ones.
func (s *Store) EscalateClaims(ctx context.Context, now time.Time, limit int, route crm.EscalationRoute) ([]crm.ClaimEscalation, error) {
	var pending []crm.ClaimEscalation
	err := s.update(ctx, func(tx *Tx) error {
		pending = pending[:0]
		end := key("cld/", now)
		var keys [][]byte
		if err := tx.scan([]byte("cld/"), false, false, func(k []byte, _ Item) (bool, error) {
			if string(k) > string(end) || (limit > 0 && len(keys) >= limit) {
				return false, nil
			}
			keys = append(keys, append([]byte(nil), k...))
			return true, nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			id := tailID(k)
			old, err := tx.claim(id)
			if errors.Is(err, errNotFound) {
				if err := tx.del(k); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if !old.ResolveOverdue(now) || !old.EscalatedDue.IsZero() && old.EscalatedDue.Equal(old.ResolveDue) {
				// Only an index entry left behind: drop it.
				if err := tx.del(k); err != nil {
					return err
				}
				continue
			}
			to := route.To(old.OwnerID)
			c, err := crm.ApplyClaimEvent(old.Clone(), crm.ClaimEvent{Kind: crm.StepEscalated, At: now, Person: to})
			if err != nil {
				return err
			}
			if err := tx.claimHistory(old, &c); err != nil {
				return err
			}
			if err := tx.putClaim(old, &c); err != nil {
				return err
			}
			if to != 0 {
				if err := tx.put(key("clx/", id), crm.ClaimEscalation{ClaimID: id, To: to, Due: old.ResolveDue, At: now}); err != nil {
					return err
				}
			}
		}
		return tx.scan([]byte("clx/"), false, true, func(_ []byte, item Item) (bool, error) {
			e, err := decode[crm.ClaimEscalation](item)
			if err != nil {
				return false, err
			}
			pending = append(pending, *e)
			return true, nil
		})
	})
	return pending, err
}

// FinishEscalation records a delivery attempt of a pending escalation: a
// delivered one (or one that failed maxAttempts times) is removed, any
// other keeps waiting for the next run.
func (s *Store) FinishEscalation(ctx context.Context, claimID uint64, delivered bool, maxAttempts int) error {
	return s.update(ctx, func(tx *Tx) error {
		k := key("clx/", claimID)
		var e crm.ClaimEscalation
		if err := tx.get(k, &e); err != nil {
			if errors.Is(err, errNotFound) {
				return nil
			}
			return err
		}
		e.Attempts++
		if delivered || e.Attempts >= maxAttempts {
			return tx.del(k)
		}
		return tx.put(k, e)
	})
}

// summaryVersion is the first byte of an encoded summary.
const summaryVersion = 1

// encodeSummary writes the fields of a claim that lists need in a compact
// binary form: version, client, owner, assignee, received, ack due,
// resolve due, closed (Unix nanoseconds, 0 for none), then status,
// severity and category, each with a length byte.
func encodeSummary(c *crm.Claim) []byte {
	b := make([]byte, 0, 1+7*8+3+len(c.Status)+len(c.Severity)+len(c.Category))
	b = append(b, summaryVersion)
	for _, n := range []uint64{c.ClientID, c.OwnerID, c.AssigneeID} {
		b = binary.BigEndian.AppendUint64(b, n)
	}
	for _, t := range []time.Time{c.CreatedAt, c.AckDue, c.ResolveDue, c.ClosedAt} {
		b = binary.BigEndian.AppendUint64(b, uint64(nanos(t)))
	}
	for _, s := range []string{string(c.Status), string(c.Severity), c.Category} {
		if len(s) > 255 {
			s = s[:255]
		}
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return b
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

var errBadSummary = errors.New("store: malformed claim summary")

func decodeSummary(b []byte) (crm.ClaimSummary, error) {
	var s crm.ClaimSummary
	if len(b) < 1+7*8 || b[0] != summaryVersion {
		return s, errBadSummary
	}
	p := b[1:]
	u := func() uint64 { v := binary.BigEndian.Uint64(p); p = p[8:]; return v }
	s.ClientID, s.OwnerID, s.AssigneeID = u(), u(), u()
	s.CreatedAt = fromNanos(int64(u()))
	s.AckDue = fromNanos(int64(u()))
	s.ResolveDue = fromNanos(int64(u()))
	s.ClosedAt = fromNanos(int64(u()))
	str := func() ([]byte, error) {
		if len(p) < 1 || len(p) < 1+int(p[0]) {
			return nil, errBadSummary
		}
		n := int(p[0])
		v := p[1 : 1+n]
		p = p[1+n:]
		return v, nil
	}
	st, err := str()
	if err != nil {
		return s, err
	}
	sev, err := str()
	if err != nil {
		return s, err
	}
	cat, err := str()
	if err != nil {
		return s, err
	}
	s.Status, s.Severity, s.Category = internStatus(st), internSeverity(sev), internCategory(cat)
	return s, nil
}

// The intern functions return the constant for a known word, so that
// decoding thousands of summaries does not allocate a string for each.

func internStatus(b []byte) crm.ClaimStatus {
	for _, st := range crm.ClaimStatuses {
		if string(st) == string(b) {
			return st
		}
	}
	return crm.ClaimStatus(b)
}

func internSeverity(b []byte) crm.Severity {
	for _, sev := range crm.Severities {
		if string(sev) == string(b) {
			return sev
		}
	}
	return crm.Severity(b)
}

func internCategory(b []byte) string {
	for _, c := range crm.ClaimCategories {
		if c == string(b) {
			return c
		}
	}
	return string(b)
}
