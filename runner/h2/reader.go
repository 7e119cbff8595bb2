package h2

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
)

// reader is the state of the connection's reader goroutine: the HPACK
// decoder (which must see every header block in order) and the header
// block being read.
type reader struct {
	c        *Conn
	dec      *hpack.Decoder
	fields   []HeaderField
	id       uint32 // stream of the header block being read
	end      bool   // its HEADERS had END_STREAM
	listSize uint32
	raw      int  // compressed bytes of the block so far
	over     bool // the list exceeded MaxHeaderListSize
	// connCredit is received DATA not yet given back to the connection
	// window; connAvail is what the server may still send.
	connCredit uint32
	connAvail  int64
	// deferWakes is set, with Conn.mu held, while the reader applies a
	// frame: the callers it ends or gives a message are woken only once
	// the frames already read are all applied (wakes, flushed by
	// flushWakes), so that they do not contend for Conn.mu with the reader
	// still at work, and no wake-up is made with the lock held.
	deferWakes bool
	wakes      []chan struct{}
	// completions counts the calls of Start it ended and deferred the same
	// way (Conn.completed); done is the scratch that runs them.
	completions int
	done        []finished
	batch       []writeOp // writeInlineLocked's and writeRepliesLocked's
	reply       replyWriter
	// replies counts the replies (PING and SETTINGS ACKs, RST_STREAMs)
	// it queued without signalling the writer, deferred like its
	// wake-ups: they go out with the next requests that the calls it
	// completes queue, which the reader writes itself, or else alone
	// (writeRepliesLocked).
	replies int
}

// maxDeferredWakes bounds the wake-ups the reader holds back, and so how
// long a woken caller waits for the reader to go through a large read.
const maxDeferredWakes = 32

// wakeLocked wakes the goroutine waiting on ch: at once, or, while the
// reader applies a frame, once it is done with the frames already read.
func (c *Conn) wakeLocked(ch chan struct{}) {
	if c.r.deferWakes {
		c.r.wakes = append(c.r.wakes, ch)
		return
	}
	wakeup(ch)
}

// flushWakes makes the wake-ups the reader held back, when the next
// frame is not wholly buffered (reading it may block) or enough are held.
// Only the reader calls it, without Conn.mu.
func (c *Conn) flushWakes(force bool) {
	r := &c.r
	n := len(r.wakes) + r.completions + r.replies
	if n == 0 || !force && n < maxDeferredWakes && c.frameBuffered() {
		return
	}
	for i, ch := range r.wakes {
		wakeup(ch)
		r.wakes[i] = nil
	}
	r.wakes = r.wakes[:0]
	if r.completions > 0 {
		r.completions = 0
		r.done = c.complete(r.done, true)
	}
	if r.replies > 0 {
		r.replies = 0
		c.mu.Lock()
		var err error
		if len(c.queue) > 0 && c.woken == 0 {
			err = c.writeRepliesLocked()
		}
		c.mu.Unlock()
		if err != nil {
			c.fail(writeErr(err), 0, false)
		}
	}
}

// frameBuffered reports whether the next frame is wholly in the read
// buffer, so that reading it does not wait on the socket.
func (c *Conn) frameBuffered() bool {
	n := c.br.Buffered()
	if n < frameHeaderLen {
		return false
	}
	h, err := c.br.Peek(frameHeaderLen)
	if err != nil {
		return false
	}
	return n >= frameHeaderLen+(int(h[0])<<16|int(h[1])<<8|int(h[2]))
}

const frameHeaderLen = 9

func (r *reader) init(c *Conn) {
	r.c = c
	r.dec = hpack.NewDecoder(4096, r.emit)
	r.dec.SetMaxStringLength(int(c.cfg.MaxHeaderListSize))
	r.connAvail = int64(c.cfg.ConnWindowSize)
}

func (r *reader) emit(f HeaderField) {
	r.listSize += f.Size()
	if r.listSize > r.c.cfg.MaxHeaderListSize {
		r.over = true
		r.dec.SetEmitEnabled(false)
		return
	}
	r.fields = append(r.fields, f)
}

// readLoop is the connection's one reader: it reads every frame and
// applies it to the connection or the stream it names.
func (c *Conn) readLoop() {
	keepalive := c.cfg.Keepalive.Time > 0 // only the pinger reads lastRead
	defer c.flushWakes(true)
	for {
		c.flushWakes(false)
		f, err := c.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				c.streamError(se)
				continue
			}
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				c.fail(fmt.Errorf("protocol error from server: %w", err), http2.ErrCode(ce), true)
			} else if errors.Is(err, http2.ErrFrameTooLarge) {
				c.fail(fmt.Errorf("protocol error from server: %w", err), http2.ErrCodeFrameSize, true)
			} else {
				c.fail(readErr{err}, 0, false)
			}
			return
		}
		if keepalive {
			c.lastRead.Store(time.Now().UnixNano())
		}
		if err := c.handle(f); err != nil {
			code := http2.ErrCodeProtocol
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				code = http2.ErrCode(ce)
			}
			c.fail(fmt.Errorf("protocol error from server: %w", err), code, true)
			return
		}
	}
}

// handle applies one frame; an error is a connection error.
func (c *Conn) handle(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.HeadersFrame:
		r := &c.r
		r.id, r.end, r.listSize, r.raw, r.over = f.StreamID, f.StreamEnded(), 0, 0, false
		r.fields = r.fields[:0]
		r.dec.SetEmitEnabled(true)
		return c.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.ContinuationFrame:
		return c.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.RSTStreamFrame:
		c.mu.Lock()
		if s := c.streams[f.StreamID]; s != nil {
			c.eventLocked(Event{Kind: EventRSTStream, Code: f.ErrCode, StreamID: f.StreamID})
			code := rstCode(f.ErrCode)
			if code == codes.Canceled && !s.deadline.IsZero() && !time.Now().Before(s.deadline) {
				code = codes.DeadlineExceeded // the server's timer fired first, as grpc-go maps it
			}
			var cause error
			if f.ErrCode == http2.ErrCodeRefusedStream {
				cause = ErrNotProcessed
			}
			c.endLocked(s, code, "stream terminated by RST_STREAM with error code: "+f.ErrCode.String(), cause, false, 0)
		}
		c.mu.Unlock()
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		c.mu.Lock()
		err := c.applySettingsLocked(f)
		c.mu.Unlock()
		return err
	case *http2.PingFrame:
		if f.IsAck() {
			c.mu.Lock()
			sent := c.pingSent
			if f.Data == keepalivePing {
				c.pingSent = time.Time{}
			}
			c.mu.Unlock()
			if f.Data == keepalivePing && !sent.IsZero() {
				c.event(Event{Kind: EventPingAck, RTT: time.Since(sent)})
			}
			return nil
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.queueReplyLocked(writeOp{kind: opPingAck, ping: f.Data})
	case *http2.GoAwayFrame:
		return c.onGoAway(f)
	case *http2.WindowUpdateFrame:
		c.mu.Lock()
		defer c.mu.Unlock()
		if f.StreamID == 0 {
			c.sendWindow += int64(f.Increment)
			if c.sendWindow > maxWindow {
				return http2.ConnectionError(http2.ErrCodeFlowControl)
			}
		} else if s := c.streams[f.StreamID]; s != nil {
			s.sendWindow += int64(f.Increment)
			if s.sendWindow > maxWindow {
				c.endLocked(s, codes.Internal, "the server's WINDOW_UPDATE overflowed the stream's window", nil, true, http2.ErrCodeFlowControl)
				return nil
			}
		}
		c.unblockLocked()
	case *http2.PushPromiseFrame:
		return errors.New("PUSH_PROMISE though SETTINGS_ENABLE_PUSH is 0")
	}
	return nil
}

// streamError handles a frame the framer found malformed for one stream.
func (c *Conn) streamError(se http2.StreamError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.streams[se.StreamID]; s != nil {
		c.endLocked(s, codes.Internal, "malformed frame from server: "+se.Error(), nil, true, se.Code)
	} else if err := c.queueReplyLocked(writeOp{kind: opRST, id: se.StreamID, code: se.Code}); err != nil {
		c.mu.Unlock()
		c.fail(fmt.Errorf("protocol error from server: %w", err), http2.ErrCodeEnhanceYourCalm, true)
		c.mu.Lock()
	}
}

// maxQueued bounds the writer's queue for frames the server provokes
// (PING and SETTINGS ACKs, RST_STREAM of unknown streams): a server that
// floods them and reads nothing makes a connection error, not unbounded
// memory.
const maxQueued = 4096

// Only the reader queues replies, and it does not signal the writer for
// them at once (reader.replies): a PING's ACK (grpc-go servers ping as
// they estimate the bandwidth-delay product) then goes out in the
// reader's own write of the next requests, or alone in a write that
// never waits (writeRepliesLocked), with no goroutine wake. A server that
// floods PINGs and reads nothing must block the writer, not the reader
// that counts the flood.
func (c *Conn) queueReplyLocked(op writeOp) error {
	if len(c.queue) >= maxQueued {
		return fmt.Errorf("over %d control frames waiting to be written (a PING, SETTINGS or RST_STREAM flood): %w", maxQueued, http2.ConnectionError(http2.ErrCodeEnhanceYourCalm))
	}
	c.queue = append(c.queue, op)
	c.r.replies++
	return nil
}

// onHeaderFragment feeds a HEADERS or CONTINUATION fragment to the HPACK
// decoder. Every block is decoded, even of streams already gone, to keep
// the decoder's dynamic table in step with the server's encoder. A block
// whose compressed size passes twice MaxHeaderListSize is a connection
// error: it bounds endless CONTINUATION frames whose fields are no longer
// kept.
func (c *Conn) onHeaderFragment(b []byte, last bool) error {
	r := &c.r
	r.raw += len(b)
	if r.raw > 2*int(c.cfg.MaxHeaderListSize)+maxFrameSize {
		return fmt.Errorf("header block over %d bytes: %w", r.raw, http2.ConnectionError(http2.ErrCodeEnhanceYourCalm))
	}
	if _, err := r.dec.Write(b); err != nil {
		return fmt.Errorf("HPACK: %v: %w", err, http2.ConnectionError(http2.ErrCodeCompression))
	}
	if !last {
		return nil
	}
	if err := r.dec.Close(); err != nil {
		return fmt.Errorf("HPACK: %v: %w", err, http2.ConnectionError(http2.ErrCodeCompression))
	}
	c.mu.Lock()
	r.deferWakes = true
	defer c.unlockReader()
	if r.id%2 == 0 || r.id >= c.nextID {
		return fmt.Errorf("HEADERS on stream %d, which the client did not open: %w", r.id, http2.ConnectionError(http2.ErrCodeProtocol))
	}
	if s := c.streams[r.id]; s != nil {
		c.onHeadersLocked(s)
	}
	return nil
}

// onHeadersLocked applies a complete header block to s, as grpc-go's
// operateHeaders does.
func (c *Conn) onHeadersLocked(s *stream) {
	r := &c.r
	initial := !s.gotHeaders
	if !initial && !r.end {
		c.endLocked(s, codes.Internal, "a HEADERS frame cannot appear in the middle of a stream", nil, true, http2.ErrCodeProtocol)
		return
	}
	if r.over {
		c.endLocked(s, codes.Internal, "peer header list size exceeded limit", nil, true, http2.ErrCodeFrameSize)
		return
	}
	if s.nonGRPC != nil {
		if r.end { // the trailers of a non-gRPC response
			c.endNonGRPCLocked(s)
		}
		return
	}
	isGRPC := !initial
	contentErr := "malformed header: missing HTTP content-type"
	grpcCode, httpStatus, grpcMsg := codes.Unknown, "", ""
	kept := &s.trailer
	if !r.end {
		kept = &s.header
	}
	for _, f := range r.fields {
		switch f.Name {
		case "content-type":
			if !validContentType(f.Value) {
				contentErr = fmt.Sprintf("transport: received unexpected content-type %q", f.Value)
				continue
			}
			contentErr, isGRPC = "", true
		case "grpc-encoding":
			s.encoding = f.Value
		case "grpc-status":
			v, err := strconv.ParseInt(f.Value, 10, 32)
			if err != nil {
				c.endLocked(s, codes.Unknown, "transport: malformed grpc-status: "+err.Error(), nil, true, http2.ErrCodeProtocol)
				return
			}
			grpcCode = codes.Code(uint32(v))
		case "grpc-message":
			grpcMsg = f.Value
		case ":status":
			httpStatus = f.Value
		default:
			if f.Name != "" && f.Name[0] != ':' {
				*kept = append(*kept, f)
			}
		}
	}
	if !isGRPC {
		code, msg := codes.Internal, "malformed header: missing HTTP status"
		if httpStatus != "" {
			st, err := strconv.Atoi(httpStatus)
			if err != nil {
				c.endLocked(s, codes.Internal, "transport: malformed http-status: "+err.Error(), nil, true, http2.ErrCodeProtocol)
				return
			}
			if st >= 100 && st < 200 {
				if r.end {
					c.endLocked(s, codes.Internal, fmt.Sprintf("protocol error: informational header with status code %d must not have END_STREAM set", st), nil, true, http2.ErrCodeProtocol)
				}
				return
			}
			code, msg = httpCode(st), fmt.Sprintf("unexpected HTTP status code received from server: %d (%s)", st, httpText(st))
		}
		if contentErr != "" {
			msg += "; " + contentErr
		}
		if r.end {
			c.endLocked(s, code, msg, nil, true, http2.ErrCodeProtocol)
			return
		}
		// A body follows: grpc-go keeps its start for the message.
		s.nonGRPC = &nonGRPCBody{code: code, msg: msg}
		return
	}
	if initial {
		s.gotHeaders = true
	}
	if !r.end {
		return
	}
	c.finishLocked(s, grpcCode, decodeGRPCMessage(grpcMsg))
}

// finishLocked ends s on the server's END_STREAM with its status, checking
// what the call received the way grpc-go's receive path would.
func (c *Conn) finishLocked(s *stream, code codes.Code, msg string) {
	if code == codes.OK {
		if s.scan != len(s.rbuf) {
			code, msg = codes.Internal, "server closed the stream without sending a complete message (unexpected EOF)"
		} else if s.unary && s.msgs == 0 {
			code, msg = codes.Internal, "cardinality violation: received no response message from non-streaming RPC"
		}
	}
	// The server ended its side: a RST_STREAM(NO_ERROR) closes ours if we
	// have not (grpc-go does the same).
	c.endLocked(s, code, msg, nil, !s.halfClosed, http2.ErrCodeNo)
}

// onData takes a DATA frame: flow control first, for the connection even
// when the stream is gone, then the bytes into the stream's buffer.
func (c *Conn) onData(f *http2.DataFrame) error {
	r := &c.r
	n := f.Length
	r.connAvail -= int64(n)
	if r.connAvail < 0 {
		return fmt.Errorf("DATA beyond the connection window: %w", http2.ConnectionError(http2.ErrCodeFlowControl))
	}
	c.mu.Lock()
	r.deferWakes = true
	defer c.unlockReader()
	if n > 0 {
		r.connCredit += n
		if r.connCredit >= c.cfg.ConnWindowSize/4 {
			c.queueLocked(writeOp{kind: opWindow, n: r.connCredit})
			r.connAvail += int64(r.connCredit)
			r.connCredit = 0
		}
	}
	s := c.streams[f.StreamID]
	if s == nil {
		if f.StreamID%2 == 0 || f.StreamID >= c.nextID {
			return fmt.Errorf("DATA on stream %d, which the client did not open: %w", f.StreamID, http2.ConnectionError(http2.ErrCodeProtocol))
		}
		return nil
	}
	s.recvAvail -= int64(n)
	if s.recvAvail < 0 {
		c.endLocked(s, codes.Internal, "received data exceeds the stream's flow control window", nil, true, http2.ErrCodeFlowControl)
		return nil
	}
	s.credit += n
	if b := s.nonGRPC; b != nil {
		d := f.Data()
		b.body = append(b.body, d[:min(len(d), maxNonGRPCBody-len(b.body))]...)
		if len(b.body) >= maxNonGRPCBody || f.StreamEnded() {
			c.endNonGRPCLocked(s)
		} else {
			c.creditLocked(s)
		}
		return nil
	}
	s.rbuf = append(s.rbuf, f.Data()...)
	complete := s.msgs
	for {
		compressed, size, ok := s.msgAt(s.scan)
		if !ok {
			break
		}
		if size > c.cfg.MaxRecvMsgSize {
			c.endLocked(s, codes.ResourceExhausted, fmt.Sprintf("grpc: received message larger than max (%d vs. %d)", size, c.cfg.MaxRecvMsgSize), nil, true, http2.ErrCodeCancel)
			return nil
		}
		if compressed && !c.inflates(s.encoding) {
			if s.encoding == "" || s.encoding == "identity" {
				c.endLocked(s, codes.Internal, "grpc: compressed flag set with identity or empty encoding", nil, true, http2.ErrCodeCancel)
			} else {
				c.endLocked(s, codes.Unimplemented, fmt.Sprintf("grpc: Decompressor is not installed for grpc-encoding %q", s.encoding), nil, true, http2.ErrCodeCancel)
			}
			return nil
		}
		if got := len(s.rbuf) - s.scan; got < 5+size {
			// The rest of a long message is on its way: once a quarter
			// came (a length alone allocates nothing), room for all of
			// it at once, not by doubling (copies of what came so far).
			if got >= size/4 {
				s.rbuf = slices.Grow(s.rbuf, 5+size-got)
			}
			break
		}
		s.scan += 5 + size
		s.msgs++
		if s.unary && s.msgs > 1 {
			c.endLocked(s, codes.Internal, "cardinality violation: expected <EOF> for non server-streaming RPCs, but received another message", nil, true, http2.ErrCodeCancel)
			return nil
		}
	}
	c.creditLocked(s)
	if f.StreamEnded() {
		c.finishLocked(s, codes.Internal, "server closed the stream without sending trailers")
		return nil
	}
	if s.msgs > complete && !s.unary {
		if s.handler != nil {
			c.completeLocked(s)
		} else {
			c.wakeRecvLocked(s)
		}
	}
	return nil
}

// unlockReader ends a locked section of the reader that deferred its
// wake-ups.
func (c *Conn) unlockReader() {
	c.r.deferWakes = false
	c.mu.Unlock()
}

// creditLocked gives received bytes back to the stream's window once a
// quarter window has gathered, unless the complete messages not yet read
// fill a window: then the server waits for Recv. A partly received message
// never waits, so a message longer than the window still arrives.
func (c *Conn) creditLocked(s *stream) {
	win := c.cfg.InitialWindowSize
	if s.done || s.credit < win/4 || s.scan-s.rd >= int(win) {
		return
	}
	c.queueLocked(writeOp{kind: opWindow, id: s.id, n: s.credit})
	s.recvAvail += int64(s.credit)
	s.credit = 0
}

// onGoAway fails the streams the server will not process and lets the
// others finish; the connection closes once they have.
func (c *Conn) onGoAway(f *http2.GoAwayFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.LastStreamID%2 == 0 && f.LastStreamID > 0 {
		return fmt.Errorf("GOAWAY with even last stream id %d: %w", f.LastStreamID, http2.ConnectionError(http2.ErrCodeProtocol))
	}
	if c.goAway && f.LastStreamID >= c.goAwayID && c.goAwayText != "" {
		return nil // a repeat: nothing new to do (bounds GOAWAY floods)
	}
	if c.err != nil {
		// The connection is closing (the drain of an earlier GOAWAY
		// ended, or it failed): grpc-go's reader stops there, so the
		// second GOAWAY of a server's drain, sent on the PING that
		// followed the first, is no event either.
		return nil
	}
	debug := string(f.DebugData())
	c.eventLocked(Event{Kind: EventGoAway, Code: f.ErrCode, Debug: debug, LastStreamID: f.LastStreamID})
	c.goAway, c.goAwayID = true, f.LastStreamID
	if c.goAwayText == "" {
		// The first GOAWAY's words, as grpc-go keeps them: a second of the
		// same shutdown often has no debug data (grpc-js: "max_age", then "").
		c.goAwayText = goAwayText(f.ErrCode, debug)
	}
	msg := "the server sent GOAWAY (" + goAwayText(f.ErrCode, debug) + ") before processing the call"
	for id, s := range c.streams {
		if id > f.LastStreamID {
			c.endLocked(s, codes.Unavailable, msg, ErrNotProcessed, false, 0)
		}
	}
	for len(c.waiters) > 0 {
		c.endLocked(c.waiters[0], codes.Unavailable, msg, ErrNotProcessed, false, 0)
	}
	if c.active == 0 && c.err == nil {
		c.drained()
	}
	return nil
}

func httpText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "unknown"
}

// goAwayText is grpc-go's wording of a GOAWAY in error messages.
func goAwayText(code http2.ErrCode, debug string) string {
	if debug == "" {
		return fmt.Sprintf("code: %s", code)
	}
	return fmt.Sprintf("code: %s, debug data: %q", code, debug)
}
