package conn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// CheckTarget is t.Validate plus what only this layer can check: the names
// of the retry codes, and the service config the flags build, which grpc-go
// parses (nothing is dialled). Commands call it once, so that a bad setting
// is a usage error.
func CheckTarget(ctx context.Context, t *plan.Target) error {
	if err := t.Validate(); err != nil {
		return err
	}
	filesOf(t) // each file is read once, however many connections dial
	for _, name := range t.Retry.Codes {
		if _, err := event.ParseCode(name); err != nil {
			return fmt.Errorf("--retry-codes: %w", err)
		}
	}
	return validateServiceConfig(ctx, t)
}

// validateServiceConfig has grpc-go parse the service config the flags
// build (nothing is dialled), so that a bad one is a usage error.
func validateServiceConfig(ctx context.Context, t *plan.Target) error {
	sc, err := serviceConfig(ctx, t)
	if err != nil || sc == "" {
		return err
	}
	if strings.HasPrefix(t.Retry.ServiceConfig, "@") {
		filesOf(t).ServiceConfig = sc // the dials use it: the file is read once
	}
	cc, err := grpc.NewClient("passthrough:///service-config-check",
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(sc))
	if err != nil {
		return fmt.Errorf("--service-config: %w", err)
	}
	return cc.Close()
}

// keepaliveOptions are the dial options of k.
func keepaliveOptions(k *plan.Keepalive) []grpc.DialOption {
	if k.Time == 0 {
		return nil
	}
	return []grpc.DialOption{grpc.WithKeepaliveParams(keepalive.ClientParameters{
		Time: k.Time, Timeout: k.Timeout, PermitWithoutStream: k.PermitWithoutStream})}
}

// backoffOptions are the dial options of b.
func backoffOptions(b *plan.ConnectBackoff) []grpc.DialOption {
	if *b == (plan.ConnectBackoff{}) {
		return nil // not configured (a plan.Target built in code): grpc-go's defaults
	}
	// Fields left zero take grpc-go's defaults: above all MinConnectTimeout,
	// which grpc-go would otherwise take as 0, giving each connection
	// attempt no more than the current backoff (20ms with a 20ms base) to
	// finish TCP, TLS and the HTTP/2 preface.
	v := b.WithDefaults()
	b = &v
	return []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: b.Base, Multiplier: b.Multiplier, Jitter: b.Jitter, MaxDelay: b.Max},
		MinConnectTimeout: b.MinConnectTimeout})}
}

// serviceConfig builds the service config t's flags stand for: the user's
// own (an @file from t.Files once CheckTarget read it), or one with the LB
// policy and the retry policy; "" for none.
func serviceConfig(ctx context.Context, t *plan.Target) (string, error) {
	r := &t.Retry
	if r.ServiceConfig != "" {
		if t.Files != nil && t.Files.ServiceConfig != "" {
			return t.Files.ServiceConfig, nil // read and checked once
		}
		sc := r.ServiceConfig
		if path, ok := strings.CutPrefix(sc, "@"); ok {
			b, err := readSmallFile(ctx, "--service-config", path, maxServiceConfigBytes)
			if err != nil {
				return "", err
			}
			sc = string(b)
		}
		if !json.Valid([]byte(sc)) {
			return "", errors.New("--service-config is not valid JSON")
		}
		return sc, nil
	}
	cfg := map[string]any{}
	if lb := t.LBPolicy; lb != "" {
		cfg["loadBalancingConfig"] = []any{map[string]any{lb: map[string]any{}}}
	}
	if r.MaxAttempts > 0 {
		p := r.WithDefaults()
		names := make([]string, len(p.Codes))
		for i, name := range p.Codes {
			c, _ := event.ParseCode(name) // CheckTarget has read them
			names[i] = event.CodeName(c)
		}
		cfg["methodConfig"] = []any{map[string]any{
			"name": []any{map[string]any{}}, // every method
			"retryPolicy": map[string]any{
				"maxAttempts":          p.MaxAttempts,
				"initialBackoff":       scDuration(p.InitialBackoff),
				"maxBackoff":           scDuration(p.MaxBackoff),
				"backoffMultiplier":    p.Multiplier,
				"retryableStatusCodes": names,
			},
		}}
	}
	if len(cfg) == 0 {
		return "", nil
	}
	b, err := json.Marshal(cfg)
	return string(b), err
}

// scDuration is a duration in service-config form ("0.1s").
func scDuration(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }
