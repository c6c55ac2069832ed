package app

import (
	"log/slog"
	"strings"
	"testing"
)

func TestNewModel(t *testing.T) {
	var b strings.Builder
	logger := slog.New(slog.NewTextHandler(&b, nil))
	if m := newModel(Config{}, logger); m != nil {
		t.Errorf("a model without key or URL: %#v", m)
	}
	if m := newModel(Config{OpenAIBaseURL: "http://localhost:11434/v1", OpenAIModel: "llama3.1"}, logger); m == nil {
		t.Error("no model for a base URL")
	}
	if m := newModel(Config{OpenAIKey: "sk-very-secret"}, logger); m == nil {
		t.Error("no model for a key")
	}
	if strings.Contains(b.String(), "sk-very-secret") {
		t.Errorf("the key is in the log: %s", b.String())
	}
	if !strings.Contains(b.String(), "localhost:11434/v1") || !strings.Contains(b.String(), "llama3.1") {
		t.Errorf("the log does not say which server and model: %s", b.String())
	}
}
