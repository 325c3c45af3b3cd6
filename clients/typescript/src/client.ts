// The convenience layer: a typed client with the bearer token on every call, a default
// deadline on unary calls, retries from the published service config, TLS and mTLS, and
// keepalive pings the server accepts. Everything else is the generated code in ./gen.
import { type Client, type Interceptor, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { AvailabilityService } from "./gen/tradedesk/availability/v1/availability_service_pb.js";
import { serviceConfigRetries } from "./retry.js";
import { type TokenSource, currentToken } from "./tokens.js";

export type AvailabilityClient = Client<typeof AvailabilityService>;

/** TLS to the server: PEM contents (read them with fs.readFileSync). */
export interface TlsOptions {
  /** CA to trust instead of Node's bundled CAs. */
  ca?: string | Buffer;
  /** Client certificate and key, for a server that asks for one (mTLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Name the server's certificate must carry, if not the target's host. */
  serverName?: string;
}

export interface ClientOptions {
  /** host:port of the server, such as "127.0.0.1:50051", or a full http(s):// URL. */
  target: string;
  /**
   * Bearer token (a JWT) sent as `authorization: Bearer <token>`: a string, or a function
   * asked before every call and watch reconnect (see fileToken and commandToken).
   */
  token: TokenSource;
  /** TLS (implied by an https:// target); plaintext without it, for loopback development. */
  tls?: TlsOptions;
  /** Deadline of a whole unary call, its retries included. Default 10 s; streams get none. */
  unaryTimeoutMs?: number;
  /**
   * Keepalive ping interval on a connection with open calls. Default 30 s; keep it at 20 s
   * or more: the server ends connections that ping more often than it accepts (10 s).
   */
  keepaliveMs?: number;
  /** More interceptors, run after the client's own (token, deadline, read-your-writes). */
  interceptors?: Interceptor[];
}

/** The request header naming the revision a read must see (docs/contract.md). */
export const MIN_REVISION_HEADER = "x-min-revision";

type Fields = Record<string, unknown>;

/** The newest lot or hold revision a write's answer carries; 0n for reads (no requestId). */
function writtenRevision(request: Fields, response: Fields): bigint {
  if (!("requestId" in request) && !("requests" in request)) return 0n;
  const results = Array.isArray(response.results) ? (response.results as Fields[]) : [];
  const items = [response.availability, response.reservation, ...results.map((r) => r.availability)];
  let newest = 0n;
  for (const item of items) {
    const revision = (item as Fields | undefined)?.revision;
    if (typeof revision === "bigint" && revision > newest) newest = revision;
  }
  return newest;
}

/**
 * Read-your-writes: remembers the newest revision this client's writes returned and sends it
 * as `x-min-revision` on every call, so a read answered by a hot standby still sees the write.
 */
export function readYourWrites(): Interceptor {
  let lastWrite = 0n;
  return (next) => async (req) => {
    if (lastWrite > 0n) req.header.set(MIN_REVISION_HEADER, lastWrite.toString());
    const res = await next(req);
    if (!req.stream && !res.stream) {
      const revision = writtenRevision(req.message as Fields, res.message as Fields);
      if (revision > lastWrite) lastWrite = revision;
    }
    return res;
  };
}

/** Adds the source's current bearer token to every request (each retry asks again). */
export function bearerAuth(token: TokenSource): Interceptor {
  return (next) => async (req) => {
    const value = await currentToken(token);
    if (value) req.header.set("authorization", `Bearer ${value}`);
    return await next(req);
  };
}

/** Gives unary calls a deadline unless the caller passed `timeoutMs` (a watch must not time out). */
export function defaultDeadline(timeoutMs: number): Interceptor {
  return (next) => async (req) => {
    if (!req.stream && !req.header.has("grpc-timeout")) {
      req.header.set("grpc-timeout", `${Math.ceil(timeoutMs)}m`);
    }
    return await next(req);
  };
}

/** A client speaking the gRPC protocol over HTTP/2. */
export function createAvailabilityClient(options: ClientOptions): AvailabilityClient {
  const secure = options.tls !== undefined || options.target.startsWith("https://");
  const baseUrl = /^https?:\/\//.test(options.target)
    ? options.target
    : `${secure ? "https" : "http"}://${options.target}`;
  const tls = options.tls ?? {};
  const transport = createGrpcTransport({
    baseUrl,
    nodeOptions: secure
      ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.serverName }
      : {},
    pingIntervalMs: options.keepaliveMs ?? 30_000,
    // Interceptors run first to last: the deadline is set once, retries share it, and each
    // attempt carries the current token.
    interceptors: [
      defaultDeadline(options.unaryTimeoutMs ?? 10_000),
      serviceConfigRetries(),
      bearerAuth(options.token),
      readYourWrites(),
      ...(options.interceptors ?? []),
    ],
  });
  return createClient(AvailabilityService, transport);
}
