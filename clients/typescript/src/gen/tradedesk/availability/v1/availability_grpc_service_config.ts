// Generated from protos/tradedesk/availability/v1/availability_grpc_service_config.json by
// scripts/embed-service-config.mjs (npm run generate). Do not edit.
export const serviceConfig = {
  "loadBalancingConfig": [
    {
      "round_robin": {}
    }
  ],
  "methodConfig": [
    {
      "name": [
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "GetAvailability"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ListAvailabilities"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "SearchAvailabilities"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ListSimilarAvailabilities"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "GetNegotiationReadiness"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "GetReservation"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ListLocations"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ListReservations"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ListAvailabilityEvents"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ListCommodities"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "CreateAvailability"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "UpdateAvailability"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "DeleteAvailability"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ApproveAvailability"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "RejectAvailability"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "BatchCreateAvailabilities"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ReserveAvailability"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ExtendReservation"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "ReleaseReservation"
        },
        {
          "service": "tradedesk.availability.v1.AvailabilityService",
          "method": "MarkSold"
        }
      ],
      "retryPolicy": {
        "maxAttempts": 5,
        "initialBackoff": "0.1s",
        "maxBackoff": "5s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": [
          "UNAVAILABLE"
        ]
      }
    }
  ]
} as const;
