package testserver

// ClosedAddr returns a loopback address on which nothing listens, for tests
// of refused connections. The port stays reserved until the test ends, so
// that no server started meanwhile (by a test running in parallel, or
// another process) can take it: an address found by listening on port 0 and
// closing the listener may be handed out again at once.
func ClosedAddr(t TB) string {
	t.Helper()
	addr, release, err := ReserveClosedAddr()
	if err != nil {
		t.Fatalf("reserve a closed port: %v", err)
	}
	t.Cleanup(release)
	return addr
}
