package store

import (
	"bytes"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"
)

// A request's first round trip on PostgreSQL reads who sent it and what
// every request needs (PersonByIdentity: the sender's identity, the index
// markers, the delegations and the team's version) and nothing of the
// command itself. These change seldom, so the engine keeps what it read of
// them last (pgMemo), and a request's held read transaction may start from
// that guess: the reads are answered from memory, and the same statements
// go out at the head of the transaction's next round trip, which confirms
// them. A guess the server contradicts fails that round trip (errGuessed),
// before any of its other rows are read: nothing read after a wrong guess
// reaches the request, which is marked stale and answered again from the
// start without guessing (handlers/service.go). A guess not confirmed yet
// is confirmed on its own before the request's first reply, its first
// write and any message it sends out (crm.RequestScope.Settle), so that no
// answer, write or message rests on an unconfirmed guess. A request pays
// the round trip it spares only when it reads nothing before answering.

// pgGuess is where a transaction's guess stands.
type pgGuess int

const (
	guessNone      pgGuess = iota // it started from no guess
	guessPending                  // not confirmed yet (checks queued or in flight)
	guessConfirmed                // the server confirmed it
	guessWrong                    // the server contradicted it
)

// errGuessed is a round trip that contradicted the transaction's guess.
var errGuessed = errors.New("the request started from a guess of its sender that the database contradicts")

// pgMemo is what the engine read last of the keys and prefixes requests
// guess (kv keys and kv prefixes only) and of the team's version.
type pgMemo struct {
	mu        sync.Mutex
	vals      map[string]pgCached
	scans     map[string][]simpleItem
	team      int64
	teamKnown bool
}

// pgMemoMax bounds the keys kept (identities of people who wrote lately
// and the markers): past it the memo starts afresh.
const pgMemoMax = 4096

// reset forgets everything (a local write of what it keeps, a guess the
// server contradicted).
func (m *pgMemo) reset() {
	m.mu.Lock()
	m.vals, m.scans, m.teamKnown = nil, nil, false
	m.mu.Unlock()
}

// pgGuessable reports whether a write of k changes what the memo may hold:
// an identity, a delegation, a person (the team's version) or a marker.
func pgGuessable(k []byte) bool {
	if bytes.HasPrefix(k, []byte("pi/")) || bytes.HasPrefix(k, []byte("dl/")) || pgTableOf(k) == pgPeople {
		return true
	}
	for _, m := range indexMarkers {
		if bytes.Equal(k, m) {
			return true
		}
	}
	return false
}

// startFromGuess answers the keys and prefixes, and the team's version, from the
// memo and queues the statements that confirm them; it reports false (and
// does nothing) when the transaction is not a request's held one that has
// read nothing yet, or the memo lacks any of them.
func (t *pgTxn) startFromGuess(keys, prefixes [][]byte) bool {
	if !t.held || t.memo == nil || t.begun || t.err != nil || pgGuess(t.guess.Load()) != guessNone {
		return false
	}
	for _, k := range keys {
		if pgTableOf(k) != nil || pgIndexOf(k) != nil {
			return false
		}
	}
	its := make([]*pgIter, len(prefixes))
	for n, p := range prefixes {
		it, ok := t.iterator(iterOptions{prefix: p}).(*pgIter)
		if !ok || !it.solo || it.table != "kv" {
			return false
		}
		it.page = pgAheadMax
		its[n] = it
	}
	m := t.memo
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.teamKnown {
		return false
	}
	vals := make([]pgCached, len(keys))
	for n, k := range keys {
		v, ok := m.vals[string(k)]
		if !ok {
			return false
		}
		vals[n] = v
	}
	scans := make([][]simpleItem, len(prefixes))
	for n, p := range prefixes {
		s, ok := m.scans[string(p)]
		if !ok {
			return false
		}
		scans[n] = s
	}
	for n, k := range keys {
		t.cache.keep(bytes.Clone(k), bytes.Clone(vals[n].v), vals[n].missing)
	}
	for n, p := range prefixes {
		t.cache.keepScan(p, scans[n]) // copies
	}
	t.cache.team, t.cache.teamKnown = m.team, true
	t.checks = t.checkReads(keys, vals, prefixes, its, scans, m.team)
	t.guess.Store(int32(guessPending))
	return true
}

// checkReads are the statements that confirm a guess: each compares what
// the server has with what was guessed and sets t.wrong when they differ.
func (t *pgTxn) checkReads(keys [][]byte, vals []pgCached, prefixes [][]byte, its []*pgIter, scans [][]simpleItem, team int64) []pgRead {
	want := map[string]pgCached{}
	for n, k := range keys {
		want[string(k)] = vals[n]
	}
	reads := []pgRead{{`SELECT key, value FROM kv WHERE key = ANY($1) AND (expires_at IS NULL OR expires_at > now())`, []any{keys}, func(rows pgx.Rows) error {
		found := 0
		for rows.Next() {
			var k, v []byte
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			if w, ok := want[string(k)]; !ok || w.missing || !bytes.Equal(w.v, v) {
				t.wrong = true
			}
			found++
		}
		missing := 0
		for _, w := range want {
			if w.missing {
				missing++
			}
		}
		if found != len(want)-missing {
			t.wrong = true
		}
		return rows.Err()
	}}}
	for n, p := range prefixes {
		it, guessed := its[n], scans[n]
		q, args := it.sql(p, true)
		reads = append(reads, pgRead{q, args, func(rows pgx.Rows) error {
			if err := it.scanRows(rows); err != nil {
				return err
			}
			if len(it.rows) != len(guessed) {
				t.wrong = true
				return nil
			}
			for i, r := range it.rows {
				g := guessed[i]
				if !bytes.Equal(r.k, g.k) || !bytes.Equal(r.v, g.v) || r.exp != g.exp {
					t.wrong = true
				}
			}
			return nil
		}})
	}
	reads = append(reads, pgRead{`SELECT version FROM table_versions WHERE name = 'people'`, nil, func(rows pgx.Rows) error {
		var v int64 // 0: none
		if rows.Next() {
			if err := rows.Scan(&v); err != nil {
				return err
			}
		}
		if v != team {
			t.wrong = true
		}
		return rows.Err()
	}})
	return reads
}

// remember keeps in the memo what the transaction read of the keys and
// prefixes (the ones it read whole) and the team's version, for the next
// requests' guesses.
func (t *pgTxn) remember(keys, prefixes [][]byte) {
	if t.memo == nil || t.err != nil || !t.cache.teamKnown {
		return
	}
	m := t.memo
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.vals == nil || len(m.vals) > pgMemoMax {
		m.vals, m.scans = map[string]pgCached{}, map[string][]simpleItem{}
	}
	for _, k := range keys {
		if c, ok := t.cache.row(k); ok && pgTableOf(k) == nil {
			m.vals[string(k)] = pgCached{v: bytes.Clone(c.v), missing: c.missing}
		}
	}
	for _, p := range prefixes {
		if s, ok := t.cache.scans[string(p)]; ok {
			c := make([]simpleItem, len(s))
			for n, it := range s {
				c[n] = simpleItem{k: bytes.Clone(it.k), v: bytes.Clone(it.v), exp: it.exp}
			}
			m.scans[string(p)] = c
		}
	}
	m.team, m.teamKnown = t.cache.team, true
}

// settle confirms the guess on its own when no round trip has confirmed it
// yet (and send allows a round trip). It returns nil when there was no guess or it is confirmed,
// errGuessed when the server contradicted it, and the transaction's
// failure when it failed before confirming it.
func (t *pgTxn) settle(send bool) error {
	if send && pgGuess(t.guess.Load()) == guessPending && len(t.checks) > 0 && t.err == nil {
		_ = t.queryAll(nil)
	}
	if done, err := t.guessState(); done {
		return err
	}
	if t.err != nil {
		return t.err
	}
	return errGuessed
}

// guessState reports whether the guess is decided (none, confirmed, or
// wrong: then errGuessed) without touching the transaction, so that it
// may be asked while a view of the request runs in it.
func (t *pgTxn) guessState() (done bool, err error) {
	switch pgGuess(t.guess.Load()) {
	case guessNone, guessConfirmed:
		return true, nil
	case guessWrong:
		return true, errGuessed
	}
	return false, nil
}
