"""Plain dataclasses and rules: no grpc, no sqlalchemy."""
