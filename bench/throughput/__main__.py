"""``python -m bench.throughput``: see :mod:`bench.throughput.run`."""

from .run import main

raise SystemExit(main())
