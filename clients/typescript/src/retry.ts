// Retries as the published gRPC service config says (the same file the Python client reads):
// only its named methods (reads, and writes made idempotent by request_id), only on its
// retryable codes, with its backoff, and all attempts within the call's one deadline.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

import { serviceConfig } from "./gen/tradedesk/availability/v1/availability_grpc_service_config.js";

interface RetryPolicy {
  maxAttempts: number;
  initialBackoff: string;
  maxBackoff: string;
  backoffMultiplier: number;
  retryableStatusCodes: readonly string[];
}

const entry = serviceConfig.methodConfig.find((config) => "retryPolicy" in config)!;
const policy: RetryPolicy = entry.retryPolicy;
const methods = new Set<string>(entry.name.map((name) => name.method));
const codes = new Set<Code>(policy.retryableStatusCodes.map(codeOf));

/** "DEADLINE_EXCEEDED" -> Code.DeadlineExceeded. */
function codeOf(name: string): Code {
  const pascal = name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
  return Code[pascal as keyof typeof Code];
}

const seconds = (duration: string): number => Number(duration.replace(/s$/, ""));

/** Milliseconds after failed attempt `attempt` (1-based): uniform in [d/2, d]. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(
    seconds(policy.maxBackoff),
    seconds(policy.initialBackoff) * policy.backoffMultiplier ** (attempt - 1),
  );
  return (ceiling / 2 + Math.random() * (ceiling / 2)) * 1000;
}

/** The methods the service config allows to be retried. */
export const retryableMethods: ReadonlySet<string> = methods;

/** The budget in a grpc-timeout header ("10000m"), in milliseconds. */
function timeoutMs(header: string | null): number | undefined {
  const match = header?.match(/^(\d+)([HMSmun])$/);
  if (!match) return undefined;
  const unit = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }[match[2]]!;
  return Number(match[1]) * unit;
}

/**
 * Retries unary calls of the retryable methods. Put it after the deadline interceptor: it
 * reads the deadline once and gives each retry only what is left of it.
 */
export function serviceConfigRetries(): Interceptor {
  return (next) => async (req) => {
    if (req.stream || !methods.has(req.method.name)) return await next(req);
    const budget = timeoutMs(req.header.get("grpc-timeout"));
    const deadline = budget === undefined ? undefined : Date.now() + budget;
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        const error = ConnectError.from(err);
        const pause = backoffMs(attempt);
        const late = deadline !== undefined && Date.now() + pause >= deadline;
        if (attempt >= policy.maxAttempts || !codes.has(error.code) || late || req.signal.aborted) {
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        if (deadline !== undefined) {
          req.header.set("grpc-timeout", `${Math.max(1, Math.ceil(deadline - Date.now()))}m`);
        }
      }
    }
  };
}
