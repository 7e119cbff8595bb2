package h2

import (
	"errors"
	"runtime"
	"time"

	"golang.org/x/net/http2"
)

type opKind uint8

const (
	opHeaders opKind = iota + 1
	opData
	opRST
	opWindow
	opPingAck
	opSettingsAck
	opPing // a keepalive PING
)

// writeOp is one thing for the writer to write. Ops that refer to a
// stream hold one of its refs until the writer is done with them.
type writeOp struct {
	kind opKind
	s    *stream
	id   uint32
	n    uint32 // WINDOW_UPDATE increment
	code http2.ErrCode
	ping [8]byte
}

// errDrained is the close reason of a connection whose GOAWAY drain ended.
var errDrained = errors.New("h2: connection drained after GOAWAY")

func (c *Conn) queueLocked(op writeOp) {
	c.queue = append(c.queue, op)
	if len(c.queue) == 1 && c.woken == 0 {
		c.signalLocked()
	}
}

// backLocked counts s's caller, woken by the reader, as back; the last
// one back signals the writer if it has work.
func (c *Conn) backLocked(s *stream) {
	if !s.woken {
		return
	}
	s.woken = false
	c.woken--
	if c.woken == 0 && (len(c.queue) > 0 || c.held) {
		c.signalLocked()
	}
}

func (c *Conn) signalLocked() { wakeup(c.wake) }
func (c *Conn) signal()       { wakeup(c.wake) }

// writeLoop is the connection's one writer: it takes every queued op at
// once, writes the frames into the buffered writer and flushes only when
// the queue is empty, so the frames of many calls share a few writes.
func (c *Conn) writeLoop() {
	var batch []writeOp
	var done []finished
	ka := newPinger(c)
	defer ka.stop()
	for {
		c.mu.Lock()
		yielded := false
		for c.owned || len(c.queue) == 0 && c.err == nil {
			if c.toWriter > 0 {
				// Calls of Start that no frame ended (a context's end):
				// their Completions run here.
				c.toWriter = 0
				c.mu.Unlock()
				done = c.complete(done, false)
				c.mu.Lock()
				continue
			}
			if !c.owned {
				// Woken callers still to come back will queue their next
				// requests: the last of them signals.
				c.held = c.woken > 0 && c.bw.Buffered() > 0
				if n := c.bw.Buffered(); n > 0 && !c.held {
					// A small batch waits for one yield of the processor,
					// which lets callers about to queue join it: fewer,
					// larger writes.
					if n < minBatch && !yielded {
						yielded = true
						c.mu.Unlock()
						runtime.Gosched()
						c.mu.Lock()
						continue
					}
					c.owned = true
					c.mu.Unlock()
					err := c.bw.Flush()
					c.mu.Lock()
					c.owned = false
					if err != nil {
						c.mu.Unlock()
						c.fail(writeErr(err), 0, false)
						c.mu.Lock()
					}
					continue
				}
			}
			c.mu.Unlock()
			select {
			case <-c.wake:
			case <-ka.C():
				ka.fire()
			}
			c.mu.Lock()
		}
		c.owned = true
		batch, c.queue = c.queue, batch[:0]
		failed := c.err
		c.mu.Unlock()
		err := c.writeOps(batch)
		c.mu.Lock()
		c.owned = false
		c.mu.Unlock()
		if err != nil {
			c.fail(writeErr(err), 0, false)
		}
		if failed != nil {
			c.shutdown()
			return
		}
	}
}

// writeOps writes batch's frames into the buffer, as the owner of the
// write side (Conn.owned), and clears batch. After a failed write the
// rest are dropped.
func (c *Conn) writeOps(batch []writeOp) error {
	var err error
	for i := range batch {
		if err == nil {
			// write drops the op's stream ref itself, in a critical
			// section it needs anyway.
			err = c.write(&batch[i])
		} else if s := batch[i].s; s != nil {
			c.mu.Lock()
			c.unrefLocked(s)
			c.mu.Unlock()
		}
		batch[i] = writeOp{}
	}
	return err
}

// maxInline bounds the request bytes the reader writes itself
// (writeInlineLocked): more go to the writer, so that the reader does not
// sit in a long write while responses wait to be read.
const maxInline = 16 << 10

// writeInlineLocked writes the queued frames and flushes them on the
// reader's goroutine, in place of waking the writer, when nothing else
// writes and they are few (mu held; it returns with mu held): the next
// requests of the calls the reader just completed go out with no
// goroutine wake; replies the reader queued (queueReplyLocked) go with
// them (alone, they go by writeRepliesLocked, which never waits). What is
// queued meanwhile is left to the writer. While it
// writes the reader reads nothing: the 16 KiB bound keeps such a write
// within the socket's buffer of a peer that answered the calls (so reads
// them), and a failed connection's write deadline (fail) ends one that
// still blocks.
func (c *Conn) writeInlineLocked() error {
	bytes, requests := 0, false
	for _, op := range c.queue {
		if op.s != nil {
			bytes += len(op.s.out)
			requests = true
		} else {
			bytes += frameHeaderLen + 8
		}
	}
	if !requests {
		return c.writeRepliesLocked()
	}
	if c.owned || c.err != nil || bytes > maxInline {
		c.signalLocked()
		return nil
	}
	batch := c.ownQueueLocked()
	err := c.writeOps(batch)
	if err == nil {
		err = c.bw.Flush()
	}
	c.mu.Lock()
	c.disownLocked(batch)
	return err
}

// ownQueueLocked makes the reader the owner of the write side and takes
// the queue, in the reader's batch; it unlocks mu.
func (c *Conn) ownQueueLocked() []writeOp {
	c.owned, c.held = true, false
	batch := c.r.batch
	batch, c.queue = c.queue, batch[:0]
	c.mu.Unlock()
	return batch
}

// disownLocked gives the write side back (mu held again), keeps batch's
// array for the reader's next turn and signals the writer for what is
// left: bytes a full socket did not take, frames queued meanwhile.
func (c *Conn) disownLocked(batch []writeOp) {
	c.r.batch = batch[:0]
	c.owned = false
	if c.bw.Buffered() > 0 || len(c.queue) > 0 || c.toWriter > 0 || c.err != nil {
		c.signalLocked()
	}
}

// shutdown writes the GOAWAY of a failed connection, flushes and closes the
// socket.
func (c *Conn) shutdown() {
	c.mu.Lock()
	code, send, err := c.goAwayOut, c.sendGoAway, c.err
	c.mu.Unlock()
	if send {
		c.fr.WriteGoAway(0, code, nil)
	}
	c.bw.Flush()
	c.nc.Close()
	c.event(Event{Kind: EventClose, Err: err})
	c.complete(nil, false) // the calls of Start the failure ended: Done before Close returns
	close(c.done)
}

func writeErr(err error) error { return &wrapErr{"error writing to server", err} }

type wrapErr struct {
	what string
	err  error
}

func (e *wrapErr) Error() string { return e.what + ": " + e.err.Error() }
func (e *wrapErr) Unwrap() error { return e.err }

func (c *Conn) write(op *writeOp) error {
	switch op.kind {
	case opHeaders:
		return c.writeHeaders(op.s)
	case opData:
		return c.writeData(op.s)
	}
	return writeControl(c.fr, op)
}

// writeControl writes an op that carries no stream's bytes.
func writeControl(fr *http2.Framer, op *writeOp) error {
	switch op.kind {
	case opRST:
		return fr.WriteRSTStream(op.id, op.code)
	case opWindow:
		return fr.WriteWindowUpdate(op.id, op.n)
	case opPingAck:
		return fr.WritePing(true, op.ping)
	case opPing:
		return fr.WritePing(false, keepalivePing)
	case opSettingsAck:
		return fr.WriteSettingsAck()
	}
	return nil
}

// writeHeaders writes s's header block as HEADERS and, when it exceeds the
// peer's MAX_FRAME_SIZE, CONTINUATION frames, then whatever request bytes
// are pending. A stream that ended before its HEADERS went out is skipped:
// its ID is then implicitly closed.
func (c *Conn) writeHeaders(s *stream) error {
	c.mu.Lock()
	if s.done {
		c.unrefLocked(s)
		c.mu.Unlock()
		return nil
	}
	s.headersOut = true
	end := s.outEnd && len(s.out) == 0
	if end {
		s.outEnd, s.halfClosed = false, true
	}
	maxFrame, table := int(c.peerFrame), c.peerTable
	c.mu.Unlock()
	c.htab.setLimit(table)
	block := c.htab.appendBlock(c.hout[:0], s.m)
	block = append(block, s.hbuf.Bytes()...)
	c.hout = block
	first := block[:min(len(block), maxFrame)]
	rest := block[len(first):]
	err := c.fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID: s.id, BlockFragment: first, EndStream: end, EndHeaders: len(rest) == 0,
	})
	for err == nil && len(rest) > 0 {
		n := min(len(rest), maxFrame)
		err = c.fr.WriteContinuation(s.id, n == len(rest), rest[:n])
		rest = rest[n:]
	}
	if err != nil {
		c.mu.Lock()
		c.unrefLocked(s)
		c.mu.Unlock()
		return err
	}
	return c.writeData(s) // takes over the op's ref
}

// unrefLocked drops a writer reference to s.
func (c *Conn) unrefLocked(s *stream) {
	s.refs--
	c.maybeFreeLocked(s)
}

// minBatch is the buffered size under which the writer yields once before
// flushing.
const minBatch = 4 << 10

// maxDataTurn is how many bytes one stream may write before the writer
// turns to the other queued ops.
const maxDataTurn = 64 << 10

// writeData writes what flow control allows of s's pending output. When a
// window is empty the stream joins the blocked list, which a WINDOW_UPDATE
// or SETTINGS requeues; when the turn is over it goes to the back of the
// queue.
func (c *Conn) writeData(s *stream) error {
	written := 0
	for {
		c.mu.Lock()
		s.writing = false
		if s.done || (len(s.out) == 0 && !s.outEnd) {
			c.doneWritingLocked(s)
			c.mu.Unlock()
			return nil
		}
		if written >= maxDataTurn {
			c.queueLocked(writeOp{kind: opData, s: s}) // takes over the ref
			c.mu.Unlock()
			return nil
		}
		n := int64(min(len(s.out), int(c.peerFrame), maxDataTurn))
		n = min(n, c.sendWindow, s.sendWindow)
		if n <= 0 && len(s.out) > 0 {
			if s.inBlocked {
				c.unrefLocked(s) // the blocked list holds one already
			} else {
				s.inBlocked = true // the blocked list takes over the ref
				c.blocked = append(c.blocked, s)
			}
			c.mu.Unlock()
			return nil
		}
		n = max(n, 0)
		chunk := s.out[:n]
		s.out = s.out[n:]
		c.sendWindow -= n
		s.sendWindow -= n
		end := s.outEnd && len(s.out) == 0
		if end {
			s.outEnd, s.halfClosed = false, true
		}
		id := s.id
		s.writing = true
		c.mu.Unlock()
		// The caller's bytes are copied into the framer's buffer here; the
		// caller waits (Send) or has not returned (Unary) while writing is
		// set, and done streams are not read.
		if err := c.fr.WriteData(id, end, chunk); err != nil {
			c.mu.Lock()
			s.writing = false
			c.doneWritingLocked(s)
			c.mu.Unlock()
			return err
		}
		written += int(n)
	}
}

// doneWritingLocked drops the writer's reference to s, whose output is
// written, and wakes its caller if it waits for that.
func (c *Conn) doneWritingLocked(s *stream) {
	c.wakeSendLocked(s) // before the unref, which may reset s for reuse
	c.unrefLocked(s)
}

// unblockLocked requeues the streams that waited for a window.
func (c *Conn) unblockLocked() {
	if len(c.blocked) == 0 || c.sendWindow <= 0 {
		return
	}
	for _, s := range c.blocked {
		s.inBlocked = false
		c.queueLocked(writeOp{kind: opData, s: s}) // takes over the blocked ref
	}
	c.blocked = c.blocked[:0]
}

// pinger is the writer's keepalive ping timer.
type pinger struct {
	c     *Conn
	timer *time.Timer
}

func newPinger(c *Conn) *pinger {
	k := &pinger{c: c}
	if c.cfg.Keepalive.Time > 0 {
		k.timer = time.NewTimer(c.cfg.Keepalive.Time)
	}
	return k
}

func (k *pinger) C() <-chan time.Time {
	if k.timer == nil {
		return nil
	}
	return k.timer.C
}

func (k *pinger) stop() {
	if k.timer != nil {
		k.timer.Stop()
	}
}

// fire runs when the timer expires: it sends a PING after Time without a
// frame read, and fails the connection when a PING has gone unanswered for
// Timeout.
func (k *pinger) fire() {
	c, ka := k.c, k.c.cfg.Keepalive
	now := time.Now()
	c.mu.Lock()
	sent, active := c.pingSent, c.active
	c.mu.Unlock()
	if !sent.IsZero() {
		if wait := sent.Add(ka.Timeout).Sub(now); wait > 0 {
			k.timer.Reset(min(ka.Time, wait))
			return
		}
		c.fail(errKeepalive, http2.ErrCodeNo, false)
		return
	}
	idle := now.Sub(time.Unix(0, c.lastRead.Load()))
	if idle < ka.Time {
		k.timer.Reset(ka.Time - idle)
		return
	}
	if active == 0 && !ka.PermitWithoutStream {
		k.timer.Reset(ka.Time)
		return
	}
	c.event(Event{Kind: EventPing})
	c.mu.Lock()
	c.pingSent = now
	c.queueLocked(writeOp{kind: opPing})
	c.mu.Unlock()
	k.timer.Reset(min(ka.Time, ka.Timeout))
}

var errKeepalive = errors.New("keepalive ping failed to receive ACK within timeout")

// keepalivePing is the payload of our keepalive PINGs: eight zero bytes,
// as grpc-go's, so that what watches the wire (runner/conn's tap, a proxy)
// sees the same pings from either client.
var keepalivePing [8]byte
