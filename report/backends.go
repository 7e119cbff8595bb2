package report

// Backend is what the calls to one remote address saw.
type Backend struct {
	Remote string `json:"remote"`
	Calls  int64  `json:"calls"`
	Errors int64  `json:"errors"`
}
