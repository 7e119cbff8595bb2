package event

import "time"

// The probe's connections, as numbered in its connection events.
const (
	// ProbeStream holds one open stream that carries no data, so the
	// server's keepalive enforcement (and any age limit) can be seen.
	ProbeStream = 0
	// ProbeIdle makes one call on each transport, then none: it shows
	// whether idle connections are closed (a proxy's idle timer, nginx's
	// keepalive_timeout, starts only after a request), and is reconnected
	// at once each time to time reconnects.
	ProbeIdle = 1
	// ProbeBusy makes a short call every BusyInterval: it shows age-based
	// recycling and what busy connections go through.
	ProbeBusy = 2
)

// ProbeResult is what the probe did and saw, beside the connection events
// it reported.
type ProbeResult struct {
	Handshake HandshakeTimes `json:"handshake"`
	// HandshakeErr says why the handshake could not be timed ("" if it was).
	HandshakeErr string `json:"handshake_error,omitempty"`
	// Stream is the method of the stream held open on ProbeStream, or ""
	// when the server has neither health nor reflection (StreamErr says).
	Stream    string `json:"stream,omitempty"`
	StreamErr string `json:"stream_error,omitempty"`
	// StreamEnds are the statuses the held stream ended with; it is opened
	// again each time.
	StreamEnds []string `json:"stream_ends,omitempty"`
	// BusyCalls and BusyFailures count the busy connection's calls, and
	// those that failed with UNAVAILABLE (a transport failure).
	BusyCalls    int64 `json:"busy_calls"`
	BusyFailures int64 `json:"busy_failures"`
	// Calls counts the calls (streams included) made on each connection,
	// by index (ProbeStream, ProbeIdle, ProbeBusy); nil in probes saved
	// before it existed.
	Calls   []int64   `json:"calls,omitempty"`
	Started time.Time `json:"started_at"`
	Ended   time.Time `json:"ended_at"`
	// Interrupted reports that the probe was stopped before its time.
	Interrupted bool `json:"interrupted,omitempty"`
}

// HandshakeTimes is how long each step of setting up a connection took.
type HandshakeTimes struct {
	TCP time.Duration `json:"tcp_ns"`
	// TLS is 0 for a plaintext target.
	TLS time.Duration `json:"tls_ns,omitempty"`
	// HTTP2 is from sending the client preface to the server's SETTINGS.
	HTTP2 time.Duration `json:"http2_ns"`
}
