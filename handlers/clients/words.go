package clients

import (
	"regexp"
	"strings"

	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/i18n"
)

// lexicon holds the typed words the family's parsers look words up in,
// read once from the catalog's vocabulary (i18n/locales/*/clients.toml,
// core.toml and assistant.toml).
type lexicon struct {
	// channels map #tags to conversation channels ("среща" → meeting).
	channels map[string]string
	// next are the markers before a next step ("next:", "после:"), and
	// nextRE finds them for cmdText (also with a space before the colon).
	next   []string
	nextRE *regexp.Regexp
	// noteOps map the words of "/note WORD N-5" to what they do;
	// stepFiller are the words around a date that say nothing of a
	// note's step; channelStems name a note's channel.
	noteOps      map[string]string
	stepFiller   map[string]bool
	channelStems []channelStem
}

// newLexicon reads the tables from cat; missing are the entries some
// language lacks (core.LoadWords).
func newLexicon(cat *i18n.Catalog) (*lexicon, []string) {
	v := &core.Vocabs{Cat: cat}
	lx := &lexicon{stepFiller: map[string]bool{}}
	lx.channels = v.Table("channel", crm.Channels...)
	lx.noteOps = v.Table("note", NoteOps...)
	lx.next = v.Forms("next.step")
	for _, w := range v.Forms("list.note_step_filler") {
		lx.stepFiller[w] = true
	}
	for _, ch := range noteChannels {
		// Whole words are only some channels' (no error when missing).
		for _, w := range cat.Words(i18n.WordsPrefix + "note.said_word." + ch) {
			lx.channelStems = append(lx.channelStems, channelStem{ch, w + " "})
		}
		for _, w := range v.Forms("note.said." + ch) {
			lx.channelStems = append(lx.channelStems, channelStem{ch, w})
		}
	}
	var alt []string
	for _, m := range lx.next {
		alt = append(alt, regexp.QuoteMeta(strings.TrimSpace(strings.TrimSuffix(m, ":"))))
	}
	lx.nextRE = regexp.MustCompile(`(?i)(` + strings.Join(alt, "|") + `)\s*:`)
	return lx, v.Missing
}

// takeTags removes #channel tags ("words.channel.NAME": #call, #среща)
// from text and returns them (core.TakeTags).
func (lx *lexicon) takeTags(text string) (string, []string) { return core.TakeTags(text, lx.channels) }

// cutNext splits "TEXT next: STEP" into the text and the step, at the
// first of the markers ("words.next.step") that text holds.
func (lx *lexicon) cutNext(text string) (string, string, bool) {
	for _, m := range lx.next {
		if i := indexFold(text, m); i >= 0 {
			return strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+len(m):]), true
		}
	}
	return text, "", false
}

// cmdText makes free text safe inside a command line: one line, no
// "next:" marker, no #channel tag, no key=value word, no ASCII quotes that
// would group the words after them.
func (lx *lexicon) cmdText(s string) string {
	s = strings.ReplaceAll(s, `"`, "”")
	s = strings.ReplaceAll(s, "=", " = ")
	s = lx.nextRE.ReplaceAllString(s, "$1 -")
	words := strings.Fields(s)
	for i, w := range words {
		if strings.HasPrefix(w, "#") && len(w) > 1 {
			if _, ok := lx.channels[strings.ToLower(strings.TrimRight(w[1:], ".,;!"))]; ok {
				words[i] = w[1:]
			}
		}
	}
	return strings.Join(words, " ")
}

// indexFold is strings.Index ignoring case. Byte offsets refer to s itself
// (lower-casing first would shift them for some input).
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// splitKV splits words into plain words and key=value pairs, the keys
// of client fields in English (Kit.KeyWord).
func (s *service) splitKV(words []string) core.KV { return core.SplitKV(words, s.kit.KeyWord) }

// nameAndFields splits the words of "/client add NAME k=v…" into the name
// (the plain words) and the fields.
func (s *service) nameAndFields(words []string) (string, core.KV) {
	a := s.splitKV(words)
	return strings.Join(a.Plain, " "), a
}
