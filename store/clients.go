package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"accountbot/crm"
)

// Keys of clients and their indexes:
//
//	c/<id>                      the client (JSON)
//	cn/<normalised name>\x00<id> name index; value: the owner
//	co/<owner><id>              owner index; value: last touch and review time, name, city, status
const nameSep = 0x00

func clientKey(id uint64) []byte { return key("c/", id) }
func nameKey(c *crm.Client) []byte {
	return key("cn/", crm.NormalizeName(c.Name), byte(nameSep), c.ID)
}
func ownerKey(owner, id uint64) []byte { return key("co/", owner, id) }

// clientNameEntries and clientOwnerEntries are the client's name and
// owner index entries: putClient writes them on Badger, and on
// PostgreSQL they are derived from the clients table (engine_pg_tables.go).
func clientNameEntries(c *crm.Client) []kvEntry {
	return []kvEntry{{nameKey(c), nameVal(c)}}
}

func clientOwnerEntries(c *crm.Client) []kvEntry {
	return []kvEntry{{ownerKey(c.OwnerID, c.ID), ownerVal(c)}}
}

// ownerVal is the owner index's value: the last touch and review times
// (Unix seconds), then the name, city and status, so that lists of a
// person's clients ("/clients stale") need no record reads.
func ownerVal(c *crm.Client) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(unix(c.LastTouch)))
	b = binary.BigEndian.AppendUint64(b, uint64(unix(c.ReviewedAt)))
	for _, f := range []string{c.Name, c.City, c.Status} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// ownerEntry is a decoded owner index entry.
type ownerEntry struct {
	touch, review int64
	brief         *crm.Client // nil when the entry predates the brief
}

func decodeOwnerVal(id, owner uint64, v []byte) ownerEntry {
	var e ownerEntry
	if len(v) < 16 {
		return e
	}
	e.touch = int64(binary.BigEndian.Uint64(v[:8]))
	e.review = int64(binary.BigEndian.Uint64(v[8:16]))
	rest := v[16:]
	var fields [3]string
	for i := range fields {
		n, w := binary.Uvarint(rest)
		if w <= 0 || uint64(len(rest)-w) < n {
			return e
		}
		fields[i] = string(rest[w : w+int(n)])
		rest = rest[w+int(n):]
	}
	e.brief = &crm.Client{ID: id, OwnerID: owner, Name: fields[0], City: fields[1], Status: fields[2]}
	if e.touch != 0 {
		e.brief.LastTouch = time.Unix(e.touch, 0)
	}
	if e.review != 0 {
		e.brief.ReviewedAt = time.Unix(e.review, 0)
	}
	return e
}

// stale reports whether the entry is stale: untouched since tb (a client
// never touched counts from its last review, about its creation) or not
// reviewed since rb.
func (e ownerEntry) stale(tb, rb int64) bool {
	last := e.touch
	if last == 0 {
		last = e.review
	}
	return last < tb || e.review < rb
}

// eachOwnerEntry calls fn for each of owner's index entries.
func (tx *Tx) eachOwnerEntry(owner uint64, fn func(id uint64, e ownerEntry) (bool, error)) error {
	return tx.scan(key("co/", owner), false, true, func(k []byte, item Item) (bool, error) {
		var e ownerEntry
		if err := item.Value(func(v []byte) error {
			e = decodeOwnerVal(tailID(k), owner, v)
			return nil
		}); err != nil {
			return false, err
		}
		return fn(tailID(k), e)
	})
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// Client returns the client with id.
func (s *Store) Client(ctx context.Context, id uint64) (*crm.Client, error) {
	var c *crm.Client
	err := s.view(ctx, func(tx *Tx) (err error) {
		c, err = tx.client(id)
		return err
	})
	return c, err
}

func (tx *Tx) client(id uint64) (*crm.Client, error) {
	var c crm.Client
	if err := tx.get(clientKey(id), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// putClient stores c and moves its indexes from old (nil for a new client).
func (tx *Tx) putClient(old, c *crm.Client) error {
	if old != nil {
		if crm.NormalizeName(old.Name) != crm.NormalizeName(c.Name) {
			if err := tx.del(nameKey(old)); err != nil {
				return err
			}
		}
		if old.OwnerID != c.OwnerID {
			if err := tx.del(ownerKey(old.OwnerID, old.ID)); err != nil {
				return err
			}
		}
	}
	if old == nil || crm.NormalizeName(old.Name) != crm.NormalizeName(c.Name) || old.OwnerID != c.OwnerID {
		if err := tx.setEntries(clientNameEntries(c)); err != nil {
			return err
		}
	}
	if err := tx.setEntries(clientOwnerEntries(c)); err != nil {
		return err
	}
	if err := tx.claimsFollowOwner(old, c); err != nil {
		return err
	}
	if err := tx.dealsFollowOwner(old, c); err != nil {
		return err
	}
	if err := tx.planningFollowClient(old, c); err != nil {
		return err
	}
	if segmentFieldsChanged(old, c) {
		tx.segmentsDirty(c.ID)
	}
	if err := tx.wonFollowClient(old, c); err != nil {
		return err
	}
	if err := tx.healthFollowClient(old, c); err != nil {
		return err
	}
	if err := tx.emailFollowClient(old, c); err != nil {
		return err
	}
	if err := tx.leadsFollowClient(old, c); err != nil {
		return err
	}
	if err := tx.countsFollowClient(old, c); err != nil {
		return err
	}
	if err := tx.staleFollowClient(old, c); err != nil {
		return err
	}
	if err := tx.ownerNamesFollowClient(old, c); err != nil {
		return err
	}
	if err := tx.convOwnersFollowClient(old, c); err != nil {
		return err
	}
	return tx.put(clientKey(c.ID), c)
}

// nameFree refuses a client name that another client has (as
// crm.NormalizeName folds names), or that looks like another's written
// with letters of other scripts (crm.Skeleton: a Greek Alpha for a Latin
// A): the two would display alike. The errors carry the other client's id
// and name, for the handler to show only to who may see it.
func (tx *Tx) nameFree(c *crm.Client) error {
	if p := crm.NameProblem(c.Name); p != "" {
		return crm.Errorf(crm.EINVALID, "client.name_invisible")
	}
	ex, err := tx.clientByExactName(crm.NormalizeName(c.Name))
	if err != nil {
		return err
	}
	if ex != nil && ex.ID != c.ID {
		return crm.Errorf(crm.ECONFLICT, "client.exists", "name", ex.Name, "id", ex.ID)
	}
	sk := crm.Skeleton(c.Name)
	for _, probe := range crm.LookalikeProbes(c.Name) {
		ex, err := tx.clientByExactName(crm.NormalizeName(probe))
		if err != nil {
			return err
		}
		if ex != nil && ex.ID != c.ID && crm.Skeleton(ex.Name) == sk {
			return crm.Errorf(crm.ECONFLICT, "client.lookalike", "name", ex.Name, "id", ex.ID)
		}
	}
	return nil
}

// clientByExactName returns the client whose normalised name equals norm.
func (tx *Tx) clientByExactName(norm string) (*crm.Client, error) {
	var found *crm.Client
	err := tx.scan(key("cn/", norm, byte(nameSep)), false, false, func(k []byte, _ Item) (bool, error) {
		c, err := tx.client(tailID(k))
		found = c
		return false, err
	})
	return found, err
}

// CreateClient stores a new client; a client with the same normalised name
// is a conflict (reported with the existing client's name).
func (s *Store) CreateClient(ctx context.Context, c *crm.Client, by crm.Actor) error {
	return s.update(ctx, func(tx *Tx) error {
		if err := tx.nameFree(c); err != nil {
			return err
		}
		id, err := tx.nextID("client")
		if err != nil {
			return err
		}
		c.ID = id
		if err := tx.putClient(nil, c); err != nil {
			return err
		}
		return tx.addChange(crm.Change{Kind: "client", RecordID: id, At: c.CreatedAt, By: by.PersonID, OnBehalfOf: by.OnBehalfOf,
			FieldChange: crm.FieldChange{Field: "created", New: c.Name}})
	})
}

// UpdateClient applies fn to the client and stores it with one history
// entry per changed field. fn may return an error to change nothing.
func (s *Store) UpdateClient(ctx context.Context, id uint64, by crm.Actor, at time.Time, fn func(*crm.Client) error) (*crm.Client, error) {
	var out *crm.Client
	err := s.update(ctx, func(tx *Tx) error {
		old, err := tx.client(id)
		if err != nil {
			return err
		}
		c := old.Clone()
		if err := fn(c); err != nil {
			return err
		}
		c.ID = id
		if c.Name != old.Name {
			if err := tx.nameFree(c); err != nil {
				return err
			}
		}
		changes := crm.Diff(old.Fields(), c.Fields())
		if old.OwnerID != c.OwnerID {
			changes = append(changes, crm.FieldChange{Field: "owner", Old: itoa(old.OwnerID), New: itoa(c.OwnerID)})
		}
		if !c.ReviewedAt.Equal(old.ReviewedAt) && len(changes) == 0 {
			changes = append(changes, crm.FieldChange{Field: "confirmed"})
		}
		for _, ch := range changes {
			if err := tx.addChange(crm.Change{Kind: "client", RecordID: id, At: at, By: by.PersonID, OnBehalfOf: by.OnBehalfOf, FieldChange: ch}); err != nil {
				return err
			}
		}
		out = c
		return tx.putClient(old, c)
	})
	return out, err
}

// FindClients returns the clients whose normalised name starts with the
// normalised query, at most limit of them (0: no limit), by name.
func (s *Store) FindClients(ctx context.Context, query string, limit int) ([]*crm.Client, error) {
	norm := crm.NormalizeName(query)
	var out []*crm.Client
	err := s.view(ctx, func(tx *Tx) error {
		err := tx.scan(key("cn/", norm), false, false, func(k []byte, _ Item) (bool, error) {
			c, err := tx.client(tailID(k))
			if err != nil {
				return false, err
			}
			out = append(out, c)
			return limit == 0 || len(out) < limit, nil
		})
		if err == nil && len(out) == 1 {
			// The one client found is the one the request is about: the
			// next read of its records reads them all ahead.
			tx.aboutClient(out[0].ID)
		}
		return err
	})
	return out, err
}

// ClientsByOwner returns the clients of the owners, owner by owner in the
// order of owners and by name within an owner, read in one transaction.
func (s *Store) ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error) {
	var out []*crm.Client
	err := s.view(ctx, func(tx *Tx) error {
		out = out[:0]
		for _, owner := range owners {
			from := len(out)
			err := tx.scan(key("co/", owner), false, false, func(k []byte, _ Item) (bool, error) {
				c, err := tx.client(tailID(k))
				if err != nil {
					return false, err
				}
				out = append(out, c)
				return true, nil
			})
			if err != nil {
				return err
			}
			crm.SortByName(out[from:])
		}
		return nil
	})
	return out, err
}

// EachClient calls fn for every client in id order until fn returns false.
func (s *Store) EachClient(ctx context.Context, fn func(*crm.Client) bool) error {
	return s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("c/"), false, true, func(_ []byte, item Item) (bool, error) {
			c, err := decode[crm.Client](item)
			if err != nil {
				return false, err
			}
			return fn(c), nil
		})
	})
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// ClientNames returns the names of the clients with the given ids, read in
// one transaction; ids of clients that no longer exist are left out.
func (s *Store) ClientNames(ctx context.Context, ids []uint64) (map[uint64]string, error) {
	out := make(map[uint64]string, len(ids))
	err := s.view(ctx, func(tx *Tx) error {
		keys := make([][]byte, len(ids))
		for i, id := range ids {
			keys[i] = clientKey(id)
		}
		tx.prefetch(keys)
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			name, err := tx.clientName(id)
			if errors.Is(err, errNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out[id] = name
		}
		return nil
	})
	return out, err
}

// clientName reads the name of the client with id. A record as
// encoding/json writes it starts with its id and name, so the name is read
// from there without decoding the rest: a list of names needs no whole
// record.
func (tx *Tx) clientName(id uint64) (string, error) {
	item, err := tx.item(clientKey(id))
	if err != nil {
		return "", err
	}
	var name string
	err = item.Value(func(v []byte) error {
		if s, ok := leadingName(v); ok {
			return json.Unmarshal(s, &name)
		}
		var c crm.Client
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		name = c.Name
		return nil
	})
	return name, err
}

// leadingName returns the JSON string of the name of a client record
// that starts {"id":N,"name":"…", and false for any other.
func leadingName(v []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(v, []byte(`{"id":`))
	if !ok {
		return nil, false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	rest, ok = bytes.CutPrefix(rest[i:], []byte(`,"name":`))
	if !ok || len(rest) == 0 || rest[0] != '"' {
		return nil, false
	}
	for j := 1; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '"':
			return rest[:j+1], true
		}
	}
	return nil, false
}

// StaleClients answers q from the owner index: it decides staleness from
// the times kept in the index and reads the records of only the clients it
// returns (all of them, or the q.Oldest longest untouched). Every owner is
// read in one transaction. Counts alone (q.CountOnly) come from the
// maintained stale counts (stale.go).
func (s *Store) StaleClients(ctx context.Context, q crm.StaleQuery) (crm.StaleList, error) {
	if q.CountOnly {
		return s.staleCounts(ctx, q)
	}
	type cand struct {
		id   uint64
		last int64
	}
	var out crm.StaleList
	tb, rb := q.TouchBefore.Unix(), q.ReviewBefore.Unix()
	err := s.view(ctx, func(tx *Tx) error {
		out = crm.StaleList{}
		var cands []cand
		for _, owner := range q.Owners {
			err := tx.eachOwnerEntry(owner, func(id uint64, e ownerEntry) (bool, error) {
				if e.stale(tb, rb) {
					cands = append(cands, cand{id: id, last: e.touch})
				}
				return true, nil
			})
			if err != nil {
				return err
			}
		}
		out.Total = len(cands)
		if q.Oldest > 0 {
			sort.Slice(cands, func(i, j int) bool { return cands[i].last < cands[j].last })
			cands = cands[:min(len(cands), q.Oldest)]
		}
		for _, cd := range cands {
			c, err := tx.client(cd.id)
			if err != nil {
				return err
			}
			out.Clients = append(out.Clients, c)
		}
		return nil
	})
	return out, err
}
