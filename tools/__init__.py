"""Project checks run by `make lint` (import cycles, module size); not shipped."""
