package store

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"accountbot/crm"
)

// Keys of conversations and tasks:
//
//	v/<client><at><id>         conversation (JSON), by client and time
//	t/<id>                      task (JSON)
//	tu/<assignee><due><id>      open tasks by assignee and due time
//	tc/<client><id>             tasks by client
//	tr/<ring at><id>            reminders waiting to ring, by time (push.go)

// LogConversation stores a conversation, moves the client's last touch and
// next step, and creates the next-step task when given, in one transaction.
func (s *Store) LogConversation(ctx context.Context, conv *crm.Conversation, next *crm.Task) error {
	return s.update(ctx, func(tx *Tx) error { return tx.logConversation(conv, next) })
}

// logConversation stores conv (and next) and moves the client's last
// touch and next step.
func (tx *Tx) logConversation(conv *crm.Conversation, next *crm.Task) error {
	c, err := tx.client(conv.ClientID)
	if err != nil {
		return err
	}
	old := c.Clone()
	id, err := tx.nextID("conversation")
	if err != nil {
		return err
	}
	conv.ID = id
	if err := tx.put(key("v/", conv.ClientID, conv.At, id), conv); err != nil {
		return err
	}
	if err := tx.set(key("cva/", c.OwnerID, conv.At, conv.ClientID, id), nil); err != nil {
		return err
	}
	if conv.At.After(c.LastTouch) {
		c.LastTouch = conv.At
	}
	if next != nil {
		if err := tx.createTask(next); err != nil {
			return err
		}
		c.NextStep, c.NextStepDue = next.Text, next.Due
	}
	return tx.putClient(old, c)
}

// Conversations returns up to limit of the client's conversations, newest
// first.
func (s *Store) Conversations(ctx context.Context, clientID uint64, limit int) ([]*crm.Conversation, error) {
	var out []*crm.Conversation
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(clientID)
		return tx.scan(key("v/", clientID), true, true, func(_ []byte, item Item) (bool, error) {
			v, err := decode[crm.Conversation](item)
			if err != nil {
				return false, err
			}
			out = append(out, v)
			return limit == 0 || len(out) < limit, nil
		})
	})
	return out, err
}

// ConversationsSince calls fn for each conversation of the client at or
// after since, oldest first.
func (s *Store) ConversationsSince(ctx context.Context, clientID uint64, since time.Time, fn func(*crm.Conversation) bool) error {
	return s.view(ctx, func(tx *Tx) error {
		it := tx.iter(key("v/", clientID), false, true)
		defer it.close()
		for it.seek(key("v/", clientID, since)); it.valid(); it.next() {
			v, err := decode[crm.Conversation](it.item())
			if err != nil {
				return err
			}
			if !fn(v) {
				return nil
			}
		}
		return nil
	})
}

func (tx *Tx) createTask(t *crm.Task) error {
	id, err := tx.nextID("task")
	if err != nil {
		return err
	}
	t.ID = id
	return tx.putTask(nil, t)
}

// taskIndexEntries are the task's index entries: the open-task index,
// which holds the task itself so that an agenda is one range read, the
// client's tasks, and the ring index (an open task with a reminder still
// to ring). Derived from the tasks table on PostgreSQL.
func taskIndexEntries(t *crm.Task) []kvEntry {
	var es []kvEntry
	if t.Open() {
		b, err := json.Marshal(t)
		if err == nil {
			es = append(es, kvEntry{key("tu/", t.AssigneeID, t.Due, t.ID), b})
		}
	}
	if t.ClientID != 0 {
		es = append(es, kvEntry{key("tc/", t.ClientID, t.ID), nil})
	}
	if t.Open() && !t.RingAt.IsZero() {
		es = append(es, kvEntry{ringKey(t.RingAt, t.ID), nil})
	}
	return es
}

func (tx *Tx) putTask(old, t *crm.Task) error {
	if old != nil {
		if err := tx.delEntries(taskIndexEntries(old)); err != nil {
			return err
		}
	}
	if err := tx.setEntries(taskIndexEntries(t)); err != nil {
		return err
	}
	return tx.put(key("t/", t.ID), t)
}

// CreateTask stores a new task.
func (s *Store) CreateTask(ctx context.Context, t *crm.Task) error {
	return s.update(ctx, func(tx *Tx) error { return tx.createTask(t) })
}

// Task returns the task with id.
func (s *Store) Task(ctx context.Context, id uint64) (*crm.Task, error) {
	var t crm.Task
	err := s.view(ctx, func(tx *Tx) error { return tx.get(key("t/", id), &t) })
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// UpdateTask applies fn to the task and stores it. When the task is the
// client's current next step, the client's next step follows it.
func (s *Store) UpdateTask(ctx context.Context, id uint64, fn func(*crm.Task) error) (*crm.Task, error) {
	var out *crm.Task
	err := s.update(ctx, func(tx *Tx) error {
		var old crm.Task
		if err := tx.get(key("t/", id), &old); err != nil {
			return err
		}
		t := old
		if err := fn(&t); err != nil {
			return err
		}
		t.ID = id
		if t.NextStep && t.ClientID != 0 {
			c, err := tx.client(t.ClientID)
			if err != nil {
				return err
			}
			if c.NextStep == old.Text && c.NextStepDue.Equal(old.Due) {
				cc := c.Clone()
				if t.Open() {
					cc.NextStepDue = t.Due
				} else {
					cc.NextStep, cc.NextStepDue = "", time.Time{}
				}
				if err := tx.putClient(c, cc); err != nil {
					return err
				}
			}
		}
		out = &t
		return tx.putTask(&old, &t)
	})
	return out, err
}

// OpenTasks returns the open tasks of the assignees due before before,
// assignee by assignee in the order given and soonest first within one,
// read in one transaction.
func (s *Store) OpenTasks(ctx context.Context, assignees []uint64, before time.Time) ([]*crm.Task, error) {
	var out []*crm.Task
	err := s.view(ctx, func(tx *Tx) error {
		out = out[:0]
		// Each assignee's whole group, read for all of them at once
		// (scanRanges), each walk stopping at before.
		ranges, ends := make([]keyRange, len(assignees)), make([][]byte, len(assignees))
		for i, a := range assignees {
			ranges[i], ends[i] = ownerRange("tu/", a), key("tu/", a, before)
		}
		return tx.scanRanges([]byte("tu/"), false, true, ranges, func(i int, k []byte, item Item) (bool, error) {
			if bytes.Compare(k, ends[i]) >= 0 {
				return false, nil
			}
			t, err := decode[crm.Task](item)
			if err != nil {
				return false, err
			}
			out = append(out, t)
			return true, nil
		})
	})
	return out, err
}

// ClientTasks returns the client's tasks, open ones only when openOnly.
func (s *Store) ClientTasks(ctx context.Context, clientID uint64, openOnly bool) ([]*crm.Task, error) {
	var out []*crm.Task
	err := s.view(ctx, func(tx *Tx) error {
		tx.aboutClient(clientID)
		return tx.scan(key("tc/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
			var t crm.Task
			if err := tx.get(key("t/", tailID(k)), &t); err != nil {
				return false, err
			}
			if !openOnly || t.Open() {
				out = append(out, &t)
			}
			return true, nil
		})
	})
	return out, err
}
