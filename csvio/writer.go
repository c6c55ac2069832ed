package csvio

import (
	"encoding/csv"
	"io"
	"strings"
)

// Writer writes a table as CSV: "," between values, RFC 4180 quoting, "\n"
// line ends. Every table export (clients, deals, claims…) goes through it,
// so they all read back the same way.
type Writer struct {
	w   *csv.Writer
	out io.Writer
	bom bool
	n   int
}

// WriterOption configures a Writer.
type WriterOption func(*Writer)

// WithBOM starts the file with a UTF-8 byte-order mark, so that Excel
// reads Cyrillic right when the file is opened with a double click.
func WithBOM() WriterOption { return func(w *Writer) { w.bom = true } }

// NewWriter returns a Writer to out.
func NewWriter(out io.Writer, opts ...WriterOption) *Writer {
	w := &Writer{w: csv.NewWriter(out), out: out}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Write writes one row (the header first). Values that a spreadsheet would
// run as a formula are guarded (see Escape).
func (w *Writer) Write(values []string) error {
	if w.n == 0 && w.bom {
		w.w.Flush()
		if _, err := io.WriteString(w.out, "\uFEFF"); err != nil {
			return err
		}
	}
	w.n++
	row := make([]string, len(values))
	for i, v := range values {
		row[i] = Escape(v)
	}
	return w.w.Write(row)
}

// Rows returns how many rows were written after the header.
func (w *Writer) Rows() int { return max(0, w.n-1) }

// Flush writes what is buffered and reports any error of the writes.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Escape guards a value against CSV injection: a spreadsheet runs a cell
// that starts with "=", "@", "+" or "-" as a formula (which can start
// programs), so such a value gets a leading apostrophe. Numbers and phone
// numbers ("+359 88 123 4567", "-5") are left alone. Unescape reverses it,
// and a value that itself starts with an apostrophe before one of those
// characters gets a second one, so every value reads back exactly.
func Escape(v string) string {
	if v == "" {
		return v
	}
	switch c := v[0]; {
	case c == '=' || c == '@' || c == '\t' || c == '\r' || c == '\n':
		return "'" + v
	case c == '+' || c == '-':
		if !plainNumber(v) {
			return "'" + v
		}
	case c == '\'' && len(v) > 1 && strings.IndexByte(guarded, v[1]) >= 0:
		return "'" + v
	}
	return v
}

// plainNumber reports whether v, which starts with "+" or "-", is a
// signed number ("-15.5", "+3") or a telephone number ("+359 88 123 4567",
// "+44 (20) 7946 0000"): nothing a spreadsheet computes. Anything with a
// further operator ("-2+3") or other characters is a formula to guard.
func plainNumber(v string) bool {
	rest := v[1:]
	if rest == "" {
		return false
	}
	number := true
	for i, c := range rest {
		if (c < '0' || c > '9') && !((c == '.' || c == ',') && i > 0) {
			number = false
			break
		}
	}
	if number {
		return true
	}
	digits := 0
	for _, c := range rest {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return v[0] == '+' && digits >= 6
}

// guarded are the characters after a leading apostrophe that Unescape
// removes it before.
const guarded = "=@+-\t\r\n'"

// Unescape removes the apostrophe that Escape added.
func Unescape(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.IndexByte(guarded, v[1]) >= 0 {
		return v[1:]
	}
	return v
}
