package h2

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// seenRequest is a request's header block as a peer decoded it.
type seenRequest struct {
	fields []HeaderField
	size   int // compressed bytes
	update int // the size of the dynamic table size update the block starts with; -1: none
	err    error
}

// decodingPeer starts a peer whose decoder's dynamic table holds table
// bytes (0: HPACK's default, not announced): it decodes every request's
// header block, reports it on the channel and answers OK. After the
// request numbered shrinkAfter (from 1; 0: never) it announces a table of
// shrinkTo bytes before answering.
func decodingPeer(t *testing.T, table uint32, shrinkAfter int, shrinkTo uint32) (string, chan seenRequest) {
	ch := make(chan seenRequest, 100)
	var settings []http2.Setting
	if table > 0 {
		settings = append(settings, http2.Setting{ID: http2.SettingHeaderTableSize, Val: table})
	} else {
		table = 4096
	}
	addr := startPeer(t, settings, func(p *peer) {
		p.dec = hpack.NewDecoder(table, nil)
		for n := 1; ; n++ {
			f := p.readHeaders()
			if f == nil {
				return
			}
			b := f.HeaderBlockFragment()
			fields, err := p.dec.DecodeFull(b)
			ch <- seenRequest{fields: fields, size: len(b), update: sizeUpdate(b), err: err}
			if err != nil {
				p.fr.WriteGoAway(f.StreamID, http2.ErrCodeCompression, nil)
				p.flush()
				return
			}
			if n == shrinkAfter {
				// A server may change its mind before the client's next
				// request: the smallest size the table had meanwhile must
				// be announced, so the client may not raise it back.
				p.fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: shrinkTo})
				p.fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 4096})
				p.dec.SetAllowedMaxDynamicTableSize(shrinkTo)
			}
			p.respond(f.StreamID, msg(0, 0, ""))
		}
	})
	return addr, ch
}

// TestRequestHeadersIndexed: a method's fields go into the server's
// dynamic table with its first request and are named by index after; the
// server decodes every request to the fields sent, however many methods
// share a table of whatever size, and when it shrinks the table mid-run.
func TestRequestHeadersIndexed(t *testing.T) {
	cases := []struct {
		name        string
		table       uint32 // the peer's SETTINGS_HEADER_TABLE_SIZE; 0: not sent
		methods     int
		shrinkAfter int
		shrinkTo    uint32
		indexed     string // "yes": requests after each method's first are under half its size; "no": none is
	}{
		{"one method", 0, 1, 0, 0, "yes"},
		{"three methods", 0, 3, 0, 0, "yes"},
		{"forty methods overflow the table", 0, 40, 0, 0, ""},
		{"no table", 1, 2, 0, 0, "no"}, // 1 byte: nothing fits
		{"table for one method", 400, 2, 0, 0, ""},
		{"a table larger than ours", 1 << 20, 2, 0, 0, "yes"},
		{"table shrinks to 0", 0, 2, 4, 0, ""},
		{"table shrinks to one method's", 0, 2, 4, 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, seen := decodingPeer(t, tc.table, tc.shrinkAfter, tc.shrinkTo)
			c := dial(t, Config{Addr: addr})
			var methods []*Method
			for i := range tc.methods {
				methods = append(methods, method(t, c, fmt.Sprintf("/grpcpulse.test.v1.Service%02d/%s", i, strings.Repeat("M", 20)), md("x-method", fmt.Sprint(i))...))
			}
			const rounds = 3
			var first []int // each method's first block size
			for r := range rounds {
				for i, m := range methods {
					ctx, cancel := context.WithTimeout(testCtx(t), time.Minute)
					extra := md("x-call", fmt.Sprint(r))
					resp, err := c.Unary(ctx, m, msg(0, 0, ""), extra)
					cancel()
					resp.Release()
					if err != nil {
						t.Fatalf("round %d, method %d: %v", r, i, err)
					}
					got := <-seen
					if got.err != nil {
						t.Fatalf("round %d, method %d: the server could not decode the headers: %v", r, i, got.err)
					}
					want := requestFields(m, extra)
					if !sameFields(got.fields, want) {
						t.Fatalf("round %d, method %d: the server decoded\n%v\nwant\n%v", r, i, got.fields, want)
					}
					if tc.shrinkAfter > 0 && r*len(methods)+i == tc.shrinkAfter && got.update != int(tc.shrinkTo) {
						t.Errorf("the first block after the table shrank to %d starts with the size update %d (-1: none)", tc.shrinkTo, got.update)
					}
					if r == 0 {
						first = append(first, got.size)
						// The fields the methods share went in with the first.
						if i > 0 && tc.indexed == "yes" && got.size >= first[0]*3/4 {
							t.Errorf("method %d's first block is %d bytes, the first method's %d: want the shared fields named by index", i, got.size, first[0])
						}
					}
					small := got.size < first[i]/2
					if r > 0 && tc.indexed != "" && small != (tc.indexed == "yes") {
						t.Errorf("round %d, method %d: a %d-byte block; indexed: %s", r, i, got.size, tc.indexed)
					}
					if tc.shrinkTo == 0 && tc.shrinkAfter > 0 && r*len(methods)+i >= tc.shrinkAfter && small {
						t.Errorf("round %d, method %d: a %d-byte block after the table shrank to 0", r, i, got.size)
					}
				}
			}
		})
	}
}

// requestFields is what a request of m with extra sends, grpc-timeout
// with any value.
func requestFields(m *Method, extra []HeaderField) []HeaderField {
	var want []HeaderField
	for _, f := range m.fields {
		want = append(want, f.HeaderField)
	}
	want = append(want, HeaderField{Name: "grpc-timeout"})
	return append(want, extra...)
}

func sameFields(got, want []HeaderField) bool {
	return slices.EqualFunc(got, want, func(a, b HeaderField) bool {
		return a.Name == b.Name && (a.Value == b.Value || a.Name == "grpc-timeout")
	})
}

// TestRequestHeadersSensitive: a method with a field marked Sensitive is
// never indexed: its field goes as a never-indexed literal on every call.
func TestRequestHeadersSensitive(t *testing.T) {
	addr, seen := decodingPeer(t, 0, 0, 0)
	c := dial(t, Config{Addr: addr})
	m, err := c.Method("/s/M", []HeaderField{{Name: "authorization", Value: "Bearer secret", Sensitive: true}})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for range 3 {
		resp, err := c.Unary(testCtx(t), m, msg(0, 0, ""), nil)
		resp.Release()
		if err != nil {
			t.Fatal(err)
		}
		got := <-seen
		i := slices.IndexFunc(got.fields, func(f HeaderField) bool { return f.Name == "authorization" })
		if got.err != nil || i < 0 || got.fields[i].Value != "Bearer secret" || !got.fields[i].Sensitive {
			t.Fatalf("the server decoded %v (%v): want a never-indexed authorization", got.fields, got.err)
		}
		sizes = append(sizes, got.size)
	}
	if sizes[2] < sizes[0]*3/4 {
		t.Errorf("block sizes %v: the method was indexed", sizes)
	}
}

// TestRequestHeadersManyMethods: a connection keeps the state of at most
// maxMethods methods (a caller may make a Method per call); the others go
// as literals, and every request still decodes.
func TestRequestHeadersManyMethods(t *testing.T) {
	addr, seen := decodingPeer(t, 0, 0, 0)
	c := dial(t, Config{Addr: addr})
	for i := range maxMethods + 44 {
		m := method(t, c, fmt.Sprintf("/s/M%d", i))
		resp, err := c.Unary(testCtx(t), m, msg(0, 0, ""), nil)
		resp.Release()
		if err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got.err != nil || !sameFields(got.fields, requestFields(m, nil)) {
			t.Fatalf("method %d: the server decoded %v (%v)", i, got.fields, got.err)
		}
	}
	c.mu.Lock()
	n := len(c.htab.methods)
	c.mu.Unlock()
	if n != maxMethods {
		t.Errorf("the connection keeps %d methods, want %d", n, maxMethods)
	}
}

// sizeUpdate is the size of the dynamic table size update that header
// block b starts with, -1 if it does not (RFC 7541, sections 5.1, 6.3).
func sizeUpdate(b []byte) int {
	if len(b) == 0 || b[0]&0xe0 != 0x20 {
		return -1
	}
	v := int(b[0] & 0x1f)
	if v < 0x1f {
		return v
	}
	for i, shift := 1, 0; i < len(b); i, shift = i+1, shift+7 {
		v += int(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			break
		}
	}
	return v
}
