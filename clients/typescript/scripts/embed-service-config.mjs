// Part of `npm run generate`: the published gRPC service config (protos/.../
// availability_grpc_service_config.json, the one file every client uses) copied next to the
// generated code, and embedded as a typed module the client imports.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const name = "availability_grpc_service_config";
const source = `../../protos/tradedesk/availability/v1/${name}.json`;
const out = `src/gen/tradedesk/availability/v1/${name}`;
const config = JSON.parse(readFileSync(source, "utf8"));
copyFileSync(source, `${out}.json`);
writeFileSync(
  `${out}.ts`,
  `// Generated from protos/tradedesk/availability/v1/${name}.json by\n` +
    `// scripts/embed-service-config.mjs (npm run generate). Do not edit.\n` +
    `export const serviceConfig = ${JSON.stringify(config, null, 2)} as const;\n`,
);
