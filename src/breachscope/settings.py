"""Scan settings passed to every worker task: time, memory and archive limits, passwords."""

from __future__ import annotations

from dataclasses import dataclass, field

from breachscope.ingest.archives import ArchiveLimits

DEFAULT_TIMEOUT = 300.0  # seconds per content (extraction + detection)
DEFAULT_ARCHIVE_TIMEOUT = 3600.0  # seconds to expand one top-level archive tree
DEFAULT_MEMORY_LIMIT_MB = 2048  # address space of each worker process
DEFAULT_DB_MEMORY = "1GB"  # DuckDB memory_limit in the main process (it spills beyond)


@dataclass(frozen=True)
class ScanSettings:
    timeout: float = DEFAULT_TIMEOUT
    archive_timeout: float = DEFAULT_ARCHIVE_TIMEOUT
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB
    archive: ArchiveLimits = field(default_factory=ArchiveLimits)
    passwords: tuple[bytes, ...] = ()
