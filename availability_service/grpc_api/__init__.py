"""gRPC entry point: servicer, interceptors, error mapping; the only importer of *_pb2."""
