package reflect

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TypeResolver returns a resolver of message and extension types for the
// Resolver fields of protojson.MarshalOptions and UnmarshalOptions (and of
// proto.UnmarshalOptions), so that google.protobuf.Any fields and extensions
// in dynamic messages built from src's descriptors encode and decode. The
// types it returns are dynamicpb types. A file source resolves from its
// files; any other source is asked lazily through FindSymbol, each name
// once. Well-known google.protobuf types that src does not have resolve to
// the ones compiled into the program. Unknown names give errors matching
// protoregistry.NotFound. The resolver is safe for concurrent use.
func TypeResolver(src Source) Resolver {
	if fs, ok := src.(*fileSource); ok {
		return wellKnownFallback{fs.types()}
	}
	return wellKnownFallback{&lazyTypes{
		src:        src,
		messages:   map[protoreflect.FullName]protoreflect.MessageType{},
		extensions: map[protoreflect.FullName]protoreflect.ExtensionType{},
	}}
}

// Resolver finds message and extension types by name; it is what protojson
// and proto unmarshalling take as their Resolver.
type Resolver interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
}

// wellKnownFallback resolves google.protobuf.* messages the wrapped resolver
// does not know from protoregistry.GlobalTypes. Other global types are not
// consulted: what the program happens to link must not change what a
// source resolves.
type wellKnownFallback struct{ Resolver }

func (w wellKnownFallback) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	mt, err := w.Resolver.FindMessageByName(name)
	if errors.Is(err, protoregistry.NotFound) && strings.HasPrefix(string(name), "google.protobuf.") {
		return protoregistry.GlobalTypes.FindMessageByName(name)
	}
	return mt, err
}

func (w wellKnownFallback) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	return w.FindMessageByName(messageNameOfURL(url))
}

// messageNameOfURL is the message name of an Any type URL: what follows its
// last "/".
func messageNameOfURL(url string) protoreflect.FullName {
	return protoreflect.FullName(url[strings.LastIndexByte(url, '/')+1:])
}

// extensionFinder is implemented by sources that can find an extension by
// its extendee and number (the server source, through reflection).
type extensionFinder interface {
	findExtension(message protoreflect.FullName, number protoreflect.FieldNumber) (protoreflect.ExtensionDescriptor, error)
}

// lazyTypes resolves types through a Source on first use and caches them.
type lazyTypes struct {
	src        Source
	mu         sync.Mutex
	messages   map[protoreflect.FullName]protoreflect.MessageType
	extensions map[protoreflect.FullName]protoreflect.ExtensionType
}

func (r *lazyTypes) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	r.mu.Lock()
	mt, ok := r.messages[name]
	r.mu.Unlock()
	if ok {
		return mt, nil
	}
	d, err := r.find(string(name))
	if err != nil {
		return nil, err
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, not a message: %w", name, kindOf(d), protoregistry.NotFound)
	}
	mt = dynamicpb.NewMessageType(md)
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.messages[name]; ok {
		return prev, nil
	}
	r.messages[name] = mt
	return mt, nil
}

func (r *lazyTypes) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	return r.FindMessageByName(messageNameOfURL(url))
}

func (r *lazyTypes) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	d, err := r.find(string(name))
	if err != nil {
		return nil, err
	}
	xd, ok := d.(protoreflect.ExtensionDescriptor)
	if !ok || !xd.IsExtension() {
		return nil, fmt.Errorf("%s is a %s, not an extension: %w", name, kindOf(d), protoregistry.NotFound)
	}
	return r.extensionType(xd), nil
}

func (r *lazyTypes) FindExtensionByNumber(message protoreflect.FullName, number protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	ef, ok := r.src.(extensionFinder)
	if !ok {
		return nil, protoregistry.NotFound
	}
	xd, err := ef.findExtension(message, number)
	if errors.Is(err, ErrNotFound) {
		return nil, protoregistry.NotFound
	}
	if err != nil {
		return nil, err
	}
	return r.extensionType(xd), nil
}

// extensionType returns the one dynamic type of xd.
func (r *lazyTypes) extensionType(xd protoreflect.ExtensionDescriptor) protoreflect.ExtensionType {
	r.mu.Lock()
	defer r.mu.Unlock()
	if xt, ok := r.extensions[xd.FullName()]; ok {
		return xt
	}
	xt := dynamicpb.NewExtensionType(xd)
	r.extensions[xd.FullName()] = xt
	return xt
}

// find asks the source, turning its not-found errors into
// protoregistry.NotFound as resolvers report them.
func (r *lazyTypes) find(name string) (protoreflect.Descriptor, error) {
	d, err := r.src.FindSymbol(name)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", protoregistry.NotFound, err)
	}
	return d, err
}
