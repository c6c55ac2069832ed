package core

import (
	"context"
	"time"

	"accountbot/crm"
	"accountbot/dates"
)

// DigestScope is what one digest covers and for whom. Its request speaks
// the reader's language and time zone and holds the rights of Subject
// (Me is the subject), so sections can use r.T, r.FmtDate and
// r.RightsOver as in any command.
type DigestScope struct {
	*Request
	// Reader gets the digest; Subject is whose scope it shows: the reader,
	// or the absent person the reader stands in for.
	Reader, Subject *crm.Person
	// Owners are the people whose work the digest covers, by id: a
	// supervisor's reports, everyone for a head, the manager themselves.
	Owners []uint64
	Period DigestPeriod
	// Full is set for the detailed digest behind the button.
	Full bool
}

// Personal reports whether the digest covers the subject's own work only.
func (sc *DigestScope) Personal() bool {
	return len(sc.Owners) == 1 && sc.Owners[0] == sc.Subject.ID
}

// DigestSection adds one part to a digest. It reads what sc covers (the
// people sc.Owners, seen with the rights of sc.Subject, in sc.Period) and
// returns lines, "needs you" items, per-person figures and chart data; nil
// when it has nothing to say. It writes in the reader's language (sc.T,
// sc.FmtDate) and never formats for a platform.
type DigestSection func(ctx context.Context, sc *DigestScope) (*DigestPart, error)

// DigestPart is what a section adds to a digest.
type DigestPart struct {
	// Lines are the section's summary, under the team totals. Keep to a
	// few lines: the digest fits one phone screen.
	Lines []string
	// Detail are more lines, shown only in the detailed digest.
	Detail []string
	// Needs are items for the "needs you" list at the top.
	Needs []DigestNeed
	// PerOwner is a short figure appended to a person's row ("claims 2").
	PerOwner map[uint64]string
	// OwnerDetail are lines under a person's row in the detailed digest.
	OwnerDetail map[uint64][]string
	// Charts are drawn into the digest's image (none: no image).
	Charts []DigestChart
}

// DigestDetailItems is how many items a list of the detailed digest
// shows before "N more" (stale clients, stuck deals…).
const DigestDetailItems = 5

// DigestPeriod is the time a digest covers.
type DigestPeriod struct {
	// Kind is crm.DigestDaily or crm.DigestWeekly.
	Kind string
	// Day is the digest's day: midnight in the reader's time zone.
	Day time.Time
	// From and To bound "in the period": [From, To). A scheduled digest
	// covers whole days before Day; one asked for without a date runs to
	// the moment it was asked.
	From, To time.Time
}

// Weekly reports whether the period is a week.
func (p DigestPeriod) Weekly() bool { return p.Kind == crm.DigestWeekly }

// DigestNeed is one item of the "needs you" list.
type DigestNeed struct {
	// Rank orders the list, highest first (see the NeedRank constants).
	Rank int
	// Since orders items of one rank, oldest first.
	Since time.Time
	Text  string
	// ClientID and Write, when Write is set, write Text from the client's
	// name once the list is sorted, for the items shown only: the names of
	// items the digest leaves out are never read.
	ClientID uint64
	Write    func(client string) string
}

// Ranks of "needs you" items: what can least wait comes first.
const (
	NeedRankBreach   = 100 // a claim's SLA is breached
	NeedRankSlipping = 90  // a big deal is slipping
	NeedRankOverdue  = 50  // overdue tasks and next steps
	NeedRankInactive = 40  // a manager logged nothing for 3 working days
)

// DigestChart is the data of one chart in the digest image: one group of
// bars per category, one bar per series (or one line per series).
type DigestChart struct {
	Title      string
	Categories []string
	Series     []ChartSeries
	// Lines draws lines instead of grouped bars.
	Lines bool
}

// ChartSeries is one named row of values, one per category.
type ChartSeries struct {
	Name   string
	Values []float64
	// Muted draws the series in grey: the earlier period in a comparison.
	Muted bool
}

// SnapshotSource returns the rows of the day's snapshot of one kind (for
// the pipeline: totals per person, stage and currency). day is midnight in
// the company time zone (Kit.TZ).
type SnapshotSource func(ctx context.Context, day time.Time) ([]crm.SnapshotRow, error)

// SnapshotReader reads the stored daily snapshots: the part of a family's
// port that its digest section compares against.
type SnapshotReader interface {
	// SnapshotRows returns the rows of day's snapshot of kind for people
	// (everyone for nil), by person, and whether that snapshot was taken
	// at all (a taken snapshot may have no rows).
	SnapshotRows(ctx context.Context, kind string, day time.Time, people []uint64) ([]crm.SnapshotRow, bool, error)
}

// SnapshotLookBack is how many days before the asked one SnapshotOn looks
// for a snapshot when that day has none (the bot was down all day).
const SnapshotLookBack = 3

// SnapshotOn returns the rows of kind stored for the company day of t (in
// tz, the company's zone), for the given people (all when nil), and the
// day they are from: that day, else the nearest of the SnapshotLookBack
// days before it; a zero day when there is none.
func SnapshotOn(ctx context.Context, st SnapshotReader, kind string, t time.Time, tz *time.Location, people []uint64) ([]crm.SnapshotRow, time.Time, error) {
	day := dates.Day(t, tz)
	for i := 0; i <= SnapshotLookBack; i++ {
		d := dates.AddDays(day, -i)
		rows, ok, err := st.SnapshotRows(ctx, kind, d, people)
		if err != nil || ok {
			return rows, d, err
		}
	}
	return nil, time.Time{}, nil
}

// DigestHooks are what the families add to digests, in the order they
// registered, which is their order in every digest: the sections
// (Registry.AddDigestSection) and the daily snapshots the sections
// compare against (Registry.AddSnapshot). The registry appends to them
// while the service is being made; the digest family reads them
// (Registry.Digests) each time it builds a digest or takes the day's
// snapshots, so the families registered after it are in them too.
type DigestHooks struct {
	Sections  []NamedDigestSection
	Snapshots []NamedSnapshot
}

// NamedDigestSection is a section under the name it registered with.
type NamedDigestSection struct {
	Name string
	Run  DigestSection
}

// NamedSnapshot is a daily snapshot under its kind, the name the store
// keeps it by (SnapshotReader).
type NamedSnapshot struct {
	Kind string
	Take SnapshotSource
}
