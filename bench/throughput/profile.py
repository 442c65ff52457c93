"""Profile one worker task: ``breachscope.worker.process_content`` called directly on files of
the dump, under pyinstrument (``pip install pyinstrument``), in this process.

    .venv/bin/python -m bench.throughput.profile FILE [FILE...] --out DIR [--repeat 1]

Writes ``DIR/profile_<name>.html`` and ``.txt`` (the call tree) and prints the functions with
the most self time (their share of the task's time). The first call pays the imports and
model loads a worker pays once at start-up (``init_worker``'s warm-up); ``--warm`` runs the
file once before profiling so that only the steady state is measured.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path


def _where(frame) -> tuple[str, str]:
    """(``function  file:line``, the package or breachscope module the code is in)."""
    path = frame.file_path or "?"
    parts = Path(path).parts
    if "breachscope" in parts:
        i = len(parts) - 1 - parts[::-1].index("breachscope")
        package = ".".join(parts[i:]).removesuffix(".py")
    elif "site-packages" in parts:
        package = parts[parts.index("site-packages") + 1].removesuffix(".py")
    else:
        package = Path(path).stem
    return f"{frame.function}  {Path(path).name}:{frame.line_no}", package


def _self_times(session) -> tuple[Counter, Counter]:
    """Self time per function (``name  file:line``) and per package over the call tree."""
    functions: Counter = Counter()
    packages: Counter = Counter()
    stack = [session.root_frame()]
    while stack:
        frame = stack.pop()
        if frame is None or frame.is_synthetic:
            continue
        own = max(frame.total_self_time, 0.0)
        where, package = _where(frame)
        functions[where] += own
        packages[package] += own
        stack.extend(frame.children)
    return functions, packages


def profile(files: list[Path], out: Path, *, warm: bool = True, top: int = 15,
            together: bool = False) -> list[dict]:
    """Profile each file's task, or (``together``) all the files' tasks in one session: the
    way to see the per-file overhead of many small letters."""
    from pyinstrument import Profiler

    from breachscope.settings import ScanSettings
    from breachscope.worker import process_content, warm_up

    warm_up()  # what every worker process does once at start (imports, gazetteers, models)
    out.mkdir(parents=True, exist_ok=True)
    reports = []
    groups = [files] if together else [[f] for f in files]
    for group in groups:
        path = group[0]
        with tempfile.TemporaryDirectory() as work:
            if warm:
                process_content(str(path), None, work, ScanSettings())
            profiler = Profiler(interval=0.001)
            profiler.start()
            for member in group:
                result = process_content(str(member), None, work, ScanSettings())
            profiler.stop()
        session = profiler.last_session
        total = session.duration or 1e-9
        stem = f"profile_{path.stem}"
        (out / f"{stem}.html").write_text(profiler.output_html(), encoding="utf-8")
        (out / f"{stem}.txt").write_text(profiler.output_text(unicode=True, show_all=False),
                                         encoding="utf-8")
        functions, packages = _self_times(session)
        hot = [{"function": name, "self_s": round(t, 3), "share": round(t / total, 3)}
               for name, t in functions.most_common(top)]
        by_package = [{"package": name, "self_s": round(t, 3), "share": round(t / total, 3)}
                      for name, t in packages.most_common(top)]
        size = sum(f.stat().st_size for f in group)
        reports.append({"file": path.name, "n_files": len(group), "type": result.file_type,
                        "bytes": size,
                        "seconds": total, "mb_per_s": size / 1e6 / total, "status": result.status,
                        "cpu_s": session.cpu_time, "top_self": hot,
                        "top_packages": by_package})
        print(f"\n{path.name} x{len(group)} ({result.file_type}, {size / 1e6:.2f} MB): "
              f"{total:.2f} s (CPU {session.cpu_time:.2f} s), "
              f"{size / 1e6 / total:.3f} MB/s")
        for h in by_package[:8]:
            print(f"  {h['share']:6.1%}  {h['self_s']:7.3f} s  [{h['package']}]")
        for h in hot:
            print(f"  {h['share']:6.1%}  {h['self_s']:7.3f} s  {h['function']}")
    return reports


def main(argv: list[str] | None = None) -> int:
    import json

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cold", action="store_true", help="profile the first call too")
    ap.add_argument("--together", action="store_true", help="one session for all files")
    args = ap.parse_args(argv)
    reports = profile(args.files, args.out, warm=not args.cold, together=args.together)
    (args.out / "profiles.json").write_text(json.dumps(reports, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
