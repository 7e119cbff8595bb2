package reflect

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// FindService returns the service named by its fully-qualified name (a
// leading dot is allowed). An unknown name gives a *NotFoundError that
// suggests close service names.
func FindService(src Source, name string) (protoreflect.ServiceDescriptor, error) {
	name = trimName(name)
	if name == "" {
		return nil, errors.New("empty service name")
	}
	d, err := src.FindSymbol(name)
	if err == nil {
		if sd, ok := d.(protoreflect.ServiceDescriptor); ok {
			return sd, nil
		}
		return nil, &NotFoundError{Kind: "service", Name: name, hint: fmt.Sprintf("%s is a %s", name, kindOf(d))}
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	nf := &NotFoundError{Kind: "service", Name: name}
	services, lerr := src.ListServices()
	if lerr != nil {
		return nil, nf
	}
	nf.Suggestions = suggest(name, services)
	if len(nf.Suggestions) == 0 {
		nf.hint = countServices(len(services))
	}
	return nil, nf
}

// FindMethod returns the method named "pkg.Service/Method" or
// "pkg.Service.Method", optionally with a leading "/" (the form of a gRPC
// request path). An unknown service or method gives a *NotFoundError that
// suggests close names, or lists the service's methods when none is close.
func FindMethod(src Source, name string) (protoreflect.MethodDescriptor, error) {
	svc, method, slash, err := splitMethodName(name)
	if err != nil {
		return nil, err
	}
	sd, err := FindService(src, svc)
	if err != nil {
		// "pkg.Service" alone splits into service "pkg" and method
		// "Service"; say what is missing rather than that "pkg" is unknown.
		if !slash && errors.Is(err, ErrNotFound) {
			if d, serr := src.FindSymbol(svc + "." + method); serr == nil {
				if _, ok := d.(protoreflect.ServiceDescriptor); ok {
					return nil, fmt.Errorf("invalid method name %q: it names a service; want %s/Method", name, d.FullName())
				}
			}
		}
		return nil, err
	}
	if md := sd.Methods().ByName(protoreflect.Name(method)); md != nil {
		return md, nil
	}
	full := string(sd.FullName()) + "/"
	var methods []string
	for i := range sd.Methods().Len() {
		methods = append(methods, full+string(sd.Methods().Get(i).Name()))
	}
	slices.Sort(methods)
	nf := &NotFoundError{Kind: "method", Name: full + method, Suggestions: suggest(full+method, methods)}
	if len(nf.Suggestions) == 0 {
		nf.hint = listMethods(sd.FullName(), methods)
	}
	return nil, nf
}

// CheckMethodName reports whether name has the form of a method name
// (pkg.Service/Method or pkg.Service.Method), without looking it up, so that
// a malformed name can be refused before anything is dialled.
func CheckMethodName(name string) error {
	_, _, _, err := splitMethodName(name)
	return err
}

// splitMethodName splits a method name at its last "/" or, without one, at
// its last ".". slash reports which separator was used.
func splitMethodName(name string) (svc, method string, slash bool, err error) {
	trimmed := strings.TrimPrefix(name, "/")
	if i := strings.LastIndexByte(trimmed, '/'); i >= 0 {
		svc, method, slash = trimmed[:i], trimmed[i+1:], true
	} else if i := strings.LastIndexByte(trimmed, '.'); i >= 0 {
		svc, method = trimmed[:i], trimmed[i+1:]
	}
	svc = trimName(svc)
	if svc == "" || method == "" || strings.ContainsAny(method, "/.") || strings.Contains(svc, "/") ||
		strings.HasSuffix(svc, ".") || strings.Contains(svc, "..") {
		return "", "", false, fmt.Errorf("invalid method name %q: want package.Service/Method", name)
	}
	return svc, method, slash, nil
}

func countServices(n int) string {
	switch n {
	case 0:
		return "there are no services"
	case 1:
		return "there is 1 service"
	default:
		return fmt.Sprintf("there are %d services", n)
	}
}

func listMethods(svc protoreflect.FullName, methods []string) string {
	if len(methods) == 0 {
		return fmt.Sprintf("%s has no methods", svc)
	}
	short := make([]string, len(methods))
	for i, m := range methods {
		short[i] = m[strings.LastIndexByte(m, '/')+1:]
	}
	return fmt.Sprintf("%s has methods %s", svc, strings.Join(short, ", "))
}
