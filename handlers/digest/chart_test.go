package digest

import (
	"bytes"
	"image/png"
	"testing"

	"accountbot/handlers/core"
)

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
