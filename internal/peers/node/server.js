// A tiny grpc-js server for grpcpulse's end-to-end tests (internal/peers).
//
// It serves grpcpulse.test.v1.Pulse from testdata/proto (Unary,
// ServerStream, ClientStream, Bidi), grpc.health.v1.Health (Check, Watch)
// and server reflection. A call may ask for a delay before each response
// (x-pulse-delay: a Go duration such as "300ms"), a number of stream
// responses (x-pulse-messages) and a failing status (x-pulse-status: a
// number). Flags:
//
//   --port N          listen on 127.0.0.1:N (0, the default: any free port)
//   --arg name=value  a grpc-js server option, as a number
//                     (--arg grpc.max_connection_age_ms=500)
//   --log-calls       print a "call" line on stdout as each Pulse call starts
//
// When it listens it prints "port N" on stdout. SIGTERM shuts it down
// gracefully (tryShutdown, forced after 5s).
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { ReflectionService } = require('@grpc/reflection');

const protoRoot = path.join(__dirname, '..', '..', '..', 'testdata', 'proto');
const loaderOptions = { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true };

function parseArgs(argv) {
  const out = { port: 0, options: {}, logCalls: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--log-calls') {
      out.logCalls = true;
    } else if (flag === '--port' && value !== undefined) {
      out.port = Number(value);
      i++;
    } else if (flag === '--arg' && value !== undefined && value.includes('=')) {
      const eq = value.indexOf('=');
      const n = Number(value.slice(eq + 1));
      if (!Number.isFinite(n)) {
        throw new Error(`--arg ${value}: the value is not a number`);
      }
      out.options[value.slice(0, eq)] = n;
      i++;
    } else {
      throw new Error(`unknown or incomplete flag ${flag} (want --port N, --arg name=value)`);
    }
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) {
    throw new Error(`--port ${out.port}: not a port`);
  }
  return out;
}

// goDuration parses what x-pulse-delay carries: "300ms", "1s", "1.5s", "250us".
function goDuration(text) {
  const units = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let ms = 0;
  let rest = text;
  const part = /^([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/;
  if (rest === '' || rest === '0') return 0;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return NaN;
    ms += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return ms;
}

let logCalls = false;

function behaviour(call) {
  if (logCalls) process.stdout.write('call\n');
  const get = (key) => {
    const v = call.metadata.get(key);
    return v.length > 0 ? String(v[v.length - 1]) : '';
  };
  const b = { delay: 0, messages: 3, perRequest: 1, status: 0 };
  if (get('x-pulse-delay') !== '') {
    b.delay = goDuration(get('x-pulse-delay'));
    if (!(b.delay >= 0)) return { error: `x-pulse-delay: ${JSON.stringify(get('x-pulse-delay'))} is not a duration` };
  }
  if (get('x-pulse-messages') !== '') {
    b.messages = b.perRequest = Number(get('x-pulse-messages'));
    if (!Number.isInteger(b.messages) || b.messages < 0) return { error: 'x-pulse-messages: not a count' };
  }
  if (get('x-pulse-status') !== '') {
    b.status = Number(get('x-pulse-status'));
    if (!Number.isInteger(b.status) || b.status < 0 || b.status > 16) return { error: 'x-pulse-status: not a code from 0 to 16' };
  }
  return b;
}

// later runs fn after ms unless the call is cancelled first.
function later(call, ms, fn) {
  if (ms <= 0) return fn();
  const timer = setTimeout(fn, ms);
  call.on('cancelled', () => clearTimeout(timer));
}

function invalid(message) {
  return { code: grpc.status.INVALID_ARGUMENT, details: message };
}

function failed(b) {
  return { code: b.status, details: 'failed as asked by x-pulse-status' };
}

const pulse = {
  Unary(call, callback) {
    const b = behaviour(call);
    if (b.error) return callback(invalid(b.error));
    later(call, b.delay, () => {
      if (b.status !== 0) return callback(failed(b));
      callback(null, { message: call.request.message, id: call.request.id, seq: 1, received: 1 });
    });
  },
  ServerStream(call) {
    const b = behaviour(call);
    if (b.error) return call.destroy(invalid(b.error));
    let sent = 0;
    const next = () => {
      if (b.status !== 0) return call.destroy(failed(b));
      if (sent === b.messages) return call.end();
      later(call, b.delay, () => {
        sent++;
        call.write({ message: call.request.message, id: call.request.id, seq: sent, received: 1 });
        next();
      });
    };
    next();
  },
  ClientStream(call, callback) {
    const b = behaviour(call);
    if (b.error) return callback(invalid(b.error));
    let last = {};
    let received = 0;
    call.on('data', (req) => { last = req; received++; });
    call.on('end', () => later(call, b.delay, () => {
      if (b.status !== 0) return callback(failed(b));
      callback(null, { message: last.message, id: last.id, seq: 1, received });
    }));
  },
  Bidi(call) {
    const b = behaviour(call);
    if (b.error) return call.destroy(invalid(b.error));
    if (b.status !== 0) return call.destroy(failed(b));
    let received = 0;
    let pending = 0;
    let ended = false;
    call.on('data', (req) => {
      received++;
      pending++;
      const seq = received;
      later(call, b.delay, () => {
        for (let i = 0; i < b.perRequest; i++) {
          call.write({ message: req.message, id: req.id, seq, received: seq });
        }
        pending--;
        if (ended && pending === 0) call.end();
      });
    });
    call.on('end', () => {
      ended = true;
      if (pending === 0) call.end();
    });
  },
};

const SERVING = 'SERVING';
const health = {
  Check(call, callback) {
    callback(null, { status: SERVING });
  },
  Watch(call) {
    call.write({ status: SERVING }); // and hold the stream open
  },
};

function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`server.js: ${e.message}\n`);
    process.exit(2);
  }
  logCalls = args.logCalls;
  const defs = protoLoader.loadSync(['pulse/v1/pulse.proto', path.join(__dirname, 'health.proto')],
    Object.assign({ includeDirs: [protoRoot, __dirname] }, loaderOptions));
  const loaded = grpc.loadPackageDefinition(defs);
  const server = new grpc.Server(args.options);
  server.addService(loaded.grpcpulse.test.v1.Pulse.service, pulse);
  server.addService(loaded.grpc.health.v1.Health.service, health);
  new ReflectionService(defs).addToServer(server);
  server.bindAsync(`127.0.0.1:${args.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      process.stderr.write(`server.js: ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`port ${port}\n`);
  });
  process.on('SIGTERM', () => {
    setTimeout(() => server.forceShutdown(), 5000).unref();
    server.tryShutdown(() => process.exit(0));
  });
}

main();
