# syntax=docker/dockerfile:1
# grpcpulse as a static binary on distroless, running as an unprivileged user.
#   docker build -t grpcpulse .
#   docker run --rm grpcpulse version
# Release images are built by goreleaser from Dockerfile.goreleaser instead.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Empty: `grpcpulse version` falls back to the module version.
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/grpcpulse/grpcpulse/cmd/cli.version=${VERSION}" \
      -o /out/grpcpulse .

# distroless/static has CA certificates (for TLS targets), /etc/passwd and
# tzdata, and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/grpcpulse /usr/local/bin/grpcpulse
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/grpcpulse"]
CMD ["--help"]
