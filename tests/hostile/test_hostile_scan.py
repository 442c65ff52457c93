"""The hostile corpus, scanned end to end through the CLI in a subprocess (issue: isolation).

Done when: the scan exits 0; every file is reported with a status and (unless scanned) a
reason; every known NIR is found under its file; nothing is written outside the case
directory; no expanded XML entity and no /etc content in the findings; peak memory within the
bound of docs/security.md. Also: kill -9 then the same command again gives the same results
as an uninterrupted scan, and a scan opens no network socket.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import resource
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from corpus import CorpusTruth  # pytest puts tests/hostile on sys.path

# The hostile corpus and its scans take minutes: the whole module is slow (docs/testing.md).
pytestmark = pytest.mark.slow

GIB = 1 << 30
# docs/security.md, "Memory bound": each worker is capped by --memory-limit (default 2048 MB);
# the main process stays under ~1 GiB. No single process may exceed 2.5 GiB.
MAX_PROCESS_RSS = int(2.5 * GIB)
#: The hostile scan takes about a minute; past this tripwire the harness kills it (exit -9)
#: and the bounded-time test fails. Not a timing assertion (a busy machine may be 3x slower):
#: a scan that does not end - a bomb expanded, a parser looping - trips it. The scan's
#: duration is printed with its memory figures.
SCAN_TRIPWIRE_SECONDS = 540
STATUSES = {"scanned", "partial", "failed", "encrypted", "skipped"}
LIMIT_WORDS = ("ratio", "size", "total", "bytes", "limit", "depth", "nest", "member", "gb", "large",
               "bomb")


# The `breachscope` console script of the environment running the tests (the CLI must be
# exercised as the user runs it: a separate process, spawning its own workers).
BREACHSCOPE = Path(sys.executable).with_name("breachscope")

# The options the isolation issue adds to `scan` (docs/security.md lists them).
HOSTILE_OPTIONS = ("--timeout", "--memory-limit", "--max-archive-gb", "--max-member-gb",
                   "--max-ratio", "--max-members", "--max-depth", "--passwords", "--key-file")

# Installed by sitecustomize.py in every Python process started with the guard on PYTHONPATH
# (the scan, and the workers it spawns, which inherit the environment). It logs, with the pid:
# any IPv4/IPv6 socket creation, connect, bind, sendto and name lookup; and any open() of a
# path listed in BREACHSCOPE_GUARD_FORBIDDEN (colon-separated), e.g. /etc/passwd.
_SITECUSTOMIZE = textwrap.dedent('''
    import os, sys

    _LOG = os.environ.get("BREACHSCOPE_GUARD_LOG")
    _STARTED = os.environ.get("BREACHSCOPE_GUARD_STARTED")
    _FORBIDDEN = {p for p in os.environ.get("BREACHSCOPE_GUARD_FORBIDDEN", "").split(":") if p}
    _NAMES = {os.path.basename(p) for p in _FORBIDDEN}
    _INET = (2, 10)  # AF_INET, AF_INET6

    def _log(line):
        try:
            with open(_LOG, "a", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()} {line}\\n")
        except Exception:
            pass

    def _family(sock):
        try:
            return int(sock.family)
        except Exception:
            return None

    def _hook(event, args):
        if event.startswith("socket."):
            if event == "socket.__new__":
                if args[1] in _INET or args[1] == -1:
                    _log(f"{event} family={args[1]}")
            elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
                if _family(args[0]) in _INET:
                    _log(f"{event} {args[1]!r}")
            elif event in ("socket.getaddrinfo", "socket.gethostbyname",
                           "socket.gethostbyname_ex", "socket.gethostbyaddr"):
                _log(f"{event} {args[0]!r}")
        elif event == "open" and _FORBIDDEN:
            path = args[0]
            if isinstance(path, (str, bytes, os.PathLike)):
                path = os.fsdecode(path)
                if os.path.basename(path) in _NAMES and os.path.realpath(path) in _FORBIDDEN:
                    _log(f"open {path!r}")
        elif event in ("urllib.Request", "http.client.connect", "ftplib.connect",
                       "smtplib.connect"):
            _log(f"{event} {args!r}")

    if _LOG:
        if _STARTED:
            with open(_STARTED, "a", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()} {' '.join(sys.argv)[:200]}\\n")
        sys.addaudithook(_hook)
''')


@dataclass
class Guard:
    """A directory holding the sitecustomize.py above, and where it logs."""

    dir: Path
    log: Path
    started: Path
    forbidden: list[str] = field(default_factory=list)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(self.dir)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env["BREACHSCOPE_GUARD_LOG"] = str(self.log)
        env["BREACHSCOPE_GUARD_STARTED"] = str(self.started)
        env["BREACHSCOPE_GUARD_FORBIDDEN"] = ":".join(
            os.path.realpath(p) for p in self.forbidden)
        return env

    def events(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

    def pids(self) -> set[str]:
        if not self.started.exists():
            return set()
        return {line.split()[0] for line in self.started.read_text().splitlines() if line}


def make_guard(where: Path, forbidden: list[str] | None = None) -> Guard:
    where.mkdir(parents=True, exist_ok=True)
    (where / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    return Guard(where, where / "network.log", where / "started.log", list(forbidden or []))


# --------------------------------------------------------------------------------- running


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss: int  # bytes: the largest resident set of the process or any process it waited for
    main_hwm: int  # bytes: the main process's own VmHWM, last sampled before it exited

    def explain(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.seconds:.1f} s\n"
                f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-6000:]}")


def _vm_hwm(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) * 1024 if m else 0


def run_cli(args: list[str | Path], *, env: dict[str, str] | None = None, cwd: Path,
            timeout: float = 900, kill_after: float | None = None) -> Run:
    """Run ``breachscope ARGS`` in its own session; measure memory with wait4(). With
    ``kill_after``, SIGKILL the main process after that many seconds (then its orphaned
    workers, which are in the session we created)."""
    argv = [str(BREACHSCOPE), *map(str, args)]
    env = dict(os.environ if env is None else env)
    env.setdefault("COLUMNS", "200")
    tag = f"{os.getpid()}.{time.monotonic_ns()}"
    out, err = cwd / f".stdout.{tag}", cwd / f".stderr.{tag}"
    start = time.monotonic()
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen(argv, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=env,
                                cwd=cwd, start_new_session=True)
    hwm, status, usage, killed, elapsed = 0, 0, None, False, 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        hwm = max(hwm, _vm_hwm(proc.pid))
        elapsed = time.monotonic() - start
        if (kill_after is not None and elapsed >= kill_after and not killed) or (
                elapsed > timeout and not killed):
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    if killed:
        _reap_session(proc.pid)
    stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
    out.unlink()
    err.unlink()
    if elapsed > timeout:
        stderr += f"\n[test] killed after the {timeout} s timeout"
    return Run(argv, proc.returncode, stdout, stderr, seconds, usage.ru_maxrss * 1024, hwm)


def _reap_session(sid: int) -> None:
    """Kill what is left of the session we started (orphaned workers), by process id."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = []
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid:  # fields after the name: state, ppid, pgrp, session
                left.append(int(status.parent.name))
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)


_help_cache: dict[str, str] = {}


def scan_options() -> set[str]:
    """The options `breachscope scan --help` lists (the CLI is being extended)."""
    if "scan" not in _help_cache:
        res = subprocess.run([str(BREACHSCOPE), "scan", "--help"], capture_output=True,
                             text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120)
        _help_cache["scan"] = res.stdout
    return set(re.findall(r"--[a-z][a-z0-9-]*", _help_cache["scan"]))


def scan_args(*args: str | Path, **options: str | Path | int | float) -> list[str]:
    """``scan ARGS --opt value ...``, leaving out (with a warning) options this CLI lacks, so
    the rest of the suite still runs while the isolation work lands; a dedicated test fails
    until every option exists."""
    known = scan_options()
    argv = ["scan", *map(str, args)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if flag in known:
            argv += [flag, str(value)]
        else:
            warnings.warn(f"breachscope scan has no {flag} yet: left out", stacklevel=2)
    return argv


def export(case: Path, what: str, out: Path, *, cwd: Path, env: dict | None = None
           ) -> list[dict[str, str]]:
    res = run_cli(["export", "--case", case, "--what", what, "--format", "csv", "-o", out],
                  cwd=cwd, env=env, timeout=300)
    assert res.returncode == 0, res.explain()
    with out.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def children_max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024



@pytest.fixture(scope="module")
def hostile_run(hostile_corpus: CorpusTruth, tmp_path_factory: pytest.TempPathFactory):
    """The hostile dump scanned once with --passwords, and its exports."""
    truth = hostile_corpus
    root = Path(truth.root)
    work = tmp_path_factory.mktemp("hostile-run")
    tmpdir = work / "tmp"  # the scan's TMPDIR: must be left empty
    tmpdir.mkdir()
    guard = make_guard(work / "guard", forbidden=["/etc/passwd",
                                                   str(root / "outside" / "secret.txt")])
    env = guard.env()
    env.update(TMPDIR=str(tmpdir), TEMP=str(tmpdir), TMP=str(tmpdir))
    before_root = _tree(root)
    before_parent = sorted(p.name for p in root.parent.iterdir())
    stale = _sentinel_hits(truth, root, work)
    for path in stale:  # left by an earlier, broken run: ours by name
        path.unlink()
    case = work / "case"
    rss_before = children_max_rss()
    # The per-file limit is wall clock: the two 64 MB one-line files take ~55 CPU s each,
    # which passed 120 s on a machine at load 7 (their status became a time-limit failure).
    # No file of this corpus is meant to hit the limit, so a wider one costs nothing here.
    run = run_cli(scan_args(truth.dump, "--case", case, workers=2, timeout=300,
                            passwords=truth.passwords_file), env=env, cwd=work,
                  timeout=SCAN_TRIPWIRE_SECONDS)
    rss_after = children_max_rss()
    print(f"\nhostile scan: exit {run.returncode} in {run.seconds:.1f} s; peak RSS of any "
          f"process {run.max_rss / 2**20:.0f} MiB, main process {run.main_hwm / 2**20:.0f} MiB "
          f"(pytest RUSAGE_CHILDREN {rss_before / 2**20:.0f} -> {rss_after / 2**20:.0f} MiB)")
    out = work / "out"
    out.mkdir()
    files = findings = []
    if run.returncode == 0:
        files = export(case, "files", out / "files.csv", cwd=work)
        findings = export(case, "findings", out / "findings.csv", cwd=work)
    return {
        "truth": truth, "root": root, "work": work, "case": case, "run": run, "guard": guard,
        "files": {r["file"]: r for r in files}, "findings": findings, "tmpdir": tmpdir,
        "before_root": before_root, "before_parent": before_parent, "stale": stale,
    }


@pytest.fixture(scope="module")
def nopw_run(hostile_corpus: CorpusTruth, tmp_path_factory: pytest.TempPathFactory):
    """The password zip alone, scanned without --passwords, in its own case."""
    work = tmp_path_factory.mktemp("hostile-nopw")
    protected = Path(hostile_corpus.dump) / "protected"
    case = work / "case"
    run = run_cli(scan_args(protected, "--case", case, workers=1), cwd=work, timeout=300)
    assert run.returncode == 0, run.explain()
    files = export(case, "files", work / "files.csv", cwd=work)
    findings = export(case, "findings", work / "findings.csv", cwd=work)
    return files, findings


def _ok(h) -> None:
    assert h["run"].returncode == 0, h["run"].explain()


def _tree(root: Path) -> dict[str, tuple]:
    """Every path under root (links not followed) with its type, size and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _sentinel_hits(truth: CorpusTruth, root: Path, work: Path) -> list[Path]:
    """Every place a sentinel could have landed: /tmp (absolute names, links), the ancestors
    of every directory a relative ``../../../`` name may be resolved from, and anywhere under
    the corpus and the run directories."""
    names = set(truth.sentinels)
    hits = {Path(p) for p in truth.sentinel_paths if os.path.lexists(p)}
    bases = [root / "dump" / "traversal", work / "case" / "work" / "blobs", work / "case",
             work, Path.cwd(), Path("/tmp")]
    for base in bases:
        for ancestor in [base, *list(base.parents)[:4]]:
            for name in names:
                if os.path.lexists(ancestor / name):
                    hits.add(ancestor / name)
    for top in (root, work):
        for dirpath, dirnames, filenames in os.walk(top):
            hits.update(Path(dirpath) / n for n in dirnames + filenames if n in names)
    return sorted(hits)


def _found(findings: list[dict[str, str]]) -> dict[str, set[str]]:
    by_file: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        if f["entity"] == "NIR":
            by_file[f["file"]].add(f["value"])
    return by_file


# ------------------------------------------------------------------------------------ tests


def test_corpus_is_what_it_claims(hostile_corpus: CorpusTruth):
    """The corpus itself (no CLI): valid distinct NIRs, the bombs and nesting as described."""
    import io
    import zipfile

    from stdnum.fr import nir as stdnum_nir

    nirs = [n for v in hostile_corpus.nirs.values() for n in v] + hostile_corpus.forbidden_nirs
    assert len(nirs) == len(set(nirs)) and all(stdnum_nir.is_valid(n) for n in nirs)
    dump = Path(hostile_corpus.dump)
    with zipfile.ZipFile(dump / "bombs/single_bomb.zip") as z:
        info = z.getinfo("bomb.bin")
        assert info.file_size == 3 * GIB and info.compress_size < 4 << 20
    data, levels = (dump / "bombs/nested_bomb.zip").read_bytes(), 0
    while data:
        levels += 1
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.getinfo(f"zeros_{levels:02d}.bin").file_size == GIB
            inner = [n for n in z.namelist() if n.endswith(".zip")]
            data = z.read(inner[0]) if inner else b""
    assert levels == 12


def test_scan_accepts_the_isolation_options():
    missing = [o for o in HOSTILE_OPTIONS if o not in scan_options()]
    assert not missing, f"breachscope scan lacks {missing}"


def test_scan_completes_with_exit_0_in_bounded_time(hostile_run):
    _ok(hostile_run)
    # ended by itself, not by the harness's tripwire (which would also make the exit -9)
    assert "[test] killed after" not in hostile_run["run"].stderr, hostile_run["run"].explain()


def test_every_file_has_a_status_and_a_reason(hostile_run):
    _ok(hostile_run)
    files = hostile_run["files"]
    bad = {p: r["status"] for p, r in files.items() if r["status"] not in STATUSES}
    assert not bad, f"unknown statuses: {bad}"
    silent = [p for p, r in files.items() if r["status"] != "scanned" and not r["reason"].strip()]
    assert not silent, f"not scanned, no reason: {silent}"


def test_every_path_of_the_dump_is_reported(hostile_run):
    _ok(hostile_run)
    truth, files = hostile_run["truth"], hostile_run["files"]
    dump = Path(truth.dump)
    on_disk = set()
    for dirpath, _dirs, names in os.walk(dump):  # links to directories are not descended
        for name in names:
            on_disk.add(str((Path(dirpath) / name).relative_to(dump)))
    expected = on_disk | set(truth.must_be_reported) | set(truth.bomb_siblings)
    missing = sorted(expected - set(files))
    assert not missing, f"paths of the dump missing from the files export: {missing}"


def test_expected_statuses(hostile_run):
    _ok(hostile_run)
    truth, files = hostile_run["truth"], hostile_run["files"]
    wrong = {p: (files[p]["status"], files[p]["reason"])
             for p in truth.must_be_scanned if p in files and files[p]["status"] != "scanned"}
    assert not wrong, f"should be scanned: {wrong}"
    wrong = {p: files[p]["status"] for p in truth.not_scanned
             if p in files and files[p]["status"] == "scanned"}
    assert not wrong, f"should not be scanned (empty, broken): {wrong}"


def test_bombs_are_skipped_and_their_siblings_scanned(hostile_run):
    _ok(hostile_run)
    truth, files = hostile_run["truth"], hostile_run["files"]
    problems = []
    for path in truth.bomb_members:
        row = files.get(path)
        if row is None:
            problems.append(f"{path}: not reported")
        elif row["status"] != "skipped" or not any(w in row["reason"].lower()
                                                   for w in LIMIT_WORDS):
            problems.append(f"{path}: {row['status']} ({row['reason']!r}), "
                            "expected skipped naming the limit")
    for path in truth.bomb_siblings:
        row = files.get(path)
        if row is None or row["status"] != "scanned":
            problems.append(f"{path}: {row and (row['status'], row['reason'])}, expected scanned")
    assert not problems, "\n".join(problems)


def test_nested_bomb_stops_at_the_depth_limit(hostile_run):
    _ok(hostile_run)
    files = hostile_run["files"]
    nested = {p: r for p, r in files.items() if p.startswith("bombs/nested_bomb.zip!/")}
    too_deep = [p for p, r in nested.items() if p.count(".zip!/") > 9 and r["status"] == "scanned"]
    assert not too_deep, f"read beyond --max-depth 8: {too_deep}"
    assert any(re.search(r"depth|nest", r["reason"], re.I) for r in nested.values()), (
        "no member of the 12-level nested zip was stopped by the depth limit")
    scanned_zeros = [p for p, r in nested.items()
                     if p.endswith(".bin") and r["status"] == "scanned"]
    assert not scanned_zeros, f"1 GiB zero members scanned: {scanned_zeros}"


def test_lying_header_member_is_not_scanned(hostile_run):
    _ok(hostile_run)
    row = hostile_run["files"].get("bombs/lying_header.zip!/small.txt")
    assert row is not None, "the member with a lying header is not reported"
    assert row["status"] in ("failed", "skipped") and row["reason"], row


def test_every_known_nir_is_found_under_its_file(hostile_run):
    _ok(hostile_run)
    truth = hostile_run["truth"]
    found = _found(hostile_run["findings"])
    missing = {path: sorted(set(nirs) - found.get(path, set()))
               for path, nirs in truth.nirs.items() if set(nirs) - found.get(path, set())}
    assert not missing, f"known NIRs not found (file: NIRs): {missing}"


def test_nothing_from_outside_the_dump_nor_from_entities(hostile_run):
    _ok(hostile_run)
    truth, findings = hostile_run["truth"], hostile_run["findings"]
    leaked = [f for f in findings if f["value"] in set(truth.forbidden_nirs)]
    assert not leaked, f"a NIR from outside the dump (behind a symlink) was read: {leaked}"
    bad = [f for f in findings if any(s in f["value"] for s in truth.forbidden_substrings)]
    assert not bad, f"/etc content or an expanded entity in the findings: {bad[:10]}"


def test_no_forbidden_file_opened_and_no_network(hostile_run):
    _ok(hostile_run)
    guard: Guard = hostile_run["guard"]
    assert len(guard.pids()) >= 2, "the guard was not loaded in the scan and its workers"
    assert not guard.events(), "\n".join(guard.events())


def test_nothing_written_outside_the_case(hostile_run):
    _ok(hostile_run)
    truth, root, work = hostile_run["truth"], hostile_run["root"], hostile_run["work"]
    hits = _sentinel_hits(truth, root, work)
    assert not hits, f"traversal wrote outside the work area: {hits}"
    after = _tree(root)
    changed = {k for k in set(after) | set(hostile_run["before_root"])
               if after.get(k) != hostile_run["before_root"].get(k)}
    assert not changed, f"the dump (or its surroundings) changed: {sorted(changed)[:20]}"
    parent_after = sorted(p.name for p in root.parent.iterdir())
    new = set(parent_after) - set(hostile_run["before_parent"])
    new = {n for n in new if not n.startswith("hostile-")}  # our own run directories
    assert not new, f"new entries beside the corpus: {new}"
    left = sorted(p.name for p in hostile_run["tmpdir"].iterdir())
    assert not left, f"temporary files left in TMPDIR: {left}"
    extra = sorted(p.name for p in work.iterdir())
    assert set(extra) <= {"case", "out", "tmp", "guard"}, extra


def test_peak_memory_within_the_documented_bound(hostile_run):
    _ok(hostile_run)
    run: Run = hostile_run["run"]
    print(f"peak RSS {run.max_rss / 2**20:.0f} MiB (any process), main "
          f"{run.main_hwm / 2**20:.0f} MiB")
    assert run.max_rss <= MAX_PROCESS_RSS, (
        f"a process of the scan reached {run.max_rss / 2**30:.2f} GiB")


def test_password_member_scanned_with_passwords(hostile_run):
    _ok(hostile_run)
    truth, files = hostile_run["truth"], hostile_run["files"]
    for path in truth.encrypted_members:
        row = files.get(path)
        assert row is not None and row["status"] == "scanned", (path, row)


def test_password_member_encrypted_without_passwords(hostile_corpus, nopw_run):
    files, findings = nopw_run
    rows = {r["file"]: r for r in files}
    for path in hostile_corpus.encrypted_members:
        name = path.removeprefix("protected/")  # scanned from the protected/ folder
        row = rows.get(name)
        assert row is not None and row["status"] == "encrypted" and row["reason"], (name, row)
    secret = {n for p in hostile_corpus.encrypted_members for n in hostile_corpus.nirs[p]}
    assert not [f for f in findings if f["value"] in secret]


# ----------------------------------------------------------------------- kill -9 and resume


def _rows(rows: list[dict[str, str]], drop: tuple[str, ...] = ()) -> list[tuple]:
    return sorted(tuple((k, v) for k, v in sorted(r.items()) if k not in drop) for r in rows)


def _exports(case: Path, out: Path, cwd: Path) -> dict[str, list[dict[str, str]]]:
    out.mkdir(parents=True, exist_ok=True)
    return {what: export(case, what, out / f"{what}.csv", cwd=cwd)
            for what in ("files", "findings", "people")}


def test_kill_9_then_resume_gives_the_same_results(ordinary_leak, tmp_path):
    ref = run_cli(scan_args(ordinary_leak, "--case", tmp_path / "ref", workers=2),
                  cwd=tmp_path, timeout=600)
    assert ref.returncode == 0, ref.explain()
    expected = _exports(tmp_path / "ref", tmp_path / "ref_out", tmp_path)
    assert expected["findings"], "the reference scan found nothing"

    case = tmp_path / "killed"
    argv = scan_args(ordinary_leak, "--case", case, workers=2)
    kill_at = max(0.5, ref.seconds * 0.5)
    killed = run_cli(argv, cwd=tmp_path, kill_after=kill_at, timeout=600)
    assert killed.returncode == -signal.SIGKILL, (
        f"the scan ended by itself before the kill at {kill_at:.1f} s (reference took "
        f"{ref.seconds:.1f} s): nothing was interrupted\n{killed.explain()}")
    resumed = run_cli(argv, cwd=tmp_path, timeout=600)
    assert resumed.returncode == 0, resumed.explain()
    got = _exports(case, tmp_path / "resumed_out", tmp_path)
    print(f"\nreference {ref.seconds:.1f} s, killed at {kill_at:.1f} s, resumed in "
          f"{resumed.seconds:.1f} s")
    for what in ("files", "findings"):
        assert _rows(got[what]) == _rows(expected[what]), f"{what} differ after kill -9"
    same_people = _rows(got["people"]) == _rows(expected["people"])
    assert same_people or _rows(got["people"], ("person_id",)) == _rows(
        expected["people"], ("person_id",)), "people differ after kill -9"


# ------------------------------------------------------------------------------ no network


def test_scan_opens_no_network_socket(demo_leak, tmp_path):
    out, _truth = demo_leak
    guard = make_guard(tmp_path / "guard")
    env = guard.env()
    # positive control: the guard sees a socket created by a process it is loaded in
    probe = guard.log.with_name("probe.log")
    control = dict(env, BREACHSCOPE_GUARD_LOG=str(probe))
    subprocess.run([sys.executable, "-c", "import socket; socket.socket().close()"],
                   env=control, check=True, timeout=60)
    assert probe.exists() and "socket.__new__" in probe.read_text(), "the guard is not active"

    run = run_cli(scan_args(out / "leak", "--case", tmp_path / "case", workers=2), env=env,
                  cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.explain()
    assert len(guard.pids()) >= 2, "the guard was not loaded in the scan and its workers"
    assert not guard.events(), "network activity during a scan:\n" + "\n".join(guard.events())
