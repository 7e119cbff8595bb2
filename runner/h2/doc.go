// Package h2 is a lean gRPC client engine: gRPC over HTTP/2 spoken directly
// with golang.org/x/net/http2's Framer and hpack, for load generation at far
// less CPU per call than grpc-go's client. It is self-contained: it knows
// nothing of runner's options or report's schema; the run loop wires it in.
//
// # How the types fit
//
// Dial opens a Conn (h2c with prior knowledge, or TLS with ALPN "h2", which
// must be negotiated) and returns once the server's SETTINGS arrived. A
// Method is the pre-encoded request header block of one method. Unary
// makes one call and returns a Response (status code, percent-decoded
// grpc-message, the response message, metadata) that is released for reuse;
// NewStream starts a server-, client- or bidi-streaming call whose Send,
// CloseSend and Recv allow both pipelined and ping-pong pacing. Calls that
// do not end with OK return a *StatusError, which status.FromError reads;
// its code is the one grpc-go gives the same situation (missing grpc-status
// is UNKNOWN, a non-gRPC HTTP status maps by grpc-go's table, RST_STREAM
// codes by grpc-go's table, a lost connection is UNAVAILABLE...). A call the
// server never processed (above a GOAWAY's last_stream_id, REFUSED_STREAM, or
// started on a draining connection) wraps ErrNotProcessed: retry it on a
// new connection. Connection events (open, settings, goaway, ping,
// ping_ack, rst_stream, close) go to Config.Events.
//
// # Goroutines and the hot path
//
// Each connection has exactly two goroutines. The writer owns the write
// side of the Framer and a bufio.Writer (but for the reader's writes for
// Start below): callers queue small ops (HEADERS, DATA, RST_STREAM,
// WINDOW_UPDATE, PING, ACKs) under the connection mutex, the
// writer takes the whole queue at once, writes every frame into the buffer
// and flushes only when the queue is empty, so the frames of many calls
// share one write system call. The callers the reader woke with a response
// are counted until each is back (Conn.woken): the writer is signalled
// when the last of them is, as most queue their next request at once, so
// that a ping-pong stream's next messages or a closed loop's next calls
// go out together. The reader reads frames and applies each to
// the stream its ID names; it wakes a call's goroutine only when the call
// has something for it (a complete message for a stream, the end for a
// unary call). There is no goroutine per call: the caller's goroutine waits
// on its stream's one-slot channel and, for a stream, its context. A unary
// call waits on its channel alone: the end of its context reaches it
// through the connection's one context.AfterFunc per context (watch.go),
// so the workers of a run do not all take the lock of their shared
// context's Done channel at every wait.
//
// Start (async.go) makes a unary call without a waiting goroutine: its
// Completion is told the outcome, by the reader for the calls a response
// ended, once it is done with the frames already read (as it defers its
// wake-ups), and by the writer for the others (a context's end, a
// failure; Close returns once they were told). A Completion may start the
// next call itself, so a closed loop of calls runs on the reader alone,
// with no goroutine wake per call: the run loop's closed loops of unary
// calls are made that way. The reader then writes the next requests itself
// when the writer is idle and they are small (writeInlineLocked; Conn.owned
// says who writes), so neither goroutine wakes the other either. Open
// starts a stream the same way: its messages and end go to a Handler on
// the reader, which may send the next message with TrySend (the run loop's
// ping-pong streams of small messages are made that way).
//
// Per-call state (the stream: channels, header buffer, receive buffer) is
// pooled in a free list per connection; a stream returns to it only when
// the caller released it, the call ended and the writer no longer refers to
// it. A unary call allocates about two objects (the HEADERS frames the
// Framer parses); see BenchmarkH2Unary.
//
// On Linux the socket of a TCP or Unix connection is read and written
// with raw system calls in RawConn's callbacks (rawio.go): net.Conn's
// Read and Write enter the scheduler's syscall state, and the first one
// after an idle moment wakes the runtime's monitor thread, which then polls
// every 20 µs; a client that idles between the bursts of its responses
// paid about a quarter of its CPU for that.
//
// # Flow control
//
// Sending: the writer takes from the connection and stream send windows
// (the peer's INITIAL_WINDOW_SIZE, SETTINGS changes mid-connection applied
// to every open stream, WINDOW_UPDATE, overflow past 2^31-1 is an error)
// and splits DATA by the peer's MAX_FRAME_SIZE; a stream with an empty
// window waits on a blocked list that WINDOW_UPDATE and SETTINGS requeue,
// and no stream writes more than 64 KiB per turn. Send returns once its
// bytes are in the writer's buffer, so a sender is paced by the windows.
// Receiving: the connection window (Config.ConnWindowSize) is given back as
// DATA arrives; a stream's window (Config.InitialWindowSize) is given back
// a quarter at a time unless a window's worth of complete messages waits
// for Recv, so memory per stream is bounded by its window plus one message
// (Config.MaxRecvMsgSize), and a message longer than the window still
// arrives. gRPC messages may span any number of DATA frames either way.
// MAX_CONCURRENT_STREAMS is honoured by queueing calls (FIFO) for a slot.
//
// # HPACK
//
// A Method's block is encoded once (static table and literals without
// indexing, valid on any connection) and the per-call fields (grpc-timeout,
// templated metadata) per call, as literals without indexing. As the
// HEADERS go out, each connection puts a method's constant fields into the
// server's dynamic table with its first request and names them by index
// after (a request of ~100 bytes becomes ~10; the server decodes no
// literal), fields another method put there already named by index,
// within min(4096, the server's SETTINGS_HEADER_TABLE_SIZE), with a size
// update when the server lowers it. Methods that do not fit together evict
// each other a bounded number of times, then go as literals. Responses are decoded by one hpack.Decoder per connection (the
// server's dynamic table included): every header block is decoded, even of
// streams already gone, so the table stays in step. CONTINUATION frames are joined; a header list
// over Config.MaxHeaderListSize fails its call, and a block whose
// compressed size passes twice that (endless CONTINUATION) fails the
// connection.
//
// # Hostile servers
//
// Frames a server provokes (PING and SETTINGS ACKs, RST_STREAM of unknown
// streams) are bounded in the writer's queue; repeated GOAWAYs, SETTINGS
// and RST_STREAMs of unknown streams make no further events; protocol
// errors send GOAWAY and close the connection with an error that names the
// cause. A failing connection bounds its last write by a one-second
// deadline, so nothing waits on a server that reads nothing.
//
// # Compression
//
// With Config.Compression "gzip" (Gzip, the one codec) the Methods' blocks
// say grpc-encoding and grpc-accept-encoding gzip, and the caller sends
// messages CompressGzip made (compressed flag set; a message sent again and
// again is compressed once by its caller). A response message with the
// compressed flag and grpc-encoding gzip is decompressed on the caller's
// goroutine, not the reader's and without the connection's lock: a unary
// response once the call ended, a stream's message when Recv returns it.
// Decompression reads at most MaxRecvMsgSize+1 bytes, so a gzip bomb fails
// its call RESOURCE_EXHAUSTED as grpc-go does, having cost no more memory
// than the limit. WireSize gives a message's size as it came, for the
// caller's byte counts. Without Compression a compressed response fails
// UNIMPLEMENTED (no decompressor), and nothing of this is on the call path
// but a flag test.
//
// # Not supported yet
//
// Codecs other than gzip, grpc-status-details-bin decoding (the raw
// trailer is in the Trailer fields), retries and service config, name
// resolution and load balancing over several addresses (one Conn is one
// TCP connection to one address; reconnecting is the caller's), HTTP
// proxies (CONNECT), BDP-based dynamic windows (windows are fixed by
// Config) and server push (disabled by SETTINGS_ENABLE_PUSH=0).
package h2
