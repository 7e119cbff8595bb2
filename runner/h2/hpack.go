package h2

// The request side of HPACK's dynamic table. A Method's constant fields
// (:path, :authority, content-type, user-agent, te, its metadata) go into
// the server's dynamic table with the first request of the method on a
// connection, those that another method put there already named by index;
// later requests name them all by index, a byte each, so the
// server decodes no literal (no Huffman decoding, no new strings) and the
// request is ~10 bytes instead of ~100. The per-call fields (grpc-timeout,
// templated metadata) stay literals without indexing.
//
// Only the owner of the write side (Conn.owned) encodes: the table's
// state must change in the order header blocks go out on the wire.

// staticTableLen is the number of entries of HPACK's static table; the
// dynamic table's indices follow it (RFC 7541, section 2.3.3).
const staticTableLen = 61

// maxTableSize bounds the dynamic table we use, whatever a server allows:
// the protocol's initial SETTINGS_HEADER_TABLE_SIZE.
const maxTableSize = 4096

// encTable models the server's decoder's dynamic table: which of our
// insertions are still in it. Entries are numbered by insertion from 1;
// the table holds the numbers above evicted.
type encTable struct {
	max     uint32   // the size we use
	update  bool     // a size update starts the next block
	size    uint32   // of the entries in the table
	sizes   []uint32 // entry sizes, oldest first, from number evicted+1
	added   uint64   // the last entry's number
	evicted uint64   // entries up to this number are gone
	methods map[*Method]*methodIndex
	// fields is the number of the entry of each field we inserted (above
	// evicted: still in the table), shared by the methods.
	fields map[fieldKey]uint64
}

type fieldKey struct{ name, value string }

// methodIndex is a Method's state on one connection: its header block as
// of the table's changes() gen (valid while the table did not change
// since), and how many times its fields went into the table.
type methodIndex struct {
	block   []byte
	gen     uint64
	inserts int
}

// maxInserts is how many times a method's fields go into the table on one
// connection: more methods than the table holds evict each other, and
// those that keep coming back are then sent as literals, not inserted
// (and evicting) on every call.
const maxInserts = 2

// maxMethods bounds the methods a connection keeps state for; more (a
// caller that makes a Method per call) go as literals.
const maxMethods = 256

func (t *encTable) init() {
	t.max = maxTableSize
	t.methods = make(map[*Method]*methodIndex)
	t.fields = make(map[fieldKey]uint64)
}

// entry is the number of f's entry while it is in the table, else 0.
func (t *encTable) entry(f *methodField) uint64 {
	if n := t.fields[fieldKey{f.Name, f.Value}]; n > t.evicted {
		return n
	}
	return 0
}

// setLimit applies the server's SETTINGS_HEADER_TABLE_SIZE: a smaller
// size evicts and is announced at the start of the next block.
func (t *encTable) setLimit(n uint32) {
	if n = min(n, maxTableSize); n != t.max {
		t.max, t.update = n, true
		t.evict()
	}
}

// changes counts the entries added and evicted: any change of the table.
func (t *encTable) changes() uint64 { return t.added + t.evicted }

func (t *encTable) evict() {
	for t.size > t.max {
		t.size -= t.sizes[0]
		t.sizes = t.sizes[1:]
		t.evicted++
	}
	if len(t.sizes) == 0 {
		t.sizes = t.sizes[:0:0] // let the array go
	}
}

func (t *encTable) add(size uint32) uint64 {
	t.added++
	t.sizes = append(t.sizes, size)
	t.size += size
	t.evict()
	return t.added
}

// appendBlock appends m's fields, indexed where the table allows, to dst.
func (t *encTable) appendBlock(dst []byte, m *Method) []byte {
	if t.update {
		t.update = false
		dst = appendInt(dst, 0x20, 5, uint64(t.max))
	}
	if m.indexSize == 0 || m.indexSize > t.max {
		// Nothing to index, or more than the table holds: literals, as
		// an indexing encoder would churn the table on every call.
		return append(dst, m.block...)
	}
	mi := t.methods[m]
	if mi == nil {
		if len(t.methods) == maxMethods {
			return append(dst, m.block...)
		}
		mi = &methodIndex{}
		t.methods[m] = mi
	}
	if mi.block != nil && mi.gen == t.changes() {
		return append(dst, mi.block...)
	}
	if !t.present(m) {
		if mi.inserts == maxInserts {
			return append(dst, m.block...)
		}
		mi.inserts++
	}
	start := len(dst)
	inserted := false
	for i := range m.fields {
		f := &m.fields[i]
		if f.static != 0 {
			dst = append(dst, f.static)
		} else if n := t.entry(f); n != 0 {
			dst = appendInt(dst, 0x80, 7, uint64(staticTableLen)+t.added-n+1)
		} else {
			// A literal with incremental indexing, new name.
			dst = append(dst, 0x40)
			dst = appendString(dst, f.Name)
			dst = appendString(dst, f.Value)
			t.fields[fieldKey{f.Name, f.Value}] = t.add(f.Size())
			inserted = true
		}
	}
	if inserted {
		mi.block = nil // the next block names them
	} else {
		mi.block, mi.gen = append(mi.block[:0], dst[start:]...), t.changes()
	}
	return dst
}

// present reports whether all of m's fields to index are in the table.
func (t *encTable) present(m *Method) bool {
	for i := range m.fields {
		if f := &m.fields[i]; f.static == 0 && t.entry(f) == 0 {
			return false
		}
	}
	return true
}

// appendInt appends HPACK's integer representation of v with an n-bit
// prefix, after the pattern bits of first (RFC 7541, section 5.1).
func appendInt(dst []byte, first byte, n uint, v uint64) []byte {
	limit := uint64(1)<<n - 1
	if v < limit {
		return append(dst, first|byte(v))
	}
	dst = append(dst, first|byte(limit))
	for v -= limit; v >= 128; v >>= 7 {
		dst = append(dst, byte(v&0x7f|0x80))
	}
	return append(dst, byte(v))
}

// appendString appends s as a string literal without Huffman coding: a
// field is written this way once per connection.
func appendString(dst []byte, s string) []byte {
	dst = appendInt(dst, 0, 7, uint64(len(s)))
	return append(dst, s...)
}
