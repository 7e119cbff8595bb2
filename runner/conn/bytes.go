package conn

import (
	"context"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/stats"
)

// Payloads is what a PayloadCounter counted: message bytes serialized
// (before compression) and as they went or came (after compression; the
// same when a message was not compressed), gRPC's 5-byte message headers
// and HTTP/2 framing left out.
type Payloads struct {
	Sent         int64 `json:"sent_bytes"`
	SentWire     int64 `json:"sent_wire_bytes"`
	Received     int64 `json:"received_bytes"`
	ReceivedWire int64 `json:"received_wire_bytes"`
	SentMessages int64 `json:"sent_messages"`
	ReceivedMsgs int64 `json:"received_messages"`
}

// PayloadCounter is a grpc-go stats handler (install it with
// grpc.WithStatsHandler) adding up the bytes of messages before and after
// compression, from OutPayload's and InPayload's Length and
// CompressedLength. Like AttemptCounter it costs a stats handler on every
// call, so a run installs it only when it compresses (--compress). Its
// handler methods are safe for concurrent use.
type PayloadCounter struct {
	// From is when counting starts: calls begun earlier (warm-up) are left
	// out. Set it before the first call through the connection.
	From                                         time.Time
	sent, sentWire, recv, recvWire, sentN, recvN atomic.Int64
}

// Counts reports whether a call begun at start is counted: an engine
// without stats handlers (runner/h2) asks at the start of each call, and
// counts its messages with AddSent and AddReceived.
func (p *PayloadCounter) Counts(start time.Time) bool { return !start.Before(p.From) }

// AddSent counts a request message of length bytes serialized, wire as
// sent (compressed or not). Safe for concurrent use.
func (p *PayloadCounter) AddSent(length, wire int) {
	p.sent.Add(int64(length))
	p.sentWire.Add(int64(wire))
	p.sentN.Add(1)
}

// AddReceived counts a response message of length bytes serialized, wire
// as it came. Safe for concurrent use.
func (p *PayloadCounter) AddReceived(length, wire int) {
	p.recv.Add(int64(length))
	p.recvWire.Add(int64(wire))
	p.recvN.Add(1)
}

// counted marks the context of a call begun at or after From.
type countedKey struct{}

// Result is what the counter has counted so far.
func (p *PayloadCounter) Result() *Payloads {
	return &Payloads{Sent: p.sent.Load(), SentWire: p.sentWire.Load(), Received: p.recv.Load(), ReceivedWire: p.recvWire.Load(),
		SentMessages: p.sentN.Load(), ReceivedMsgs: p.recvN.Load()}
}

// TagRPC implements stats.Handler: calls begun from From on, other than
// grpcpulse's own (health, reflection), are counted.
func (p *PayloadCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	if ctx.Value(ownCallKey{}) != nil || time.Now().Before(p.From) {
		return ctx
	}
	return context.WithValue(ctx, countedKey{}, true)
}

// HandleRPC implements stats.Handler.
func (p *PayloadCounter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	switch s := s.(type) {
	case *stats.OutPayload:
		if ctx.Value(countedKey{}) != nil {
			p.AddSent(s.Length, s.CompressedLength)
		}
	case *stats.InPayload:
		if ctx.Value(countedKey{}) != nil {
			p.AddReceived(s.Length, s.CompressedLength)
		}
	}
}

// TagConn implements stats.Handler.
func (p *PayloadCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements stats.Handler.
func (p *PayloadCounter) HandleConn(context.Context, stats.ConnStats) {}
