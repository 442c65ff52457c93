"""Command line: parse, call the library, print. The contract is ../shared/design/CONTRACT.md."""

from __future__ import annotations

import dataclasses
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from breachscope import __version__
from breachscope.case import Case, CaseError
from breachscope.case import db_memory_limit as store_memory_limit
from breachscope.ingest.archives import ArchiveLimits
from breachscope.settings import (
    DEFAULT_ARCHIVE_TIMEOUT,
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_TIMEOUT,
    ScanSettings,
)

if TYPE_CHECKING:
    from breachscope.assess.units import UnitRow

DEFAULT_LIMITS = ArchiveLimits()
GB = 1024**3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Qualify a leaked hospital data dump: what personal and health data, about whom.",
)

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran but could not complete (case store unusable...)
EXIT_USAGE = 2  # bad arguments (also Typer's own usage errors)


class Executor(StrEnum):
    local = "local"
    ray = "ray"


class Linkage(StrEnum):
    exact = "exact"
    splink = "splink"


class LinkageBackend(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class What(StrEnum):
    files = "files"
    findings = "findings"
    people = "people"


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    typer.echo(f"breachscope: {message}", err=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"breachscope {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """breachscope command line."""


KeyFileOption = Annotated[
    Path | None,
    typer.Option("--key-file", help="File holding the case store's encryption key "
                 "(or set BREACHSCOPE_CASE_KEY). A new case is created encrypted."),
]


def _key(key_file: Path | None) -> str | None:
    """The case key, from --key-file or the environment; never printed."""
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise _fail(f"cannot read key file {key_file}: {exc.strerror}", EXIT_USAGE) from None
        if not key:
            raise _fail(f"key file {key_file} is empty", EXIT_USAGE)
        return key
    return os.environ.get("BREACHSCOPE_CASE_KEY") or None


@app.command()
def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files, directories or archives.")],
    case: Annotated[Path, typer.Option("--case", help="Case directory (created if missing).")],
    workers: Annotated[int, typer.Option(help="Parallel worker processes.")] = max(
        1, os.cpu_count() or 1
    ),
    executor: Annotated[Executor, typer.Option(help="Where per-file tasks run.")] = (
        Executor.local
    ),
    address: Annotated[str | None, typer.Option(help="Ray cluster address.")] = None,
    timeout: Annotated[float, typer.Option(help="Time limit per file, in seconds.")] = (
        DEFAULT_TIMEOUT
    ),
    archive_timeout: Annotated[
        float, typer.Option(help="Time limit to expand one archive tree, in seconds.")
    ] = DEFAULT_ARCHIVE_TIMEOUT,
    memory_limit: Annotated[
        int, typer.Option(help="Resident memory limit of each worker process, in MB (a "
                          "content over it is stopped; what it read so far is kept).")
    ] = DEFAULT_MEMORY_LIMIT_MB,
    max_archive_gb: Annotated[
        float, typer.Option(help="Most bytes expanded from one archive tree, in GB.")
    ] = DEFAULT_LIMITS.max_total_bytes / GB,
    max_member_gb: Annotated[
        float, typer.Option(help="Largest archive member expanded, in GB.")
    ] = DEFAULT_LIMITS.max_member_bytes / GB,
    max_ratio: Annotated[
        float, typer.Option(help="Highest compression ratio of a member.")
    ] = DEFAULT_LIMITS.max_ratio,
    max_members: Annotated[
        int, typer.Option(help="Most members read from one archive.")
    ] = DEFAULT_LIMITS.max_members,
    max_depth: Annotated[int, typer.Option(help="Deepest archive nesting.")] = (
        DEFAULT_LIMITS.max_depth
    ),
    passwords: Annotated[
        Path | None, typer.Option(help="File of known passwords, one per line; contents "
                                  "recorded encrypted by an earlier scan are retried.")
    ] = None,
    key_file: KeyFileOption = None,
    linkage: Annotated[
        Linkage | None,
        typer.Option(help="How records become people: exact keys, or exact keys plus Splink's "
                     "probabilistic pairs (kept for the case). Default: the case's, else splink."),
    ] = None,
    linkage_backend: Annotated[
        LinkageBackend | None,
        typer.Option(help="Where Splink scores pairs: duckdb (in process) or spark (a local "
                     "Spark session; needs pyspark and Java; same people). Kept for the case. "
                     "Default: the case's, else duckdb."),
    ] = None,
    units: Annotated[
        Path | None,
        typer.Option("--units", help="The hospital's care-unit table (CSV: code, label, "
                     "optional sensitive column), to decode unit codes."),
    ] = None,
    db_memory_limit: Annotated[
        str | None,
        typer.Option(help="Memory of the case store (DuckDB, main process: people resolution, "
                     "linkage), e.g. 4GB; beyond it DuckDB spills to CASE/spill. Default: "
                     "BREACHSCOPE_DB_MEMORY_LIMIT, else 1GB."),
    ] = None,
) -> None:
    """Scan files, directories and archives into the case; re-running resumes."""
    import contextlib

    from breachscope.ingest.archives import load_passwords
    from breachscope.ingest.walk import total_size
    from breachscope.pipeline import scan as run_scan
    from breachscope.progress import ScanProgress

    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise _fail(f"no such file or directory: {', '.join(missing)}", EXIT_USAGE)
    ray_executor = None
    from breachscope.executors.ray_executor import RayUnavailable  # imports no Ray

    if executor is Executor.ray:  # docs/ray.md
        from breachscope.executors.ray_executor import RayExecutor

        try:
            ray_executor = RayExecutor(address=address, workers=workers)
        except RayUnavailable as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
    elif address is not None:
        raise _fail("--address is for --executor ray", EXIT_USAGE)
    try:
        known_passwords = tuple(load_passwords(passwords)) if passwords else ()
    except OSError as exc:
        raise _fail(f"cannot read passwords file {passwords}: {exc.strerror}", EXIT_USAGE) from None
    unit_rows = _read_units(units) if units is not None else None
    try:
        store_memory = store_memory_limit(db_memory_limit)
    except CaseError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    settings = ScanSettings(
        timeout=timeout, archive_timeout=archive_timeout, memory_limit_mb=memory_limit,
        archive=dataclasses.replace(
            DEFAULT_LIMITS, max_total_bytes=int(max_archive_gb * GB),
            max_member_bytes=int(max_member_gb * GB), max_ratio=max_ratio,
            max_members=max_members, max_depth=max_depth,
        ),
        passwords=known_passwords,
    )
    try:
        with Case(case, key=_key(key_file), memory_limit=store_memory) as store, \
                contextlib.nullcontext() if ray_executor is None else ray_executor, \
                ScanProgress(total_size(paths)) as progress:
            if linkage is not None:
                store.set_linkage(linkage.value)
            if linkage_backend is not None:
                from breachscope.resolve import spark
                from breachscope.resolve.people import set_linkage_backend

                if linkage_backend is LinkageBackend.spark and not spark.available():
                    raise _fail("--linkage-backend spark needs pyspark and Java "
                                "(pip install 'breachscope[spark]')", EXIT_USAGE)
                set_linkage_backend(store, linkage_backend.value)
            if units is not None and unit_rows is not None:
                _store_units(store, units, unit_rows)
            summary = run_scan(paths, store, workers=workers, settings=settings,
                               on_progress=progress, executor=ray_executor)
            if units is not None:
                _apply_units(store)
    except (CaseError, RayUnavailable) as exc:
        raise _fail(str(exc)) from exc
    except KeyboardInterrupt:
        raise _fail("interrupted; run the same command again to resume", 130) from None
    typer.echo(
        f"scanned {summary.n_scanned} new of {summary.n_files} files "
        f"({summary.n_failed} failed, {summary.n_partial} partial) in {summary.seconds:.1f} s: "
        f"{summary.n_findings} findings, {summary.n_people} people in case {case}"
    )


@app.command()
def export(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    what: Annotated[What, typer.Option("--what", help="What to export.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file.")],
    key_file: KeyFileOption = None,
    plaintext_output: Annotated[
        bool, typer.Option("--plaintext-output", help="From an encrypted case, write FILE in "
                           "clear (otherwise FILE.7z is written, encrypted with the case key).")
    ] = False,
) -> None:
    """Export files, findings or people as CSV, JSON Lines or Parquet (owner-only; from an
    encrypted case, as FILE.7z encrypted with the case key unless --plaintext-output)."""
    from breachscope.outputs import ARCHIVE_SUFFIX
    from breachscope.report.exports import export as run_export

    key = _key(key_file)
    try:
        with Case(case, create=False, key=key) as store:
            password = key if store.encrypted and not plaintext_output else None
            n = run_export(store, what.value, fmt.value, output, password=password)
    except CaseError as exc:
        raise _fail(str(exc)) from exc
    if password is None:
        typer.echo(f"wrote {n} {what.value} to {output}")
    else:
        typer.echo(f"wrote {n} {what.value} to {output}{ARCHIVE_SUFFIX} (7z encrypted with the "
                   "case key: the case is encrypted; --plaintext-output writes it in clear)")


class Lang(StrEnum):
    fr = "fr"
    en = "en"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"


OrganisationOption = Annotated[
    Path | None,
    typer.Option("--organisation", help="TOML file with what a scan cannot know: the "
                 "hospital's name, SIREN, FINESS, DPO, hotline... (example: "
                 "breachscope/data/organisation.example.toml)."),
]


@app.command()
def report(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    claim: Annotated[
        str | None, typer.Option(help="The attacker's claim, e.g. '900 000 patients, 20 GB'.")
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the report.")] = Lang.fr,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
    key_file: KeyFileOption = None,
) -> None:
    """Write report.html (self-contained, French unless --lang en), report.pdf and
    summary.json; file names holding an identifier of the case are masked in all three."""
    from breachscope.report.html import write_report

    try:
        with Case(case, create=False, key=_key(key_file)) as store:
            summary = write_report(store, output, claim, lang=lang.value, pdf=pdf)
    except CaseError as exc:
        raise _fail(str(exc)) from exc
    written = ", ".join(name for name in ("report.html", "report.pdf", "summary.json")
                        if name != "report.pdf" or pdf)
    typer.echo(
        f"{summary['people']['total']} people, {summary['files']['total']} files: "
        f"report at {output / 'report.html'} ({written}, owner-only)"
    )


@app.command("notify-cnil")
def notify_cnil(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    organisation: OrganisationOption = None,
    complementary: Annotated[
        bool, typer.Option("--complementary", help="A complementary notification (the "
                           "initial one was sent): figures since it are shown apart.")
    ] = False,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the drafts.")] = Lang.fr,
    key_file: KeyFileOption = None,
) -> None:
    """Write the CNIL notification draft (GDPR Art. 33: cnil-notification.md/.html/.json) and
    the ARS / CERT Santé incident declaration, pre-filled from the case: counts only."""
    from breachscope.notify.cnil import write_drafts
    from breachscope.notify.organisation import OrganisationError, load_organisation

    try:
        org = load_organisation(organisation)
    except OrganisationError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    try:
        with Case(case, create=False, key=_key(key_file)) as store:
            written = write_drafts(store, output, org, complementary=complementary,
                                   lang=lang.value)
    except OrganisationError as exc:  # a date of the organisation file that is not a date
        raise _fail(str(exc), EXIT_USAGE) from exc
    except CaseError as exc:
        raise _fail(str(exc)) from exc
    for path in written:
        typer.echo(f"wrote {path}")


@app.command()
def notify(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    min_severity: Annotated[
        Severity, typer.Option("--min-severity", help="Write letters for people at this "
                               "severity or above.")
    ] = Severity.high,
    everyone: Annotated[
        bool, typer.Option("--all", help="A letter for every identified person, whatever "
                           "the severity.")
    ] = False,
    template_dir: Annotated[
        Path | None, typer.Option("--template-dir", help="Folder of Jinja2 templates "
                                  "overriding the shipped ones (copy them to start).")
    ] = None,
    organisation: OrganisationOption = None,
    plaintext_output: Annotated[
        bool, typer.Option("--plaintext-output", help="From an encrypted case, write the "
                           "letters in clear (refused otherwise: they are written encrypted).")
    ] = False,
    key_file: KeyFileOption = None,
) -> None:
    """One letter per person concerned (PDF, French), a mail-merge CSV and .eml drafts
    (owner-only; from an encrypted case, in DIR/letters.7z encrypted with the case key)."""
    from breachscope.notify.letters import LetterTemplateError, write_letters
    from breachscope.notify.organisation import OrganisationError, load_organisation

    try:
        org = load_organisation(organisation)
    except OrganisationError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    key = _key(key_file)
    try:
        with Case(case, create=False, key=key) as store:
            result = write_letters(
                store, output, org, min_severity=min_severity.value, everyone=everyone,
                template_dir=template_dir, plaintext_output=plaintext_output, key=key)
    except LetterTemplateError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    except CaseError as exc:
        raise _fail(str(exc)) from exc
    for line in result.lines():
        typer.echo(line)


@app.command()
def link(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    mpi: Annotated[Path, typer.Option("--mpi", help="The hospital's patient-index export (CSV).")],
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD, overriding the mapping guessed from the "
                     "headers (repeatable). FIELD: mpi_id, last_name (used name), birth_name, "
                     "first_name, birth_date, sex, nir, address, postal_code, city, phone, "
                     "email, ignore."),
    ] = None,
    key_file: KeyFileOption = None,
    plaintext_output: Annotated[
        bool, typer.Option("--plaintext-output", help="From an encrypted case, write "
                           "mpi_unmatched.csv in clear (otherwise mpi_unmatched.csv.7z, "
                           "encrypted with the case key).")
    ] = False,
) -> None:
    """Match the case's people to the hospital's patient index (NIR, IPP, names + birth date);
    adds mpi_id and the index's current contact details to the people export and writes the
    people not matched to CASE/mpi_unmatched.csv (.7z, encrypted, from an encrypted case)."""
    from breachscope.resolve.mpi import MpiError, parse_mapping
    from breachscope.resolve.mpi import link as run_link

    if not mpi.is_file():
        raise _fail(f"no such file: {mpi}", EXIT_USAGE)
    try:
        overrides = parse_mapping(mapping or [])
        key = _key(key_file)
        with Case(case, create=False, key=key) as store:
            password = key if store.encrypted and not plaintext_output else None
            summary = run_link(store, mpi, overrides, password=password)
    except MpiError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    except CaseError as exc:
        raise _fail(str(exc)) from exc
    columns = ", ".join(f"{field}={col!r}" for col, field in summary.mapping.items())
    typer.echo(f"index columns: {columns}")
    methods = ", ".join(f"{m} {n}" for m, n in summary.by_method.items()) or "none"
    typer.echo(
        f"matched {summary.n_matched} of {summary.n_people} people "
        f"({summary.n_patients_matched} of {summary.n_patients} patients) to "
        f"{summary.n_mpi_matched} of {summary.n_mpi} index entries; by {methods}"
    )
    typer.echo(f"unmatched: {summary.n_people - summary.n_matched} people, "
               f"listed in {summary.unmatched_path}")


def _read_units(path: Path) -> list[UnitRow]:
    from breachscope.assess.units import UnitFileError, read_unit_file

    if not path.is_file():
        raise _fail(f"no such file: {path}", EXIT_USAGE)
    try:
        return read_unit_file(path)
    except UnitFileError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None


def _store_units(store: Case, path: Path, rows: list[UnitRow]) -> None:
    from breachscope.assess.units import FILE_PREFIX, store_unit_file

    n = store_unit_file(store, rows, FILE_PREFIX + path.name)
    typer.echo(f"care units: {n} units from {path.name}")


def _apply_units(store: Case) -> None:
    """Re-assess when the scan did not (nothing new scanned), so the unit table counts."""
    from breachscope.assess.categories import assess_case
    from breachscope.assess.units import units_stale

    if units_stale(store):
        assess_case(store)


def _print_units(store: Case) -> None:
    from breachscope.assess.units import unit_summary

    summary = unit_summary(store)
    typer.echo(f"unit tables: {len(summary.sources)}")
    for source, n in summary.sources:
        typer.echo(f"  {source}: {n} codes")
    n_values = sum(summary.statuses.values())
    by_status = ", ".join(f"{n} {status}" for status, n in summary.statuses.items())
    typer.echo(f"unit values: {n_values} distinct ({by_status}); "
               f"{summary.n_sensitive} reveal sensitive care")
    typer.echo(f"unknown codes: {summary.statuses['unknown_code']} distinct unit values are "
               "codes that no table decodes (undecided, not known to be non-sensitive)")
    if not summary.resolved:
        typer.echo("unit values are not resolved for the current tables: give the unit file "
                   "again, or scan")


@app.command("units")
def units_command(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    units_file: Annotated[
        Path | None,
        typer.Argument(help="The hospital's care-unit table (CSV: code, label, optional "
                       "sensitive column). Without it: list the unit tables known."),
    ] = None,
    key_file: KeyFileOption = None,
) -> None:
    """Load the hospital's care-unit table into the case and re-assess (unit codes such as
    3201 or U45 then reveal psychiatry, addiction...); without a file, list the unit tables
    known and how many unit values stay undecoded."""
    from breachscope.assess.categories import assess_case

    rows = _read_units(units_file) if units_file is not None else None
    try:
        with Case(case, create=False, key=_key(key_file)) as store:
            if units_file is not None and rows is not None:
                _store_units(store, units_file, rows)
                assess_case(store)
            _print_units(store)
    except CaseError as exc:
        raise _fail(str(exc)) from exc


EXIT_NOT_FOUND = 1
EXIT_CASE = 3


@app.command()
def lookup(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Last and first name, e.g. 'DUPONT Marie' "
                                 "(with --birth-date).")
    ] = None,
    birth_date: Annotated[
        str | None, typer.Option("--birth-date", help="Birth date, YYYY-MM-DD or DD/MM/YYYY.")
    ] = None,
    nir: Annotated[str | None, typer.Option("--nir", help="Social security number.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Phone number.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    key_file: KeyFileOption = None,
) -> None:
    """Was this person in the leak, and what about them leaked? Give --name with
    --birth-date, or one of --nir, --phone, --email. Prints a masked answer (as for a phone
    call). Exit code: 0 found, 1 not found, 2 bad arguments, 3 case store unusable."""
    from breachscope.report.lookup import (
        LookupInputError,
        describe_person,
        find_people,
        render,
    )

    given = [x for x in (name, nir, phone, email) if x is not None]
    if len(given) != 1 or (name is None) != (birth_date is None):
        raise _fail("give --name with --birth-date, or exactly one of --nir, --phone, --email",
                    EXIT_USAGE)
    try:
        with Case(case, create=False, key=_key(key_file)) as store:
            try:
                ids = find_people(store, name=name, birth_date=birth_date, nir=nir,
                                  phone=phone, email=email)
            except LookupInputError as exc:
                raise _fail(str(exc), EXIT_USAGE) from None
            answers = [describe_person(store, pid) for pid in ids]
    except CaseError as exc:
        raise _fail(str(exc), EXIT_CASE) from exc
    if not answers:
        typer.echo("NOT FOUND: nobody in this case matches these details.")
        raise typer.Exit(EXIT_NOT_FOUND)
    typer.echo(f"FOUND: {len(answers)} person(s) in the leak match these details.")
    for answer in answers:
        for line in render(answer):
            typer.echo(line)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where to put the demo.")] = Path(
        "breachscope-demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic leak.")] = 7,
    patients: Annotated[int, typer.Option(help="Number of synthetic patients.")] = 300,
    workers: Annotated[int, typer.Option(help="Parallel worker processes.")] = max(
        1, os.cpu_count() or 1
    ),
) -> None:
    """Generate a synthetic hospital leak, scan it, write the report (HTML, PDF) and the
    CNIL / ARS drafts."""
    from importlib.resources import files

    from breachscope.demo import generate_leak
    from breachscope.notify.cnil import write_drafts
    from breachscope.notify.organisation import load_organisation
    from breachscope.pipeline import scan as run_scan
    from breachscope.progress import ScanProgress
    from breachscope.report.html import write_report

    truth = generate_leak(out, seed=seed, n_patients=patients)
    leak = out / "leak"
    case_dir = out / "case"
    typer.echo(f"synthetic leak written to {leak} ({truth.n_people} people in its ground truth)")
    from breachscope.ingest.walk import total_size

    with Case(case_dir) as store:
        with ScanProgress(total_size([leak])) as progress:
            summary = run_scan([leak], store, workers=workers, on_progress=progress)
        write_report(store, out / "report", claim=f"{truth.n_people * 3} patients", pdf=True)
        drafts = write_drafts(store, out / "notification", load_organisation(
            Path(str(files("breachscope.data") / "organisation.example.toml"))))
    typer.echo(
        f"scanned {summary.n_files} files: {summary.n_findings} findings, "
        f"{summary.n_people} people (truth: {truth.n_people})"
    )
    typer.echo(f"report: {(out / 'report' / 'report.html').resolve()} (and report.pdf)")
    typer.echo(f"CNIL and ARS drafts: {drafts[0].parent.resolve()}")
    typer.echo(f"letters: breachscope notify --case {case_dir} -o {out / 'letters'}; "
               f"review: breachscope serve --case {case_dir}")


@app.command()
def serve(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on.")] = 8765,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback only unless --allow-remote).")
    ] = "127.0.0.1",
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow binding a non-loopback address "
                           "(the case's identifiers become reachable from the network).")
    ] = False,
    key_file: KeyFileOption = None,
) -> None:
    """Review the case in a local web browser: figures, people, evidence, corrections. Prints
    a one-time URL with the session's access token; every page requires it."""
    from breachscope.review.app import ServeError, check_host, run_server

    try:
        check_host(host, allow_remote=allow_remote)
    except ServeError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    try:
        run_server(case, key=_key(key_file), host=host, port=port, echo=typer.echo,
                   allow_remote=allow_remote)
    except CaseError as exc:
        raise _fail(str(exc)) from exc
    except ServeError as exc:
        raise _fail(str(exc)) from None


@app.command("qc")
def qc_command(
    case: Annotated[Path, typer.Option("--case", help="Case directory.")],
    draw: Annotated[
        int | None, typer.Option("--draw", help="Draw N new items of each stratum: contents "
                                 "where nothing was found, and findings.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draw.")] = None,
    mark: Annotated[
        tuple[int, str] | None,
        typer.Option("--mark", help="ITEM_ID VERDICT: ok or missed (contents and rows where "
                     "nothing was found), ok or false_positive (findings).")
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", help="Your name (with --mark).")
    ] = None,
    show: Annotated[
        bool, typer.Option("--list", help="List the items not marked yet.")
    ] = False,
    key_file: KeyFileOption = None,
) -> None:
    """Quality control by sampling: draw random items where the scan found nothing (contents,
    table rows) and among its findings, mark each after checking it, and get the estimated
    miss and false-positive rates with 95 % Wilson intervals (stored in the case for the
    report)."""
    from breachscope.review.qc import (
        QcError,
        describe,
        draw_sample,
        estimate,
        list_items,
        mark_item,
    )

    if mark is not None and not reviewer:
        raise _fail("--mark needs --reviewer NAME", EXIT_USAGE)
    try:
        with Case(case, create=False, key=_key(key_file)) as store:
            try:
                if draw is not None:
                    draw_id, n_files, n_found, n_rows = draw_sample(store, draw, seed=seed)
                    typer.echo(f"draw {draw_id}: {n_files} contents where nothing was found, "
                               f"{n_rows} table rows attributed to no one, {n_found} findings")
                    show = True
                if mark is not None:
                    item = mark_item(store, mark[0], mark[1], reviewer=reviewer or "")
                    typer.echo(f"item {item.item_id}: {item.verdict}")
            except QcError as exc:
                raise _fail(str(exc), EXIT_USAGE) from None
            if show:
                for item in list_items(store, unmarked_only=True):
                    where = f" at {item.location}" if item.location else ""
                    where += f" ({item.entity})" if item.entity else ""
                    typer.echo(f"  {item.item_id}\t{item.stratum}\t{item.path}{where}")
            result = estimate(store)
    except CaseError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"miss rate (nothing found, {result.population['nothing_found']} contents): "
               f"{describe(result.miss_rate)}")
    typer.echo(f"miss rate (table rows attributed to no one, "
               f"{result.population['unattributed_rows']}): {describe(result.row_miss_rate)}")
    typer.echo(f"false-positive rate (findings, {result.population['found']}): "
               f"{describe(result.false_positive_rate)}")


def run() -> None:  # pragma: no cover - console entry point alias
    sys.exit(app())
