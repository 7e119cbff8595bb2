package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/internal/inputfile"
)

// maxScenarioBytes bounds a scenario file (it is read whole).
const maxScenarioBytes = 4 << 20

// CallSpec is one entry of a scenario's calls: list, a method of the
// weighted mix `run` makes over one pool of connections and workers.
type CallSpec struct {
	// Method is "package.Service/Method".
	Method string
	// Data is JSON request messages or @file ("" means the run's -d).
	Data string
	// Headers are "key: value" metadata sent with this method's calls, on
	// top of the run's -H.
	Headers []string
	// Weight is the method's share of the calls relative to the others'
	// (1 when not given): a finite number, 0 or more, whole or not.
	Weight float64
	// Messages is how many messages a client or bidi stream of this method
	// sends (0: the run's --messages).
	Messages int
}

// scenario is what a scenario file held besides flag values.
type scenario struct {
	target, method string
	calls          []CallSpec
}

// applyScenario reads the scenario file at path (YAML, or JSON, which is
// YAML too) and sets every flag of fs the file names that the command line
// did not (flag.Changed): the file's keys are the long flag names. A list
// sets a repeatable flag once per item; a map sets KEY=VALUE per entry
// ("key: value" for header flags); a plural key names the flag in the
// singular when only that exists (tags: for --tag, headers: for --header).
// target, method and calls are returned.
// An unknown key is an error naming it and its line, and so is what
// would otherwise be dropped in silence: a key given twice in any map (tag:
// beside tags: too), a list or map for a flag that takes one value, and a
// second YAML document. A relative @file in data is relative to the
// scenario file.
func applyScenario(ctx context.Context, path string, fs *pflag.FlagSet) (*scenario, error) {
	b, err := readScenarioFile(ctx, path)
	if err != nil {
		return nil, err
	}
	root, err := parseScenario(b)
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return nil, fmt.Errorf("%s:%d: %w", path, le.line, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc := &scenario{}
	dir := filepath.Dir(path)
	seen := map[string]*yaml.Node{} // by the flag a key sets
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		at := fmt.Sprintf("%s:%d", path, k.Line)
		name := flagName(fs, k.Value)
		if first := seen[name]; first != nil {
			return nil, fmt.Errorf("%s: %q and %q (line %d) both set --%s: give it once", at, k.Value, first.Value, first.Line, name)
		}
		seen[name] = k
		if err := sc.apply(fs, k.Value, v, dir); err != nil {
			var le *lineError
			if errors.As(err, &le) {
				at = fmt.Sprintf("%s:%d", path, le.line)
			}
			return nil, fmt.Errorf("%s: %w", at, err)
		}
	}
	return sc, nil
}

// parseScenario parses a scenario file's text: one YAML document holding a
// map, with no key given twice in any of its maps.
func parseScenario(b []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty")
		}
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		// The decoder reads the first document only: a second one (even an
		// empty one after a last ---) would be dropped without a word.
		return nil, atLine(next.Line, errors.New("a second YAML document (after ---): a scenario file holds one"))
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, atLine(root.Line, errors.New("want a map of flag names to values"))
	}
	if err := uniqueKeys(root); err != nil {
		return nil, err
	}
	return root, nil
}

// uniqueKeys refuses a key given twice in any map under n (the node API
// keeps both; decoding into a Go map would keep the last). Aliases are not
// followed: what they point to is checked where it is defined.
func uniqueKeys(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue // a complex key is refused where it is read
			}
			if line, dup := seen[k.Value]; dup {
				return atLine(k.Line, fmt.Errorf("%q is given twice (first at line %d)", k.Value, line))
			}
			seen[k.Value] = k.Line
		}
	}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			if err := uniqueKeys(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// flagName is the flag a key of the file sets: the key, or for a plural
// the repeatable flag it names in the singular (tags: for --tag).
func flagName(fs *pflag.FlagSet, key string) string {
	if fs.Lookup(key) == nil && strings.HasSuffix(key, "s") && fs.Lookup(strings.TrimSuffix(key, "s")) != nil {
		return strings.TrimSuffix(key, "s")
	}
	return key
}

func readScenarioFile(ctx context.Context, path string) ([]byte, error) {
	b, err := inputfile.Read(ctx, path, maxScenarioBytes)
	var pe *os.PathError
	var we *inputfile.WaitError
	switch {
	case errors.Is(err, inputfile.ErrTooLarge):
		return nil, fmt.Errorf("-f %s: more than %d MiB", path, maxScenarioBytes>>20)
	case errors.As(err, &pe) || errors.As(err, &we): // they name the file
		return nil, fmt.Errorf("-f: %w", err)
	case err != nil:
		return nil, fmt.Errorf("-f %s: %w", path, err)
	}
	return b, nil
}

// apply sets one key of the file.
func (sc *scenario) apply(fs *pflag.FlagSet, key string, v *yaml.Node, dir string) error {
	switch key {
	case "target", "method":
		s, err := scalar(v, key)
		if err == nil && key == "target" {
			sc.target = s
		} else if err == nil {
			sc.method = s
		}
		return err
	case "calls":
		calls, err := parseCalls(v, dir)
		sc.calls = calls
		return err
	}
	key = flagName(fs, key) // a plural names a repeatable flag: tags for --tag, headers for -H
	f := fs.Lookup(key)
	if f == nil || key == "file" || key == "help" {
		return fmt.Errorf("unknown key %q (the keys are the long flag names of run, and target, method, calls)", key)
	}
	if f.Changed {
		return nil // the command line wins
	}
	if key == "data" {
		s, err := dataValue(v, dir)
		if err != nil {
			return err
		}
		return fs.Set(key, s)
	}
	if _, repeatable := f.Value.(pflag.SliceValue); !repeatable && v.Kind != yaml.ScalarNode {
		// Each item would be Set in turn and the last would win.
		return atLine(v.Line, fmt.Errorf("%s: want a single value (--%s is not repeatable)", key, key))
	}
	values, err := flagValues(v, key, strings.Contains(key, "header"))
	if err != nil {
		return err
	}
	for _, s := range values {
		if err := fs.Set(key, s); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// flagValues are the strings a flag is Set to for v: a scalar's value,
// each item of a list, KEY=VALUE (or "KEY: VALUE" for headers) per entry
// of a map.
func flagValues(v *yaml.Node, key string, header bool) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			s, err := scalar(item, key)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case yaml.MappingNode:
		out := make([]string, 0, len(v.Content)/2)
		for i := 0; i+1 < len(v.Content); i += 2 {
			val, err := scalar(v.Content[i+1], key)
			if err != nil {
				return nil, err
			}
			if header {
				out = append(out, v.Content[i].Value+": "+val)
			} else {
				out = append(out, v.Content[i].Value+"="+val)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: want a value, a list or a map", key)
}

func scalar(v *yaml.Node, key string) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", atLine(v.Line, fmt.Errorf("%s: want a single value", key))
	}
	return v.Value, nil
}

// dataValue is request data as -d takes it: a YAML/JSON object or list is
// turned into JSON; a string is JSON or @file (relative to dir).
func dataValue(v *yaml.Node, dir string) (string, error) {
	if v.Kind == yaml.ScalarNode {
		s := v.Value
		if strings.HasPrefix(s, "@") && s != "@-" && !filepath.IsAbs(s[1:]) {
			s = "@" + filepath.Join(dir, s[1:])
		}
		return s, nil
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	if v.Kind == yaml.SequenceNode {
		// A list of messages: concatenated objects, as -d takes several.
		var buf bytes.Buffer
		for _, m := range x.([]any) {
			b, err := json.Marshal(m)
			if err != nil {
				return "", fmt.Errorf("data: %w", err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		return buf.String(), nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	return string(b), nil
}

// maxCalls bounds the calls: list. Each entry costs a descriptor lookup,
// its request data (up to 64 MiB) and recorder series, from 0.3 to 0.9 MB
// in all: 3,000 entries reached a gigabyte before the run began.
const maxCalls = 1000

// parseCalls reads the calls: list.
func parseCalls(v *yaml.Node, dir string) ([]CallSpec, error) {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return nil, errors.New("calls: want a list of {method, data, header, weight, messages}")
	}
	if len(v.Content) > maxCalls {
		return nil, atLine(v.Content[maxCalls].Line, fmt.Errorf("calls: %d entries, more than the %d a run may mix (each has its own data and series); merge entries of one method, or split the file into runs", len(v.Content), maxCalls))
	}
	out := make([]CallSpec, 0, len(v.Content))
	for _, item := range v.Content {
		c, err := parseCall(item, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func parseCall(item *yaml.Node, dir string) (CallSpec, error) {
	c := CallSpec{Weight: 1}
	if item.Kind != yaml.MappingNode {
		return c, atLine(item.Line, errors.New("calls: want {method, data, header, weight, messages}"))
	}
	var headers *yaml.Node // header: or headers:, whichever came first
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		var err error
		switch k.Value {
		case "method":
			c.Method, err = scalar(v, "method")
		case "data":
			c.Data, err = dataValue(v, dir)
		case "header", "headers":
			if headers != nil {
				err = fmt.Errorf("%s: and %s: (line %d) both give this call's headers: give one", k.Value, headers.Value, headers.Line)
				break
			}
			headers = k
			c.Headers, err = flagValues(v, k.Value, true)
		case "weight":
			c.Weight, err = parseWeight(v)
		case "messages":
			// An !!int only: decoding 2.5 into an int would make it 2.
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || v.Decode(&c.Messages) != nil || c.Messages < 1 {
				err = fmt.Errorf("messages: want a whole number, 1 or more, not %q", v.Value)
			}
		default:
			err = fmt.Errorf("unknown key %q in calls (want method, data, header, weight, messages)", k.Value)
		}
		var le *lineError
		if err != nil && !errors.As(err, &le) {
			err = atLine(k.Line, fmt.Errorf("calls: %w", err))
		}
		if err != nil {
			return c, err
		}
	}
	if c.Method == "" {
		return c, atLine(item.Line, errors.New("calls: an entry has no method"))
	}
	return c, nil
}

// parseWeight reads a call's weight: a finite number, 0 or more. A
// fraction is kept as it is (0.5 beside 1 is a third of the calls).
func parseWeight(v *yaml.Node) (float64, error) {
	var w float64
	if v.Kind != yaml.ScalarNode {
		return 0, errors.New("weight: want a single number")
	}
	if err := v.Decode(&w); err != nil {
		return 0, fmt.Errorf("weight: want a number, not %q", v.Value)
	}
	if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return 0, fmt.Errorf("weight: want a finite number, 0 or more, not %s", v.Value)
	}
	return w, nil
}

// lineError is an error at a line of the file other than its key's.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }
func (e *lineError) Unwrap() error { return e.err }

func atLine(line int, err error) error { return &lineError{line: line, err: err} }

// resolveArgs fills the target and method from the positional arguments
// and, with -f, from the scenario file (whose other keys set flags the
// command line did not). The arguments win over the file.
func (o *RunOptions) resolveArgs(ctx context.Context, fs *pflag.FlagSet, args []string) error {
	if o.ScenarioFile != "" {
		sc, err := applyScenario(ctx, o.ScenarioFile, fs)
		if err != nil {
			return &cli.UsageError{Err: err}
		}
		o.Target.Addr, o.Method, o.Calls = sc.target, sc.method, sc.calls
	}
	if len(args) > 0 {
		o.Target.Addr = args[0]
	}
	if len(args) > 1 {
		o.Method = args[1]
	}
	switch {
	case o.Target.Addr == "":
		return cli.UsageErrorf("missing ADDR (give it, or target: in the -f file)")
	case o.Method == "" && len(o.Calls) == 0 && len(args) == 1 && cli.LooksLikeMethod(args[0]):
		return cli.MissingAddr(args[0])
	case o.Method == "" && len(o.Calls) == 0:
		return cli.UsageErrorf("missing METHOD (give it, or method: or calls: in the -f file)")
	case o.Method != "" && len(o.Calls) > 0:
		return cli.UsageErrorf("give either METHOD or calls: in the -f file, not both")
	}
	return nil
}
