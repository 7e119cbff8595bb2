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
			p.sent.Add(int64(s.Length))
			p.sentWire.Add(int64(s.CompressedLength))
			p.sentN.Add(1)
		}
	case *stats.InPayload:
		if ctx.Value(countedKey{}) != nil {
			p.recv.Add(int64(s.Length))
			p.recvWire.Add(int64(s.CompressedLength))
			p.recvN.Add(1)
		}
	}
}

// TagConn implements stats.Handler.
func (p *PayloadCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements stats.Handler.
func (p *PayloadCounter) HandleConn(context.Context, stats.ConnStats) {}
