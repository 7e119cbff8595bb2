package conn

import "github.com/grpcpulse/grpcpulse/runner/event"

// EventRecorder is implemented by recorders that keep connection events.
// ConnEvent is called from grpc-go's transport goroutines and from state
// watchers: it must be safe for concurrent use, and quick.
type EventRecorder interface {
	ConnEvent(e event.Event)
}
