package handlers

import (
	"strconv"
	"strings"

	"accountbot/bot"
)

// Lists page: a list longer than its page ends in "… and N more" and a
// "More" button that shows the next page in place of this one (and "Back"
// the one before). The button repeats the command with page=OFFSET, which
// the command wrapper takes off before the handler runs, so every command
// pages the same way without parsing it. A handler that reads its store
// page by page can pass r.page(n).Offset and .Limit down.

// pageKeys are the words of the page argument ("page=30", "стр=30").
var pageKeys = []string{"page", "стр", "страница"}

// takePage removes a trailing page=N from a command and returns N; ok
// is false without one.
func takePage(m *bot.Message) (offset int, ok bool) {
	n := len(m.Command.Args)
	if n == 0 {
		return 0, false
	}
	k, v, ok := strings.Cut(m.Command.Args[n-1], "=")
	if !ok || !contains(pageKeys, strings.ToLower(k)) {
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

// page is the part of a list one reply shows.
type page struct {
	Offset, Limit int
}

// End is the index after the page's last item.
func (p page) End() int { return p.Offset + p.Limit }

// Has reports whether item i is on the page.
func (p page) Has(i int) bool { return i >= p.Offset && i < p.End() }

// page returns the page of limit items the request asks for.
func (r *request) page(limit int) page { return page{Offset: r.offset, Limit: limit} }

// paged reports whether the request asked for a page after the first, so
// that its reply replaces the page before.
func (r *request) paged() bool { return r.Button && r.hasPage }

// pageButtons returns the Back / More row for a list of total items shown
// through p; nil when it fits one page.
func (r *request) pageButtons(p page, total int) [][]bot.Button {
	var row []bot.Button
	if p.Offset > 0 {
		row = append(row, bot.Button{Label: "‹ " + r.t("list.prev"), Data: r.pageCommand(max(0, p.Offset-p.Limit))})
	}
	if p.End() < total {
		row = append(row, bot.Button{Label: r.t("list.next", "count", total-p.End()) + " ›", Data: r.pageCommand(p.End())})
	}
	if len(row) == 0 {
		return nil
	}
	return [][]bot.Button{row}
}

// pageCommand is the command typed, asking for the page at offset.
func (r *request) pageCommand(offset int) string {
	return strings.TrimSpace(r.Text) + " page=" + strconv.Itoa(offset)
}

// pageOf returns the items of list on p, and the line that says how many
// follow ("" when none).
func pageOf[T any](r *request, list []T, p page) ([]T, string) {
	if p.Offset >= len(list) {
		p.Offset = max(0, len(list)-p.Limit)
	}
	end := min(p.End(), len(list))
	more := ""
	if end < len(list) {
		more = r.t("list.more", "count", len(list)-end)
	}
	return list[p.Offset:end], more
}
