"""A tiny C-core (grpcio) server for grpcpulse's end-to-end tests (internal/peers).

It serves grpcpulse.test.v1.Pulse (Unary, ServerStream, ClientStream, Bidi)
and grpc.health.v1.Health (Check, Watch) with generic handlers on raw bytes,
so that it needs nothing but Debian's python3-grpcio (no generated code, no
reflection: Debian ships no grpcio-reflection). Responses carry seq and
received only. A call may ask for a delay before each response
(x-pulse-delay: a Go duration such as "300ms"), a number of stream responses
(x-pulse-messages) and a failing status (x-pulse-status: a number).

Flags:
  --port N          listen on 127.0.0.1:N (0, the default: any free port)
  --arg name=value  a C-core channel argument, as an integer
                    (--arg grpc.max_connection_age_ms=500)
  --log-calls       print a "call" line on stdout as each Pulse call starts

When it listens it prints "port N" on stdout. SIGTERM stops it gracefully
(server.stop with a grace of 5s).
"""

import re
import signal
import sys
import threading
from concurrent import futures

# SIGTERM is blocked in every thread, before grpc starts any, and taken by
# sigwait in the main thread. A handler runs only in the main thread, which
# does not wake for a SIGTERM the kernel gives to one of C-core's threads:
# it slept on in its wait (a graceful stop seen to do nothing for 10s on a
# loaded machine).
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

import grpc  # noqa: E402 (after the mask, which its threads inherit)

PULSE = "grpcpulse.test.v1.Pulse"
HEALTH = "grpc.health.v1.Health"
SERVING = b"\x08\x01"  # HealthCheckResponse{status: SERVING}
UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def response(seq, received):
    """A Response with seq (field 4) and received (field 5)."""
    return b"\x20" + varint(seq) + b"\x28" + varint(received)


def go_duration(text):
    """Seconds in a Go duration ("300ms", "1.5s"), or None."""
    if text in ("", "0"):
        return 0.0
    total, rest = 0.0, text
    while rest:
        m = re.match(r"([0-9]*\.?[0-9]+)(ns|us|\u00b5s|ms|s|m|h)", rest)
        if not m:
            return None
        total += float(m.group(1)) * UNITS[m.group(2)]
        rest = rest[m.end():]
    return total


LOG_CALLS = False
LOG_LOCK = threading.Lock()


class Behaviour:
    def __init__(self, context):
        if LOG_CALLS:
            with LOG_LOCK:
                sys.stdout.write("call\n")
                sys.stdout.flush()
        md = {}
        for k, v in context.invocation_metadata():
            md[k] = v
        self.delay, self.messages, self.per_request, self.status = 0.0, 3, 1, 0
        self.error = None
        if md.get("x-pulse-delay"):
            self.delay = go_duration(md["x-pulse-delay"])
            if self.delay is None:
                self.error = "x-pulse-delay: %r is not a duration" % md["x-pulse-delay"]
        if md.get("x-pulse-messages"):
            try:
                self.messages = self.per_request = int(md["x-pulse-messages"])
            except ValueError:
                self.error = "x-pulse-messages: not a count"
        if md.get("x-pulse-status"):
            try:
                self.status = int(md["x-pulse-status"])
            except ValueError:
                self.error = "x-pulse-status: not a code from 0 to 16"
        self.done = threading.Event()
        context.add_callback(self.done.set)

    def check(self, context):
        if self.error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, self.error)
        if self.status:
            code = [c for c in grpc.StatusCode if c.value[0] == self.status]
            context.abort(code[0] if code else grpc.StatusCode.UNKNOWN, "failed as asked by x-pulse-status")

    def wait(self, context):
        """Sleeps for the delay; False when the call ended first."""
        if self.delay > 0 and self.done.wait(self.delay):
            return False
        return context.is_active()


def unary(request, context):
    b = Behaviour(context)
    if not b.wait(context):
        return b""
    b.check(context)
    return response(1, 1)


def server_stream(request, context):
    b = Behaviour(context)
    b.check(context)
    for seq in range(1, b.messages + 1):
        if not b.wait(context):
            return
        yield response(seq, 1)


def client_stream(requests, context):
    b = Behaviour(context)
    received = sum(1 for _ in requests)
    if not b.wait(context):
        return b""
    b.check(context)
    return response(1, received)


def bidi(requests, context):
    b = Behaviour(context)
    b.check(context)
    for seq, _ in enumerate(requests, start=1):
        if not b.wait(context):
            return
        for _ in range(b.per_request):
            yield response(seq, seq)


def health_check(request, context):
    return SERVING


def health_watch(request, context):
    yield SERVING
    done = threading.Event()
    context.add_callback(done.set)
    done.wait()


def parse_args(argv):
    global LOG_CALLS
    port, options = 0, []
    i = 0
    while i < len(argv):
        flag = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) else None
        if flag == "--log-calls":
            LOG_CALLS = True
            i += 1
            continue
        if flag == "--port" and value is not None:
            port = int(value)
        elif flag == "--arg" and value is not None and "=" in value:
            name, _, number = value.partition("=")
            options.append((name, int(number)))
        else:
            raise ValueError("unknown or incomplete flag %s (want --port N, --arg name=value)" % flag)
        i += 2
    if not 0 <= port <= 65535:
        raise ValueError("--port %d: not a port" % port)
    return port, options


def main():
    try:
        port, options = parse_args(sys.argv[1:])
    except ValueError as e:
        print("server.py: %s" % e, file=sys.stderr)
        return 2
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), options=options)
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler(PULSE, {
            "Unary": grpc.unary_unary_rpc_method_handler(unary),
            "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
            "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
            "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        }),
        grpc.method_handlers_generic_handler(HEALTH, {
            "Check": grpc.unary_unary_rpc_method_handler(health_check),
            "Watch": grpc.unary_stream_rpc_method_handler(health_watch),
        }),
    ))
    bound = server.add_insecure_port("127.0.0.1:%d" % port)
    if bound == 0:
        print("server.py: cannot listen on 127.0.0.1:%d" % port, file=sys.stderr)
        return 1
    server.start()
    print("port %d" % bound, flush=True)
    signal.sigwait({signal.SIGTERM})
    server.stop(grace=5).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
