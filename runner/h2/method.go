package h2

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// HeaderField is one header (metadata) field.
type HeaderField = hpack.HeaderField

// Method is a pre-encoded request header block for one method: the HPACK
// encoding of the pseudo-headers, content-type, te, user-agent and the
// constant metadata of every call. It is immutable and safe for concurrent
// use, on any connection whose Config has the same TLS (scheme), Authority,
// UserAgent and Compression.
//
// block uses only the static table and literals without indexing, so it
// does not depend on any connection's dynamic table; each connection
// indexes fields (see hpack.go) as it writes the requests.
type Method struct {
	path  string
	block []byte
	// listSize is the header list size (RFC 9113 section 6.5.2) of the
	// block, for the peer's SETTINGS_MAX_HEADER_LIST_SIZE.
	listSize uint32
	// fields are the block's fields, for a connection's dynamic table;
	// indexSize is the table space those not in the static table take.
	fields    []methodField
	indexSize uint32
}

// methodField is a field of a Method; static is its encoding when it is
// a whole entry of the static table (":method: POST"), else 0.
type methodField struct {
	HeaderField
	static byte
}

// Path is the method's :path, "/package.Service/Method".
func (m *Method) Path() string { return m.path }

// literalEncoder returns an hpack encoder writing to buf that never indexes
// a field into the dynamic table: with a table size limit of 0 every field
// that is not a full static-table match is a literal without indexing. The
// table size update that the limit change queues is written once here and
// thrown away: a decoder's table only needs it if the encoder used a size
// above its own, and this one uses none.
func literalEncoder(buf *bytes.Buffer) *hpack.Encoder {
	e := hpack.NewEncoder(buf)
	e.SetMaxDynamicTableSizeLimit(0)
	_ = e.WriteField(hpack.HeaderField{Name: ":method", Value: "POST"})
	buf.Reset()
	return e
}

// Method pre-encodes the request headers of calls to path with the
// metadata md sent on every call. Metadata names must be lowercase and not
// pseudo-headers or reserved gRPC names; values of "-bin" names must
// already be base64 encoded.
func (c *Conn) Method(path string, md []HeaderField) (*Method, error) {
	return NewMethod(&c.cfg, path, md)
}

// NewMethod is Conn.Method without a connection: the block depends only on
// cfg's TLS, Authority, UserAgent and Compression.
func NewMethod(cfg *Config, path string, md []HeaderField) (*Method, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("h2: method path %q does not start with /", path)
	}
	for _, f := range md {
		if err := checkField(f); err != nil {
			return nil, err
		}
	}
	if err := checkCompression(cfg.Compression); err != nil {
		return nil, err
	}
	c := *cfg
	c.defaults()
	scheme := "http"
	if c.TLS != nil {
		scheme = "https"
	}
	fields := []HeaderField{
		{Name: ":method", Value: "POST"},
		{Name: ":scheme", Value: scheme},
		{Name: ":path", Value: path},
		{Name: ":authority", Value: c.Authority},
		{Name: "content-type", Value: "application/grpc"},
		{Name: "user-agent", Value: c.UserAgent},
		{Name: "te", Value: "trailers"},
	}
	fields = append(fields, compressionFields(c.Compression)...)
	fields = append(fields, md...)
	var buf bytes.Buffer
	enc := literalEncoder(&buf)
	m := &Method{path: path}
	sensitive := false
	for _, f := range fields {
		start := buf.Len()
		if err := enc.WriteField(f); err != nil {
			return nil, err
		}
		m.listSize += f.Size()
		mf := methodField{HeaderField: f}
		if b := buf.Bytes()[start:]; len(b) == 1 && b[0]&0x80 != 0 {
			mf.static = b[0]
		} else {
			m.indexSize += f.Size()
		}
		m.fields = append(m.fields, mf)
		sensitive = sensitive || f.Sensitive
	}
	if sensitive {
		// A field the caller marked never to be indexed keeps the whole
		// method out of the dynamic table (the block says never-indexed).
		m.indexSize = 0
	}
	m.block = buf.Bytes()
	return m, nil
}

// checkField refuses what would make the request malformed.
func checkField(f HeaderField) error {
	if f.Name == "" {
		return fmt.Errorf("h2: empty metadata name")
	}
	if f.Name[0] == ':' {
		return fmt.Errorf("h2: metadata name %q is a pseudo-header", f.Name)
	}
	switch f.Name {
	case "content-type", "te", "user-agent", "grpc-timeout", "connection", "host":
		return fmt.Errorf("h2: metadata name %q is set by the engine", f.Name)
	}
	for i := 0; i < len(f.Name); i++ {
		if c := f.Name[i]; c >= 'A' && c <= 'Z' || c <= ' ' || c >= 0x7f {
			return fmt.Errorf("h2: metadata name %q is not lowercase ASCII", f.Name)
		}
	}
	for i := 0; i < len(f.Value); i++ {
		if c := f.Value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("h2: metadata value of %q has a control character", f.Name)
		}
	}
	return nil
}
