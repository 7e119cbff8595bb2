package conn

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2/hpack"
)

func TestHeaderWatch(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	block := func(fields ...string) []byte {
		buf.Reset()
		for i := 0; i < len(fields); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	tests := []struct {
		name               string
		frames             [][]byte
		flags              []byte
		wantServer, status string
		ok                 bool
	}{
		{name: "server header", frames: [][]byte{block(":status", "200", "server", "envoy", "content-type", "application/grpc")},
			flags: []byte{flagEndHeaders}, wantServer: "envoy", status: "200", ok: true},
		{name: "proxy reply", frames: [][]byte{block(":status", "503", "server", "awselb/2.0")},
			flags: []byte{flagEndHeaders}, wantServer: "awselb/2.0", status: "503", ok: true},
		{name: "continued block", frames: func() [][]byte {
			b := block(":status", "502", "server", "nginx/1.22.1")
			return [][]byte{b[:3], b[3:]}
		}(), flags: []byte{0, flagEndHeaders}, wantServer: "nginx/1.22.1", status: "502", ok: true},
		{name: "padded", frames: [][]byte{append(append([]byte{2}, block("server", "Kestrel")...), 0, 0)},
			flags: []byte{flagEndHeaders | flagPadded}, wantServer: "Kestrel", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h headerWatch
			var server, status string
			var ok bool
			for i, f := range tt.frames {
				typ := byte(frameHeaders)
				if i > 0 {
					typ = frameContinuation
				}
				server, status, ok = h.frame(typ, tt.flags[i], f, len(f))
			}
			if server != tt.wantServer || status != tt.status || ok != tt.ok {
				t.Errorf("got %q %q %v, want %q %q %v", server, status, ok, tt.wantServer, tt.status, tt.ok)
			}
		})
	}
	t.Run("stops after its budget", func(t *testing.T) {
		var h headerWatch
		b := block("server", "x")
		for range maxHeaderBlocks {
			h.frame(frameHeaders, flagEndHeaders, b, len(b))
		}
		if _, _, ok := h.frame(frameHeaders, flagEndHeaders, b, len(b)); ok || !h.done {
			t.Errorf("decoded past the budget")
		}
	})
	t.Run("a cut block stops it", func(t *testing.T) {
		var h headerWatch
		b := block("server", "x")
		if _, _, ok := h.frame(frameHeaders, flagEndHeaders, b[:1], len(b)); ok || !h.done {
			t.Errorf("a cut block was decoded")
		}
	})
}
