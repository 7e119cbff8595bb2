package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestBucketCounts(t *testing.T) {
	h := report.NewHDR()
	for _, d := range []time.Duration{200 * time.Microsecond, 900 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Minute} {
		if err := h.RecordValue(int64(d)); err != nil {
			t.Fatal(err)
		}
	}
	counts, total, sum := bucketCounts(h, []float64{0.00025, 0.001, 0.005, 60})
	want := map[float64]uint64{0.00025: 1, 0.001: 2, 0.005: 4, 60: 4} // 1ms's bin reaches past 1ms; 2m is only in +Inf
	for b, n := range want {
		if counts[b] != n {
			t.Errorf("le=%g: %d, want %d (all %v)", b, counts[b], n, counts)
		}
	}
	if total != 5 {
		t.Errorf("total %d, want 5", total)
	}
	if sum < 120 || sum > 121 {
		t.Errorf("sum %gs, want about 120.005s", sum)
	}
}

// Collect turns a Summary's counts into the metrics by name and label.
func TestCollect(t *testing.T) {
	h := report.NewHDR()
	for range 3 {
		_ = h.RecordValue(int64(2 * time.Millisecond))
	}
	lat := report.NewHistogram(h)
	s := &report.Summary{
		Duration:    2 * time.Second,
		StatusCodes: report.StatusCodes{{Code: event.CodeOK, Count: 2}, {Code: event.CodeUnavailable, Count: 1}},
		Latency:     lat, ServiceTime: lat,
		Messages: report.Messages{Sent: 3, Received: 3},
		Connectivity: &report.Connectivity{Connects: 2, Reconnects: 1,
			GoAways: map[string]int64{"NO_ERROR max_age": 1, "ENHANCE_YOUR_CALM too_many_pings": 2}},
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&Collector{Method: "p.S/M", Summary: func() *report.Summary { return s }, InFlight: func() int { return 4 }})
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				got[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	for key, want := range map[string]float64{
		"grpcpulse_calls_total,code=OK,method=p.S/M":                      2,
		"grpcpulse_calls_total,code=UNAVAILABLE,method=p.S/M":             1,
		"grpcpulse_calls_in_flight,method=p.S/M":                          4,
		"grpcpulse_call_latency_seconds,method=p.S/M":                     3,
		"grpcpulse_stream_messages_total,direction=sent,method=p.S/M":     3,
		"grpcpulse_connects_total":                                        2,
		"grpcpulse_reconnects_total":                                      1,
		"grpcpulse_goaways_total,reason=NO_ERROR max_age":                 1,
		"grpcpulse_goaways_total,reason=ENHANCE_YOUR_CALM too_many_pings": 2,
		"grpcpulse_run_elapsed_seconds":                                   2,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v (all: %v)", key, got[key], want, got)
		}
	}
}

// Before measurement begins only the in-flight gauge is there.
func TestCollectBeforeBegin(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&Collector{Method: "p.S/M", Summary: func() *report.Summary { return nil }, InFlight: func() int { return 0 }})
	fams, err := reg.Gather()
	if err != nil || len(fams) != 1 || fams[0].GetName() != "grpcpulse_calls_in_flight" {
		t.Errorf("got %v, %v", fams, err)
	}
}

// A mix's figures are labelled by each of its methods; the in-flight gauge
// by the Collector's Method (empty for a mix).
func TestCollectMix(t *testing.T) {
	h := report.NewHDR()
	_ = h.RecordValue(int64(time.Millisecond))
	lat := report.NewHistogram(h)
	s := &report.Summary{Duration: time.Second, StatusCodes: report.StatusCodes{{Code: event.CodeOK, Count: 3}}, Latency: lat, ServiceTime: lat,
		Methods: []report.MethodSummary{
			{Method: "p.S/A", StatusCodes: report.StatusCodes{{Code: event.CodeOK, Count: 2}}, Latency: lat, ServiceTime: lat, Messages: report.Messages{Sent: 2}},
			{Method: "p.S/B", StatusCodes: report.StatusCodes{{Code: event.CodeOK, Count: 1}}, Latency: lat, ServiceTime: lat, Messages: report.Messages{Sent: 1}},
		}}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&Collector{Summary: func() *report.Summary { return s }, InFlight: func() int { return 2 }})
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				got[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		"grpcpulse_calls_total,code=OK,method=p.S/A":                  2,
		"grpcpulse_calls_total,code=OK,method=p.S/B":                  1,
		"grpcpulse_stream_messages_total,direction=sent,method=p.S/A": 2,
		"grpcpulse_stream_messages_total,direction=sent,method=p.S/B": 1,
		"grpcpulse_call_latency_seconds,method=p.S/A":                 1,
		"grpcpulse_calls_in_flight,method=":                           2,
	}
	for key, w := range want {
		if g, ok := got[key]; !ok || g != w {
			t.Errorf("%s = %v, want %v (all: %v)", key, g, w, got)
		}
	}
	for key := range got {
		if strings.Contains(key, "calls_total") && !strings.Contains(key, "method=p.S/") {
			t.Errorf("%s: a call figure not labelled by one method", key)
		}
	}
}
