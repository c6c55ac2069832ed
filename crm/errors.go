// Package crm holds accountbot's domain: people and their roles, clients,
// conversations, tasks, claims, deals and the history of changes. It imports
// nothing of the project's own, so every other package can depend on it.
package crm

import (
	"errors"
	"fmt"
)

// Error codes. One place at the edge (the chat router) turns a code and its
// message key into the user's language; everything else only carries them.
const (
	ENOTFOUND    = "not_found"
	EINVALID     = "invalid"
	EFORBIDDEN   = "forbidden"
	ECONFLICT    = "conflict"
	EINTERNAL    = "internal"
	EUNAVAILABLE = "unavailable"
)

// Error is an error that a person may be shown. Key names a translated
// message; Args fill its placeholders. Err, when set, is the cause kept for
// the log only.
type Error struct {
	Code string
	Key  string
	Args map[string]any
	Err  error
}

// Error implements the error interface with text meant for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s %v: %v", e.Code, e.Key, e.Args, e.Err)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Key, e.Args)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and message key; args are pairs of
// placeholder name and value.
func Errorf(code, key string, args ...any) *Error {
	e := &Error{Code: code, Key: key}
	if len(args) > 0 {
		e.Args = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			if k, ok := args[i].(string); ok {
				e.Args[k] = args[i+1]
			}
		}
	}
	return e
}

// Internal wraps an unexpected error so that the person sees a generic
// message while the log keeps the cause.
func Internal(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: EINTERNAL, Key: "error.internal", Err: err}
}

// ErrorCode returns the code of err, EINTERNAL for errors of other kinds and
// "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrNotFound is returned by stores when a record does not exist.
var ErrNotFound = &Error{Code: ENOTFOUND, Key: "error.not_found"}

// IsNotFound reports whether err has the not-found code.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// ErrDuplicate is returned by a store when a delivery that was already
// handled comes again (a platform's retry); the caller drops it silently.
var ErrDuplicate = &Error{Code: ECONFLICT, Key: "error.duplicate"}

// ErrReadOnly is returned by a store asked to write under a read-only
// request (WithReadOnly): nothing was changed.
var ErrReadOnly = &Error{Code: EFORBIDDEN, Key: "error.read_only"}

// ErrDiskFull is returned by a store that refuses a write because its disk
// is (nearly) full: nothing was changed, reading still works.
var ErrDiskFull = &Error{Code: EUNAVAILABLE, Key: "error.disk_full"}
