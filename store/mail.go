package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"

	"accountbot/crm"
)

// Keys of e-mail and calendar:
//
//	cem/<hash of address>/<client>   a client whose e-mail field holds the
//	                                 address (a hash, so that no address
//	                                 lingers in index keys after an erasure)
//	meta/idx/email                   set once every client was indexed
//	mlk/<hash of message key>        a read message that was decided (logged,
//	                                 or kept as unmatched): never twice
//	mlu/<id>                         an unmatched message, for heads
//	calp/<person>                    the person's calendar feed token
//	calt/<hash of token>             the person a token belongs to

var keyEmailIndexed = []byte("meta/idx/email")

func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

func emailKey(addr string, client uint64) []byte { return key("cem/", hashHex(addr), "/", client) }

// emailFollowClient moves the client's e-mail index entries from old (nil
// for a new client) to c.
func (tx *Tx) emailFollowClient(old, c *crm.Client) error {
	if old != nil && old.Email == c.Email {
		return nil
	}
	now := map[string]bool{}
	for _, e := range crm.Emails(c.Email) {
		now[e] = true
	}
	if old != nil {
		for _, e := range crm.Emails(old.Email) {
			if !now[e] {
				if err := tx.del(emailKey(e, old.ID)); err != nil {
					return err
				}
			}
		}
	}
	for e := range now {
		if err := tx.set(emailKey(e, c.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// indexClientEmails indexes every client's e-mail once, for stores written
// before the index existed, in batches that keep each transaction small.
func (s *Store) indexClientEmails() error {
	ctx := context.Background()
	var done bool
	var cs []*crm.Client
	any := false
	err := s.view(ctx, func(tx *Tx) (err error) {
		if done, err = tx.has(keyEmailIndexed); err != nil || done {
			return err
		}
		return tx.scan([]byte("c/"), false, true, func(k []byte, item Item) (bool, error) {
			if len(k) != len("c/")+8 {
				return true, nil
			}
			any = true
			c, err := decode[crm.Client](item)
			if err != nil {
				return false, err
			}
			if c.Email != "" {
				cs = append(cs, &crm.Client{ID: c.ID, Email: c.Email})
			}
			return true, nil
		})
	})
	if err != nil || done || !any {
		// With no client, a new store stays empty (restore needs that) and
		// the next Open looks again.
		return err
	}
	const batch = 1000
	for len(cs) > 0 {
		n := min(batch, len(cs))
		part := cs[:n]
		cs = cs[n:]
		if err := s.update(ctx, func(tx *Tx) error {
			for _, c := range part {
				if err := tx.emailFollowClient(nil, c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return s.update(ctx, func(tx *Tx) error { return tx.set(keyEmailIndexed, nil) })
}

// eraseMailIndex lists the client's e-mail index entries.
func eraseMailIndex(tx *Tx, clientID uint64) ([][]byte, int, error) {
	c, err := tx.client(clientID)
	if err != nil {
		return nil, 0, err
	}
	var keys [][]byte
	for _, e := range crm.Emails(c.Email) {
		keys = append(keys, emailKey(e, clientID))
	}
	return keys, 0, nil
}

// ClientsByEmail returns the clients whose e-mail field holds addr (any
// case), from the index: no client is scanned.
func (s *Store) ClientsByEmail(ctx context.Context, addr string) ([]*crm.Client, error) {
	addr = crm.NormalizeEmail(addr)
	if addr == "" {
		return nil, nil
	}
	var out []*crm.Client
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan(key("cem/", hashHex(addr), "/"), false, false, func(k []byte, _ Item) (bool, error) {
			if ok, err := tx.has(clientKey(tailID(k))); err != nil || !ok {
				return err == nil, err
			}
			c, err := tx.client(tailID(k))
			if err != nil {
				return false, err
			}
			out = append(out, c)
			return true, nil
		})
	})
	return out, err
}

func mailKey(k string) []byte { return key("mlk/", hashHex(k)) }

// LogMail logs conv as the message with key mailKey, unless that message
// was decided before (logged, or kept as unmatched); logged reports
// whether this call wrote it. The claim and the conversation are one
// transaction, so that replicas reading the same mailbox log it once.
func (s *Store) LogMail(ctx context.Context, mk string, conv *crm.Conversation) (logged bool, err error) {
	err = s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		logged = false
		if ok, err := tx.has(mailKey(mk)); err != nil || ok {
			return err
		}
		if err := tx.set(mailKey(mk), u64(uint64(conv.At.Unix()))); err != nil {
			return err
		}
		if err := tx.logConversation(conv, nil); err != nil {
			return err
		}
		logged = true
		return nil
	})
	return logged, err
}

// MailSeen reports whether the message with key mk was decided before.
func (s *Store) MailSeen(ctx context.Context, mk string) (bool, error) {
	var ok bool
	err := s.view(ctx, func(tx *Tx) (err error) {
		ok, err = tx.has(mailKey(mk))
		return err
	})
	return ok, err
}

// KeepUnmatchedMail keeps m for heads unless its message was decided
// before; kept reports whether this call stored it.
func (s *Store) KeepUnmatchedMail(ctx context.Context, m *crm.UnmatchedMail) (kept bool, err error) {
	err = s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		kept = false
		if ok, err := tx.has(mailKey(m.Key)); err != nil || ok {
			return err
		}
		if err := tx.set(mailKey(m.Key), u64(uint64(m.At.Unix()))); err != nil {
			return err
		}
		id, err := tx.nextID("mail")
		if err != nil {
			return err
		}
		m.ID = id
		kept = true
		return tx.put(key("mlu/", id), m)
	})
	return kept, err
}

// UnmatchedMails returns up to limit unmatched messages, newest first.
func (s *Store) UnmatchedMails(ctx context.Context, limit int) ([]*crm.UnmatchedMail, error) {
	var out []*crm.UnmatchedMail
	err := s.view(ctx, func(tx *Tx) error {
		return tx.scan([]byte("mlu/"), true, true, func(_ []byte, item Item) (bool, error) {
			m, err := decode[crm.UnmatchedMail](item)
			if err != nil {
				return false, err
			}
			out = append(out, m)
			return limit == 0 || len(out) < limit, nil
		})
	})
	return out, err
}

// UnmatchedMail returns one unmatched message.
func (s *Store) UnmatchedMail(ctx context.Context, id uint64) (*crm.UnmatchedMail, error) {
	var m crm.UnmatchedMail
	err := s.view(ctx, func(tx *Tx) error { return tx.get(key("mlu/", id), &m) })
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// AttachUnmatchedMail logs conv for the unmatched message id and drops the
// message from the list, in one transaction; a message attached already is
// not found.
func (s *Store) AttachUnmatchedMail(ctx context.Context, id uint64, conv *crm.Conversation) error {
	return s.update(ctx, func(tx *Tx) error {
		if ok, err := tx.has(key("mlu/", id)); err != nil {
			return err
		} else if !ok {
			return crm.ErrNotFound
		}
		if err := tx.del(key("mlu/", id)); err != nil {
			return err
		}
		return tx.logConversation(conv, nil)
	})
}

// DropUnmatchedMail forgets an unmatched message (its claim stays, so it
// is not read again).
func (s *Store) DropUnmatchedMail(ctx context.Context, id uint64) error {
	return s.update(ctx, func(tx *Tx) error {
		if ok, err := tx.has(key("mlu/", id)); err != nil {
			return err
		} else if !ok {
			return crm.ErrNotFound
		}
		return tx.del(key("mlu/", id))
	})
}

// CalendarToken returns the person's calendar feed token, storing fresh as
// it when they have none (or always, with reset). The old token of a reset
// stops working in the same transaction.
func (s *Store) CalendarToken(ctx context.Context, person uint64, reset bool, fresh string) (string, error) {
	var tok string
	err := s.update(crm.WithoutDeliveryKey(ctx), func(tx *Tx) error {
		tok = ""
		var old string
		if ok, err := tx.has(key("calp/", person)); err != nil {
			return err
		} else if ok {
			if err := tx.get(key("calp/", person), &old); err != nil {
				return err
			}
		}
		if old != "" && !reset {
			tok = old
			return nil
		}
		t := fresh
		if old != "" {
			if err := tx.del(key("calt/", hashHex(old))); err != nil {
				return err
			}
		}
		if err := tx.put(key("calp/", person), t); err != nil {
			return err
		}
		tok = t
		return tx.set(key("calt/", hashHex(t)), u64(person))
	})
	return tok, err
}

// CalendarOwner returns the person whose current feed token is tok; an
// unknown or replaced token is crm.ErrNotFound. The token is found by its
// hash and then compared in constant time.
func (s *Store) CalendarOwner(ctx context.Context, tok string) (uint64, error) {
	var person uint64
	err := s.view(ctx, func(tx *Tx) error {
		var id uint64
		err := tx.scan(key("calt/", hashHex(tok)), false, true, func(_ []byte, item Item) (bool, error) {
			v, err := item.ValueCopy(nil)
			if err != nil {
				return false, err
			}
			id = tailID(v)
			return false, nil
		})
		if err != nil {
			return err
		}
		if id == 0 {
			return crm.ErrNotFound
		}
		var cur string
		if err := tx.get(key("calp/", id), &cur); err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(cur), []byte(tok)) != 1 {
			return crm.ErrNotFound
		}
		person = id
		return nil
	})
	return person, err
}
