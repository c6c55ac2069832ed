package core

import (
	"strconv"
	"strings"

	"accountbot/bot"
	"accountbot/i18n"
)

// Lists page: a list longer than its page ends in "… and N more" and a
// "More" button that shows the next page in place of this one (and "Back"
// the one before). The button repeats the command with page=OFFSET, which
// the command wrapper takes off before the handler runs, so every command
// pages the same way without parsing it. A handler that reads its store
// page by page can pass r.Page(n).Offset and .Limit down.

// PageWords is the vocabulary entry of the page argument's key ("page=30",
// "стр=30").
const PageWords = i18n.WordsPrefix + "page.key"

// TakePage removes a trailing page=N (N=, a form of PageWords in cat) from
// a command and returns N; ok is false without one. It runs before the
// command's request exists.
func TakePage(m *bot.Message, cat *i18n.Catalog) (offset int, ok bool) {
	n := len(m.Command.Args)
	if n == 0 {
		return 0, false
	}
	k, v, ok := strings.Cut(m.Command.Args[n-1], "=")
	if !ok || !cat.IsWord(PageWords, k) {
		return 0, false
	}
	off, err := strconv.Atoi(v)
	if err != nil || off < 0 || off > 1<<20 {
		return 0, false
	}
	m.Command.Args = m.Command.Args[:n-1]
	if i := strings.LastIndex(m.Command.Rest, k+"="+v); i >= 0 {
		m.Command.Rest = strings.TrimSpace(m.Command.Rest[:i])
	}
	if i := strings.LastIndex(m.Text, k+"="+v); i >= 0 {
		m.Text = strings.TrimSpace(m.Text[:i])
	}
	return off, true
}

// Page is the part of a list one reply shows.
type Page struct {
	Offset, Limit int
}

// End is the index after the page's last item.
func (p Page) End() int { return p.Offset + p.Limit }

// Has reports whether item i is on the page.
func (p Page) Has(i int) bool { return i >= p.Offset && i < p.End() }

// Page returns the page of limit items the request asks for.
func (r *Request) Page(limit int) Page { return Page{Offset: r.Offset, Limit: limit} }

// Paged reports whether the request asked for a page after the first, so
// that its reply replaces the page before.
func (r *Request) Paged() bool { return r.Button && r.HasPage }

// PageButtons returns the Back / More row for a list of total items shown
// through p; nil when it fits one page.
func (r *Request) PageButtons(p Page, total int) [][]bot.Button {
	var row []bot.Button
	if p.Offset > 0 {
		row = append(row, bot.Button{Label: "‹ " + r.T("list.prev"), Data: r.PageCommand(max(0, p.Offset-p.Limit))})
	}
	if p.End() < total {
		row = append(row, bot.Button{Label: r.T("list.next", "count", total-p.End()) + " ›", Data: r.PageCommand(p.End())})
	}
	if len(row) == 0 {
		return nil
	}
	return [][]bot.Button{row}
}

// PageCommand is the command typed, asking for the page at offset.
func (r *Request) PageCommand(offset int) string {
	return strings.TrimSpace(r.Text) + " page=" + strconv.Itoa(offset)
}

// PageOf returns the items of list on p, and the line that says how many
// follow ("" when none).
func PageOf[T any](r *Request, list []T, p Page) ([]T, string) {
	if p.Offset >= len(list) {
		p.Offset = max(0, len(list)-p.Limit)
	}
	end := min(p.End(), len(list))
	more := ""
	if end < len(list) {
		more = r.T("list.more", "count", len(list)-end)
	}
	return list[p.Offset:end], more
}

// Range returns the indexes [from, to) of the n items of a list that p
// shows (none when p starts past the end), and the line that says how
// many follow ("" when none): for a list whose lines are built item by
// item.
func (r *Request) Range(p Page, n int) (from, to int, more string) {
	from, to = min(p.Offset, n), min(p.End(), n)
	if p.End() < n {
		more = r.T("list.more", "count", n-p.End())
	}
	return from, to, more
}
