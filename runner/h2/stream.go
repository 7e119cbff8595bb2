package h2

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
)

// stream is the pooled state of one call. Every field after the channels
// is guarded by Conn.mu.
type stream struct {
	c *Conn
	// recvWake and sendWake carry at most one pending wake-up each; a
	// waiter re-checks the state after every wake-up, so a stale token
	// left from an earlier use is harmless. A waiter sets recvWaiting or
	// sendWaiting (under Conn.mu) before it waits, and only then is a
	// wake-up sent: most calls end without anyone waiting on sendWake.
	recvWake chan struct{}
	sendWake chan struct{}
	hbuf     bytes.Buffer // this call's own header fields, after m's (writeHeaders)
	henc     *hpack.Encoder
	m        *Method
	scratch  [24]byte

	id         uint32
	waiting    bool // in Conn.waiters, for a MAX_CONCURRENT_STREAMS slot
	started    bool // has an ID and a slot
	headersOut bool // the writer wrote HEADERS
	done       bool // the call has its outcome
	refs       int  // writer ops and the blocked list referring to the stream
	released   bool // the caller is done with it
	inBlocked  bool
	writing    bool // the writer is copying from out
	halfClosed bool // END_STREAM (or RST_STREAM) written
	unary      bool
	// recvWaiting and sendWaiting: the caller waits, or is about to, on
	// recvWake or sendWake.
	recvWaiting bool
	sendWaiting bool
	woken       bool            // counted in Conn.woken
	async       Completion      // a call Start or Open made: told its outcome instead of a wake-up
	handler     Handler         // a stream Open made: told its messages
	queued      bool            // in Conn.completed
	delivering  bool            // the reader hands its messages to handler now
	ctx         context.Context // a Stream's context
	watched     context.Context // a waiting unary call's context (Conn.watches)
	deadline    time.Time

	// Send side.
	out        []byte // request bytes the writer has still to write
	sbuf       []byte // Send's copies of small frames
	outEnd     bool   // END_STREAM after out
	sendWindow int64

	// Receive side.
	gotHeaders bool
	encoding   string
	rbuf       []byte // received DATA, from offset rd
	rd         int    // consumed by Recv
	scan       int    // end of the complete messages in rbuf
	msgs       int    // complete messages received
	recvAvail  int64  // what the server may still send before a WINDOW_UPDATE
	credit     uint32 // received bytes not yet given back in WINDOW_UPDATEs
	header     []HeaderField
	trailer    []HeaderField
	// nonGRPC, when set, is a non-gRPC response (a proxy's HTTP error)
	// whose body is kept for its status message until it ends.
	nonGRPC *nonGRPCBody
	// dbuf holds decompressed messages (Config.Compression); wire is the
	// size as it came of the message received last (see WireSize).
	dbuf []byte
	wire int

	// Outcome.
	code  codes.Code
	msg   string
	cause error
}

func newStream(c *Conn) *stream {
	s := &stream{c: c, recvWake: make(chan struct{}, 1), sendWake: make(chan struct{}, 1)}
	s.henc = literalEncoder(&s.hbuf)
	return s
}

func wakeup(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wakeRecvLocked wakes s's caller if it waits on recvWake.
func (c *Conn) wakeRecvLocked(s *stream) {
	if s.recvWaiting {
		s.recvWaiting = false
		if c.r.deferWakes {
			s.woken = true
			c.woken++
		}
		c.wakeLocked(s.recvWake)
	}
}

// wakeSendLocked wakes s's caller if it waits on sendWake.
func (c *Conn) wakeSendLocked(s *stream) {
	if s.sendWaiting {
		s.sendWaiting = false
		c.wakeLocked(s.sendWake)
	}
}

// getStream returns a reset stream from the free list or a new one.
func (c *Conn) getStream() *stream {
	c.mu.Lock()
	var s *stream
	if n := len(c.free); n > 0 {
		s = c.free[n-1]
		c.free = c.free[:n-1]
	}
	c.mu.Unlock()
	if s == nil {
		s = newStream(c)
	}
	return s
}

// maybeFreeLocked puts s back on the free list once nobody refers to it.
func (c *Conn) maybeFreeLocked(s *stream) {
	if !s.released || !s.done || s.refs > 0 || s.waiting || s.delivering {
		return // deliver frees a stream closed while it hands over messages
	}
	*s = stream{c: c, recvWake: s.recvWake, sendWake: s.sendWake, hbuf: s.hbuf, henc: s.henc,
		rbuf: s.rbuf[:0], sbuf: s.sbuf[:0], header: s.header[:0], trailer: s.trailer[:0], dbuf: s.dbuf[:0]}
	if cap(s.rbuf) > 64<<10 {
		s.rbuf = nil // do not keep a large message's buffer
	}
	if cap(s.dbuf) > maxKeptInflated {
		s.dbuf = nil
	}
	if len(c.free) < 1024 {
		c.free = append(c.free, s)
	}
}

// encodeHeaders encodes the call's own header fields, grpc-timeout and the
// per-call metadata, as literals without indexing: writeHeaders puts them
// after m's fields, whose encoding depends on the connection's table.
func (s *stream) encodeHeaders(ctx context.Context, m *Method, extra []HeaderField) (uint32, error) {
	s.hbuf.Reset()
	s.m = m
	size := m.listSize
	if dl, ok := ctx.Deadline(); ok {
		s.deadline = dl
		v := appendTimeout(s.scratch[:0], timeUntil(dl))
		f := HeaderField{Name: "grpc-timeout", Value: unsafeString(v)}
		s.henc.WriteField(f)
		size += f.Size()
	}
	for _, f := range extra {
		if err := s.henc.WriteField(f); err != nil {
			return 0, err
		}
		size += f.Size()
	}
	return size, nil
}

// openLocked starts s (mu held): it takes a MAX_CONCURRENT_STREAMS slot (or queues for
// one), assigns the stream ID and queues HEADERS, and the request bytes
// out when given.
func (c *Conn) openLocked(s *stream, listSize uint32, out []byte, end bool) error {
	if c.err != nil {
		return &StatusError{Code: codes.Unavailable, Message: c.closeMessageLocked(c.err), Cause: notProcessed(c.err)}
	}
	if c.goAway {
		return &StatusError{Code: codes.Unavailable, Message: "the connection is draining: " + c.goAwayText, Cause: ErrNotProcessed}
	}
	if c.peerList > 0 && listSize > c.peerList {
		return &StatusError{Code: codes.Internal, Message: "header list size to send violates the maximum size set by server"}
	}
	s.out, s.outEnd = out, end
	if uint32(c.active) < c.maxStreams && len(c.waiters) == 0 {
		return c.startLocked(s)
	}
	s.waiting = true
	c.waiters = append(c.waiters, s)
	return nil
}

// startLocked gives s a slot and an ID and queues its HEADERS (and DATA).
// IDs are assigned under mu in the order the writer's queue gets the
// HEADERS, so they go out in increasing order as HTTP/2 requires.
func (c *Conn) startLocked(s *stream) error {
	if c.nextID > maxWindow {
		c.goAway = true
		c.goAwayText = "stream IDs exhausted"
		return &StatusError{Code: codes.Unavailable, Message: "the connection has used all its stream IDs", Cause: ErrNotProcessed}
	}
	s.id = c.nextID
	c.nextID += 2
	s.started = true
	c.active++
	s.sendWindow = c.peerWindow
	s.recvAvail = int64(c.cfg.InitialWindowSize)
	c.streams[s.id] = s
	s.refs++
	c.queueLocked(writeOp{kind: opHeaders, s: s}) // the request bytes follow in the same op
	return nil
}

// notProcessed is the cause of a call that failed with err before any of
// it reached the server: errors.Is finds both ErrNotProcessed and err.
func notProcessed(err error) error { return errors.Join(ErrNotProcessed, err) }

// grantLocked starts waiting streams while slots are free.
func (c *Conn) grantLocked() {
	n := 0
	for ; n < len(c.waiters) && uint32(c.active) < c.maxStreams && c.err == nil && !c.goAway; n++ {
		s := c.waiters[n]
		s.waiting = false
		if err := c.startLocked(s); err != nil {
			se := err.(*StatusError)
			c.endLocked(s, se.Code, se.Message, se.Cause, false, 0)
		}
		c.wakeSendLocked(s)
	}
	if n > 0 {
		c.waiters = append(c.waiters[:0], c.waiters[n:]...)
	}
}

// queueDataLocked hands s's pending output to the writer.
func (c *Conn) queueDataLocked(s *stream) {
	s.refs++
	c.queueLocked(writeOp{kind: opData, s: s})
}

// endLocked gives s its outcome, frees its slot and wakes its caller. With
// rst, a RST_STREAM(code) goes out if the server may still think the
// stream open.
func (c *Conn) endLocked(s *stream, code codes.Code, msg string, cause error, rst bool, rstCode http2.ErrCode) {
	if s.done {
		return
	}
	s.done = true
	s.code, s.msg, s.cause = code, msg, cause
	s.out, s.outEnd = nil, false
	if s.waiting {
		s.waiting = false
		for i, w := range c.waiters {
			if w == s {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				break
			}
		}
	}
	if s.started {
		delete(c.streams, s.id)
		if rst && s.headersOut && c.err == nil {
			c.queueLocked(writeOp{kind: opRST, id: s.id, code: rstCode})
		}
		c.active--
		c.grantLocked()
		if c.goAway && c.active == 0 && len(c.waiters) == 0 && c.err == nil {
			defer c.drained()
		}
	}
	if s.async != nil {
		c.completeLocked(s)
		c.wakeSendLocked(s)
	} else {
		c.wakeRecvLocked(s)
		c.wakeSendLocked(s)
	}
	c.maybeFreeLocked(s)
}

// drained closes a connection whose GOAWAY drain is over (mu is held).
func (c *Conn) drained() {
	c.err = errDrained
	c.sendGoAway = false
	c.signalLocked()
}

// msgAt parses the gRPC message at off in rbuf: its compressed flag and
// length, if its 5-byte prefix is there.
func (s *stream) msgAt(off int) (compressed bool, n int, ok bool) {
	if len(s.rbuf)-off < 5 {
		return false, 0, false
	}
	return s.rbuf[off] != 0, int(binary.BigEndian.Uint32(s.rbuf[off+1:])), true
}

// nonGRPCBody is the status of a non-gRPC response and up to
// maxNonGRPCBody bytes of its body, which grpc-go adds to the message:
// a proxy's error page often names the proxy.
type nonGRPCBody struct {
	code codes.Code
	msg  string
	body []byte
}

// maxNonGRPCBody is grpc-go's nonGRPCDataMaxLen.
const maxNonGRPCBody = 1024

// endNonGRPCLocked ends s, a non-gRPC response, with grpc-go's message:
// the HTTP status, then the body kept.
func (c *Conn) endNonGRPCLocked(s *stream) {
	b := s.nonGRPC
	c.endLocked(s, b.code, fmt.Sprintf("%s\ndata: %q", b.msg, b.body), nil, true, http2.ErrCodeProtocol)
}
