package plan

import "strings"

// TargetUserinfo returns the user information of a target address
// (scheme://user:password@host, or user:password@host:port without a
// scheme): what comes before the last '@' of its authority.
func TargetUserinfo(addr string) (string, bool) {
	rest := addr
	if _, after, ok := strings.Cut(addr, "://"); ok {
		rest = after
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at <= 0 {
		return "", false
	}
	return rest[:at], true
}

// RedactTarget returns addr with its user information (user:password@)
// replaced by REDACTED@, so that no message or report shows the
// credentials of a target; other addresses come back as they are.
func RedactTarget(addr string) string {
	userinfo, ok := TargetUserinfo(addr)
	if !ok {
		return addr
	}
	i := strings.Index(addr, userinfo+"@")
	return addr[:i] + "REDACTED" + addr[i+len(userinfo):]
}
