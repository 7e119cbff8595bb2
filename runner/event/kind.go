package event

// Kind is the RPC kind of a method.
type Kind string

// The four RPC kinds, as they are named in reports.
const (
	Unary        Kind = "unary"
	ServerStream Kind = "server_stream"
	ClientStream Kind = "client_stream"
	Bidi         Kind = "bidi"
)

// Mixed is the kind a mix of methods of different kinds reports for its
// totals (each method keeps its own kind).
const Mixed Kind = "mixed"

// MixKind is the kind of a mix's totals: the kind its methods share, or
// Mixed.
func MixKind(kinds []Kind) Kind {
	for _, k := range kinds[1:] {
		if k != kinds[0] {
			return Mixed
		}
	}
	return kinds[0]
}

// Series names the per-message measurements of streaming calls.
type Series uint8

// The per-message series. Each is recorded only by the kinds that have it.
const (
	// SeriesFirstMessage is the time from the start of a server or bidi
	// stream to its first response.
	SeriesFirstMessage Series = iota
	// SeriesMsgGap is the time between consecutive responses of a stream.
	SeriesMsgGap
	// SeriesMsgRTT is, in a bidi stream, the time from a send to the response
	// matched with it (responses are matched to sends first in, first out).
	SeriesMsgRTT
	// SeriesSendTime is how long one SendMsg of a client or bidi stream took
	// (it blocks while HTTP/2 flow control holds the message back).
	SeriesSendTime
	// NumSeries counts the series.
	NumSeries
)

var seriesNames = [NumSeries]string{"first_message", "msg_gap", "msg_rtt", "send_time"}

// String is the series' name in reports.
func (s Series) String() string {
	if s < NumSeries {
		return seriesNames[s]
	}
	return "unknown"
}

// Has reports whether calls of kind k record series s.
func (k Kind) Has(s Series) bool {
	switch s {
	case SeriesFirstMessage, SeriesMsgGap:
		return k == ServerStream || k == Bidi
	case SeriesMsgRTT:
		return k == Bidi
	case SeriesSendTime:
		return k == ClientStream || k == Bidi
	}
	return false
}

// Streaming reports whether k is a streaming kind (anything but unary).
func (k Kind) Streaming() bool { return k != Unary }
