package store

import (
	"encoding/json"

	"accountbot/crm"
)

// Seeder writes many records fast, in large batches, with the same keys and
// indexes as the one-by-one methods. It is for loading generated or
// imported data into a store nobody else writes to at the same time; ids
// are taken from the caller, so it also sets the id counters.
type Seeder struct {
	s   *Store
	wb  kvBatch
	max map[string]uint64
	err error
	// clients is set once a client is added: the maintained client
	// counts are then recounted on first use.
	clients bool
}

// Seeder starts a bulk load. Call Flush at the end.
func (s *Store) Seeder() *Seeder {
	return &Seeder{s: s, wb: s.eng.batch(), max: map[string]uint64{}}
}

func (sd *Seeder) set(k, v []byte) {
	if sd.err == nil {
		sd.err = sd.wb.set(k, v)
	}
}

func (sd *Seeder) json(k []byte, v any) {
	b, err := json.Marshal(v)
	if err != nil && sd.err == nil {
		sd.err = err
	}
	sd.set(k, b)
}

// entries writes index entries (which the PostgreSQL engine skips: it
// derives them from the records).
func (sd *Seeder) entries(es []kvEntry) {
	for _, e := range es {
		sd.set(e.k, e.v)
	}
}

func (sd *Seeder) id(kind string, id uint64) {
	if id > sd.max[kind] {
		sd.max[kind] = id
	}
}

// Person adds a person with their identities.
func (sd *Seeder) Person(p *crm.Person) {
	sd.id("person", p.ID)
	for _, ident := range p.Identities {
		sd.set(key("pi/", ident), u64(p.ID))
	}
	sd.json(key("p/", p.ID), p)
}

// Client adds a client with its name and owner indexes.
func (sd *Seeder) Client(c *crm.Client) {
	sd.id("client", c.ID)
	sd.clients = true
	sd.entries(clientNameEntries(c))
	sd.entries(clientOwnerEntries(c))
	sd.planning(c)
	sd.json(clientKey(c.ID), c)
}

// Conversation adds a conversation; the client's LastTouch is the
// caller's to keep right.
func (sd *Seeder) Conversation(v *crm.Conversation) {
	sd.id("conversation", v.ID)
	sd.json(key("v/", v.ClientID, v.At, v.ID), v)
}

// Task adds a task with its indexes.
func (sd *Seeder) Task(t *crm.Task) {
	sd.id("task", t.ID)
	sd.entries(taskIndexEntries(t))
	sd.json(key("t/", t.ID), t)
}

// Flush writes what is left and moves the id counters past the ids used.
func (sd *Seeder) Flush() error {
	for kind, n := range sd.max {
		var cur uint64
		_ = sd.s.eng.view(func(txn kvTxn) error {
			item, err := txn.get([]byte("seq/" + kind))
			if err != nil {
				return err
			}
			v, err := item.ValueCopy(nil)
			if err == nil && len(v) == 8 {
				cur = tailID(v)
			}
			return err
		})
		// A sequence's stored value is the next id to hand out.
		if n+1 > cur {
			sd.set([]byte("seq/"+kind), u64(n+1))
		}
	}
	if sd.err != nil {
		sd.wb.cancel()
		return sd.err
	}
	defer sd.s.forgetPeople()
	if err := sd.wb.flush(); err != nil {
		return err
	}
	if sd.clients {
		return sd.s.forgetCounts()
	}
	return nil
}

// Compact tidies the store's files after a bulk load (Badger merges its
// tables into one level, as background compactions eventually would:
// lookups then check one table per key range instead of many).
func (s *Store) Compact() error { return s.eng.compact() }
