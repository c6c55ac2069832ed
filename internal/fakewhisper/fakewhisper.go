// Package fakewhisper is an OpenAI-compatible speech-to-text server for
// tests: POST /v1/audio/transcriptions answers a fixed transcript and
// records what it was sent; every other path answers 400, as a server
// without a chat model would.
package fakewhisper

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Call is one transcription request.
type Call struct {
	Model, Language, FileName string
	Audio                     []byte
	// Auth is the Authorization header.
	Auth string
}

// Server is the fake.
type Server struct {
	srv   *httptest.Server
	reply string

	mu    sync.Mutex
	calls []Call
}

// New starts a server that answers every transcription with reply; it
// stops when the test ends.
func New(t testing.TB, reply string) *Server {
	f := &Server{reply: reply}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// BaseURL is the server's OpenAI base URL, version path included.
func (f *Server) BaseURL() string { return f.srv.URL + "/v1" }

// Calls returns the transcription requests so far.
func (f *Server) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/audio/transcriptions" {
		http.Error(w, `{"error":{"message":"not served here"}}`, http.StatusBadRequest)
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	audio, _ := io.ReadAll(file)
	f.mu.Lock()
	f.calls = append(f.calls, Call{Model: r.FormValue("model"), Language: r.FormValue("language"), FileName: hdr.Filename, Audio: audio, Auth: r.Header.Get("Authorization")})
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"text": f.reply})
}
