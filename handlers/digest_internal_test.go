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
	"accountbot/internal/chattest"

	"accountbot/handlers/core"
	"github.com/shopspring/decimal"
)

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

// sampleCharts are what the pipeline and claims sections will give.
func sampleCharts() []core.DigestChart {
	return []core.DigestChart{
		{
			Title:      "Pipeline by stage, weighted (EUR)",
			Categories: []string{"lead", "qualified", "proposal", "negotiation"},
			Series: []core.ChartSeries{
				{Name: "last week", Values: []float64{12000, 30500, 41000, 22500}, Muted: true},
				{Name: "this week", Values: []float64{15500, 28000, 52500, 30000}},
			},
		},
		{
			Title:      "Claims opened vs resolved, last 8 weeks",
			Categories: []string{"W41", "W42", "W43", "W44", "W45", "W46", "W47", "W48"},
			Series: []core.ChartSeries{
				{Name: "opened", Values: []float64{4, 6, 3, 7, 5, 2, 4, 3}},
				{Name: "resolved", Values: []float64{3, 5, 5, 4, 6, 4, 3, 4}},
			},
		},
	}
}

func TestRenderChartsIsPNG(t *testing.T) {
	for n := 1; n <= 2; n++ {
		b, err := renderCharts(sampleCharts()[:n], "en")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if got := img.Bounds().Size(); got.X != 800 || got.Y != 500*n {
			t.Fatalf("%d charts: size %v, want 800×%d", n, got, 500*n)
		}
		// The bars are drawn: some pixels have the series' blue.
		blue := 0
		for y := 0; y < img.Bounds().Dy(); y += 2 {
			for x := 0; x < 800; x += 2 {
				r, g, bb, _ := img.At(x, y).RGBA()
				if r>>8 == 0x2E && g>>8 == 0x6F && bb>>8 == 0xD8 {
					blue++
				}
			}
		}
		if blue < 500 {
			t.Fatalf("%d charts: only %d blue pixels; bars missing?", n, blue)
		}
	}
	// Bulgarian labels render too (the font has Cyrillic).
	bg := core.DigestChart{Title: "Фуния по етапи", Categories: []string{"потенциален", "оферта"}, Series: []core.ChartSeries{{Name: "тази седмица", Values: []float64{1, 2}}}}
	if _, err := renderCharts([]core.DigestChart{bg}, "bg"); err != nil {
		t.Fatal(err)
	}
	if _, err := renderCharts(nil, "en"); err == nil {
		t.Fatal("rendered an image without charts")
	}
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
	var seen *digestScope
	s.addDigestSection("claims", func(ctx context.Context, sc *digestScope) (*digestPart, error) {
		seen = sc
		p := &digestPart{
			Lines:    []string{"Claims: 3 opened, 2 resolved, 1 past its SLA"},
			Detail:   []string{"Recurring cause: packaging (2 clients)"},
			Needs:    []core.DigestNeed{{Rank: core.NeedRankBreach, Text: "C-12 Acme: resolve SLA passed"}},
			PerOwner: map[uint64]string{},
			Charts:   sampleCharts()[1:],
		}
		for _, id := range sc.Owners {
			p.PerOwner[id] = "claims: 1"
		}
		return p, nil
	})
	s.addDigestSection("pipeline", func(ctx context.Context, sc *digestScope) (*digestPart, error) {
		return &digestPart{Lines: []string{"Pipeline (weighted): 126,000.00 EUR, +20% on last week"}, Charts: sampleCharts()[:1]}, nil
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
	s.addSnapshotter("example", func(ctx context.Context, day time.Time) ([]crm.SnapshotRow, error) {
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

func TestChartNumbersInTheLocalesMarks(t *testing.T) {
	for _, tc := range []struct {
		v          float64
		lang, want string
	}{
		{120000, "en", "120,000"},
		{120000, "bg", "120 000"},
		{2.5, "en", "2.5"},
		{2.5, "bg", "2,5"},
		{0, "bg", "0"},
		{1250000, "en", "1,250,000"},
	} {
		if got := chartNumber(tc.v, tc.lang); got != tc.want {
			t.Errorf("chartNumber(%v, %s) = %q, want %q", tc.v, tc.lang, got, tc.want)
		}
	}
	labels := categoryLabels([]string{"квалифициран", "оферта", "a", "b", "c", "d", "e", "f"})
	if labels[0] != "квалифицир…" || labels[1] != "оферта" {
		t.Errorf("labels = %q", labels)
	}
}
