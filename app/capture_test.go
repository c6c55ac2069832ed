package app

import (
	"accountbot/internal/fakes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestVoiceNoteThroughTheProgram runs the program against a fake Bot API
// and a fake OpenAI-compatible server: a voice note is fetched from
// Telegram, sent to /audio/transcriptions with OPENAI_TRANSCRIBE_MODEL,
// and its transcript read as a note (a proposal, nothing written).
func TestVoiceNoteThroughTheProgram(t *testing.T) {
	audio := "OggS voice bytes"
	var mu sync.Mutex
	var transcribed []string
	tg := fakes.NewTelegram(t)
	voice := tg.AddFile("file_1.oga", []byte(audio))
	sent := func() []string {
		var out []string
		for _, c := range tg.Calls("sendMessage") {
			out = append(out, c.Params["text"])
		}
		return out
	}
	ai := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" {
			http.Error(w, `{"error":{"message":"no chat model here"}}`, http.StatusBadRequest)
			return
		}
		_ = r.ParseMultipartForm(1 << 20)
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		mu.Lock()
		transcribed = append(transcribed, r.FormValue("model")+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"text":"Met Voice Trade, they want a discount"}`)
	}))
	defer ai.Close()
	p := startProgram(t, map[string]string{
		"ACCOUNTBOT_DATA_DIR":     t.TempDir(),
		"ACCOUNTBOT_HEADS":        "telegram:100",
		"TELEGRAM_BOT_TOKEN":      fakes.TelegramToken,
		"TELEGRAM_API_URL":        tg.URL(),
		"TELEGRAM_WEBHOOK_URL":    "https://bot.example.com/tg/hook",
		"TELEGRAM_WEBHOOK_SECRET": "hook-secret",
		"OPENAI_BASE_URL":         ai.URL + "/v1",
		"OPENAI_API_KEY":          "sk-program-secret",
		"OPENAI_TRANSCRIBE_MODEL": "whisper-test",
	})
	post := func(id int, msg string) {
		t.Helper()
		upd := `{"update_id":` + strconv.Itoa(id) + `,"message":{"message_id":` + strconv.Itoa(id) + `,"date":1767225600,"chat":{"id":100,"type":"private"},"from":{"id":100,"is_bot":false,"first_name":"Hristo"},` + msg + `}}`
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/tg/hook", strings.NewReader(upd))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "hook-secret")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("update %d not taken: %v\n%s", id, err, p.stderr.String())
			}
		}
	}
	post(1, `"text":"/client add Voice Trade"`)
	post(2, `"voice":{"file_id":"`+voice+`","file_unique_id":"u`+voice+`","duration":4,"mime_type":"audio/ogg","file_size":16}`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		done := strings.Contains(strings.Join(sent(), "\n"), "Nothing is saved until you confirm")
		if done {
			break
		}
	}
	p.stop()
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(sent(), "\n---\n")
	for _, want := range []string{"Transcribing", "Met Voice Trade, they want a discount", "Voice Trade", "Nothing is saved until you confirm"} {
		if !strings.Contains(all, want) {
			t.Errorf("replies lack %q:\n%s", want, all)
		}
	}
	if len(transcribed) != 1 || transcribed[0] != "whisper-test "+audio {
		t.Errorf("transcription requests %q", transcribed)
	}
	if strings.Contains(p.stderr.String(), "sk-program-secret") {
		t.Errorf("the API key reached the log")
	}
}
