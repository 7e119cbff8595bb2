#!/usr/bin/env bash
# Regenerates the test server's Go code and the protoset from testdata/proto.
# Needs protoc, protoc-gen-go and protoc-gen-go-grpc on PATH. The output is committed.
set -euo pipefail
cd "$(dirname "$0")"
root=../..
protoc -I . \
  --go_out="$root" --go_opt=module=github.com/grpcpulse/grpcpulse \
  --go-grpc_out="$root" --go-grpc_opt=module=github.com/grpcpulse/grpcpulse \
  pulse/v1/*.proto
protoc -I . --include_imports --descriptor_set_out=../pulse.protoset pulse/v1/pulse.proto
