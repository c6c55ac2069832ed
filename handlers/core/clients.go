package core

import (
	"context"
	"strings"

	"accountbot/crm"
)

// ValidField checks a value typed or imported for the client field key:
// at most 500 characters, an e-mail address with an "@" and no
// separators, a language the bot speaks. Its error is crm.EINVALID in the
// person's words.
func ValidField(key, value string) error {
	if len([]rune(value)) > 500 {
		return crm.Errorf(crm.EINVALID, "client.field_too_long", "field", key)
	}
	switch key {
	case "email":
		if value != "" && (!strings.Contains(value, "@") || strings.ContainsAny(value, " ,;")) {
			return crm.Errorf(crm.EINVALID, "client.bad_email", "value", value)
		}
	case "lang":
		if value != "" && value != "en" && value != "bg" {
			return crm.Errorf(crm.EINVALID, "client.bad_lang", "value", value)
		}
	}
	return nil
}

// TaskMover reads and reassigns a client's tasks (the part of a port
// that moves clients between owners).
type TaskMover interface {
	// ClientTasks returns the client's tasks (only the open ones when
	// openOnly), by id.
	ClientTasks(ctx context.Context, clientID uint64, openOnly bool) ([]*crm.Task, error)
	// UpdateTask applies fn (which may be re-run) to the task with id and
	// stores it; when it is the client's current next step, the client's
	// next step follows it.
	UpdateTask(ctx context.Context, id uint64, fn func(*crm.Task) error) (*crm.Task, error)
}

// MoveOpenTasks gives the open tasks that from has on the client to to:
// what follows a client to its new owner ("/client reassign", an
// import's owner column).
func MoveOpenTasks(ctx context.Context, st TaskMover, clientID, from, to uint64) error {
	tasks, err := st.ClientTasks(ctx, clientID, true)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.AssigneeID != from {
			continue
		}
		if _, err := st.UpdateTask(ctx, t.ID, func(t *crm.Task) error { t.AssigneeID = to; return nil }); err != nil {
			return err
		}
	}
	return nil
}
