// Public surface of the TypeScript client: the convenience layer plus the generated messages.
export * from "./client.js";
export * from "./tokens.js";
export { backoffMs, retryableMethods, serviceConfigRetries } from "./retry.js";
export * from "./watch.js";
export * from "./gen/tradedesk/availability/v1/availability_service_pb.js";
export * from "./gen/tradedesk/availability/v1/catalog_pb.js";
export * from "./gen/tradedesk/availability/v1/history_pb.js";
export * from "./gen/tradedesk/availability/v1/resources_pb.js";
export * from "./gen/tradedesk/availability/v1/search_pb.js";
export * from "./gen/tradedesk/availability/v1/watch_pb.js";
export { serviceConfig } from "./gen/tradedesk/availability/v1/availability_grpc_service_config.js";
export { Code, ConnectError } from "@connectrpc/connect";
