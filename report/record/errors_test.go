package record

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestNormalizeMessage(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"refused", "dial tcp 127.0.0.1:43211: connect: connection refused", "dial tcp ADDR: connect: connection refused"},
		{"grpc wrapped", `connection error: desc = "transport: Error while dialing: dial tcp 10.1.2.3:50051: connect: connection refused"`,
			`connection error: desc = "transport: Error while dialing: dial tcp ADDR: connect: connection refused"`},
		{"reset with both ends", "read tcp 127.0.0.1:54321->127.0.0.1:8080: read: connection reset by peer", "read tcp ADDR->ADDR: read: connection reset by peer"},
		{"ipv4 without port", "no route to host 192.168.0.10", "no route to host ADDR"},
		{"bracketed ipv6", "dial tcp [::1]:50051: connect: connection refused", "dial tcp ADDR: connect: connection refused"},
		{"bracketed ipv6 with zone", "dial tcp [fe80::1%eth0]:443: i/o timeout", "dial tcp ADDR: i/o timeout"},
		{"bare ipv6", "lookup failed for 2001:db8::68", "lookup failed for ADDR"},
		{"host port keeps host", "dial tcp backend-3.internal:50051: i/o timeout", "dial tcp backend-3.internal:PORT: i/o timeout"},
		{"pointer", "object 0xc000123abc is closed", "object 0xHEX is closed"},
		{"uuid", "request 3f2504e0-4f89-11d3-9a0c-0305e82c3301 failed", "request UUID failed"},
		{"trace id", "trace 4bf92f3577b34da6a3ce929d0e0e4736 rejected", "trace HEX rejected"},
		{"hex-looking word stays", "deadbeefcafebabe is a word", "deadbeefcafebabe is a word"},
		{"sizes", "grpc: received message larger than max (5242880 vs. 4194304)", "grpc: received message larger than max (N vs. N)"},
		{"fraction", "deadline exceeded after 1.234567s", "deadline exceeded after Ns"},
		{"short numbers stay", "unexpected HTTP status code received from server: 503 (Service Unavailable)", "unexpected HTTP status code received from server: 503 (Service Unavailable)"},
		{"code text stays", "rpc error: code = Unavailable desc = x", "rpc error: code = Unavailable desc = x"},
		{"colon text stays", "transport: http2: frame too large", "transport: http2: frame too large"},
		{"dns", "dial tcp: lookup nosuch.example on 127.0.0.53:53: no such host", "dial tcp: lookup nosuch.example on ADDR: no such host"},
		{"empty", "", ""},
		{"versions stay", "server nginx/1.22.1 over HTTP/2.0, grpc-go v1.85.0 after 1.5s", "server nginx/1.22.1 over HTTP/2.0, grpc-go v1.85.0 after Ns"},
		{"nginx 504 body on one line",
			"unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type \"text/html\"\ndata: \"<html>\\r\\n<head><title>504 Gateway Time-out</title></head>\\r\\n<body>\\r\\n<center><h1>504 Gateway Time-out</h1></center>\\r\\n<hr><center>nginx/1.22.1</center>\\r\\n</body>\\r\\n</html>\\r\\n\"",
			`unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type "text/html" data: "504 Gateway Time-out 504 Gateway Time-out nginx/1.22.1"`},
		{"haproxy 504 body on one line",
			"unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type \"text/html\"\ndata: \"<html><body><h1>504 Gateway Time-out</h1>\\nThe server didn't respond in time.\\n</body></html>\\n\"",
			`unexpected HTTP status code received from server: 504 (Gateway Timeout); transport: received unexpected content-type "text/html" data: "504 Gateway Time-out The server didn't respond in time."`},
		{"control characters escaped", "bad\x1b[2Jthing\r\nnext", `bad\x1b[2Jthing next`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeMessage(tt.in); got != tt.want {
				t.Errorf("normalizeMessage(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Grouping merges numbers for counting, but the text shown is what the
// peer sent: one real sample per group.
func TestErrorSampleKeepsNumbers(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	msgs := []string{
		`unexpected HTTP status code received from server: 503 (Service Unavailable); transport: received unexpected content-type "text/html; charset=iso-8859-1"`,
		`unexpected HTTP status code received from server: 503 (Service Unavailable); transport: received unexpected content-type "text/html; charset=iso-8859-1"`,
		"grpc: received message larger than max (558124867 vs. 4194304)",
	}
	for i, m := range msgs {
		c := runner.CallStats{Intended: ms(float64(i)), Start: ms(float64(i)), End: ms(float64(i) + 1), Code: codes.Unavailable, Err: status.Error(codes.Unavailable, m)}
		w.Call(&c)
	}
	r.End(ms(10))
	s := summarize(r, Meta{})
	shown := map[string]int64{}
	for _, e := range s.ErrorsByMessage {
		shown[e.Shown()] = e.Count
	}
	if shown[msgs[0]] != 2 || shown[msgs[2]] != 1 {
		t.Errorf("shown messages %v, want the peer's own texts", shown)
	}
}
