package h2

import (
	"bytes"

	"golang.org/x/net/http2"
)

// tryWriter is a connection that writes without waiting for room: the
// socket of RawConn on Linux, and wrappers that pass it on (runner/conn's
// tap).
type tryWriter interface {
	// TryWrite writes what the socket takes of p now and says how much;
	// a full socket is no error: the rest is the caller's to write.
	TryWrite(p []byte) (int, error)
}

// replyWriter is the reader's own writing of control frames
// (writeRepliesLocked): a framer of its own, into buf.
type replyWriter struct {
	tw     tryWriter // nil: the connection cannot (TLS, off Linux)
	fr     *http2.Framer
	buf    bytes.Buffer
	writes int // how many times the reader wrote replies itself
}

// maxReplies bounds the frames the reader writes itself.
const maxReplies = maxDeferredWakes

// writeRepliesLocked writes the queued control frames (PING and SETTINGS
// ACKs, RST_STREAM, WINDOW_UPDATE) on the reader's goroutine when they are
// all the queue holds and nothing else writes, in place of waking the
// writer for them: a grpc-go server PINGs on the first request bytes it
// reads after an answered PING (its bandwidth estimate), so every server
// stream would otherwise cost a writer wake-up for the ACK alone. It never
// waits for the socket: what a full socket does not take goes to the
// buffer for the writer to flush, so a server that floods PINGs and reads
// nothing blocks the writer, not the reader, which counts the flood
// (queueReplyLocked). Without a tryWriter (TLS) it signals the writer. mu
// is held; it returns with mu held.
func (c *Conn) writeRepliesLocked() error {
	w := &c.r.reply
	if w.tw == nil || c.owned || c.err != nil || c.bw.Buffered() > 0 || len(c.queue) > maxReplies {
		c.signalLocked()
		return nil
	}
	for _, op := range c.queue {
		// A keepalive PING's time is noted as it is written (runner/conn's
		// tap); the writer sends those.
		if op.s != nil || op.kind == opPing {
			c.signalLocked()
			return nil
		}
	}
	batch := c.ownQueueLocked()
	if w.fr == nil {
		w.fr = http2.NewFramer(&w.buf, nil)
	}
	w.buf.Reset()
	for i := range batch {
		writeControl(w.fr, &batch[i])
		batch[i] = writeOp{}
	}
	p := w.buf.Bytes()
	n, err := w.tw.TryWrite(p)
	w.writes++
	if err == nil && n < len(p) {
		c.bw.Write(p[n:]) // into the empty buffer: it does not write
	}
	c.mu.Lock()
	c.disownLocked(batch)
	return err
}
