// Package data is a run's request data: JSON messages parsed once into
// wire-format Frames (ParseMessages, NewRequests), or a Go template rendered
// per call and per stream message with ghz's call data and functions plus
// sprig's (TemplateData), each worker drawing from its own seeded random
// source (Requests.ForWorker, Worker.Next). Templated metadata values are
// compiled by CompileHeaders and rendered with the same call data. It
// imports nothing of grpcpulse; runner imports it, never the reverse. It
// never prints, exits or handles signals.
package data
