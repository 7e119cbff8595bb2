package runner

import (
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Templating is how a run with call settings c takes its data and metadata
// values: as they are, or as templates that may read the environment only
// with TemplateEnv.
func Templating(c plan.Call) data.Templating {
	switch {
	case !c.Template:
		return data.Static
	case c.TemplateEnv:
		return data.TemplatedEnv
	}
	return data.Templated
}
