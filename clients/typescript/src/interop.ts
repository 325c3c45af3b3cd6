// Interop script: drives a live server through the TypeScript client and prints one JSON
// object on stdout for tests/interop to assert on. Each step records its result, or
// {"unimplemented": "<Rpc>"} when the server does not offer that RPC yet.
//
// Environment: AVAIL_TARGET, SELLER_ID and SELLER_TOKEN, ADMIN_TOKEN, HOLDER_TOKEN (SERVICE
// role), BUYER_TOKEN.
import { randomUUID } from "node:crypto";

import {
  Availability_State,
  Code,
  ConnectError,
  EventType,
  MatchKind,
  MIN_REVISION_HEADER,
  Reservation_State,
  createAvailabilityClient,
  watchEvents,
  watchSearchChanges,
} from "./index.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const target = env("AVAIL_TARGET");
// The x-min-revision header each of the seller's calls went out with ("" when none).
const sentMinRevisions: string[] = [];
const seller = createAvailabilityClient({
  target,
  token: env("SELLER_TOKEN"),
  interceptors: [
    (next) => async (req) => {
      sentMinRevisions.push(req.header.get(MIN_REVISION_HEADER) ?? "");
      return await next(req);
    },
  ],
});
const admin = createAvailabilityClient({ target, token: env("ADMIN_TOKEN") });
const holder = createAvailabilityClient({ target, token: env("HOLDER_TOKEN") });
const buyer = createAvailabilityClient({ target, token: env("BUYER_TOKEN") });
const anonymous = createAvailabilityClient({ target, token: "not-a-jwt" });

const out: Record<string, unknown> = {};

/** Runs one step; UNIMPLEMENTED is recorded instead of failing the whole script. */
async function step(name: string, rpc: string, body: () => Promise<unknown>): Promise<boolean> {
  try {
    out[name] = await body();
    return true;
  } catch (err) {
    const error = ConnectError.from(err);
    if (error.code === Code.Unimplemented) {
      out[name] = { unimplemented: rpc };
      return false;
    }
    out[name] = { error: Code[error.code], message: error.rawMessage };
    throw err;
  }
}

async function main(): Promise<void> {
  await step("unauthenticated", "GetAvailability", async () => {
    try {
      await anonymous.getAvailability({ name: `availabilities/${randomUUID()}` });
      return { code: "OK" };
    } catch (err) {
      return { code: Code[ConnectError.from(err).code] };
    }
  });

  // A spot of its own, so the radius search finds this lot and no other test's lots.
  const latitude = 5 + Math.random() * 40;
  const longitude = 60 + Math.random() * 30;

  // A SELLER posts from a delivery location it owns, registered by an ADMIN.
  let locationId = "";
  await step("location", "UpsertLocation", async () => {
    const res = await admin.upsertLocation({
      location: {
        locationId: `loc-${randomUUID().slice(0, 8)}`, ownerId: env("SELLER_ID"),
        displayName: "Interop yard", point: { latitude, longitude }, region: "IN-GJ",
      },
    });
    locationId = res.location!.locationId;
    return { locationId };
  });
  // Watch this seller's lots from the current revision, concurrently with the rest of the
  // flow; the first progress bookmark proves the stream is live before anything is created.
  const start = (await seller.listAvailabilities({ pageSize: 1 })).revision;
  const stop = new AbortController();
  const seen: string[] = [];
  let live: () => void = () => {};
  const streaming = new Promise<void>((resolve) => { live = resolve; });
  const watching = (async () => {
    try {
      for await (const event of watchEvents(
        seller,
        { sellerIds: [env("SELLER_ID")], startRevision: start,
          progressNotifyInterval: { nanos: 100_000_000 } },
        { signal: stop.signal, onBookmark: () => live() },
      )) {
        seen.push(EventType[event.type]);
        if (event.type === EventType.RELEASED) break;
      }
      return { types: seen };
    } catch (err) {
      const error = ConnectError.from(err);
      if (error.code === Code.Unimplemented) return { unimplemented: "WatchAvailabilities" };
      return { error: Code[error.code], message: error.rawMessage, types: seen };
    } finally {
      live();
    }
  })();
  await Promise.race([streaming, sleep(5_000)]);

  const created = await seller.createAvailability({
    requestId: randomUUID(),
    availability: {
      commodity: "cotton", variety: "Shankar-6", grade: "41-4",
      quantityUnit: "t", totalQuantity: "100", priceUnit: "t",
      basePrice: { currencyCode: "USD", amount: "1650" },
      deliveryRegion: "IN-GJ", incoterm: "FOB", countryOfOrigin: "IN",
      deliveryLocation: { latitude, longitude }, locationId,
      qualityParams: {
        staple_length: { value: { case: "number", value: 29 }, unit: "mm" },
        micronaire: { value: { case: "number", value: 4.1 } },
      },
    },
  });
  const lot = created.availability!;
  out.create = { name: lot.name, state: Availability_State[lot.state], revision: String(lot.revision) };
  const before = sentMinRevisions.at(-1);
  await seller.getAvailability({ name: lot.name });
  out.readYourWrites = { beforeCreate: before, afterCreate: sentMinRevisions.at(-1) };

  const approved = (await admin.approveAvailability({ name: lot.name, requestId: randomUUID() }))
    .availability!;
  out.approve = { state: Availability_State[approved.state] };

  await step("search", "SearchAvailabilities", async () => {
    const res = await buyer.searchAvailabilities({
      commodity: "cotton", near: { latitude, longitude }, radiusKm: 5, pageSize: 20,
    });
    const hit = res.results.find((r) => r.availability?.name === lot.name);
    return { found: hit !== undefined, score: hit?.score ?? null, count: res.results.length };
  });

  // The same criteria as a standing search: its initial state holds the lot, with its score.
  await step("watchSearch", "WatchSearch", async () => {
    const ended = new AbortController();
    const changes: { kind: string; name: string; score: number }[] = [];
    for await (const change of watchSearchChanges(
      buyer,
      { search: { commodity: "cotton", near: { latitude, longitude }, radiusKm: 5 },
        sendInitialState: true },
      { signal: ended.signal, onBookmark: () => ended.abort() },
    )) {
      changes.push({ kind: MatchKind[change.kind], name: change.name,
        score: change.result?.score ?? -1 });
    }
    const ours = changes.find((c) => c.name === lot.name);
    return { kinds: [...new Set(changes.map((c) => c.kind))], found: ours !== undefined,
      score: ours?.score ?? null };
  });

  let reservationName = "";
  const reserved = await step("reserve", "ReserveAvailability", async () => {
    const res = await holder.reserveAvailability({
      name: lot.name, quantity: "10", buyerId: "buyer-interop", negotiationId: "neg-interop",
      ttl: { seconds: 600n }, requestId: randomUUID(),
    });
    reservationName = res.reservation!.name;
    return {
      state: Reservation_State[res.reservation!.state],
      quantity: res.reservation!.quantity,
      available: res.availability!.availableQuantity,
      reserved: res.availability!.reservedQuantity,
    };
  });

  if (reserved) {
    // A restarted negotiation engine finds its holds again by negotiation.
    await step("reservations", "ListReservations", async () => {
      const res = await holder.listReservations({
        parent: lot.name, negotiationId: "neg-interop", states: [Reservation_State.ACTIVE],
      });
      return {
        names: res.reservations.map((r) => r.name === reservationName),
        price: res.reservations[0]?.price?.amount ?? null,
      };
    });
    await step("release", "ReleaseReservation", async () => {
      const res = await holder.releaseReservation({
        name: reservationName, reason: "interop test", requestId: randomUUID(),
      });
      return {
        state: Reservation_State[res.reservation!.state],
        available: res.availability!.availableQuantity,
        reserved: res.availability!.reservedQuantity,
      };
    });
  } else {
    out.release = { unimplemented: "ReserveAvailability" };
  }

  await step("filtered_search", "SearchAvailabilities", async () => {
    const res = await buyer.searchAvailabilities({
      commodity: "cotton", near: { latitude, longitude }, radiusKm: 5, pageSize: 20,
      deliveryRegions: [lot.deliveryRegion], orderQuantity: "100001",
      minPrice: { currencyCode: "USD", amount: "1" },
    });
    return { found: res.results.some((r) => r.availability?.name === lot.name) };
  });

  await step("history", "ListAvailabilityEvents", async () => {
    const res = await seller.listAvailabilityEvents({ parent: lot.name, pageSize: 100 });
    return { types: res.events.map((e) => EventType[e.type]) };
  });

  await step("commodities", "ListCommodities", async () => {
    const res = await buyer.listCommodities({});
    const cotton = res.commodities.find((c) => c.code === "cotton");
    return { quantityUnit: cotton?.quantityUnit ?? null, count: res.commodities.length };
  });

  // Wait for the watch to see the last event of the flow, but never hang the test.
  const expectLast = reserved ? "RELEASED" : "APPROVED";
  const deadline = Date.now() + 10_000;
  while (!seen.includes(expectLast) && Date.now() < deadline) {
    const settled = await Promise.race([watching.then(() => true), sleep(50).then(() => false)]);
    if (settled) break;
  }
  stop.abort();
  out.watch = await watching;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main()
  .then(() => {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    process.exit(0);
  })
  .catch((err: unknown) => {
    out.fatal = String(err);
    process.stdout.write(`${JSON.stringify(out)}\n`);
    process.exit(1);
  });
