package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsText(t *testing.T) {
	m := New()
	m.Observe("log", "ok", 3*time.Millisecond)
	m.Observe("log", "invalid", time.Millisecond)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`accountbot_commands_total{command="log",outcome="ok"} 1`,
		`accountbot_commands_total{command="log",outcome="invalid"} 1`,
		`accountbot_handler_seconds_count{command="log"} 2`,
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
