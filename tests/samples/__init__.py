"""Sample-file makers shared by the format tests and the all-formats archive test: each
``make_<format>(path) -> list[tuple[str, str]]`` writes one small real file and returns the
(entity, normalized value) findings a scan must yield from it."""
