package csvio

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"accountbot/crm"
	"accountbot/i18n"
)

// ClientColumns are the known columns of the client CSV (CONTRACT.md), in
// the order exports write them; custom fields follow, by name.
var ClientColumns = []string{"name", "segment", "industry", "size", "city", "need", "level", "focus", "status", "lang", "source", "owner", "contact", "phone", "email", "rating"}

// columnAliases are other names people give the known columns, Bulgarian
// ones among them: "words.import.column.NAME" in the translation files,
// read once.
var columnAliases = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	cat, err := i18n.Default()
	if err != nil {
		return m // the i18n tests keep the files loading
	}
	for _, c := range ClientColumns {
		for _, w := range cat.Words(i18n.WordsPrefix + "import.column." + c) {
			m[w] = c
		}
	}
	return m
})

// ColumnKey returns the field a header cell names: a known column (by its
// English or Bulgarian name, any case) or, for any other text, a custom
// field of that name in lower case. It returns "" for an empty cell.
func ColumnKey(cell string) string {
	k := strings.ToLower(strings.Join(strings.Fields(cell), " "))
	if a, ok := columnAliases()[k]; ok {
		return a
	}
	return k
}

// ErrNoNameColumn is returned for a header without a name column.
var ErrNoNameColumn = errors.New("the header has no name column")

// DuplicateColumnError is a header naming one field twice.
type DuplicateColumnError struct{ Column string }

func (e *DuplicateColumnError) Error() string {
	return fmt.Sprintf("the column %q appears twice in the header", e.Column)
}

// ClientSchema maps the columns of a client CSV to fields.
type ClientSchema struct {
	keys []string // per column; "" for a column without a name
}

// NewClientSchema reads a client CSV header.
func NewClientSchema(header []string) (*ClientSchema, error) {
	s := &ClientSchema{keys: make([]string, len(header))}
	seen := map[string]bool{}
	for i, h := range header {
		k := ColumnKey(Unescape(h))
		if k == "" {
			continue
		}
		if seen[k] {
			return nil, &DuplicateColumnError{Column: strings.TrimSpace(h)}
		}
		seen[k] = true
		s.keys[i] = k
	}
	if !seen["name"] {
		return nil, ErrNoNameColumn
	}
	return s, nil
}

// ClientRow is one row of a client CSV, values trimmed.
type ClientRow struct {
	Name  string
	Owner string
	// Fields are the other non-empty values by field (known or custom).
	Fields map[string]string
	// Keys are the fields in column order.
	Keys []string
}

// Parse maps a row's values to fields.
func (s *ClientSchema) Parse(values []string) ClientRow {
	r := ClientRow{Fields: map[string]string{}}
	for i, v := range values {
		if i >= len(s.keys) || s.keys[i] == "" {
			continue
		}
		// The same cleaning as typed text: NFC, no control, bidi or
		// zero-width characters (crm.CleanText).
		v = strings.TrimSpace(crm.CleanText(Unescape(v)))
		switch k := s.keys[i]; k {
		case "name":
			r.Name = v
		case "owner":
			r.Owner = v
		default:
			if v != "" {
				r.Fields[k] = v
				r.Keys = append(r.Keys, k)
			}
		}
	}
	return r
}

// ClientHeader returns the header of a client export: the known columns,
// then the custom fields, sorted.
func ClientHeader(custom []string) []string {
	h := append([]string(nil), ClientColumns...)
	var extra []string
	for _, k := range custom {
		if !isKnownColumn(k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	return append(h, extra...)
}

func isKnownColumn(k string) bool {
	for _, c := range ClientColumns {
		if c == k {
			return true
		}
	}
	return false
}

// ClientRecord returns c's values in the order of header; owner is the
// text of the owner column.
func ClientRecord(c *crm.Client, owner string, header []string) []string {
	out := make([]string, len(header))
	for i, k := range header {
		if k == "owner" {
			out[i] = owner
			continue
		}
		out[i] = c.Field(k)
	}
	return out
}
