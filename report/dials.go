package report

import (
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// MaxOutages bounds the outages a report tells one by one (the first ones);
// DialStats.OutageCount counts them all.
const MaxOutages = 8

// DialStats is what the dialer saw: every TCP connection attempt grpc-go
// made, measured rather than inferred from connectivity states.
type DialStats struct {
	// Attempts counts connection attempts (TCP connects), first ones
	// included; Failed counts the failed ones by cause (refused,
	// dial_failed...).
	Attempts int64                 `json:"attempts"`
	Failed   map[event.Cause]int64 `json:"failed,omitempty"`
	// BackoffWaited is, for each connection that got through after failed
	// attempts, from the end of its last failed attempt to the start of the
	// one that succeeded: the backoff actually waited. The server came back
	// at some point in that wait, so it is also the most a lower backoff
	// could have saved.
	BackoffWaited *Spread `json:"backoff_waited,omitempty"`
	// Outages are the first MaxOutages times a pool connection lost its
	// transport (or could not connect) and failed connection attempts
	// followed, each told as one story; OutageCount counts them all.
	Outages     []Outage `json:"outages,omitempty"`
	OutageCount int64    `json:"outage_count,omitempty"`
}

// Outage is one pool connection's time without a server: how it was lost,
// the failed connection attempts, and when it was back.
type Outage struct {
	Conn int `json:"conn"`
	// At is when the transport closed (or the first attempt failed),
	// relative to the start of measurement.
	At time.Duration `json:"at_ns"`
	// Lost is how the transport ended (a Connectivity.Closes reason:
	// peer_eof, after_goaway, peer_reset...); "" when the connection had
	// none (it could not connect from the start, or was idle).
	Lost string `json:"lost,omitempty"`
	// Failed counts the failed attempts, over Failing: from the start of
	// the first to the end of the last. Cause is the last one's.
	Failed  int64         `json:"failed_attempts"`
	Failing time.Duration `json:"failing_ns"`
	Cause   event.Cause   `json:"cause,omitempty"`
	// BackAfter is from At to the end of the attempt that succeeded; 0 when
	// the run ended first. Waited is the backoff before that attempt (see
	// DialStats.BackoffWaited).
	BackAfter time.Duration `json:"back_after_ns,omitempty"`
	Waited    time.Duration `json:"waited_ns,omitempty"`
}

// What ended a SilentWindow besides a transport close (whose reasons are
// the Connectivity.Closes keys).
const (
	// SilenceRecovered: a call succeeded again on the connection.
	SilenceRecovered = "recovered"
	// SilenceRunEnd: the run ended first.
	SilenceRunEnd = "run_end"
)

// SilentWindow is a time a READY connection answered nothing: calls missed
// their deadline with nothing back from the server, with no success
// between them.
type SilentWindow struct {
	// From is the start of the earliest of those calls, Until the end of
	// the latest, relative to the start of measurement.
	From  time.Duration `json:"from_ns"`
	Until time.Duration `json:"until_ns"`
	Calls int64         `json:"calls"`
	// EndedBy is what ended it: a close reason (client_ping_unanswered for
	// a keepalive timeout, timed_out for the kernel's TCP_USER_TIMEOUT,
	// peer_reset, peer_eof, after_goaway, client...), SilenceRecovered or
	// SilenceRunEnd; EndedAt is when. Silence is EndedAt - From.
	EndedBy string        `json:"ended_by"`
	EndedAt time.Duration `json:"ended_at_ns"`
	Silence time.Duration `json:"silence_ns"`
}
