"""The HTTP server's limits (central/server.py) and rates (central/rates.py),
apart so that the CLI reads their defaults without importing the server."""

from __future__ import annotations

from dataclasses import dataclass

MAX_HEADER_BYTES = 16 * 1024
READ_TIMEOUT = 10.0
MAX_CONNECTIONS = 900  # below the usual 1024 open files per process


@dataclass(frozen=True)
class Limits:
    max_header_bytes: int = MAX_HEADER_BYTES
    read_timeout: float = READ_TIMEOUT
    max_connections: int = MAX_CONNECTIONS


@dataclass(frozen=True)
class Rates:
    open311_writes_per_minute: int = 30  # per Open311 key and per address
    public_reads_per_minute: int = 120  # per address
    # The tracking page's forms, per ticket (per address: the Open311 writes').
    tracking_posts_per_ticket_per_minute: int = 6
    # All addresses together, in this instance: a crowd of addresses each
    # under its own limit cannot take the processor that pushes need.
    public_reads_total_per_minute: int = 3000
