// Transport check for tests/interop (not published): one ListLocations call over the TLS
// settings and token file the environment names; prints {"ok": true} or {"error": "<Code>"}.
//
// Environment: AVAIL_TARGET, AVAIL_TOKEN_FILE, and optionally AVAIL_CA_FILE, AVAIL_CERT_FILE,
// AVAIL_KEY_FILE (PEM files; any of them turns TLS on).
import { readFileSync } from "node:fs";

import { Code, ConnectError, createAvailabilityClient, fileToken } from "./index.js";

const pem = (name: string): Buffer | undefined => {
  const path = process.env[name];
  return path ? readFileSync(path) : undefined;
};

const tls = { ca: pem("AVAIL_CA_FILE"), cert: pem("AVAIL_CERT_FILE"), key: pem("AVAIL_KEY_FILE") };
const client = createAvailabilityClient({
  target: process.env.AVAIL_TARGET!,
  token: fileToken(process.env.AVAIL_TOKEN_FILE!),
  tls: tls.ca || tls.cert ? tls : undefined,
  unaryTimeoutMs: 5_000,
});

try {
  await client.listLocations({ pageSize: 1 });
  console.log(JSON.stringify({ ok: true }));
} catch (err) {
  console.log(JSON.stringify({ error: Code[ConnectError.from(err).code] }));
}
