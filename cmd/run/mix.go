package run

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"

	"google.golang.org/grpc"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/report/gate"
	"github.com/grpcpulse/grpcpulse/report/record"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// checkMethods checks the method name, or each of the scenario's calls.
func (o *RunOptions) checkMethods() error {
	if len(o.Calls) == 0 {
		if err := reflect.CheckMethodName(o.Method); err != nil {
			return &cli.UsageError{Err: err}
		}
		return nil
	}
	var total float64
	for _, c := range o.Calls {
		if err := reflect.CheckMethodName(c.Method); err != nil {
			return &cli.UsageError{Err: fmt.Errorf("calls: %w", err)}
		}
		total += c.Weight
	}
	if total == 0 {
		return cli.UsageErrorf("calls: every weight is 0: no method would be called")
	}
	if math.IsInf(total, 0) {
		return cli.UsageErrorf("calls: the weights add up to more than %g: make them smaller (only their ratios count)", math.MaxFloat64)
	}
	return nil
}

// runMix runs the scenario's calls as one weighted mix.
func runMix(ctx context.Context, opts *RunOptions) error {
	s, err := cli.OpenSession(ctx, opts.Dial, opts.Target, opts.Metadata, opts.Source, false)
	if err != nil {
		return reportNotStarted(ctx, opts, err)
	}
	defer s.Close()
	entries := make([]runner.Entry, 0, len(opts.Calls))
	kinds := make([]event.Kind, 0, len(opts.Calls))
	names := make([]string, 0, len(opts.Calls))
	mix := make([]record.MixMethod, 0, len(opts.Calls))
	hash := sha256.New()
	var size int64
	for i, c := range opts.Calls {
		method, err := reflect.FindMethod(s.Source, c.Method)
		if err != nil {
			return reportNotStarted(ctx, opts, s.Explain(err))
		}
		raw, err := cli.ReadData(ctx, cmp.Or(c.Data, opts.Data), opts.IO.In)
		if err != nil {
			return reportNotStarted(ctx, opts, fmt.Errorf("calls: %s: %w", c.Method, err))
		}
		reqs, err := data.NewRequests(method.Input(), raw, runner.Templating(opts.Call), reflect.TypeResolver(s.Source))
		if errors.Is(err, data.ErrTemplateEnv) {
			return &cli.UsageError{Err: fmt.Errorf("calls: %s: %w", c.Method, err)}
		}
		if err != nil {
			return reportNotStarted(ctx, opts, fmt.Errorf("calls: %s: %w", c.Method, err))
		}
		if i == 0 {
			size = reqs.Size()
		}
		name := strings.TrimPrefix(runner.FullMethod(method), "/")
		entries = append(entries, runner.Entry{Method: method, Requests: reqs, Headers: c.Headers, Weight: c.Weight, Messages: c.Messages})
		kinds = append(kinds, runner.KindOf(method))
		names = append(names, name)
		mix = append(mix, record.MixMethod{Method: name, Weight: c.Weight})
		hash.Write([]byte(reflect.DescriptorHash(method)))
	}
	if err := gate.CheckMix(opts.assertions, names, kinds); err != nil {
		return &cli.UsageError{Err: err}
	}
	r, err := runner.NewMix(opts.Options, entries)
	if err != nil {
		return &cli.UsageError{Err: err}
	}
	opts.setDial(r)
	meta := record.Meta{
		Method: strings.Join(names, ","), Kind: event.MixKind(kinds), Mix: mix,
		Options: r.Options(), Notes: opts.Target.Notes(), DataSize: size,
		DescriptorHash: hex.EncodeToString(hash.Sum(nil))[:16], Tool: cli.Version(), GRPCVersion: grpc.Version, CPUs: runtime.GOMAXPROCS(0),
	}
	load := r.Options().Load
	return execRun(ctx, opts, r, meta, record.NewMix(kinds, load.Workers()))
}
