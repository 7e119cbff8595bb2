package record

import (
	"cmp"
	"net"
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// maxPeers bounds the distinct remote addresses one shard counts calls by;
// calls to further ones count under otherReason.
const maxPeers = 64

// peerCount counts a shard's calls to one remote address. addr is nil for
// the otherReason bucket.
type peerCount struct {
	addr          net.Addr
	name          string
	calls, errors int64
}

// peerIndex returns the index in s.peers of a, adding it when new; hint is
// where the caller's previous call went. Known addresses are found without
// allocating: grpc-go hands every call of a transport the same *net.TCPAddr.
func (s *shard) peerIndex(a net.Addr, hint int) int {
	if hint < len(s.peers) && sameAddr(s.peers[hint].addr, a) {
		return hint
	}
	for i := range s.peers {
		if sameAddr(s.peers[i].addr, a) {
			return i
		}
	}
	if len(s.peers) >= maxPeers-1 {
		for i := range s.peers {
			if s.peers[i].addr == nil {
				return i
			}
		}
		s.peers = append(s.peers, peerCount{name: report.OtherReason})
		return len(s.peers) - 1
	}
	s.peers = append(s.peers, peerCount{addr: a, name: a.String()})
	return len(s.peers) - 1
}

// sameAddr compares addresses by value without allocating for TCP and Unix
// addresses (interface == would panic on an address type holding a slice).
func sameAddr(known, a net.Addr) bool {
	switch x := a.(type) {
	case *net.TCPAddr:
		y, ok := known.(*net.TCPAddr)
		return ok && (x == y || x.Port == y.Port && x.Zone == y.Zone && x.IP.Equal(y.IP))
	case *net.UnixAddr:
		y, ok := known.(*net.UnixAddr)
		return ok && (x == y || *x == *y)
	}
	return known != nil && known.Network() == a.Network() && known.String() == a.String()
}

// backends adds up the shards' calls by remote, most calls first (ties by
// address).
func (m *merged) backends() []report.Backend {
	out := []report.Backend{}
	for name, b := range m.peers {
		out = append(out, report.Backend{Remote: name, Calls: b.calls, Errors: b.errors})
	}
	slices.SortFunc(out, func(a, b report.Backend) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), strings.Compare(a.Remote, b.Remote))
	})
	return out
}
