package handlers

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers/core"
	"accountbot/internal/chattest"

	"github.com/shopspring/decimal"
)

// The digest family (handlers/digest) builds digests from the sections
// and snapshots every family adds through the registry; these tests add
// their own after New, as a family registered after the digest family
// would, and read them back through the chat.

// newSectionTestService is the shared chat environment's Service with a
// head (console:admin) and a supervisor Sam over manager Maria, at
// Thursday 26 November 2026, 10:00 in Sofia.
func newSectionTestService(t *testing.T) (*Service, *dates.ManualClock) {
	t.Helper()
	e := chattest.New(t, chattest.Options{}, buildService(nil, nil))
	e.Appoint(
		`/appoint console:sam supervisor "Sam Stoev"`,
		`/appoint console:maria manager "Maria Petrova" reports=@Sam`)
	return e.Svc, e.Clock
}

func chat(t *testing.T, s *Service, identity, text string) []bot.Reply {
	t.Helper()
	rec := &bot.Recorder{}
	if err := s.ServeChat(context.Background(), rec, &bot.Message{Platform: "console", Identity: identity, Text: text, Private: true}); err != nil {
		t.Fatal(err)
	}
	return rec.Replies
}

// chart is a small chart that a section gives.
func chart(title string) core.DigestChart {
	return core.DigestChart{Title: title, Categories: []string{"W47", "W48"}, Series: []core.ChartSeries{{Name: "opened", Values: []float64{4, 3}}}}
}

// TestDigestSectionHook shows how the claims and pipeline families plug
// in: their lines, "needs you" items (ranked above overdue work), a figure
// on each person's row, and a chart that makes the digest carry an image.
func TestDigestSectionHook(t *testing.T) {
	s, _ := newSectionTestService(t)
	plain := chat(t, s, "console:sam", "/digest")
	if plain[0].Image != nil {
		t.Fatal("an image without any chart data")
	}
	chat(t, s, "console:maria", "/client add Acme")
	chat(t, s, "console:maria", "/remind Acme: call by 2026-11-20")
	var seen *core.DigestScope
	reg := registry{s}
	reg.AddDigestSection("example-claims", func(ctx context.Context, sc *core.DigestScope) (*core.DigestPart, error) {
		seen = sc
		p := &core.DigestPart{
			Lines:    []string{"Claims: 3 opened, 2 resolved, 1 past its SLA"},
			Detail:   []string{"Recurring cause: packaging (2 clients)"},
			Needs:    []core.DigestNeed{{Rank: core.NeedRankBreach, Text: "C-12 Acme: resolve SLA passed"}},
			PerOwner: map[uint64]string{},
			Charts:   []core.DigestChart{chart("Claims")},
		}
		for _, id := range sc.Owners {
			p.PerOwner[id] = "claims: 1"
		}
		return p, nil
	})
	reg.AddDigestSection("example-pipeline", func(ctx context.Context, sc *core.DigestScope) (*core.DigestPart, error) {
		return &core.DigestPart{Lines: []string{"Pipeline (weighted): 126,000.00 EUR, +20% on last week"}, Charts: []core.DigestChart{chart("Pipeline")}}, nil
	})
	rep := chat(t, s, "console:sam", "/digest")[0]
	text := rep.Text
	for _, want := range []string{
		"Needs you (2):\n• C-12 Acme: resolve SLA passed\n• Maria Petrova: 1 overdue task",
		"Claims: 3 opened, 2 resolved, 1 past its SLA\nPipeline (weighted)",
		"Maria Petrova — conversations: 0, overdue: 1, stale: 0, claims: 1",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Recurring cause") {
		t.Fatal("detail lines in the one-screen digest")
	}
	if rep.Image == nil {
		t.Fatal("no image although sections gave charts")
	}
	img, err := png.Decode(bytes.NewReader(rep.Image.PNG))
	if err != nil || img.Bounds().Dy() != 1000 {
		t.Fatalf("image: %v, %v", err, img.Bounds())
	}
	if seen.Subject.Name != "Sam Stoev" || seen.Period.Kind != crm.DigestDaily || len(seen.Owners) != 2 {
		t.Fatalf("scope: subject %s, period %+v, owners %v", seen.Subject.Name, seen.Period, seen.Owners)
	}
	full := chat(t, s, "console:sam", "/digest full")[0]
	if !strings.Contains(full.Text, "Recurring cause: packaging") || full.Image != nil {
		t.Fatalf("detailed digest:\n%s", full.Text)
	}
}

func TestSnapshotJobOncePerDay(t *testing.T) {
	s, clock := newSectionTestService(t)
	calls := 0
	registry{s}.AddSnapshot("example", func(ctx context.Context, day time.Time) ([]crm.SnapshotRow, error) {
		calls++
		return []crm.SnapshotRow{
			{PersonID: 2, Bucket: "proposal/EUR", Count: 2, Sum: decimal.RequireFromString("1000.50"), Weighted: decimal.RequireFromString("500.25")},
			{PersonID: 3, Bucket: "lead/EUR", Count: 1, Sum: decimal.NewFromInt(100), Weighted: decimal.NewFromInt(10)},
		}, nil
	})
	ctx := context.Background()
	s.RunJobs(ctx)
	s.RunJobs(ctx)
	if calls != 1 {
		t.Fatalf("snapshot taken %d times on one day", calls)
	}
	rows, day, err := core.SnapshotOn(ctx, s.store, "example", clock.Now(), s.cfg.TZ, []uint64{2})
	if err != nil || len(rows) != 1 || rows[0].Weighted.String() != "500.25" || day.Day() != 26 {
		t.Fatalf("rows %+v day %v err %v", rows, day, err)
	}
	// Three days later with the bot down in between: a snapshot that day,
	// and a look-up of a missed day finds the nearest earlier one.
	clock.Set(clock.Now().AddDate(0, 0, 3))
	s.RunJobs(ctx)
	if calls != 2 {
		t.Fatalf("calls %d, want 2", calls)
	}
	rows, day, err = core.SnapshotOn(ctx, s.store, "example", clock.Now().AddDate(0, 0, -1), s.cfg.TZ, nil)
	if err != nil || len(rows) != 2 || day.Day() != 26 {
		t.Fatalf("fallback: rows %d day %v err %v", len(rows), day, err)
	}
	if _, day, _ := core.SnapshotOn(ctx, s.store, "example", clock.Now().AddDate(0, 0, -10), s.cfg.TZ, nil); !day.IsZero() {
		t.Fatalf("found a snapshot before any was taken: %v", day)
	}
}

// TestDigestHooksAddedTwiceFail: a section name or snapshot kind that two
// families claim is a mistake New reports, as a command claimed twice is.
func TestDigestHooksAddedTwiceFail(t *testing.T) {
	s, _ := newSectionTestService(t)
	before, sections := len(s.errs), len(s.digests.Sections)
	reg := registry{s}
	reg.AddDigestSection("claims", func(context.Context, *core.DigestScope) (*core.DigestPart, error) { return nil, nil })
	reg.AddSnapshot("pipeline", func(context.Context, time.Time) ([]crm.SnapshotRow, error) { return nil, nil })
	if len(s.errs) != before+2 || len(s.digests.Sections) != sections {
		t.Fatalf("errors %v, sections %d (were %d)", s.errs[before:], len(s.digests.Sections), sections)
	}
}
