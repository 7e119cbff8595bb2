package merge

import (
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// mergeHandshake adds src's handshake phases to dst (nil when neither has
// any): each phase's histogram merges exactly; a phase one report lacks
// (TLS of a plaintext run) counts what the others have.
func mergeHandshake(dst, src *report.Handshake, i int) (*report.Handshake, error) {
	if src == nil {
		return dst, nil
	}
	if dst == nil {
		dst = &report.Handshake{}
	}
	for _, p := range []struct {
		dst  **report.Histogram
		src  *report.Histogram
		name string
	}{{&dst.Connect, src.Connect, "connect"}, {&dst.TLS, src.TLS, "tls"}, {&dst.HTTP2, src.HTTP2, "http2"}, {&dst.Total, src.Total, "total"}} {
		if p.src == nil {
			continue
		}
		h := report.NewHDR()
		if *p.dst != nil {
			h = (*p.dst).HDR()
		}
		if err := mergeHDR(h, p.src, i, "connectivity.handshake."+p.name); err != nil {
			return nil, err
		}
		*p.dst = report.NewHistogram(h)
	}
	return dst, nil
}

// mergeCompression adds src's byte counts to dst (nil when neither has
// any); reports compressed with different codecs name them all.
func mergeCompression(dst, src *report.Compression) *report.Compression {
	if src == nil {
		return dst
	}
	if dst == nil {
		return &report.Compression{Codec: src.Codec, SentBytes: src.SentBytes, SentWireBytes: src.SentWireBytes,
			ReceivedBytes: src.ReceivedBytes, ReceivedWireBytes: src.ReceivedWireBytes}
	}
	if !strings.Contains(","+dst.Codec+",", ","+src.Codec+",") {
		dst.Codec += "," + src.Codec
	}
	dst.SentBytes += src.SentBytes
	dst.SentWireBytes += src.SentWireBytes
	dst.ReceivedBytes += src.ReceivedBytes
	dst.ReceivedWireBytes += src.ReceivedWireBytes
	return dst
}
