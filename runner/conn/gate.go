package conn

import (
	"sync"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Gate passes connection events to a recorder until Close. grpc-go's
// transport goroutines and the state watchers outlive the calls that own
// them (a transport's reader notices a close after ClientConn.Close has
// returned), so a run or a probe closes its gate when it ends: an event
// being passed then reaches the recorder before Close returns, and none
// after, so the recorder is never told anything once its owner has
// returned. Safe for concurrent use.
type Gate struct {
	mu     sync.RWMutex
	closed bool
	rec    EventRecorder // nil: events go nowhere
}

// NewGate returns an open gate to rec (which may be nil).
func NewGate(rec EventRecorder) *Gate { return &Gate{rec: rec} }

// Send passes e to the recorder unless the gate is closed.
func (g *Gate) Send(e event.Event) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.closed && g.rec != nil {
		g.rec.ConnEvent(e)
	}
}

// Close stops the events, waiting for those being passed.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
