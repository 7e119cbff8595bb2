package conn

import (
	"golang.org/x/net/http2/hpack"
)

// GoAwaySentinel is the last_stream_id of the first GOAWAY of a graceful
// shutdown (RFC 9113 §6.8: 2^31−1, "every stream may still come"); a
// second GOAWAY with the real last stream id usually follows. It is never
// a count of requests.
const GoAwaySentinel = 1<<31 - 1

// HTTP/2 frame types and flags of header blocks (RFC 9113 §6.2, §6.10).
const (
	frameHeaders      = 0x1
	frameContinuation = 0x9
	flagEndHeaders    = 0x4
	flagPadded        = 0x8
	flagPriority      = 0x20
	// maxHeaderBlocks is how many response header blocks of a transport
	// the tap decodes, looking for the server header: the first ones say
	// who answers, and decoding stops there, so that a long-lived
	// transport's calls cost no HPACK work. maxHeaderBlock bounds the
	// block kept for decoding.
	maxHeaderBlocks = 8
	maxHeaderBlock  = 8 << 10
)

// headerWatch decodes the first response header blocks of one transport
// (one goroutine: the read side) for the `server` header and the HTTP
// status of replies that are not 200 (a proxy answering in the server's
// place). It keeps the HPACK table in step for as long as it decodes; once
// a block is cut or the budget is spent it stops for good.
type headerWatch struct {
	dec     *hpack.Decoder
	block   []byte
	blocks  int
	done    bool
	server  string // value of the block being decoded
	status  string
	servers map[string]bool // server values already reported
}

// frame takes one HEADERS or CONTINUATION frame (payload as kept: up to
// maxHeaderBlock) and the frame's full payload length; it returns the
// block's server header and :status once the block is complete.
func (h *headerWatch) frame(typ, flags byte, payload []byte, full int) (server, status string, ok bool) {
	if h.done {
		return "", "", false
	}
	if len(payload) < full {
		h.done = true // a cut block cannot be decoded, nor anything after it
		return "", "", false
	}
	if typ == frameHeaders {
		p, good := headerFragment(flags, payload)
		if !good {
			h.done = true
			return "", "", false
		}
		h.block = append(h.block[:0], p...)
	} else {
		h.block = append(h.block, payload...)
	}
	if len(h.block) > maxHeaderBlock {
		h.done = true
		return "", "", false
	}
	if flags&flagEndHeaders == 0 {
		return "", "", false
	}
	if h.dec == nil {
		h.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
			switch f.Name {
			case "server":
				h.server = f.Value
			case ":status":
				h.status = f.Value
			}
		})
		h.dec.SetMaxStringLength(maxHeaderBlock)
	}
	h.server, h.status = "", ""
	if _, err := h.dec.Write(h.block); err != nil {
		h.done = true
		return "", "", false
	}
	if h.blocks++; h.blocks >= maxHeaderBlocks {
		h.done = true
	}
	return h.server, h.status, true
}

// headerFragment strips a HEADERS payload of its padding and priority.
func headerFragment(flags byte, p []byte) ([]byte, bool) {
	pad := 0
	if flags&flagPadded != 0 {
		if len(p) < 1 {
			return nil, false
		}
		pad, p = int(p[0]), p[1:]
	}
	if flags&flagPriority != 0 {
		if len(p) < 5 {
			return nil, false
		}
		p = p[5:]
	}
	if pad > len(p) {
		return nil, false
	}
	return p[:len(p)-pad], true
}
