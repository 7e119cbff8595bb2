package diagnose

import (
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// crashEcho is how soon after the peer dropped a working transport a
// reconnect that gets no server preface is still the server going down
// (grpc-go reconnects at once after a transport that was READY).
const crashEcho = time.Second

// crashEchoes reports whether every connection attempt that got no server
// preface echoed the server going down: the reconnect came at once after
// the peer reset or closed a working transport, the peer dropped it before
// any SETTINGS (the dying process's listener let go of what its backlog
// held), and that pool connection's next attempts were refused: nothing
// listened any more. A load balancer with no healthy backend keeps
// accepting; a crashed server stops. Connections whose events were not all
// kept do not tell.
func (d *diagnosis) crashEchoes(silent int64) bool {
	var echoes int64
	for _, c := range d.s.Connections {
		if c.ConnectFailures[event.CauseSilentPeerAtConnect] == 0 {
			continue
		}
		if c.DroppedEvents > 0 {
			return false
		}
		peerDrop := time.Duration(-1)
		working := map[int]bool{}
		opened := map[int]time.Duration{}
		waiting := false // an echo not yet followed by a refused attempt
		for _, e := range c.Events {
			switch e.Kind {
			case event.EventOpen:
				opened[e.Transport] = e.At
			case event.EventSettings:
				working[e.Transport] = true
			case event.EventClose:
				switch at, ok := opened[e.Transport]; {
				case e.Err == event.ClosedByClient:
				case working[e.Transport]:
					peerDrop = e.At
				case !ok || peerDrop < 0 || at-peerDrop > crashEcho:
					return false // a silent peer with no crash before it
				default:
					echoes++
					waiting = true
				}
			case event.EventDial:
				if waiting && strings.Contains(e.Err, "connection refused") {
					waiting = false
				}
			}
		}
		if waiting {
			return false // still accepting after the drop: not a crash
		}
	}
	return echoes > 0 && echoes >= silent
}
