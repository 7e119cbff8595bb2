package conn

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
)

// codeNames are the UPPER_SNAKE names of the status codes, as gRPC spells
// them in JSON and service configs.
var codeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// CodeName is the name of c in reports and service configs: "OK",
// "UNAVAILABLE", and "CODE(n)" for a code gRPC does not define.
func CodeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "CODE(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// ParseCode reads a status code: its name in any case (UNAVAILABLE,
// Unavailable, DeadlineExceeded), "CODE(n)", or a number from 0 to 16.
func ParseCode(name string) (codes.Code, error) {
	s := strings.TrimSpace(name)
	for i, n := range codeNames {
		if strings.EqualFold(n, s) || strings.EqualFold(codes.Code(i).String(), s) {
			return codes.Code(i), nil
		}
	}
	if num, ok := strings.CutPrefix(s, "CODE("); ok {
		if num, ok := strings.CutSuffix(num, ")"); ok {
			if n, err := strconv.ParseUint(num, 10, 32); err == nil {
				return codes.Code(n), nil
			}
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(codeNames) {
		return codes.Code(n), nil
	}
	return 0, fmt.Errorf("%q is not a status code name (e.g. UNAVAILABLE, DEADLINE_EXCEEDED)", name)
}

// CodeNames lists the status codes' names (OK to UNAUTHENTICATED), as
// --retry-codes takes them.
func CodeNames() []string { return slices.Clone(codeNames[:]) }
