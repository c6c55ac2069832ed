package digest_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/internal/golden"
)

// digestSectionsData is the golden team (digestGoldenData) with claims and
// deals: a pipeline snapshot on Thursday 19 November, a week before the
// digest, then deals moving, won and added, claims breached, resolved with
// one root cause at two clients, and new. It leaves the clock at Thursday
// 26 November 2026, 10:00 in Sofia.
func digestSectionsData(e *digestEnv) {
	digestGoldenData(e)
	e.At(2026, 10, 5, 10, 0)
	e.Must("console:maria", "/deal add Beta Foods: Packaging line amount=40000 stage=proposal close=2026-11-20", "D-1")
	e.Must("console:maria", "/deal add Acme Ltd: Pumps amount=120000 stage=proposal close=2026-12-15", "D-2")
	e.Must("console:petar", "/deal add Delta Build: Spring order amount=8000 currency=USD close=2027-01-31", "D-3")
	e.Must("console:petar", "/deal add Omega Textile: Fabric amount=15000 stage=negotiation close=2026-12-31", "D-4")
	e.Must("console:ivan", "/deal add Ivan Trade: Service contract amount=5000 close=2026-11-25", "D-5")
	e.At(2026, 11, 16, 10, 0)
	e.Must("console:ivan", "/claim Ivan Trade: wrong invoice severity=high category=invoice", "C-1")
	// The snapshot the digest a week later compares against.
	e.At(2026, 11, 19, 7, 0)
	e.tick()
	e.At(2026, 11, 20, 11, 0)
	e.Must("console:maria", "/claim Acme Ltd: pump arrived broken severity=critical category=quality", "C-2")
	e.At(2026, 11, 23, 10, 0)
	e.Must("console:maria", "/claim Beta Foods: delivery two days late category=delivery", "C-3")
	e.Must("console:petar", "/deal move D-3 qualified", "D-3")
	e.At(2026, 11, 24, 9, 30)
	e.Must("console:petar", "/claim Delta Build: late again category=delivery", "C-4")
	e.At(2026, 11, 25, 9, 0)
	e.Must("console:maria", "/claim resolve C-3: apologised, new slot booked cause=\"late truck\"", "C-3")
	e.Must("console:petar", `/claim resolve C-4: discount given cause="Late truck"`, "C-4")
	e.At(2026, 11, 25, 12, 0)
	e.Must("console:maria", "/deal move D-2 negotiation", "D-2")
	e.Must("console:petar", "/deal won D-4", "D-4")
	e.Must("console:maria", "/deal add Gamma Pumps: Spare parts amount=3000 close=2026-12-20", "D-6")
	e.At(2026, 11, 25, 15, 0)
	e.Must("console:petar", "/claim Omega Textile: wrong colour severity=low category=quality", "C-5")
	e.At(2026, 11, 26, 10, 0)
}

func TestDigestSectionsGolden(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	digestSectionsData(e)
	var b strings.Builder
	show := func(name, who, text string) {
		fmt.Fprintf(&b, "==== %s\n", name)
		for _, r := range e.Send(who, text).Replies {
			b.WriteString(r.PlainText() + "\n")
			for _, row := range r.Buttons {
				for _, btn := range row {
					fmt.Fprintf(&b, "[%s → %s] ", btn.Label, btn.Data)
				}
				b.WriteString("\n")
			}
			if r.Image != nil {
				img := decodeDigestImage(t, r.Image)
				fmt.Fprintf(&b, "(image %s, %dx%d)\n", r.Image.Name, img.Bounds().Dx(), img.Bounds().Dy())
			}
		}
	}
	show("supervisor /digest", "console:sam", "/digest")
	show("supervisor /digest full", "console:sam", "/digest full")
	show("manager /digest", "console:maria", "/digest")
	show("head /digest week", "console:admin", "/digest week")
	e.Must("console:sam", "/lang bg", "")
	show("supervisor /обзор (bg)", "console:sam", "/обзор")
	show("supervisor /обзор подробно (bg)", "console:sam", "/обзор подробно")

	golden.Check(t, filepath.Join("testdata", "digest_sections.golden"), b.String())
}

// TestDigestSectionsNumbers checks the figures of the golden data by
// hand, so that a wrong golden file cannot hide a wrong number.
func TestDigestSectionsNumbers(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	digestSectionsData(e)
	// Sam's team is Sam, Maria and Petar. The day's period is Wednesday 25
	// November to now: C-5 opened, C-3 and C-4 resolved, C-2 past its SLA;
	// C-2 and C-5 open. Ivan's C-1 and D-5 are not Sam's.
	e.Must("console:sam", "/digest",
		"Claims: opened 1 · resolved 2 · past SLA 1 · open 2\n",
		"⚠ Recurring cause “late truck” at 2 clients (Beta Foods, Delta Build): needs corrective action",
		// Weighted now: D-1 proposal 40,000×50%, D-2 negotiation
		// 120,000×75%, D-6 lead 3,000×10%; D-3 qualified $8,000×25%.
		// A week ago: D-1 and D-2 in proposal, D-4 15,000×75% in
		// negotiation, D-3 $8,000×10% in lead.
		"Pipeline (weighted): €110,300.00, $2,000.00 · a week ago (2026-11-19): €91,250.00, $800.00 · change: +€19,050.00, +$1,200.00",
		"• lead: €300.00 (+€300.00, −$800.00)\n• qualified: $2,000.00 (+$2,000.00)\n• proposal: €20,000.00 (−€60,000.00)\n• negotiation: €90,000.00 (+€78,750.00)",
		"Moved most: D-2 proposal → negotiation (+€30,000.00) · D-4 negotiation → won (+€3,750.00) · D-6 new → lead (+€300.00)",
		"Stuck: 1 deal (no stage change for over 21 days, or close date passed): D-1 Beta Foods, proposal for 52 days",
		// Overdue: T-1, T-2 and the playbook task of Beta Foods falling
		// into "at risk" on 23 November.
		"Maria Petrova — conversations: 2, overdue: 3, stale: 1, deals: 1 moved, 1 new, claims: 1 overdue",
		"Petar Georgiev — conversations: 0, overdue: 0, stale: 1, deals: 1 won, claims: 1 new",
	)
	// The week: D-3's move on Monday counts too.
	e.Must("console:sam", "/digest week", "D-3 lead → qualified (+$1,200.00)", "Claims: opened 4 · resolved 2")
	// Nobody else's claims or deals.
	e.MustNot("console:sam", "/digest full", "C-1", "D-5", "Ivan Trade")
	// The head sees Ivan's too.
	e.Must("console:admin", "/digest", "C-1 Ivan Trade (high)", "D-5 Ivan Trade")
}

// TestDigestBreachedClaimFirst: a breached claim leads "needs you", above
// slipping deals, overdue tasks and quiet managers; of two breaches the
// more severe comes first.
func TestDigestBreachedClaimFirst(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	digestSectionsData(e)
	needs := func(who, text string) []string {
		t.Helper()
		got := e.Say(who, text)
		_, after, ok := strings.Cut(got, "Needs you (")
		if !ok {
			t.Fatalf("no needs list:\n%s", got)
		}
		var items []string
		for _, l := range strings.Split(after, "\n")[1:] {
			if !strings.HasPrefix(l, "• ") {
				break
			}
			items = append(items, l)
		}
		return items
	}
	sam := needs("console:sam", "/digest")
	want := []string{
		"• C-2 Acme Ltd (critical): resolve deadline 2026-11-24 11:00 missed — Maria Petrova",
		"• D-1 Beta Foods — Packaging line · €40,000.00: close date 2026-11-20 passed, still in proposal (Maria Petrova)",
		"• Maria Petrova: 3 overdue tasks and next steps",
	}
	if len(sam) < 3 {
		t.Fatalf("needs: %q", sam)
	}
	for i, w := range want {
		if !strings.HasPrefix(sam[i], w) {
			t.Fatalf("needs item %d = %q, want %q\nall: %q", i+1, sam[i], w, sam)
		}
	}
	head := needs("console:admin", "/digest")
	if !strings.Contains(head[0], "C-2 ") || !strings.Contains(head[1], "C-1 Ivan Trade (high): resolve deadline 2026-11-23 10:00 missed — Ivan Ivanov") {
		t.Fatalf("head's needs, critical first: %q", head)
	}
	// A manager's own digest names no owner.
	maria := needs("console:maria", "/digest")
	if maria[0] != "• C-2 Acme Ltd (critical): resolve deadline 2026-11-24 11:00 missed" {
		t.Fatalf("manager's needs: %q", maria)
	}
}

// decodeDigestImage decodes a digest image, failing unless it is a PNG.
func decodeDigestImage(t *testing.T, im *bot.Image) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(im.PNG))
	if err != nil {
		t.Fatalf("digest image is not a PNG: %v", err)
	}
	return img
}

// countColor counts the pixels of one colour, on every second row and
// column.
func countColor(img image.Image, r, g, b uint32) int {
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X; x < bd.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr>>8 == r && cg>>8 == g && cb>>8 == b {
				n++
			}
		}
	}
	return n
}

func TestDigestChartsWithData(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	digestGoldenData(e)
	// No claims and no deals: no image.
	if rep := e.Send("console:sam", "/digest").Replies[0]; rep.Image != nil {
		t.Fatal("an image without claims or deals")
	}
	e = newDigestEnv(t, nil, newClock(time.Time{}), nil)
	digestSectionsData(e)
	rep := e.Send("console:sam", "/digest").Replies[0]
	if rep.Image == nil {
		t.Fatal("no image although there are claims and deals")
	}
	img := decodeDigestImage(t, rep.Image)
	// Two panels: the pipeline in the default currency (EUR; the text
	// has the dollars too), and the claims.
	if got := img.Bounds().Size(); got.X != 800 || got.Y != 1000 {
		t.Fatalf("image size %v, want 800×1000", got)
	}
	// This week's bars are blue, last week's grey, resolved claims orange.
	for _, c := range []struct {
		name    string
		r, g, b uint32
		panel   int
	}{
		{"this week", 0x2E, 0x6F, 0xD8, 0},
		{"last week", 0xA9, 0xB1, 0xBD, 0},
		{"claims resolved", 0xE8, 0x77, 0x2E, 1},
	} {
		panel := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(0, 500*c.panel, 800, 500*(c.panel+1)))
		if n := countColor(panel, c.r, c.g, c.b); n < 100 {
			t.Errorf("%s: %d pixels of its colour in panel %d; bars missing?", c.name, n, c.panel)
		}
	}
	// The detailed digest carries no image.
	if full := e.Send("console:sam", "/digest full").Replies[0]; full.Image != nil {
		t.Fatal("the detailed digest repeats the image")
	}
	// With -update, the README's picture is this digest's image.
	if golden.Updating() {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "digest-chart.png"), rep.Image.PNG, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDigestPipelineWeekOnWeek: the pipeline is compared with the
// snapshot of the same day a week before, once there is one.
func TestDigestPipelineWeekOnWeek(t *testing.T) {
	e := newDigestEnv(t, nil, newClock(time.Time{}), nil)
	e.At(2026, 11, 12, 10, 0)
	e.Must("console:admin", `/appoint console:sam supervisor "Sam Stoev"`, "Sam")
	e.Must("console:admin", `/appoint console:maria manager "Maria Petrova" reports=@Sam`, "Maria")
	e.Must("console:maria", "/client add Acme", "Saved")
	e.Must("console:maria", "/deal add Acme: Pumps amount=10000 stage=proposal close=2027-01-31", "D-1")
	e.At(2026, 11, 19, 8, 0)
	e.Must("console:sam", "/digest", "Pipeline (weighted): €5,000.00 · no data from last week yet\n• proposal: €5,000.00")
	// The first tick of the day takes the snapshot.
	e.tick()
	e.At(2026, 11, 24, 11, 0)
	e.Must("console:maria", "/deal move D-1 negotiation", "D-1")
	e.Must("console:maria", "/deal edit D-1 amount=12000", "D-1")
	// A week later: 12,000×75% now against 10,000×50% then.
	e.At(2026, 11, 26, 8, 0)
	e.Must("console:sam", "/digest week",
		"Pipeline (weighted): €9,000.00 · a week ago (2026-11-19): €5,000.00 · change: +€4,000.00",
		"• proposal: €0.00 (−€5,000.00)\n• negotiation: €9,000.00 (+€9,000.00)",
		"Moved most: D-1 proposal → negotiation (+€3,000.00)")
	e.Must("console:sam", "/digest full", "• negotiation: €9,000.00, a week ago €0.00 (+€9,000.00)")
	// With the bot down on the 20th, Friday's digest compares with the
	// nearest earlier snapshot.
	e.At(2026, 11, 27, 8, 0)
	e.Must("console:sam", "/digest", "a week ago (2026-11-19): €5,000.00")
	// Bulgarian.
	e.Must("console:sam", "/lang bg", "")
	e.Must("console:sam", "/обзор", "Фуния (претеглено): 9 000,00 € · преди седмица (19.11.2026): 5 000,00 € · промяна: +4 000,00 €")
}
