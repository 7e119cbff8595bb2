package event

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Code is a gRPC status code, with the numbers of grpc-go's codes.Code (a
// codes.Code converts to it as Code(c)).
type Code uint32

// The status codes gRPC defines.
const (
	CodeOK Code = iota
	CodeCanceled
	CodeUnknown
	CodeInvalidArgument
	CodeDeadlineExceeded
	CodeNotFound
	CodeAlreadyExists
	CodePermissionDenied
	CodeResourceExhausted
	CodeFailedPrecondition
	CodeAborted
	CodeOutOfRange
	CodeUnimplemented
	CodeInternal
	CodeUnavailable
	CodeDataLoss
	CodeUnauthenticated
)

// codeNames are the UPPER_SNAKE names of the status codes, as gRPC spells
// them in JSON and service configs.
var codeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// goNames are the codes' names as grpc-go's codes.Code.String spells them.
var goNames = [...]string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
	"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
	"FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
	"Internal", "Unavailable", "DataLoss", "Unauthenticated",
}

// CodeName is the name of c in reports and service configs: "OK",
// "UNAVAILABLE", and "CODE(n)" for a code gRPC does not define.
func CodeName(c Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "CODE(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// ParseCode reads a status code: its name in any case (UNAVAILABLE,
// Unavailable, DeadlineExceeded), "CODE(n)", or a number from 0 to 16.
func ParseCode(name string) (Code, error) {
	s := strings.TrimSpace(name)
	for i, n := range codeNames {
		if strings.EqualFold(n, s) || strings.EqualFold(goNames[i], s) {
			return Code(i), nil
		}
	}
	if num, ok := strings.CutPrefix(s, "CODE("); ok {
		if num, ok := strings.CutSuffix(num, ")"); ok {
			if n, err := strconv.ParseUint(num, 10, 32); err == nil {
				return Code(n), nil
			}
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(codeNames) {
		return Code(n), nil
	}
	return 0, fmt.Errorf("%q is not a status code name (e.g. UNAVAILABLE, DEADLINE_EXCEEDED)", name)
}

// CodeNames lists the status codes' names (OK to UNAUTHENTICATED), as
// --retry-codes takes them.
func CodeNames() []string { return slices.Clone(codeNames[:]) }

// String is c's name as grpc-go's codes.Code.String spells it
// ("Unavailable"), and "Code(n)" for a code gRPC does not define.
func (c Code) String() string {
	if int(c) < len(goNames) {
		return goNames[c]
	}
	return "Code(" + strconv.FormatInt(int64(c), 10) + ")"
}
