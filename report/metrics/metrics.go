// Package metrics exposes a run in progress as Prometheus metrics.
//
// Collector reads the run's figures only when Prometheus scrapes: it asks
// for the Summary so far (the recorder's cumulative counts and merged
// HdrHistograms) and turns it into const metrics, so the per-call path pays
// nothing for it. Latency histograms are the HdrHistogram's counts summed
// into fixed buckets; their _sum is count × mean (HdrHistogram keeps no
// exact sum).
package metrics

import (
	"math"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/grpcpulse/grpcpulse/report"
)

// Buckets are the upper bounds, in seconds, of the latency histograms: from
// 250 µs to a minute, roughly 1-2.5-5 per decade.
var Buckets = []float64{
	0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

var (
	descCalls = prometheus.NewDesc("grpcpulse_calls_total",
		"Calls (streams, for streaming methods) that ended, by method and status code.", []string{"method", "code"}, nil)
	descInFlight = prometheus.NewDesc("grpcpulse_calls_in_flight",
		"Calls in flight now (of a weighted mix: of all its methods, with method empty).", []string{"method"}, nil)
	descLatency = prometheus.NewDesc("grpcpulse_call_latency_seconds",
		"Call latency, from each call's intended start to its end (every outcome).", []string{"method"}, nil)
	descService = prometheus.NewDesc("grpcpulse_call_service_time_seconds",
		"Call service time, from each call's actual start to its end (every outcome).", []string{"method"}, nil)
	descMessages = prometheus.NewDesc("grpcpulse_stream_messages_total",
		"Stream messages, by direction (sent, received); 1 each per unary call.", []string{"method", "direction"}, nil)
	descConnects = prometheus.NewDesc("grpcpulse_connects_total",
		"Transports opened by the pool (TCP and TLS done), first connections included.", nil, nil)
	descReconnects = prometheus.NewDesc("grpcpulse_reconnects_total",
		"Times a pool connection became READY again after losing its transport.", nil, nil)
	descGoAways = prometheus.NewDesc("grpcpulse_goaways_total",
		"GOAWAYs received, once per transport, by HTTP/2 code and debug data (e.g. \"NO_ERROR max_age\").", []string{"reason"}, nil)
	descConnectFailures = prometheus.NewDesc("grpcpulse_connect_failures_total",
		"Failed connection attempts, by cause.", []string{"cause"}, nil)
	descElapsed = prometheus.NewDesc("grpcpulse_run_elapsed_seconds",
		"Time since measurement began.", nil, nil)
)

// Collector is a prometheus.Collector of one run. Summary returns the run
// so far, or nil before measurement begins; InFlight the calls in flight.
// Both are called at scrape time only, and must be safe for concurrent use.
//
// Method labels the figures of a run of one method, and the in-flight
// gauge (empty for a weighted mix: it counts every method). The figures of
// a mix (a Summary with Methods) are labelled by each of its methods, a set
// as bounded as the scenario's calls, never by the list of them.
type Collector struct {
	Method   string
	Summary  func() *report.Summary
	InFlight func() int
}

var _ prometheus.Collector = (*Collector)(nil)

// Describe sends the descriptors of every metric Collect may send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCalls, descInFlight, descLatency, descService, descMessages,
		descConnects, descReconnects, descGoAways, descConnectFailures, descElapsed} {
		ch <- d
	}
}

// Collect reads the run so far.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.InFlight != nil {
		ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(c.InFlight()), c.Method)
	}
	s := c.Summary()
	if s == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descElapsed, prometheus.GaugeValue, s.Duration.Seconds())
	if len(s.Methods) == 0 {
		collectCalls(ch, c.Method, s.StatusCodes, s.Latency, s.ServiceTime, s.Messages)
	}
	for _, m := range s.Methods {
		collectCalls(ch, m.Method, m.StatusCodes, m.Latency, m.ServiceTime, m.Messages)
	}
	if k := s.Connectivity; k != nil {
		ch <- prometheus.MustNewConstMetric(descConnects, prometheus.CounterValue, float64(k.Connects))
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(k.Reconnects))
		for _, reason := range sortedKeys(k.GoAways) {
			ch <- prometheus.MustNewConstMetric(descGoAways, prometheus.CounterValue, float64(k.GoAways[reason]), reason)
		}
		for cause, n := range k.ConnectFailures {
			ch <- prometheus.MustNewConstMetric(descConnectFailures, prometheus.CounterValue, float64(n), string(cause))
		}
	}
}

// collectCalls sends the call figures of one method.
func collectCalls(ch chan<- prometheus.Metric, method string, codes report.StatusCodes, latency, service *report.Histogram, msgs report.Messages) {
	for _, cc := range codes {
		ch <- prometheus.MustNewConstMetric(descCalls, prometheus.CounterValue, float64(cc.Count), method, report.CodeName(cc.Code))
	}
	ch <- constHistogram(descLatency, latency, method)
	ch <- constHistogram(descService, service, method)
	ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(msgs.Sent), method, "sent")
	ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(msgs.Received), method, "received")
}

// constHistogram sums h's HdrHistogram into Buckets.
func constHistogram(desc *prometheus.Desc, h *report.Histogram, method string) prometheus.Metric {
	counts, total, sum := bucketCounts(h.HDR(), Buckets)
	return prometheus.MustNewConstHistogram(desc, total, sum, counts, method)
}

// bucketCounts returns the cumulative count of values at or below each
// bound (seconds), the total count and the sum in seconds (count × mean).
// A value counts in a bucket when its bin's highest equivalent value is
// within the bound, so a bucket never takes values above it.
func bucketCounts(h *hdrhistogram.Histogram, bounds []float64) (map[float64]uint64, uint64, float64) {
	counts := make(map[float64]uint64, len(bounds))
	per := make([]uint64, len(bounds))
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		top := float64(bar.To) / float64(time.Second)
		if i, _ := slices.BinarySearch(bounds, top); i < len(bounds) {
			per[i] += uint64(bar.Count)
		}
	}
	var cum uint64
	for i, b := range bounds {
		cum += per[i]
		counts[b] = cum
	}
	total := uint64(h.TotalCount())
	sum := h.Mean() * float64(total) / float64(time.Second)
	if math.IsNaN(sum) {
		sum = 0
	}
	return counts, total, sum
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
