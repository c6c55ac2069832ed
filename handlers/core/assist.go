package core

import (
	"context"

	"accountbot/crm"
	"accountbot/drafter"
	"accountbot/llm"
)

// Assistant is what a family uses of the language model and the offline
// drafter (the assistant family's): prose phrased from facts, with the
// drafter's text when no model is configured or it fails.
type Assistant struct {
	// Phrase asks the model to write prose from the prompt task's
	// template (package prompts) filled with data, in lang, in at most
	// maxTokens and cut at maxRunes. A crm.Error is ours (a template that
	// does not render); any other error is the model's failure
	// (llm.Reason says which). Nil when no model is configured.
	Phrase func(ctx context.Context, task, lang string, data any, maxTokens, maxRunes int) (string, error)
	// Drafter writes the offline texts (never nil once the service is
	// built).
	Drafter *drafter.Drafter
}

// FallbackNote says why an offline path answered although a model is
// configured (reason is llm.Reason of the model's error), or "" when none
// is configured or it answered.
func FallbackNote(r *Request, reason string) string {
	if reason == "" {
		return ""
	}
	switch reason {
	case llm.ReasonTimeout, llm.ReasonRateLimited, llm.ReasonServer, llm.ReasonRefused:
	default:
		reason = llm.ReasonBadReply
	}
	return r.T("assistant.fallback." + reason)
}

// AdviceText writes one step that the rules of /next recommend
// (crm.Recommend) in r's words: the step and its reason.
type AdviceText func(r *Request, a crm.Advice) (step, reason string)
