package report

import "fmt"

// Compression is what --compress did to the messages of a run: their
// bytes before compression and on the wire after it, each way.
type Compression struct {
	// Codec is the compressor's name, as in grpc-encoding ("gzip").
	Codec string `json:"codec"`
	// SentBytes are the request messages serialized; SentWireBytes the
	// same messages as sent, compressed (gRPC's 5-byte message headers
	// excluded).
	SentBytes     int64 `json:"sent_bytes"`
	SentWireBytes int64 `json:"sent_wire_bytes"`
	// ReceivedBytes are the response messages serialized;
	// ReceivedWireBytes as they came, compressed or not as the server
	// chose.
	ReceivedBytes     int64 `json:"received_bytes"`
	ReceivedWireBytes int64 `json:"received_wire_bytes"`
}

// CompressionParts says c for people: each way's bytes before and after,
// and the ratio.
func CompressionParts(c *Compression) []string {
	if c == nil {
		return nil
	}
	way := func(name string, before, after int64) string {
		s := fmt.Sprintf("%s %s → %s", name, FormatBytes(before), FormatBytes(after))
		if before > 0 {
			s += fmt.Sprintf(" (%.0f%%)", 100*float64(after)/float64(before))
		}
		return s
	}
	return []string{c.Codec, way("sent", c.SentBytes, c.SentWireBytes), way("received", c.ReceivedBytes, c.ReceivedWireBytes)}
}

// FormatBytes writes a byte count in B, KiB, MiB or GiB with up to three
// significant digits.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 2 {
		v /= unit
		i++
	}
	return TrimZeros(v) + " " + []string{"KiB", "MiB", "GiB"}[i]
}
