package report

// Peer is who answered the client, as the wire showed it: the gRPC
// server's implementation and any intermediary (a proxy or load balancer
// that ends the HTTP/2 connection in its place). Evidence lists what told
// it (SETTINGS values and order, the server header, GOAWAY habits, error
// bodies). When the implementation cannot be told, Implementation is
// "unknown" and Likely lists the few it could be.
type Peer struct {
	// Implementation names the server's gRPC stack: "grpc-go",
	// "grpc-java", "C-core", "grpc-js", "grpc-dotnet", "tonic", or
	// "unknown".
	Implementation string `json:"implementation"`
	// Likely are the implementations the evidence fits when it does not
	// tell one; empty when Implementation is known.
	Likely []string `json:"likely,omitempty"`
	// Intermediary names the proxy that answered on the connection
	// ("nginx/1.22.1", "haproxy", "Envoy", "AWS ALB"...); "" when the
	// HTTP/2 peer looked like the server itself.
	Intermediary string   `json:"intermediary,omitempty"`
	Evidence     []string `json:"evidence"`
}
