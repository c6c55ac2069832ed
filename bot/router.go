package bot

import (
	"context"
	"strings"
)

// Route binds command names to a handler.
type Route struct {
	// Names are the command words that select the route, first the English
	// one shown in help, then aliases (Bulgarian among them).
	Names   []string
	Handler Handler
}

// Router picks a handler by command name, in the order routes were added,
// like go-telegram/bot's ordered matching. Text that is no command goes to
// the fallback handler.
type Router struct {
	routes []Route
	byName map[string]Handler
	// conflicts are names claimed by more than one route; see Conflicts.
	conflicts []string
	fallback  Handler
	unknown   func(ctx context.Context, w ReplyWriter, m *Message) error
}

// RouterOption configures a Router.
type RouterOption func(*Router)

// WithFallback sets the handler for text that is not a command.
func WithFallback(h Handler) RouterOption { return func(r *Router) { r.fallback = h } }

// WithUnknown sets the handler for an unknown command.
func WithUnknown(h HandlerFunc) RouterOption { return func(r *Router) { r.unknown = h } }

// NewRouter returns an empty router.
func NewRouter(opts ...RouterOption) *Router {
	r := &Router{byName: map[string]Handler{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Handle adds a route; the first route that claims a name keeps it, and a
// later claim of the same name (in any case) is recorded as a conflict.
func (r *Router) Handle(h Handler, names ...string) {
	r.routes = append(r.routes, Route{Names: names, Handler: h})
	for _, n := range names {
		n = strings.ToLower(n)
		if _, ok := r.byName[n]; ok {
			r.conflicts = append(r.conflicts, n)
			continue
		}
		r.byName[n] = h
	}
}

// Conflicts returns the command names that more than one route claimed, in
// the order they were claimed again. A router built without mistakes has
// none; the service refuses to start with any, because the second command
// would silently never run.
func (r *Router) Conflicts() []string { return r.conflicts }

// Names returns every command name and alias the router knows.
func (r *Router) Names() []string {
	var out []string
	for _, rt := range r.routes {
		out = append(out, rt.Names...)
	}
	return out
}

// Routes returns the routes in order.
func (r *Router) Routes() []Route { return r.routes }

// Lookup returns the handler for a command name.
func (r *Router) Lookup(name string) (Handler, bool) {
	h, ok := r.byName[strings.ToLower(name)]
	return h, ok
}

// ServeChat dispatches m by its command.
func (r *Router) ServeChat(ctx context.Context, w ReplyWriter, m *Message) error {
	cmd, ok := ParseCommand(m.Text)
	if !ok {
		if r.fallback != nil {
			return r.fallback.ServeChat(ctx, w, m)
		}
		return nil
	}
	m.Command = cmd
	if h, ok := r.byName[cmd.Name]; ok {
		return h.ServeChat(ctx, w, m)
	}
	if r.unknown != nil {
		return r.unknown(ctx, w, m)
	}
	return nil
}

// Nearest returns the known name closest to name by edit distance, or "".
func (r *Router) Nearest(name string) string {
	best, bestD := "", 1<<30
	for _, rt := range r.routes {
		for _, n := range rt.Names {
			if d := distance(name, n); d < bestD {
				best, bestD = n, d
			}
		}
	}
	if bestD > max(2, len([]rune(name))/2) {
		return ""
	}
	return best
}

func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
