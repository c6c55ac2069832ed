package digest

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	"image/png"
	"math"
	"strings"

	"accountbot/handlers/core"
	"accountbot/money"

	"github.com/shopspring/decimal"
	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// The digest image: one panel per chart, stacked, each sized and lettered
// to be read on a phone without zooming.
const (
	chartWidth       = 800
	chartHeight      = 500
	chartTitleSize   = 20.0
	chartAxisSize    = 15.0
	chartLegendSize  = 15.0
	chartValueSize   = 12.0
	chartMaxPanels   = 4
	chartLegendSpace = 100 // pixels above the plot for the title and legend
)

// chartPalette colours the series in order; a muted series (last week) is
// grey.
var chartPalette = []drawing.Color{
	drawing.ColorFromHex("2E6FD8"), // blue
	drawing.ColorFromHex("E8772E"), // orange
	drawing.ColorFromHex("3A9A5B"), // green
	drawing.ColorFromHex("B03A48"), // red
}

var chartMuted = drawing.ColorFromHex("A9B1BD")

// renderCharts draws the charts one under another into one PNG, numbers
// written in lang's marks.
func renderCharts(charts []core.DigestChart, lang string) ([]byte, error) {
	if len(charts) == 0 {
		return nil, errors.New("no chart to render")
	}
	if len(charts) > chartMaxPanels {
		charts = charts[:chartMaxPanels]
	}
	out := image.NewRGBA(image.Rect(0, 0, chartWidth, chartHeight*len(charts)))
	for i, c := range charts {
		panel, err := renderChart(c, lang)
		if err != nil {
			return nil, err
		}
		draw.Draw(out, image.Rect(0, i*chartHeight, chartWidth, (i+1)*chartHeight), panel, panel.Bounds().Min, draw.Src)
	}
	var buf bytes.Buffer
	// Charts are flat colours: the fastest compression makes a file only
	// about 6% larger than the best one, in a fifth of the time, which
	// matters when every supervisor's digest is built at once.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// renderChart draws one chart as an 800×500 image: grouped bars (or
// lines) over the categories, a legend under the title, the values on the
// bars.
func renderChart(dc core.DigestChart, lang string) (image.Image, error) {
	n := len(dc.Categories)
	if n == 0 || len(dc.Series) == 0 {
		return nil, errors.New("chart without data")
	}
	maxV := 0.0
	for _, s := range dc.Series {
		for _, v := range s.Values {
			maxV = math.Max(maxV, v)
		}
	}
	top := niceCeil(maxV * 1.1)
	// Padding ticks half a slot beyond the first and last category keep the
	// outer bars inside the plot.
	ticks := []chart.Tick{{Value: -0.5, Label: ""}}
	for i, c := range categoryLabels(dc.Categories) {
		ticks = append(ticks, chart.Tick{Value: float64(i), Label: c})
	}
	ticks = append(ticks, chart.Tick{Value: float64(n) - 0.5, Label: ""})

	c := chart.Chart{
		Title:      dc.Title,
		TitleStyle: chart.Style{FontSize: chartTitleSize, Padding: chart.Box{Top: 10}},
		Width:      chartWidth,
		Height:     chartHeight,
		Background: chart.Style{Padding: chart.Box{Top: chartLegendSpace, Left: 20, Right: 30, Bottom: 15}},
		XAxis: chart.XAxis{
			Style: chart.Style{FontSize: chartAxisSize},
			Ticks: ticks,
		},
		YAxis: chart.YAxis{
			Style:          chart.Style{FontSize: chartAxisSize},
			Range:          &chart.ContinuousRange{Min: 0, Max: top},
			ValueFormatter: func(v any) string { return chartNumber(v.(float64), lang) },
			Ticks:          yTicks(top, lang),
			GridMajorStyle: chart.Style{StrokeColor: drawing.ColorFromHex("E3E6EA"), StrokeWidth: 1},
			GridLines:      gridLines(top),
		},
	}
	colors := seriesColors(dc.Series)
	for i, s := range dc.Series {
		col := colors[i]
		st := chart.Style{StrokeColor: col, FillColor: col, StrokeWidth: 4, DotColor: col, DotWidth: 5}
		if dc.Lines {
			xs := make([]float64, len(s.Values))
			for j := range xs {
				xs[j] = float64(j)
			}
			c.Series = append(c.Series, chart.ContinuousSeries{Name: s.Name, Style: st, XValues: xs, YValues: s.Values})
			continue
		}
		c.Series = append(c.Series, barSeries{name: s.Name, style: st, values: s.Values, index: i, groups: len(dc.Series), lang: lang})
	}
	c.Elements = []chart.Renderable{legendRow(dc.Series)}
	// An ImageWriter takes the raster as it is: no PNG is encoded for the
	// panel, only for the whole image.
	var iw chart.ImageWriter
	if err := c.Render(chart.PNG, &iw); err != nil {
		return nil, err
	}
	return iw.Image()
}

// seriesColors gives each series its colour: grey when muted, else the
// palette's next colour, so the current figures are blue.
func seriesColors(series []core.ChartSeries) []drawing.Color {
	out := make([]drawing.Color, len(series))
	n := 0
	for i, s := range series {
		if s.Muted {
			out[i] = chartMuted
			continue
		}
		out[i] = chartPalette[n%len(chartPalette)]
		n++
	}
	return out
}

// yTicks are six round values from 0 to top.
func yTicks(top float64, lang string) []chart.Tick {
	var out []chart.Tick
	for i := 0; i <= 5; i++ {
		v := top * float64(i) / 5
		out = append(out, chart.Tick{Value: v, Label: chartNumber(v, lang)})
	}
	return out
}

// chartLabelRunes is the most of a category name the x axis shows with
// eight categories: at the chart's width and axis font, eight names of
// this length sit side by side without touching (fewer get more room).
const chartLabelRunes = 11

// categoryLabels shortens long category names (with "…") so that
// neighbouring labels on the x axis never overlap; with many categories
// the allowance shrinks with the slot.
func categoryLabels(cats []string) []string {
	limit := max(3, chartLabelRunes*8/max(len(cats), 1))
	out := make([]string, len(cats))
	for i, c := range cats {
		r := []rune(c)
		if len(r) > limit {
			c = strings.TrimSpace(string(r[:limit-1])) + "…"
		}
		out[i] = c
	}
	return out
}

// chartNumber writes v for a chart in lang's marks, in full: "120,000" in
// English, "120 000" in Bulgarian; fractions with one decimal ("2.5",
// "2,5").
func chartNumber(v float64, lang string) string {
	d := decimal.NewFromFloat(v).Round(1)
	s := money.FormatNumber(d, lang)
	// FormatNumber writes cents; a chart needs at most one decimal.
	s = s[:len(s)-1]
	if strings.HasSuffix(s, "0") {
		s = s[:len(s)-2]
	}
	return s
}

// gridLines are horizontal lines at the axis's ticks.
func gridLines(top float64) []chart.GridLine {
	step := top / 5
	var out []chart.GridLine
	for v := step; v <= top+step/2; v += step {
		out = append(out, chart.GridLine{Value: v})
	}
	return out
}

// barSeries is one series of a grouped bar chart: bar index of groups in
// each category's slot, with its value written above it.
type barSeries struct {
	name   string
	style  chart.Style
	values []float64
	index  int
	groups int
	lang   string
}

func (b barSeries) GetName() string           { return b.name }
func (b barSeries) GetYAxis() chart.YAxisType { return chart.YAxisPrimary }
func (b barSeries) GetStyle() chart.Style     { return b.style }

func (b barSeries) Validate() error {
	if b.groups < 1 {
		return errors.New("bar series without groups")
	}
	return nil
}

// Render draws the bars in the canvas.
func (b barSeries) Render(r chart.Renderer, canvas chart.Box, xr, yr chart.Range, _ chart.Style) {
	slot := float64(xr.Translate(1) - xr.Translate(0))
	group := slot * 0.78
	width := group / float64(b.groups)
	valueStyle := chart.Style{FontSize: chartValueSize, FontColor: drawing.ColorFromHex("333333")}
	font, _ := chart.GetDefaultFont()
	valueStyle.Font = font
	for i, v := range b.values {
		center := float64(canvas.Left + xr.Translate(float64(i)))
		left := center - group/2 + float64(b.index)*width
		box := chart.Box{
			Left:   int(left + 1),
			Right:  int(left + width - 1),
			Top:    canvas.Bottom - yr.Translate(v),
			Bottom: canvas.Bottom,
		}
		if box.Top >= box.Bottom {
			box.Top = box.Bottom - 1
		}
		chart.Draw.Box(r, box, chart.Style{FillColor: b.style.FillColor, StrokeColor: b.style.FillColor, StrokeWidth: 1})
		if width >= 28 {
			label := chartNumber(v, b.lang)
			valueStyle.WriteToRenderer(r)
			tb := r.MeasureText(label)
			if tb.Width() > int(width)-2 {
				// A figure wider than its bar would run into the next
				// bar's: a smaller size, else no figure.
				small := valueStyle
				small.FontSize = chartValueSize - 2
				small.WriteToRenderer(r)
				tb = r.MeasureText(label)
			}
			if tb.Width() <= int(width)-2 {
				r.Text(label, int(left+width/2)-tb.Width()/2, box.Top-4)
			}
		}
	}
}

// legendRow draws the series' names with their colours in one row under
// the title.
func legendRow(series []core.ChartSeries) chart.Renderable {
	return func(r chart.Renderer, canvas chart.Box, defaults chart.Style) {
		st := chart.Style{FontSize: chartLegendSize, FontColor: drawing.ColorFromHex("333333"), Font: defaults.Font}
		if st.Font == nil {
			st.Font, _ = chart.GetDefaultFont()
		}
		st.WriteToRenderer(r)
		const swatch, gap = 16, 28
		total := 0
		for _, s := range series {
			total += swatch + 8 + r.MeasureText(s.Name).Width() + gap
		}
		x := (chartWidth - total + gap) / 2
		y := chartLegendSpace - 24
		colors := seriesColors(series)
		for i, s := range series {
			col := colors[i]
			chart.Draw.Box(r, chart.Box{Left: x, Top: y - swatch + 2, Right: x + swatch, Bottom: y + 2}, chart.Style{FillColor: col, StrokeColor: col, StrokeWidth: 1})
			st.WriteToRenderer(r)
			r.Text(s.Name, x+swatch+8, y)
			x += swatch + 8 + r.MeasureText(s.Name).Width() + gap
		}
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
