package clients

import (
	"context"
	"errors"
	"strings"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/llm"
	"accountbot/prompts"
)

// registerNext adds /next and the recommended step on the client card to
// the planning family's help page, after the family's own commands and
// card sections (handlers/planning): its advice weighs the planning
// records and is phrased by the language model.
func (s *service) registerNext(reg core.Registry) {
	defer reg.Family("planning")()
	reg.Add(&core.Spec{Name: "next", MinRole: crm.RoleManager, Run: s.nextCmd})
	reg.AddCardSection(s.nextCardSection)
}

// nextFacts gathers what the recommendation rules look at for one client;
// peers adds what peers of its segment buy (a scan of every client's
// audience row and deal facts, so it is left out where only the first
// advice matters and another rule already fires).
func (s *service) nextFacts(ctx context.Context, r *core.Request, c *crm.Client) (crm.NextFacts, error) {
	ps := s.store
	f := crm.NextFacts{Client: c, StaleTouch: s.cfg.Stale.Touch, StuckAfter: s.kit.StuckAfter, Loc: r.TZ}
	var err error
	if f.Plan, err = ps.ContactPlan(ctx, c.ID); err != nil {
		return f, err
	}
	claims, err := s.store.ClientClaims(ctx, c.ID)
	if err != nil {
		return f, err
	}
	for _, cl := range claims {
		if cl.Status.Open() {
			f.Claims = append(f.Claims, cl.Summary())
		}
	}
	if f.Promises, err = ps.ClientPromises(ctx, c.ID); err != nil {
		return f, err
	}
	if f.Deals, err = ps.DealFactsOf(ctx, c.ID); err != nil {
		return f, err
	}
	return f, nil
}

// peerWindow is how many years back peers' purchases count.
const peerWindow = 2

// peerProducts fills in what the other clients of c's segment that the
// sender sees bought (won deals) in the last two years: how many of them
// bought anything, and each product with its number of buyers, most
// bought first. It reads the store's maintained "products won per
// segment", so it costs the segment's won deals the sender sees, however
// many clients and deals the company has.
func (s *service) peerProducts(ctx context.Context, r *core.Request, c *crm.Client, f *crm.NextFacts) error {
	if crm.NormalizeName(c.Segment) == "" {
		return nil
	}
	owners, err := r.VisibleOwners(r.DefaultScope())
	if err != nil {
		return err
	}
	p, err := s.store.PeerPurchases(ctx, crm.PeerQuery{Segment: c.Segment, Owners: owners, Except: c.ID, Since: r.Now.AddDate(-peerWindow, 0, 0)})
	if err != nil {
		return err
	}
	f.Peers, f.PeerProducts = p.Peers, p.Products
	return nil
}

// recommend returns the advice for a client; with all, every rule is
// applied (peers' products too), otherwise the peers are only looked at
// when nothing else calls for action.
func (s *service) recommend(ctx context.Context, r *core.Request, c *crm.Client, all bool) ([]crm.Advice, error) {
	f, err := s.nextFacts(ctx, r, c)
	if err != nil {
		return nil, err
	}
	if !all {
		if adv := crm.Recommend(f, r.Now); adv[0].Kind != crm.AdviceNone {
			return adv, nil
		}
	}
	if err := s.peerProducts(ctx, r, c, &f); err != nil {
		return nil, err
	}
	return crm.Recommend(f, r.Now), nil
}

// adviceText writes one advice as the step and its reason.
func adviceText(r *core.Request, a crm.Advice) (step, reason string) {
	arg := func(k string) any { return a.Args[k] }
	overdue, _ := a.Args["overdue"].(bool)
	switch a.Kind {
	case crm.AdviceClaim:
		step = r.T("next.claim."+a.Args["step"].(string), "id", arg("id"))
		if overdue {
			reason = r.T("next.claim.overdue", "due", r.FmtTime(a.Due))
		} else {
			reason = r.T("next.claim.near", "due", r.FmtTime(a.Due))
		}
	case crm.AdvicePromise:
		if fc, _ := a.Args["from_client"].(bool); fc {
			step = r.T("next.promise.client", "id", arg("id"), "text", core.Truncate(a.Args["text"].(string), 100))
		} else {
			step = r.T("next.promise.ours", "id", arg("id"), "text", core.Truncate(a.Args["text"].(string), 100))
		}
		if overdue {
			reason = r.T("next.promise.broken", "date", r.FmtDate(a.Due))
		} else {
			reason = r.T("next.promise.due", "date", r.FmtDate(a.Due))
		}
	case crm.AdviceTouch:
		ch := ""
		if c, _ := a.Args["channel"].(string); c != "" {
			ch = " #" + r.T("channel."+c)
		}
		step = r.T("next.touch", "channel", ch)
		last := r.T("card.never")
		if t, _ := a.Args["last"].(time.Time); !t.IsZero() {
			last = r.FmtDate(t)
		}
		reason = r.T("next.touch_reason", "date", r.FmtDate(a.Due), "last", last)
	case crm.AdviceStale:
		step = r.T("next.stale")
		reason = r.T("next.stale_reason", "count", arg("days"))
	case crm.AdviceStuckDeal:
		step = r.T("next.stuck", "id", arg("id"), "title", arg("title"))
		reason = r.T("next.stuck_reason", "stage", r.T("deal.stage."+a.Args["stage"].(string)), "count", arg("days"))
	case crm.AdviceRepeat:
		step = r.T("next.repeat", "title", arg("title"))
		reason = r.T("next.repeat_reason", "count", arg("days"), "date", r.FmtDate(a.Due))
	case crm.AdviceCrossSell:
		step = r.T("next.cross_sell", "product", arg("product"))
		reason = r.T("next.cross_sell_reason", "count", arg("buyers"), "peers", arg("peers"), "segment", arg("segment"))
	default:
		step = r.T("next.none")
		if a.Due.IsZero() {
			reason = r.T("next.none_no_plan")
		} else {
			reason = r.T("next.none_reason", "date", r.FmtDate(a.Due))
		}
	}
	return step, reason
}

// nextCmd: "/next NAME" — the recommended next step, with its reason, and
// the other steps the rules found.
func (s *service) nextCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if strings.TrimSpace(r.Command.Rest) == "" {
		return crm.Errorf(crm.EINVALID, "next.usage")
	}
	c, err := r.Client(ctx, r.Command.Rest)
	if err != nil {
		return err
	}
	if s.kit.Assistant.Model == nil {
		// The rules' facts alone: the model's phrasing reads the whole
		// card, which is then read ahead as for the card.
		if err := s.store.ReadNextAhead(ctx, c.ID); err != nil {
			return err
		}
	}
	advice, err := s.recommend(ctx, r, c, true)
	if err != nil {
		return err
	}
	step, reason := adviceText(r, advice[0])
	lines := []string{"→ " + step, "  " + r.T("next.why", "reason", reason)}
	if len(advice) > 1 {
		lines = append(lines, "", r.T("next.also")+":")
		for i, a := range advice[1:] {
			if i == 5 {
				break
			}
			st, re := adviceText(r, a)
			lines = append(lines, "• "+st+" — "+re)
		}
	}
	ref := core.ClientRef(c)
	buttons := []bot.Button{{Label: r.T("button.log"), Data: "/log " + ref}}
	switch a := advice[0]; a.Kind {
	case crm.AdviceClaim:
		buttons = append(buttons, bot.Button{Label: a.Ref, Data: "/claim " + a.Ref})
	case crm.AdvicePromise:
		buttons = append(buttons, bot.Button{Label: "✓ " + a.Ref, Data: "/promise done " + a.Ref})
	case crm.AdviceStuckDeal:
		buttons = append(buttons, bot.Button{Label: a.Ref, Data: "/deal " + a.Ref})
	case crm.AdviceNone:
		buttons = append(buttons, bot.Button{Label: r.T("button.plan"), Data: "/plan " + ref})
	}
	if err := w.Reply(ctx, bot.Reply{Title: r.T("next.title", "name", c.Name), Text: strings.Join(lines, "\n"), Buttons: [][]bot.Button{buttons}}); err != nil {
		return err
	}
	if s.kit.Assistant.Model == nil || advice[0].Kind == crm.AdviceNone {
		return nil
	}
	// The rules' answer is out at once; the model's phrasing follows.
	f, err := s.kit.Facts(ctx, r, c)
	if err != nil {
		return err
	}
	phrased, err := s.phraseNext(ctx, r, f, advice)
	if ce := (*crm.Error)(nil); errors.As(err, &ce) {
		return err // ours (a template that does not render), not the model's
	}
	if err != nil {
		reason := llm.Reason(err)
		s.kit.Log.Warn("next: the language model failed; the rules' answer stands", "client", c.ID, "reason", reason, "err", err)
		return w.Reply(ctx, bot.Reply{Text: "⚠ " + core.FallbackNote(r, reason)})
	}
	return w.Reply(ctx, bot.Reply{Title: r.T("next.phrased_title"), Text: phrased})
}

// maxNextAdviceRunes bounds the model's phrasing of a step.
const maxNextAdviceRunes = 1200

// phraseNext asks the model how to go about the steps the rules found. The
// facts and the order are the rules'; the model only phrases them.
func (s *service) phraseNext(ctx context.Context, r *core.Request, f *crm.Facts, advice []crm.Advice) (string, error) {
	data := prompts.Next{Facts: f}
	for i, ad := range advice {
		if i == 4 {
			break
		}
		step, reason := adviceText(r, ad)
		data.Steps = append(data.Steps, prompts.NextStep{Step: step, Reason: reason})
	}
	return s.kit.Assistant.Phrase(ctx, "next", r.Lang, data, 400, maxNextAdviceRunes)
}

// nextCardSection adds the recommended step to the client card.
func (s *service) nextCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	advice, err := s.recommend(ctx, r, c, false)
	if err != nil {
		return nil, err
	}
	step, reason := adviceText(r, advice[0])
	return []bot.Field{{Label: r.T("card.recommended"), Value: step + " (" + reason + ")"}}, nil
}
