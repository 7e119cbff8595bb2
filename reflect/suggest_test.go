package reflect

import (
	"slices"
	"testing"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	services := []string{
		"grpc.health.v1.Health",
		"grpc.reflection.v1.ServerReflection",
		"grpcpulse.test.v1.Pulse",
		"grpcpulse.test.v2.Pulse",
		"shop.v1.Orders",
		"shop.v1.OrderHistory",
	}
	methods := []string{
		"pkg.Svc/Bidi",
		"pkg.Svc/ClientStream",
		"pkg.Svc/GetUser",
		"pkg.Svc/GetUsers",
		"pkg.Svc/ListUsers",
		"pkg.Svc/ServerStream",
		"pkg.Svc/Unary",
	}
	tests := []struct {
		name       string
		query      string
		candidates []string
		want       []string
	}{
		{"short name", "Pulse", services, []string{"grpcpulse.test.v1.Pulse", "grpcpulse.test.v2.Pulse"}},
		{"short name, other case", "pulse", services, []string{"grpcpulse.test.v1.Pulse", "grpcpulse.test.v2.Pulse"}},
		{"typo in short name", "grpcpulse.test.v1.Plse", services, []string{"grpcpulse.test.v1.Pulse", "grpcpulse.test.v2.Pulse"}},
		{"typo in package", "grpcpulse.test.v3.Pulse", services, []string{"grpcpulse.test.v1.Pulse", "grpcpulse.test.v2.Pulse"}},
		{"whole name, other case", "GRPC.HEALTH.V1.HEALTH", services, []string{"grpc.health.v1.Health"}},
		{"prefix", "Order", services, []string{"shop.v1.Orders", "shop.v1.OrderHistory"}},
		{"nothing close", "Inventory", services, nil},
		{"same package is not closeness", "shop.v1.Cart", services, nil},
		{"empty query", "", services, nil},
		{"method typo", "pkg.Svc/Unry", methods, []string{"pkg.Svc/Unary"}},
		{"method case", "pkg.Svc/unary", methods, []string{"pkg.Svc/Unary"}},
		{"at most three, best first", "pkg.Svc/GetUser", methods, []string{"pkg.Svc/GetUser", "pkg.Svc/GetUsers"}},
		{"ties sorted by name", "pkg.Svc/XetUserz", methods, []string{"pkg.Svc/GetUser", "pkg.Svc/GetUsers"}},
		{"limit three", "pkg.Svc/Stream", []string{"pkg.Svc/Streamd", "pkg.Svc/Streamc", "pkg.Svc/Streamb", "pkg.Svc/Streama"},
			[]string{"pkg.Svc/Streama", "pkg.Svc/Streamb", "pkg.Svc/Streamc"}},
		{"unrelated short methods", "pkg.Svc/Foo", methods, nil},
		{"short method prefix too short", "pkg.Svc/Ge", methods, nil},
		{"method prefix", "pkg.Svc/List", methods, []string{"pkg.Svc/ListUsers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := suggest(tt.query, tt.candidates); !slices.Equal(got, tt.want) {
				t.Errorf("suggest(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"unary", "unary", 0},
		{"unry", "unary", 1},
		{"kitten", "sitting", 3},
		{"héllo", "hello", 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNotFoundError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *NotFoundError
		want string
	}{
		{&NotFoundError{Kind: "symbol", Name: "a.B"}, `symbol "a.B" not found`},
		{&NotFoundError{Kind: "service", Name: "B", Suggestions: []string{"a.B"}}, `service "B" not found; did you mean a.B?`},
		{&NotFoundError{Kind: "service", Name: "B", Suggestions: []string{"a.B", "c.B"}}, `service "B" not found; did you mean a.B or c.B?`},
		{&NotFoundError{Kind: "method", Name: "s/M", Suggestions: []string{"s/A", "s/B", "s/C"}}, `method "s/M" not found; did you mean s/A, s/B or s/C?`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %s, want %s", got, tt.want)
		}
		if !tt.err.Is(ErrNotFound) {
			t.Errorf("%v does not match ErrNotFound", tt.err)
		}
	}
}
