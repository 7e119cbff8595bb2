package report

// Handshake is how long the run's connections took to set up, one value
// per connection that became READY, by phase (--reconnect-every makes
// many). Each is a histogram like the latency's, so reports merge exactly.
type Handshake struct {
	// Connect is the TCP connect.
	Connect *Histogram `json:"connect"`
	// TLS is the TLS handshake; nil for a plaintext target.
	TLS *Histogram `json:"tls,omitempty"`
	// HTTP2 is from the transport being up (TCP, and TLS when used) to
	// READY: the HTTP/2 preface and the server's SETTINGS.
	HTTP2 *Histogram `json:"http2"`
	// Total is from the start of the dial to READY.
	Total *Histogram `json:"total"`
}

// HandshakePhase is one phase of a Handshake, named for renderers.
type HandshakePhase struct {
	Name string
	H    *Histogram
}

// Phases are h's phases that were measured, in the order they happen,
// Total last; nil for nil h.
func (h *Handshake) Phases() []HandshakePhase {
	if h == nil {
		return nil
	}
	var out []HandshakePhase
	for _, p := range []HandshakePhase{{"TCP connect", h.Connect}, {"TLS", h.TLS}, {"HTTP/2 to READY", h.HTTP2}, {"total", h.Total}} {
		if p.H != nil && p.H.Count > 0 {
			out = append(out, p)
		}
	}
	return out
}
