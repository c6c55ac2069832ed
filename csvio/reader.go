// Package csvio reads and writes the CSV files people exchange with
// spreadsheets: a header row, UTF-8 with or without a byte-order mark, ","
// or ";" between values (detected), quotes as RFC 4180 has them.
//
// The reader is made for files written by hand or by other programs: a bad
// row is reported with its line number and skipped, and the rows after it
// are read as usual. Memory stays bounded whatever the input: a row is at
// most MaxRecordBytes, a file at most MaxBytes.
package csvio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits of the reader, unless changed by options.
const (
	// DefaultMaxBytes is the largest file read.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxRecordBytes is the largest row, quoted line breaks included.
	DefaultMaxRecordBytes = 64 << 10
	// DefaultMaxFields is the most columns a header may have.
	DefaultMaxFields = 200
)

// Kinds of a bad row (RowError.Kind).
const (
	// KindQuote: a quoted value is not closed.
	KindQuote = "quote"
	// KindAfterQuote: text follows a closing quote.
	KindAfterQuote = "after_quote"
	// KindFields: the row has another number of values than the header.
	KindFields = "fields"
	// KindUTF8: the row is not valid UTF-8.
	KindUTF8 = "utf8"
	// KindTooLong: the row is longer than the limit.
	KindTooLong = "too_long"
)

// RowError is a bad row: the reader skipped it and goes on.
type RowError struct {
	// Line is the row's first line; EndLine its last (they differ when a
	// quoted value spans lines).
	Line, EndLine int
	Kind          string
	// Got and Want are the number of values and of columns (KindFields).
	Got, Want int
}

func (e *RowError) Error() string {
	switch e.Kind {
	case KindFields:
		return fmt.Sprintf("line %d: %d values, but the header has %d columns", e.Line, e.Got, e.Want)
	case KindQuote:
		return fmt.Sprintf("line %d: a quoted value is not closed", e.Line)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Kind)
}

// File-level errors: the file cannot be read as a CSV at all.
var (
	ErrEmpty    = errors.New("the file is empty")
	ErrTooLarge = errors.New("the file is too large")
	ErrUTF16    = errors.New("the file is UTF-16; save it as CSV UTF-8")
	ErrNotText  = errors.New("the file is not CSV text in UTF-8")
	ErrHeader   = errors.New("the header row cannot be read")
)

// Option changes a reader's limits.
type Option func(*Reader)

// WithMaxBytes sets the largest file read.
func WithMaxBytes(n int64) Option { return func(r *Reader) { r.maxBytes = n } }

// WithMaxRecordBytes sets the largest row.
func WithMaxRecordBytes(n int) Option { return func(r *Reader) { r.maxRecord = n } }

// Reader reads rows after a header.
type Reader struct {
	br        *bufio.Reader
	sep       byte
	header    []string
	line      int   // physical lines read so far
	offset    int64 // bytes read so far
	maxBytes  int64
	maxRecord int
	maxFields int
	eof       bool
	// again are lines to read again: those after an opening quote that
	// was never closed.
	again [][]byte
}

// Row is one good row.
type Row struct {
	Line, EndLine int
	Values        []string
}

// NewReader reads the header row: it strips a UTF-8 byte-order mark,
// refuses UTF-16, and picks the separator that the header uses most.
func NewReader(r io.Reader, opts ...Option) (*Reader, error) {
	cr := &Reader{br: bufio.NewReaderSize(r, 64<<10), maxBytes: DefaultMaxBytes, maxRecord: DefaultMaxRecordBytes, maxFields: DefaultMaxFields}
	for _, o := range opts {
		o(cr)
	}
	head, _ := cr.br.Peek(3)
	switch {
	case len(head) == 0:
		return nil, ErrEmpty
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		cr.br.Discard(3)
		cr.offset = 3
	case len(head) >= 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF):
		return nil, ErrUTF16
	}
	// The header is read like any row, once the separator is known from
	// its first line.
	for {
		first, err := cr.readLine()
		if err != nil {
			return nil, err
		}
		if first == nil {
			return nil, ErrEmpty
		}
		if len(bytes.TrimSpace(first)) == 0 {
			continue // blank lines before the header
		}
		if bytes.IndexByte(first, 0) >= 0 || !utf8.Valid(first) {
			return nil, ErrNotText
		}
		cr.sep = sniff(first)
		cr.again = [][]byte{first}
		cr.line--
		break
	}
	row, err := cr.next(0)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrEmpty
		}
		var re *RowError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%w: %v", ErrHeader, re)
		}
		return nil, err
	}
	if len(row.Values) > cr.maxFields {
		return nil, fmt.Errorf("%w: more than %d columns", ErrHeader, cr.maxFields)
	}
	cr.header = row.Values
	return cr, nil
}

// sniff returns ";" when the line has more semicolons than commas outside
// quotes, else ",".
func sniff(line []byte) byte {
	commas, semis, inQuote := 0, 0, false
	for _, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == ',':
			commas++
		case c == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// Header returns the header's values as written.
func (r *Reader) Header() []string { return r.header }

// Separator returns the detected separator.
func (r *Reader) Separator() byte { return r.sep }

// Offset returns how many bytes of the input were read, for progress.
func (r *Reader) Offset() int64 { return r.offset }

// Next returns the next good row, a *RowError for a bad one (call Next
// again for the rows after it), io.EOF at the end, or ErrTooLarge. Blank
// lines are skipped.
func (r *Reader) Next() (Row, error) {
	return r.next(len(r.header))
}

func (r *Reader) next(want int) (Row, error) {
	for {
		row, err := r.record()
		if err != nil {
			return Row{}, err
		}
		if blank(row.Values) {
			continue
		}
		if want > 0 && len(row.Values) != want {
			return Row{}, &RowError{Line: row.Line, EndLine: row.EndLine, Kind: KindFields, Got: len(row.Values), Want: want}
		}
		for _, v := range row.Values {
			if !utf8.ValidString(v) {
				return Row{}, &RowError{Line: row.Line, EndLine: row.EndLine, Kind: KindUTF8}
			}
		}
		return row, nil
	}
}

// blank reports whether every value is empty: a blank line, or a row of
// separators only, as spreadsheets leave at the end.
func blank(values []string) bool {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// readLine returns the next physical line without its line break, nil at
// the end. A line longer than the record limit is returned cut to the
// limit plus one byte, the rest discarded, so the caller sees it is too
// long without holding it.
func (r *Reader) readLine() ([]byte, error) {
	if len(r.again) > 0 {
		l := r.again[0]
		r.again = r.again[1:]
		r.line++
		return l, nil
	}
	if r.eof {
		return nil, nil
	}
	var line []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.offset += int64(len(chunk))
		if r.offset > r.maxBytes {
			return nil, ErrTooLarge
		}
		if len(line) <= r.maxRecord {
			room := r.maxRecord + 1 - len(line)
			line = append(line, chunk[:min(len(chunk), room)]...)
		}
		switch {
		case err == nil:
			r.line++
			return trimEOL(line), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			r.eof = true
			if len(line) == 0 {
				return nil, nil
			}
			r.line++
			return trimEOL(line), nil
		default:
			return nil, err
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// record reads one logical row: a quoted value may hold line breaks, up to
// the record limit. A bad row is skipped to the end of the line where the
// problem was found, except a quote never closed (up to the limit or the
// end of the file): only its line is bad, and the lines after it are read
// again as rows of their own, so one stray quote costs one row.
func (r *Reader) record() (Row, error) {
	line, err := r.readLine()
	if err != nil {
		return Row{}, err
	}
	if line == nil {
		return Row{}, io.EOF
	}
	start := r.line
	bad := func(kind string) (Row, error) {
		return Row{}, &RowError{Line: start, EndLine: r.line, Kind: kind}
	}
	var (
		values  []string
		field   []byte
		size    = len(line)
		quoted  bool // inside a quoted value
		closed  bool // after the closing quote of a value
		atStart = true
		// more are the lines read after the first, kept to be read again
		// if the quote turns out never to close.
		more [][]byte
	)
	unclosed := func() (Row, error) {
		r.again = append(more, r.again...)
		r.line -= len(more)
		return Row{}, &RowError{Line: start, EndLine: start, Kind: KindQuote}
	}
	for {
		if size > r.maxRecord {
			return bad(KindTooLong)
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case quoted:
				if c != '"' {
					field = append(field, c)
					continue
				}
				if i+1 < len(line) && line[i+1] == '"' {
					field = append(field, '"')
					i++
					continue
				}
				quoted, closed = false, true
			case c == r.sep:
				values = append(values, string(field))
				field, closed, atStart = field[:0], false, true
				continue
			case closed:
				return bad(KindAfterQuote)
			case c == '"' && atStart:
				quoted = true
			default:
				// A quote inside an unquoted value is kept as it is:
				// people write 15" screen.
				field = append(field, c)
			}
			atStart = false
		}
		if !quoted {
			values = append(values, string(field))
			if len(values) > r.maxFields {
				return Row{}, &RowError{Line: start, EndLine: r.line, Kind: KindFields, Got: len(values), Want: len(r.header)}
			}
			return Row{Line: start, EndLine: r.line, Values: values}, nil
		}
		// The quoted value goes on on the next line.
		next, err := r.readLine()
		if err != nil {
			return Row{}, err
		}
		if next == nil {
			return unclosed()
		}
		more = append(more, bytes.Clone(next))
		field = append(field, '\n')
		size += len(next) + 1
		if size > r.maxRecord {
			return unclosed()
		}
		line = next
	}
}
