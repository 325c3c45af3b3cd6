// Watch resumption: the caller iterates events (or standing-search changes) once each, across disconnects and server restarts.
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";

import type { AvailabilityClient } from "./client.js";
import {
  type WatchAvailabilitiesRequestSchema,
  type WatchSearchRequestSchema,
} from "./gen/tradedesk/availability/v1/availability_service_pb.js";
import {
  type AvailabilityEvent,
  Bookmark_Reason,
  type SearchChange,
} from "./gen/tradedesk/availability/v1/watch_pb.js";

export interface WatchOptions {
  /** Stop watching when this signal aborts (the iterator then just ends). */
  signal?: AbortSignal;
  /** Give up after this many reconnects in a row without a message (default 20). */
  maxReconnects?: number;
  /** Called with every bookmark (progress, end of initial state, stream end). */
  onBookmark?: (revision: bigint, reason: Bookmark_Reason) => void;
}

const RETRYABLE = new Set([Code.Unavailable, Code.Internal, Code.Unknown]);

/**
 * Yields every event matching `request` exactly once, in revision order. After a disconnect
 * (UNAVAILABLE, or a REASON_STREAM_END bookmark, or the stream just ending) it reconnects with
 * start_revision set to the last revision delivered, with exponential backoff and jitter.
 */
export function watchEvents(
  client: AvailabilityClient,
  request: MessageInitShape<typeof WatchAvailabilitiesRequestSchema>,
  options: WatchOptions = {},
): AsyncGenerator<AvailabilityEvent> {
  return resumeStream(
    (startRevision, sendInitialState) =>
      client.watchAvailabilities(
        { ...request, startRevision, sendInitialState },
        { signal: options.signal },
      ),
    (message) => message.events,
    BigInt(request.startRevision ?? 0n),
    request.sendInitialState ?? false,
    options,
  );
}

/**
 * A standing search (WatchSearch): yields every match-set change (ENTERED, UPDATED, LEFT) of
 * `request.search` exactly once, in revision order, resuming after disconnects as watchEvents.
 */
export function watchSearchChanges(
  client: AvailabilityClient,
  request: MessageInitShape<typeof WatchSearchRequestSchema>,
  options: WatchOptions = {},
): AsyncGenerator<SearchChange> {
  return resumeStream(
    (startRevision, sendInitialState) =>
      client.watchSearch({ ...request, startRevision, sendInitialState }, { signal: options.signal }),
    (message) => message.changes,
    BigInt(request.startRevision ?? 0n),
    request.sendInitialState ?? false,
    options,
  );
}

interface StreamMessage {
  revision: bigint;
  bookmark?: { reason: Bookmark_Reason };
}

/** The resumption loop both streams share: `open` starts the stream at a revision. */
async function* resumeStream<M extends StreamMessage, T extends { revision: bigint }>(
  open: (startRevision: bigint, sendInitialState: boolean) => AsyncIterable<M>,
  items: (message: M) => T[],
  startRevision: bigint,
  sendInitialState: boolean,
  options: WatchOptions,
): AsyncGenerator<T> {
  let lastRevision = startRevision;
  let sendInitial = sendInitialState;
  let failures = 0;
  const maxReconnects = options.maxReconnects ?? 20;
  while (!options.signal?.aborted) {
    try {
      for await (const message of open(lastRevision, sendInitial)) {
        failures = 0;
        for (const item of items(message)) {
          if (item.revision <= lastRevision && !sendInitial) continue; // already delivered
          yield item;
        }
        if (message.revision > lastRevision) lastRevision = message.revision;
        if (message.bookmark) options.onBookmark?.(message.revision, message.bookmark.reason);
        if (message.bookmark?.reason === Bookmark_Reason.INITIAL_STATE_END) sendInitial = false;
        if (message.bookmark?.reason === Bookmark_Reason.STREAM_END) break;
      }
    } catch (err) {
      if (options.signal?.aborted) return;
      const error = ConnectError.from(err);
      if (!RETRYABLE.has(error.code) || failures >= maxReconnects) throw error;
    }
    // A resumed stream starts after lastRevision: the initial state was already delivered.
    sendInitial = false;
    failures += 1;
    await sleep(backoffMs(failures), options.signal);
  }
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(5_000, 100 * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
