package app

import (
	"log/slog"

	"accountbot/handlers"
	"accountbot/llm"
)

// newModel returns the language model that OPENAI_API_KEY, OPENAI_BASE_URL
// and OPENAI_MODEL name, or nil when neither a key nor a URL is set: then
// the built-in offline drafter and note reader serve.
func newModel(cfg Config, logger *slog.Logger) handlers.Model {
	lc := llm.Config{APIKey: cfg.OpenAIKey, BaseURL: cfg.OpenAIBaseURL, Model: cfg.OpenAIModel, Logger: logger}
	if !lc.Enabled() {
		return nil // an untyped nil: no model at all
	}
	// The Config logs without its key (llm.Config.LogValue).
	logger.Info("language model configured", "llm", lc)
	return llm.New(lc)
}

// newTranscriber returns the speech-to-text model for voice notes, through
// the same server (OPENAI_TRANSCRIBE_MODEL, default whisper-1), or nil
// when no server is configured: then a voice note is kept as an attachment
// if the person wants.
func newTranscriber(cfg Config, logger *slog.Logger) handlers.Transcriber {
	lc := llm.Config{APIKey: cfg.OpenAIKey, BaseURL: cfg.OpenAIBaseURL, Model: cfg.OpenAIModel,
		TranscribeModel: cfg.OpenAITranscribeModel, Logger: logger}
	if !lc.Enabled() {
		return nil
	}
	return llm.New(lc)
}
