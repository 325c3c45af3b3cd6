// The convenience layer: a typed client with the bearer token on every call and a default
// deadline on unary calls. Everything else is the generated code in ./gen, used as it is.
import { type Client, type Interceptor, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { AvailabilityService } from "./gen/tradedesk/availability/v1/availability_service_pb.js";

export type AvailabilityClient = Client<typeof AvailabilityService>;

export interface ClientOptions {
  /** host:port of the server, such as "127.0.0.1:50051", or a full http(s):// URL. */
  target: string;
  /** Bearer token (a JWT) sent as `authorization: Bearer <token>` on every call. */
  token: string;
  /** Deadline of unary calls that set none themselves; streams never get one. Default 10 s. */
  unaryTimeoutMs?: number;
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

/** Adds the bearer token to every request. */
export function bearerAuth(token: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${token}`);
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

/** A client speaking the gRPC protocol over HTTP/2 (plaintext unless target is https://). */
export function createAvailabilityClient(options: ClientOptions): AvailabilityClient {
  const baseUrl = /^https?:\/\//.test(options.target) ? options.target : `http://${options.target}`;
  const transport = createGrpcTransport({
    baseUrl,
    interceptors: [
      bearerAuth(options.token),
      defaultDeadline(options.unaryTimeoutMs ?? 10_000),
      readYourWrites(),
      ...(options.interceptors ?? []),
    ],
  });
  return createClient(AvailabilityService, transport);
}
