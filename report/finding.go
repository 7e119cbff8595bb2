package report

// Severity is how much a finding matters.
type Severity string

// The severities, most severe first.
const (
	// SeverityError: calls failed or connections were lost, and something
	// should change.
	SeverityError Severity = "error"
	// SeverityWarn: the run worked, but not as it should (recycled calls,
	// pinned load, retries amplifying load).
	SeverityWarn Severity = "warn"
	// SeverityInfo: worth knowing, nothing to fix.
	SeverityInfo Severity = "info"
)

// Rank orders severities, most severe (error) first: 0, 1, 2.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarn:
		return 1
	}
	return 2
}

// Finding is one conclusion of the diagnosis (diagnose.Findings): what happened, with its evidence,
// why it likely happened, and what to change.
type Finding struct {
	// ID names the rule that made it (too_many_pings, max_age_recycling...);
	// stable, for scripts.
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Evidence are the figures behind the finding, in a fixed order, as
	// text for people (the Connectivity object has the same figures as
	// numbers).
	Evidence []Evidence `json:"evidence"`
	Cause    string     `json:"cause"`
	Fix      string     `json:"fix"`
}

// Evidence is one named figure of a finding.
type Evidence struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}
