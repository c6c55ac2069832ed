package store

import (
	"context"
	"errors"
	"sort"
	"time"

	"accountbot/crm"
)

// PersonByIdentity returns the person holding identity, or crm.ErrNotFound.
func (s *Store) PersonByIdentity(ctx context.Context, identity string) (*crm.Person, error) {
	var p *crm.Person
	err := s.view(ctx, func(tx *Tx) error {
		item, err := tx.item(key("pi/", identity))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		p, err = tx.person(tailID(v))
		return err
	})
	return p, err
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
// the returned people.
func (s *Store) People(ctx context.Context) ([]*crm.Person, error) {
	s.peopleMu.Lock()
	defer s.peopleMu.Unlock()
	if s.people != nil && !s.shared {
		return s.people, nil
	}
	var out []*crm.Person
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("p/"), false, true, func(_ []byte, item Item) (bool, error) {
			p, err := decode[crm.Person](item)
			out = append(out, p)
			return err == nil, err
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if err == nil && !s.shared {
		// Another replica may change a person at any time: on a shared
		// database every call reads the team (one range query).
		s.people = out
	}
	return out, err
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
