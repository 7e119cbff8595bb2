package report

import "google.golang.org/grpc/metadata"

// RedactMetadata returns a copy of md with the values of secret keys (see
// RedactOptions) and of the listed keys replaced, for printing metadata
// that was sent.
func RedactMetadata(md metadata.MD, listed []string) metadata.MD {
	out := metadata.MD{}
	for k, vs := range md {
		if secretHeader(k) || listedHeader(k, listed) {
			vs = []string{redacted}
		}
		out[k] = vs
	}
	return out
}
