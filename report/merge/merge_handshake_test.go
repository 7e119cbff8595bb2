package merge

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// hist is a histogram of the given values.
func hist(t *testing.T, values ...time.Duration) *report.Histogram {
	t.Helper()
	h := report.NewHDR()
	for _, v := range values {
		if err := h.RecordValue(v.Nanoseconds()); err != nil {
			t.Fatal(err)
		}
	}
	return report.NewHistogram(h)
}

func TestMergeHandshakeAndCompression(t *testing.T) {
	ms := time.Millisecond
	plain := &report.Handshake{Connect: hist(t, ms, ms), HTTP2: hist(t, 2*ms, 2*ms), Total: hist(t, 4*ms, 4*ms)}
	tls := &report.Handshake{Connect: hist(t, ms), TLS: hist(t, 3*ms), HTTP2: hist(t, 2*ms), Total: hist(t, 9*ms)}
	got, err := mergeHandshake(nil, plain, 0)
	if err == nil {
		got, err = mergeHandshake(got, nil, 1)
	}
	if err == nil {
		got, err = mergeHandshake(got, tls, 2)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got.Connect.Count != 3 || got.TLS.Count != 1 || got.HTTP2.Count != 3 || got.Total.Count != 3 || got.Total.Max < 9*ms {
		t.Errorf("merged handshake %+v", got)
	}
	if plain.Total.Count != 2 || tls.Total.Count != 1 {
		t.Errorf("merging changed its sources: %d and %d", plain.Total.Count, tls.Total.Count)
	}

	c := mergeCompression(nil, &report.Compression{Codec: "gzip", SentBytes: 100, SentWireBytes: 40, ReceivedBytes: 1000, ReceivedWireBytes: 50})
	c = mergeCompression(c, nil)
	c = mergeCompression(c, &report.Compression{Codec: "gzip", SentBytes: 10, SentWireBytes: 4, ReceivedBytes: 10, ReceivedWireBytes: 5})
	want := report.Compression{Codec: "gzip", SentBytes: 110, SentWireBytes: 44, ReceivedBytes: 1010, ReceivedWireBytes: 55}
	if *c != want {
		t.Errorf("merged compression %+v, want %+v", *c, want)
	}
}
