package record

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// A server answering random status codes with random messages makes a
// bounded report: codes beyond 0-16 fold into one OTHER, error keys are
// capped whatever the code, and a megabyte message is kept truncated with
// its length.
func TestHostileCodesAndMessagesStayBounded(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	huge := strings.Repeat("x", 1<<20)
	for i := range 3 {
		end := t0.Add(time.Duration(i) * time.Microsecond)
		c := runner.CallStats{Intended: end, Start: end, End: end, Code: codes.Internal, Err: status.Error(codes.Internal, huge)}
		w.Call(&c)
	}
	const calls = 5000
	for i := range calls {
		end := t0.Add(time.Millisecond + time.Duration(i)*100*time.Microsecond)
		code := codes.Code(17 + i*7919%1_000_000)
		c := runner.CallStats{Intended: end, Start: end, End: end, Code: code,
			Err: status.Error(code, fmt.Sprintf("failure kind %c%c%c", 'a'+i%26, 'a'+i/26%26, 'a'+i/676%26))}
		w.Call(&c)
	}
	r.End(t0.Add(2 * time.Second))
	s := summarize(r, Meta{Method: "p.S/M", Kind: event.Unary, Options: testOptions(event.Unary)})
	if len(s.StatusCodes) != 2 {
		t.Errorf("status codes: %v, want INTERNAL and one OTHER", s.StatusCodes)
	}
	for _, c := range s.StatusCodes {
		if c.Code == report.OtherCode && c.Count != calls {
			t.Errorf("OTHER counts %d, want %d", c.Count, calls)
		}
	}
	if n := len(s.ErrorsByMessage); n > maxErrorKeys+2 {
		t.Errorf("%d error keys, want at most %d", n, maxErrorKeys+2)
	}
	var long *report.ErrorCount
	for i, e := range s.ErrorsByMessage {
		if e.Code == event.CodeInternal {
			long = &s.ErrorsByMessage[i]
		}
	}
	if long == nil || long.Count != 3 || len(long.Message) > report.MaxMessageBytes+40 ||
		!strings.HasSuffix(long.Message, " ... (1048576 bytes)") {
		t.Fatalf("the 1 MB message is kept as %d bytes (%v), want it cut with its length", len(long.Message), long)
	}
	var b bytes.Buffer
	if err := report.WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 200<<10 {
		t.Errorf("the report is %d bytes", b.Len())
	}
	back, err := report.ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.StatusCodes) != 2 || back.StatusCodes[1].Code != report.OtherCode {
		t.Errorf("read back: %v", back.StatusCodes)
	}
}
