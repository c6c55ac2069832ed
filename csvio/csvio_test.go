package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

type result struct {
	rows [][]string
	bad  []string // "line N-M kind"
}

func readAll(t testing.TB, input string, opts ...Option) (*Reader, result, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(input), opts...)
	if err != nil {
		return nil, result{}, err
	}
	var res result
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r, res, nil
		}
		var re *RowError
		if errors.As(err, &re) {
			res.bad = append(res.bad, fmt.Sprintf("%d-%d %s", re.Line, re.EndLine, re.Kind))
			continue
		}
		if err != nil {
			return r, res, err
		}
		res.rows = append(res.rows, row.Values)
	}
}

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		sep    byte
		header []string
		rows   [][]string
		bad    []string
		err    error
	}{
		{
			name: "commas", in: "name,city\nAcme,Sofia\n",
			sep: ',', header: []string{"name", "city"}, rows: [][]string{{"Acme", "Sofia"}},
		},
		{
			name: "semicolons, BOM, CRLF, Cyrillic", in: "\uFEFFиме;град\r\nАкме ООД;София\r\n\"Бета; ЕООД\";Пловдив\r\n",
			sep: ';', header: []string{"име", "град"}, rows: [][]string{{"Акме ООД", "София"}, {"Бета; ЕООД", "Пловдив"}},
		},
		{
			name: "semicolon file whose values have commas", in: "name;city;notes\nAcme;Sofia;a, b, c\n",
			sep: ';', header: []string{"name", "city", "notes"}, rows: [][]string{{"Acme", "Sofia", "a, b, c"}},
		},
		{
			name: "quotes, doubled quotes and line breaks in values",
			in:   "name,notes\n\"Acme \"\"Best\"\" Ltd\",\"line one\nline two\"\nBeta,\"\"\n",
			sep:  ',', header: []string{"name", "notes"},
			rows: [][]string{{"Acme \"Best\" Ltd", "line one\nline two"}, {"Beta", ""}},
		},
		{
			name: "a quote inside an unquoted value is kept", in: "name,size\nScreens,15\" wide\n",
			sep: ',', header: []string{"name", "size"}, rows: [][]string{{"Screens", "15\" wide"}},
		},
		{
			name: "bad rows are reported by line and skipped",
			in:   "name,city\nGood One,Sofia\nToo,Many,Values\n\"Closed\" oops,Varna\nFew\nGood Two,Ruse\n",
			sep:  ',', header: []string{"name", "city"},
			rows: [][]string{{"Good One", "Sofia"}, {"Good Two", "Ruse"}},
			bad:  []string{"3-3 fields", "4-4 after_quote", "5-5 fields"},
		},
		{
			name: "an unclosed quote at the end",
			in:   "name,city\nGood,Sofia\nBad,\"Varna\nstill bad\n",
			sep:  ',', header: []string{"name", "city"}, rows: [][]string{{"Good", "Sofia"}},
			bad: []string{"3-3 quote", "4-4 fields"},
		},
		{
			name: "blank lines and rows of separators are skipped",
			in:   "\n\nname,city\n\nAcme,Sofia\n,\n ,  \n",
			sep:  ',', header: []string{"name", "city"}, rows: [][]string{{"Acme", "Sofia"}},
		},
		{
			name: "no final line break", in: "name\nAcme",
			sep: ',', header: []string{"name"}, rows: [][]string{{"Acme"}},
		},
		{
			name: "invalid UTF-8 in a row (a Windows-1251 file)", in: "name,city\nAcme,\xd1\xee\xf4\xe8\xff\nBeta,Ruse\n",
			sep: ',', header: []string{"name", "city"}, rows: [][]string{{"Beta", "Ruse"}}, bad: []string{"2-2 utf8"},
		},
		{name: "empty", in: "", err: ErrEmpty},
		{name: "only blank lines", in: "\n\r\n\n", err: ErrEmpty},
		{name: "UTF-16", in: "\xff\xfen\x00a\x00", err: ErrUTF16},
		{name: "binary", in: "\x89PNG\r\n\x1a\n\x00\x00", err: ErrNotText},
		{name: "broken header", in: "name,\"city\n", err: ErrHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, res, err := readAll(t, tc.in)
			if tc.err != nil || err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if r.Separator() != tc.sep {
				t.Errorf("separator %q, want %q", r.Separator(), tc.sep)
			}
			if !reflect.DeepEqual(r.Header(), tc.header) {
				t.Errorf("header %q, want %q", r.Header(), tc.header)
			}
			if !reflect.DeepEqual(res.rows, tc.rows) {
				t.Errorf("rows %q, want %q", res.rows, tc.rows)
			}
			if !reflect.DeepEqual(res.bad, tc.bad) {
				t.Errorf("bad rows %q, want %q", res.bad, tc.bad)
			}
		})
	}
}

// Oversized input: a file over the limit stops with ErrTooLarge; rows over
// the record limit, and ten thousand rows of bad quoting, are reported and
// skipped without the reader ever holding more than a row.
func TestReaderBoundedOnOversizedInput(t *testing.T) {
	t.Run("file over the limit", func(t *testing.T) {
		big := "name,notes\n" + strings.Repeat("Acme,"+strings.Repeat("x", 1000)+"\n", 20<<10) // ~20 MB
		_, _, err := readAll(t, big)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err %v, want ErrTooLarge", err)
		}
	})
	t.Run("a row over the limit", func(t *testing.T) {
		in := "name,notes\nHuge," + strings.Repeat("x", 200<<10) + "\nSmall,ok\n"
		_, res, err := readAll(t, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.rows) != 1 || !reflect.DeepEqual(res.bad, []string{"2-2 too_long"}) {
			t.Errorf("rows %q bad %q", res.rows, res.bad)
		}
	})
	t.Run("an open quote does not swallow the file", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("name,notes\nOpen,\"never closed\n")
		for i := range 5000 {
			fmt.Fprintf(&b, "Row %d,fine\n", i)
		}
		_, res, err := readAll(t, b.String())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.bad) != 1 || !strings.HasSuffix(res.bad[0], "quote") {
			t.Fatalf("bad %q", res.bad)
		}
		// The rows after the open quote are read again.
		if len(res.rows) != 5000 || res.bad[0] != "2-2 quote" {
			t.Errorf("%d rows after the open quote, bad %q; want 5000, [2-2 quote]", len(res.rows), res.bad)
		}
	})
	t.Run("ten thousand rows of bad quoting", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("name,city\n")
		for i := range 10000 {
			fmt.Fprintf(&b, "\"Client %d\" Ltd,\"Sofia\n", i)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, res, err := readAll(t, b.String())
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.rows) != 0 || len(res.bad) != 10000 {
			t.Errorf("%d rows, %d bad; want 0 and 10000", len(res.rows), len(res.bad))
		}
		if res.bad[0] != "2-2 after_quote" || res.bad[9999] != "10001-10001 after_quote" {
			t.Errorf("first and last bad: %q %q", res.bad[0], res.bad[9999])
		}
		if live := int64(after.HeapInuse) - int64(before.HeapInuse); live > 32<<20 {
			t.Errorf("heap grew by %d MB", live>>20)
		}
	})
}

func TestEscapeRoundTrip(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"@SUM(A1)":                 "'@SUM(A1)",
		"+cmd|' /C calc'!A0":       "'+cmd|' /C calc'!A0",
		"-2+3+cmd|' /C calc'!A0":   "'-2+3+cmd|' /C calc'!A0",
		"+359 88 123 4567":         "+359 88 123 4567",
		"+44 (20) 7946 0000":       "+44 (20) 7946 0000",
		"-2+3":                     "'-2+3",
		"+1+1":                     "'+1+1",
		"-1-1":                     "'-1-1",
		"+5*2":                     "'+5*2",
		"-A1":                      "'-A1",
		"+":                        "'+",
		"-3.5e2":                   "'-3.5e2",
		"\tcmd":                    "'\tcmd",
		"\r=1+1":                   "'\r=1+1",
		"\n=1+1":                   "'\n=1+1",
		"+3":                       "+3",
		"-15.5":                    "-15.5",
		"'=kept":                   "''=kept",
		"'plain":                   "'plain",
		"Acme":                     "Acme",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		if back := Unescape(Escape(in)); back != in {
			t.Errorf("Unescape(Escape(%q)) = %q", in, back)
		}
	}
}

func TestClientSchema(t *testing.T) {
	s, err := NewClientSchema([]string{"Име", " Град ", "Собственик", "Notes", ""})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Parse([]string{" Акме ", "София", "@Мария", "'=1+1", "ignored"})
	if r.Name != "Акме" || r.Owner != "@Мария" || r.Fields["city"] != "София" || r.Fields["notes"] != "=1+1" || len(r.Fields) != 2 {
		t.Errorf("parsed %+v", r)
	}
	if _, err := NewClientSchema([]string{"city", "phone"}); !errors.Is(err, ErrNoNameColumn) {
		t.Errorf("no name column: %v", err)
	}
	var dup *DuplicateColumnError
	if _, err := NewClientSchema([]string{"name", "City", "град"}); !errors.As(err, &dup) {
		t.Errorf("duplicate column: %v", err)
	}
}

// FuzzReader feeds arbitrary bytes to the reader: it must never panic,
// always end, keep to its limits, and give rows of the header's width in
// valid UTF-8 with line numbers that only go up.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"name,city\nAcme,Sofia\n",
		"\uFEFFиме;град\r\nАкме;София\r\n",
		"name,notes\n\"a\"\"b\",\"x\ny\"\n",
		"name\n\"open\n",
		"name,city\n\"x\" y,z\n",
		"a;b,c\n1;2,3\n",
		"\xff\xfe",
		",,,\n,,,\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), WithMaxBytes(1<<20), WithMaxRecordBytes(256))
		if err != nil {
			return
		}
		last := 0
		for range len(data) + 2 {
			row, err := r.Next()
			if errors.Is(err, io.EOF) || errors.Is(err, ErrTooLarge) {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Line <= last || re.EndLine < re.Line {
					t.Fatalf("bad row lines %d-%d after line %d", re.Line, re.EndLine, last)
				}
				last = re.EndLine
				continue
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if row.Line <= last || row.EndLine < row.Line {
				t.Fatalf("row lines %d-%d after line %d", row.Line, row.EndLine, last)
			}
			last = row.EndLine
			if len(row.Values) != len(r.Header()) {
				t.Fatalf("row of %d values under a header of %d", len(row.Values), len(r.Header()))
			}
			size := 0
			for _, v := range row.Values {
				size += len(v)
				if !utf8.ValidString(v) {
					t.Fatalf("invalid UTF-8 value %q", v)
				}
			}
			if size > 256 {
				t.Fatalf("row of %d bytes over the 256-byte limit", size)
			}
		}
		t.Fatal("the reader did not end")
	})
}

// FuzzRoundTrip: whatever values are written, the reader gives them back.
func FuzzRoundTrip(f *testing.F) {
	f.Add("Acme", "Sofia, Bulgaria", "=1+1")
	f.Add("Бета \"ООД\"", "line\nbreak", "'+x")
	f.Add("a;b", "", " spaced ")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || !utf8.ValidString(c) {
			return
		}
		row := []string{a, b, c}
		if blank(row) {
			return // blank rows are skipped by design
		}
		var buf bytes.Buffer
		w := NewWriter(&buf, WithBOM())
		if err := w.Write([]string{"one", "two", "three"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Next()
		if err != nil {
			t.Fatalf("reading back %q: %v", buf.String(), err)
		}
		for i := range row {
			want := strings.ReplaceAll(row[i], "\r\n", "\n") // csv.Writer writes \r\n inside quotes as is; reading lines folds it
			if Unescape(got.Values[i]) != want && Unescape(got.Values[i]) != row[i] {
				t.Fatalf("value %d: wrote %q, read %q", i, row[i], Unescape(got.Values[i]))
			}
		}
	})
}

func BenchmarkReader50k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("name,segment,city,owner,contact,phone,email,notes\n")
	for i := range 50000 {
		fmt.Fprintf(&sb, "Клиент %06d ООД,retail,София,,\"Иван Петров\",+359 88 %06d,office%d@example.bg,\"note, with comma\"\n", i, i, i)
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := NewReader(strings.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 50000 {
			b.Fatalf("%d rows", n)
		}
	}
}
