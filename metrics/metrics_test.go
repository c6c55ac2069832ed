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
	m.Observe("telegram", "log", "ok", 3*time.Millisecond)
	m.Observe("console", "log", "invalid", time.Millisecond)
	m.SendRetried("slack", "429")
	m.SendRetried("telegram", "error")
	m.SendFailed("telegram", "sendMessage")
	m.AnsweredAgain("slack")
	m.SetBuild(Build{Version: "v1.2.3", Revision: "abc", GoVersion: "go1.26"})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`accountbot_commands_total{adapter="telegram",command="log",outcome="ok"} 1`,
		`accountbot_commands_total{adapter="console",command="log",outcome="invalid"} 1`,
		`accountbot_handler_duration_seconds_count{adapter="telegram",command="log"} 1`,
		`accountbot_handler_seconds_count{command="log"} 2`,
		`accountbot_send_retries_total{adapter="slack",reason="429"} 1`,
		`accountbot_send_retries_total{adapter="telegram",reason="error"} 1`,
		`accountbot_send_rate_limited_total{adapter="slack"} 1`,
		`accountbot_send_errors_total{adapter="telegram",method="sendMessage"} 1`,
		`accountbot_requests_answered_again_total{adapter="slack"} 1`,
		`accountbot_build_info{goversion="go1.26",revision="abc",version="v1.2.3"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
