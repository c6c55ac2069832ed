package clients

import (
	"context"
	"sort"
	"strings"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
)

// offerFieldValues answers "/client edit NAME level=" (an audience field
// typed with no value) with a button for each value in use, most used
// first, instead of clearing the field. It reports whether it answered.
// A field is cleared with an empty quoted value (level="").
func (s *service) offerFieldValues(ctx context.Context, w bot.ReplyWriter, r *core.Request, name string, kv core.KV) (bool, error) {
	field := ""
	for _, tok := range strings.Fields(r.Command.Rest) {
		if k, v, ok := strings.Cut(tok, "="); ok && v == "" {
			if ck := s.canonicalKey(k); kv.KV[ck] == "" && isAudienceField(ck) {
				field = ck
				break
			}
		}
	}
	if field == "" {
		return false, nil
	}
	c, _, err := r.ChangeableClient(ctx, name)
	if err != nil {
		return true, err
	}
	counts := map[string]int{}
	labels := map[string]string{}
	err = s.store.Audience(ctx, func(row crm.AudienceRow) bool {
		// Only values of clients the sender may see: another manager's
		// free text is theirs.
		if !r.SeesOwner(row.OwnerID) {
			return true
		}
		for _, v := range crm.SplitValues(row.Field(field)) {
			k := crm.NormalizeName(v)
			if k == "" {
				continue
			}
			if counts[k] == 0 {
				labels[k] = v
			}
			counts[k]++
		}
		return true
	})
	if err != nil {
		return true, err
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	ref := core.ClientRef(c)
	current := crm.SplitValues(c.Field(field))
	has := map[string]bool{}
	for _, v := range current {
		has[crm.NormalizeName(v)] = true
	}
	const maxValues = 12
	var buttons [][]bot.Button
	var row []bot.Button
	for i, k := range keys {
		if i == maxValues {
			break
		}
		label, value := labels[k], labels[k]
		if field == "need" && len(current) > 0 {
			if has[k] {
				continue
			}
			label, value = "+ "+labels[k], strings.Join(append(append([]string(nil), current...), labels[k]), ",")
		}
		row = append(row, bot.Button{Label: label, Data: "/client edit " + ref + " " + field + "=" + bot.Quote(value)})
		if len(row) == 3 {
			buttons, row = append(buttons, row), nil
		}
	}
	if len(row) > 0 {
		buttons = append(buttons, row)
	}
	if len(current) > 0 {
		buttons = append(buttons, []bot.Button{{Label: r.T("segments.clear_value"), Data: "/client edit " + ref + " " + field + `=""`}})
	}
	text := r.T("segments.pick_value", "field", r.T("field."+field), "name", c.Name, "current", dash(c.Field(field)))
	if len(keys) == 0 {
		text = r.T("segments.no_values", "field", r.T("field."+field), "example", r.T("segments.example", "ref", ref, "field", fieldKey(r, field)))
	}
	return true, w.Reply(ctx, bot.Reply{Text: text, Buttons: buttons})
}

func isAudienceField(k string) bool {
	for _, f := range crm.AudienceFields {
		if f == k {
			return true
		}
	}
	return false
}

// canonicalKey is the English key of a typed key= name ("град" → city), as
// key=value words are read (Kit.KeyWord); any other name as typed,
// lower-case.
func (s *service) canonicalKey(k string) string {
	if ck, _, ok := s.kit.KeyWord(k + "="); ok {
		return ck
	}
	return strings.ToLower(strings.TrimSpace(k))
}
