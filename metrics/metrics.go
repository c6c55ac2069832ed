// Package metrics exposes accountbot's Prometheus metrics.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Build describes the running binary for the build-info gauge.
type Build struct {
	Version, Revision, GoVersion string
}

// Metrics holds the collectors in a registry of its own (no globals).
type Metrics struct {
	reg      *prometheus.Registry
	commands *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// legacy is accountbot_handler_seconds, the old name of latency, kept
	// for one release so that dashboards can move to the new name.
	legacy      *prometheus.HistogramVec
	sendErrors  *prometheus.CounterVec
	sendRetries *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	again       *prometheus.CounterVec
	build       *prometheus.GaugeVec
}

var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

// New returns metrics with Go and process collectors registered.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountbot_commands_total",
			Help: "Commands handled, by adapter, command and outcome.",
		}, []string{"adapter", "command", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accountbot_handler_duration_seconds",
			Help:    "Handler latency, by adapter and command.",
			Buckets: latencyBuckets,
		}, []string{"adapter", "command"}),
		legacy: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accountbot_handler_seconds",
			Help:    "Deprecated: use accountbot_handler_duration_seconds. Handler latency, by command.",
			Buckets: latencyBuckets,
		}, []string{"command"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountbot_send_errors_total",
			Help: "Outbound platform calls that failed for good, by adapter and method.",
		}, []string{"adapter", "method"}),
		sendRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountbot_send_retries_total",
			Help: "Outbound platform calls made again, by adapter and reason (429, error).",
		}, []string{"adapter", "reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountbot_send_rate_limited_total",
			Help: "Outbound platform calls answered 429 (too many requests), by adapter.",
		}, []string{"adapter"}),
		again: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountbot_requests_answered_again_total",
			Help: "Requests answered again from the start because the team changed while they were read from a guess of it (PostgreSQL), by adapter.",
		}, []string{"adapter"}),
		build: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "accountbot_build_info",
			Help: "Always 1; the labels say which build is running.",
		}, []string{"version", "revision", "goversion"}),
	}
	m.reg.MustRegister(m.commands, m.latency, m.legacy, m.sendErrors, m.sendRetries, m.rateLimited, m.again, m.build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SetBuild sets the build-info gauge.
func (m *Metrics) SetBuild(b Build) {
	m.build.Reset()
	m.build.WithLabelValues(b.Version, b.Revision, b.GoVersion).Set(1)
}

// Observe records one handled command that came through adapter
// ("console", "telegram", "slack").
func (m *Metrics) Observe(adapter, command, outcome string, d time.Duration) {
	if adapter == "" {
		adapter = "none"
	}
	m.commands.WithLabelValues(adapter, command, outcome).Inc()
	m.latency.WithLabelValues(adapter, command).Observe(d.Seconds())
	m.legacy.WithLabelValues(command).Observe(d.Seconds())
}

// AnsweredAgain counts a request that came through adapter and was
// answered again from the start: it had started from a guess of the team
// that the database contradicted (another replica changed the team).
func (m *Metrics) AnsweredAgain(adapter string) {
	if adapter == "" {
		adapter = "none"
	}
	m.again.WithLabelValues(adapter).Inc()
}

// SendFailed counts an outbound call that failed for good.
func (m *Metrics) SendFailed(adapter, method string) {
	m.sendErrors.WithLabelValues(adapter, method).Inc()
}

// SendRetried counts an outbound call made again; reason "429" is a rate
// limit and is also counted in accountbot_send_rate_limited_total.
func (m *Metrics) SendRetried(adapter, reason string) {
	m.sendRetries.WithLabelValues(adapter, reason).Inc()
	if reason == "429" {
		m.rateLimited.WithLabelValues(adapter).Inc()
	}
}

// Registry returns the registry, so adapters may add their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
