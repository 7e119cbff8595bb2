package report

// HeadEvents and TailEvents are the first and last events a Connection
// keeps (Connection.Events); the ones between are counted, not kept.
const (
	HeadEvents = 50
	TailEvents = 50
)

// OtherReason is the key counts by reason use once they hold their bound of distinct keys.
const OtherReason = "(other)"

// The reasons a transport closed, in Connection.Closes and
// Connectivity.Closes.
const (
	CloseClient         = "client"                 // grpc-go closed it (drained, idle, ...)
	ClosePingUnanswered = "client_ping_unanswered" // grpc-go closed it with a keepalive ping pending
	CloseAfterGoAway    = "after_goaway"           // the peer closed it after a GOAWAY: the end of a drain
	ClosePeerEOF        = "peer_eof"               // the peer closed it (FIN) with no GOAWAY
	ClosePeerReset      = "peer_reset"             // reset (RST, broken pipe) with no GOAWAY
	CloseTimedOut       = "timed_out"              // the kernel gave up (TCP_USER_TIMEOUT)
	CloseOther          = "other"
)
