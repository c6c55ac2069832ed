package store

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"accountbot/crm"
)

// PersonByIdentity returns the person holding identity, or crm.ErrNotFound.
func (s *Store) PersonByIdentity(ctx context.Context, identity string) (*crm.Person, error) {
	var p *crm.Person
	err := s.view(ctx, func(tx *Tx) error {
		tv, versioned := tx.kv.(teamVersioned)
		keys, prefixes := append([][]byte{key("pi/", identity)}, indexMarkers...), [][]byte{[]byte("dl/")}
		g, guessing := tx.kv.(guesser)
		if versioned {
			// A request looks its sender up first and then reads the team
			// and the delegations (core.NewRequest), and most of its
			// lists check one of the index markers: on an engine that pays
			// a round trip per read, all of it is asked at once, or
			// guessed from the last time and confirmed with the request's
			// next round trip (engine_pg_guess.go).
			if guessing && s.mayGuess(ctx) && g.startFromGuess(keys, prefixes) {
				s.guessed(ctx, g)
				guessing = false // nothing to remember: it came from the memo
			} else {
				tv.readAhead(keys, prefixes)
			}
		}
		item, err := tx.item(key("pi/", identity))
		if err != nil {
			return err
		}
		if guessing && versioned {
			g.remember(keys, prefixes) // a known sender: worth guessing next time
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if versioned {
			if p, err = s.teamPerson(tv, tailID(v)); p != nil || err != nil {
				return err
			}
		}
		p, err = tx.person(tailID(v))
		return err
	})
	return p, err
}

// guesser is an engine transaction that may start a request from what it
// read first last time, and confirm it later (engine_pg_guess.go).
type guesser interface {
	// startFromGuess answers the keys, the whole prefixes and the team's
	// version from memory and queues their confirmation with the next
	// round trip; false when it cannot (then nothing changed).
	startFromGuess(keys, prefixes [][]byte) bool
	// remember keeps what the transaction read of the keys and prefixes
	// for later guesses.
	remember(keys, prefixes [][]byte)
	// settle confirms the guess, with a round trip of its own when none
	// confirmed it yet and send allows: nil when there was none or it
	// holds, an error when it is wrong or is not confirmed.
	settle(send bool) error
	// guessState reports whether the guess is decided (none, confirmed,
	// or wrong: then an error), without touching the transaction.
	guessState() (done bool, err error)
}

// teamVersioned is an engine transaction that can tell the version of the
// team, one number that changes with every write of a person by any
// process (PostgreSQL: pgschema/00009_people_version.sql). On a shared
// database the store then keeps the decoded team between requests and
// reads the version instead of the team.
type teamVersioned interface {
	teamVersion() (v int64, ok bool, err error)
	// readAhead reads the keys, the whole prefixes and the version at
	// once, for the reads that follow.
	readAhead(keys, prefixes [][]byte)
}

// teamPerson returns a copy of the person id from the team kept in
// memory when the transaction sees the same version of the team; nil
// when it does not (or the team has no such person: the caller's get
// then says so).
func (s *Store) teamPerson(tv teamVersioned, id uint64) (*crm.Person, error) {
	v, ok, err := tv.teamVersion()
	if err != nil || !ok {
		return nil, err
	}
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	if s.people == nil || s.peopleVer != v {
		return nil, nil
	}
	i := sort.Search(len(s.people), func(i int) bool { return s.people[i].ID >= id })
	if i == len(s.people) || s.people[i].ID != id {
		return nil, nil
	}
	c := *s.people[i]
	c.Identities = slices.Clone(c.Identities)
	return &c, nil
}

// Person returns the person with id.
func (s *Store) Person(ctx context.Context, id uint64) (*crm.Person, error) {
	var p *crm.Person
	err := s.view(ctx, func(tx *Tx) (err error) {
		p, err = tx.person(id)
		return err
	})
	return p, err
}

func (tx *Tx) person(id uint64) (*crm.Person, error) {
	var p crm.Person
	if err := tx.get(key("p/", id), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// People returns everyone, dismissed included, by id. Every request needs
// the team to decide what the sender may see, so the list is kept in
// memory and dropped on any change to a person; callers must not modify
// the returned people. On a shared database, where another replica may
// change a person at any time, the list kept is used only while the
// team's version is the one it was read at (teamVersioned); an engine
// without one reads the team on every call.
func (s *Store) People(ctx context.Context) ([]*crm.Person, error) {
	if !s.shared {
		// Held while the team is read, so that a change to a person
		// (forgetPeople) cannot be overtaken by a read from before it.
		s.peopleMu.Lock()
		defer s.peopleMu.Unlock()
		if s.people != nil {
			return s.people, nil
		}
		out, _, err := s.readPeople(ctx, nil, 0)
		if err == nil {
			s.people = out
		}
		return out, err
	}
	// A team kept with its version is right whenever the version is the
	// same, whatever happened meanwhile: no lock is held while reading.
	s.peopleMu.Lock()
	kept, keptVer := s.people, s.peopleVer
	s.peopleMu.Unlock()
	out, ver, err := s.readPeople(ctx, kept, keptVer)
	if err == nil && ver != 0 && (kept == nil || ver != keptVer) {
		s.peopleMu.Lock()
		s.people, s.peopleVer = out, ver
		s.peopleMu.Unlock()
	}
	return out, err
}

// readPeople reads the team sorted by id, and its version when the engine
// has one (0 otherwise); kept is returned instead when the version is
// keptVer.
func (s *Store) readPeople(ctx context.Context, kept []*crm.Person, keptVer int64) ([]*crm.Person, int64, error) {
	var out []*crm.Person
	var ver int64
	err := s.view(ctx, func(tx *Tx) error {
		out, ver = nil, 0
		if tv, ok := tx.kv.(teamVersioned); ok {
			v, ok, err := tv.teamVersion()
			if err != nil {
				return err
			}
			if ok {
				ver = v
			}
			if ok && kept != nil && v == keptVer {
				out = kept
				return nil
			}
		}
		return tx.scan([]byte("p/"), false, true, func(_ []byte, item Item) (bool, error) {
			p, err := decode[crm.Person](item)
			out = append(out, p)
			return err == nil, err
		})
	})
	if err != nil {
		return nil, 0, err
	}
	if kept == nil || ver == 0 || ver != keptVer {
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	}
	return out, ver, nil
}

// forgetPeople drops the cached team after a change to a person.
func (s *Store) forgetPeople() {
	s.peopleMu.Lock()
	s.people = nil
	s.peopleMu.Unlock()
}

// CreatePerson stores a new person and indexes their identities; an
// identity that already belongs to someone is a conflict.
func (s *Store) CreatePerson(ctx context.Context, p *crm.Person) error {
	defer s.forgetPeople()
	return s.update(ctx, func(tx *Tx) error { return tx.createPerson(p) })
}

// checkNameFree refuses a name that an active person other than p already
// has (compared as crm.NormalizeName folds names, across scripts and
// case): "@Name" must name one person, and an invitee must not pass for
// someone else by choosing their name.
func (tx *Tx) checkNameFree(p *crm.Person) error {
	if !p.Active() {
		return nil
	}
	norm := crm.NormalizeName(p.Name)
	return tx.scan(key("p/"), false, true, func(_ []byte, item Item) (bool, error) {
		q, err := decode[crm.Person](item)
		if err != nil {
			return false, err
		}
		if q.ID != p.ID && q.Active() && crm.NormalizeName(q.Name) == norm {
			return false, crm.Errorf(crm.ECONFLICT, "person.name_taken", "name", q.Name)
		}
		return true, nil
	})
}

func (tx *Tx) createPerson(p *crm.Person) error {
	for _, id := range p.Identities {
		if ok, err := tx.has(key("pi/", id)); err != nil {
			return err
		} else if ok {
			return crm.Errorf(crm.ECONFLICT, "error.identity_taken", "identity", id)
		}
	}
	if err := tx.checkNameFree(p); err != nil {
		return err
	}
	id, err := tx.nextID("person")
	if err != nil {
		return err
	}
	p.ID = id
	for _, ident := range p.Identities {
		if err := tx.set(key("pi/", ident), u64(id)); err != nil {
			return err
		}
	}
	return tx.put(key("p/", id), p)
}

// UpdatePerson applies fn to the person and stores the result, keeping the
// identity index in step.
func (s *Store) UpdatePerson(ctx context.Context, id uint64, fn func(*crm.Person) error) (*crm.Person, error) {
	defer s.forgetPeople()
	var out *crm.Person
	err := s.update(ctx, func(tx *Tx) error {
		p, err := tx.person(id)
		if err != nil {
			return err
		}
		old := append([]string(nil), p.Identities...)
		oldName, wasActive := p.Name, p.Active()
		if err := fn(p); err != nil {
			return err
		}
		p.ID = id
		if p.Name != oldName || (p.Active() && !wasActive) {
			if err := tx.checkNameFree(p); err != nil {
				return err
			}
		}
		for _, ident := range old {
			if !p.HasIdentity(ident) {
				if err := tx.del(key("pi/", ident)); err != nil {
					return err
				}
			}
		}
		for _, ident := range p.Identities {
			item, err := tx.item(key("pi/", ident))
			if err == nil {
				v, _ := item.ValueCopy(nil)
				if tailID(v) != id {
					return crm.Errorf(crm.ECONFLICT, "error.identity_taken", "identity", ident)
				}
				continue
			}
			if !errors.Is(err, errNotFound) {
				return err
			}
			if err := tx.set(key("pi/", ident), u64(id)); err != nil {
				return err
			}
		}
		out = p
		return tx.put(key("p/", id), p)
	})
	return out, err
}

// CreateInvitation stores an invitation under its code.
func (s *Store) CreateInvitation(ctx context.Context, inv *crm.Invitation) error {
	return s.update(ctx, func(tx *Tx) error { return tx.put(key("inv/", inv.Code), inv) })
}

// AcceptInvitation registers p with the invitation's role in one
// transaction: a code works once, and only before it expires.
func (s *Store) AcceptInvitation(ctx context.Context, code string, now time.Time, p *crm.Person) error {
	defer s.forgetPeople()
	return s.update(ctx, func(tx *Tx) error {
		var inv crm.Invitation
		if err := tx.get(key("inv/", code), &inv); err != nil {
			if errors.Is(err, errNotFound) {
				return crm.Errorf(crm.ENOTFOUND, "start.bad_code")
			}
			return err
		}
		if inv.UsedBy != 0 || !now.Before(inv.ExpiresAt) {
			return crm.Errorf(crm.ENOTFOUND, "start.bad_code")
		}
		// A dismissal cannot be undone with a code issued before it or by
		// the dismissed person.
		voided := false
		if err := tx.scan(key("p/"), false, true, func(_ []byte, item Item) (bool, error) {
			q, err := decode[crm.Person](item)
			if err != nil {
				return false, err
			}
			voided = inv.VoidedBy(q)
			return !voided, nil
		}); err != nil {
			return err
		}
		if voided {
			return crm.Errorf(crm.ENOTFOUND, "start.bad_code")
		}
		p.Role = inv.Role
		p.ReportsTo = inv.ReportsTo
		p.CreatedBy = inv.CreatedBy
		if err := tx.createPerson(p); err != nil {
			return err
		}
		inv.UsedBy = p.ID
		return tx.put(key("inv/", code), &inv)
	})
}
