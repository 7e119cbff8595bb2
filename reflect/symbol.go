package reflect

import (
	"errors"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// FindDescriptor returns the descriptor of any symbol: a service, a method
// ("pkg.Service/Method" or "pkg.Service.Method"), a message, an enum, an
// enum value or a field. An unknown name gives a *NotFoundError that
// suggests close names among the symbols of every file the services are
// defined in, and of the files those import.
func FindDescriptor(src Source, name string) (protoreflect.Descriptor, error) {
	name = strings.TrimPrefix(name, ".")
	if strings.Contains(name, "/") {
		return FindMethod(src, name)
	}
	d, err := src.FindSymbol(name)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return d, err
	}
	nf := &NotFoundError{Kind: "symbol", Name: name}
	if names, lerr := symbolNames(src); lerr == nil {
		nf.Suggestions = suggest(name, names)
	}
	if len(nf.Suggestions) == 0 {
		return nil, err // the source's own error keeps its hint (a server's cause)
	}
	return nil, nf
}

// symbolNames lists the services, methods (as "pkg.Service/Method"),
// messages and enums of the files that define the source's services, and of
// the files they import.
func symbolNames(src Source) ([]string, error) {
	services, err := src.ListServices()
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	var walkFile func(protoreflect.FileDescriptor)
	walkFile = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		for i := range f.Services().Len() {
			sd := f.Services().Get(i)
			names = append(names, string(sd.FullName()))
			for j := range sd.Methods().Len() {
				names = append(names, string(sd.FullName())+"/"+string(sd.Methods().Get(j).Name()))
			}
		}
		names = appendMessages(names, f.Messages())
		names = appendEnums(names, f.Enums())
		for i := range f.Imports().Len() {
			walkFile(f.Imports().Get(i).FileDescriptor)
		}
	}
	for _, s := range services {
		if d, err := src.FindSymbol(s); err == nil {
			walkFile(d.ParentFile())
		}
	}
	return names, nil
}

func appendMessages(names []string, ms protoreflect.MessageDescriptors) []string {
	for i := range ms.Len() {
		m := ms.Get(i)
		if m.IsMapEntry() {
			continue
		}
		names = append(names, string(m.FullName()))
		names = appendMessages(names, m.Messages())
		names = appendEnums(names, m.Enums())
	}
	return names
}

func appendEnums(names []string, es protoreflect.EnumDescriptors) []string {
	for i := range es.Len() {
		names = append(names, string(es.Get(i).FullName()))
	}
	return names
}
