package report

// RedactMetadata returns a copy of md with the values of secret keys (see
// RedactOptions) and of the listed keys replaced, for printing metadata
// that was sent (a grpc-go metadata.MD converts to and from it).
func RedactMetadata(md map[string][]string, listed []string) map[string][]string {
	out := map[string][]string{}
	for k, vs := range md {
		if secretHeader(k) || listedHeader(k, listed) {
			vs = []string{redacted}
		}
		out[k] = vs
	}
	return out
}
