"""``breachscope serve``: the review web UI (FastAPI, Jinja2 templates, no JavaScript needed).

One server process holds the case open (DuckDB locks the file for one process) and serialises
every use of its one connection with a lock. Access: see :mod:`breachscope.review.auth`. The
server never logs a request line (uvicorn's access log is off: a URL may hold the token or a
person's identifier) and binds the loopback interface unless told otherwise.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from breachscope.case import Case
from breachscope.report.lookup import CATEGORY_WORDS, LookupInputError, describe_file, find_people
from breachscope.report.summary import build_summary
from breachscope.review import decisions, pages, qc, queries
from breachscope.review.auth import COOKIE, Session, Sessions, valid_reviewer

HERE = Path(__file__).parent
QC_STRATA = {"nothing_found": "files with nothing found",
             "unattributed_rows": "table rows attributed to no one", "found": "findings"}
QC_QUESTIONS = {
    "nothing_found": "nothing found: open the file, is anything personal in it?",
    "unattributed_rows": "table row attributed to no one: is a person in it?",
    "found": "finding: is it right?"}
LOOPBACK_NAMES = {"localhost"}
log = logging.getLogger(__name__)


class ServeError(Exception):
    """The server cannot start as asked (a non-loopback address without --allow-remote...)."""


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless explicitly allowed: the pages show identifiers."""
    if not is_loopback(host) and not allow_remote:
        raise ServeError(
            f"refusing to listen on {host}: the review UI shows personal data and binds the "
            "loopback interface only (127.0.0.1); pass --allow-remote to listen elsewhere")


@dataclass(slots=True)
class Reveal:
    """A reviewer asked to see a person's values in full (kept in memory and, when the
    decisions module has an audit event for it, in the case)."""
    at: str
    reviewer: str
    person_id: str


@dataclass
class State:
    case: Case
    sessions: Sessions
    allow_remote: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The report's figures (build_summary), kept between requests: while the server runs it
    # is the case's only writer (DuckDB's lock), so they change only with a decision here,
    # which drops them. They cost seconds on a large case (tens of seconds at 1 M records).
    summary: dict[str, Any] | None = None

    def figures(self) -> dict[str, Any]:
        """The summary, computed if a decision dropped it (call with the lock held)."""
        if self.summary is None:
            self.summary = build_summary(self.case)
        return self.summary

    def warm(self) -> None:
        """Compute the summary in the background, before the first overview asks for it."""
        def run() -> None:
            with self.db():
                self.figures()
        threading.Thread(target=run, name="summary", daemon=True).start()

    @contextmanager
    def db(self) -> Iterator[Any]:
        with self.lock:
            yield self.case.db


def create_app(case: Case, *, token: str | None = None, allow_remote: bool = False) -> FastAPI:
    """The review application over an open case (the caller keeps it open and closes it)."""
    state = State(case=case, sessions=Sessions(token), allow_remote=allow_remote)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = state
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(show=pages.show, show_finding=pages.show_finding,
                                 display_name=pages.display_name, urlencode=urlencode,
                                 category_words=CATEGORY_WORDS, describe_file=describe_file)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable) -> Response:
        response = await _guard(request, call_next, state, templates)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        return response

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        session: Session = request.state.session
        ctx.update(reviewer=session.reviewer, csrf=session.csrf,
                   corrections=decisions is not None)
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    # -- reviewer ----------------------------------------------------------------------------

    @app.get("/reviewer", response_class=HTMLResponse)
    def reviewer_form(request: Request) -> HTMLResponse:
        return render(request, "reviewer.html", error=None)

    @app.post("/reviewer", response_class=HTMLResponse)
    async def reviewer_set(request: Request) -> Response:
        form = await _form(request)
        name = valid_reviewer(str(form.get("reviewer", "")))
        if name is None:
            return render(request, "reviewer.html", 400,
                          error="Give your name (1 to 80 printable characters).")
        request.state.session.reviewer = name
        return RedirectResponse("/", status_code=303)

    # -- overview ----------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        with state.db():
            summary = state.figures()
            n_decisions = len(_decisions(state))
            qc_estimate = qc.stored_estimate(state.case)
        return render(request, "overview.html", s=summary, n_decisions=n_decisions,
                      qc_estimate=qc_estimate)

    # -- people ------------------------------------------------------------------------------

    @app.get("/people", response_class=HTMLResponse)
    def people(request: Request) -> HTMLResponse:
        q = request.query_params
        flt = queries.PeopleFilter(
            role=q.get("role", ""), category=q.get("category", ""),
            sensitive=q.get("sensitive", ""), severity=q.get("severity", ""),
            file=q.get("file", ""), unresolved=q.get("unresolved") == "1")
        search = {k: q.get(k, "").strip() for k in ("name", "birth_date", "nir", "phone",
                                                    "email")}
        error = None
        with state.db():
            if any(search.values()):
                try:
                    flt.ids = _search(state.case, search)
                except LookupInputError as exc:
                    error, flt.ids = str(exc), []
            rows, total, next_key = queries.people_page(state.case.db, flt, q.get("after", ""))
            options = queries.choices(state.case.db)
        params = {k: v for k, v in q.items() if k != "after" and v}
        return render(request, "people.html", rows=rows, total=total, next_key=next_key,
                      params=params, flt=flt, search=search, error=error, options=options,
                      after=q.get("after", ""), merge_into=_person_id(q.get("merge_into")))

    @app.get("/person/{person_id}", response_class=HTMLResponse)
    def person(request: Request, person_id: str) -> HTMLResponse:
        return _person_page(request, person_id, revealed=False)

    @app.post("/person/{person_id}/reveal", response_class=HTMLResponse)
    async def reveal(request: Request, person_id: str) -> Response:
        await _form(request)
        session: Session = request.state.session
        event = Reveal(at=_now(), reviewer=session.reviewer or "", person_id=person_id)
        with state.db():
            exists = queries.person(state.case.db, person_id) is not None
            if exists:
                _log_reveal(state, event)
        if not exists:
            return _not_found(request, render)
        return _person_page(request, person_id, revealed=True)

    def _person_page(request: Request, person_id: str, *, revealed: bool) -> HTMLResponse:
        with state.db():
            db = state.case.db
            p = queries.person(db, person_id)
            if p is None:
                return _not_found(request, render)
            records, n_records = queries.person_records(db, person_id)
            ids = [r["record_id"] for r in records]
            findings = queries.record_findings(db, ids)
            facts = queries.record_facts(db, ids)
            evidence = queries.sensitive_evidence(db, person_id)
            pairs = queries.linkage_pairs(db, ids)
            linkage = queries.meta(db, "people_linkage") or queries.meta(db, "linkage")
        by_record: dict[str, list[dict]] = {}
        for f in findings:
            f["key"] = _finding_key(f)
            by_record.setdefault(f["record_id"], []).append(f)
        facts_by_record: dict[str, list[dict]] = {}
        for f in facts:
            facts_by_record.setdefault(f["record_id"], []).append(f)
        keys = pages.shared_keys(records, revealed)
        return render(request, "person.html", p=p, records=records, n_records=n_records,
                      findings=by_record, facts=facts_by_record, evidence=evidence,
                      keys=keys, unexplained=pages.unexplained(records, keys),
                      pairs=pairs, linkage=linkage, revealed=revealed,
                      findings_cut=queries.FINDINGS_SHOWN
                      if len(findings) >= queries.FINDINGS_SHOWN else 0,
                      roles=sorted(decisions.ROLES),
                      message=request.query_params.get("done", ""))

    # -- files -------------------------------------------------------------------------------

    @app.get("/files", response_class=HTMLResponse)
    def files(request: Request) -> HTMLResponse:
        q = request.query_params
        with state.db():
            rows, next_key = queries.files_page(state.case.db, q.get("after", ""),
                                                q.get("status", ""), q.get("found") == "1")
        params = {k: v for k, v in q.items() if k != "after" and v}
        return render(request, "files.html", rows=rows, next_key=next_key, params=params)

    @app.get("/file", response_class=HTMLResponse)
    def file(request: Request) -> HTMLResponse:
        q = request.query_params
        offset = _int(q.get("offset"))
        with state.db():
            info = queries.file_info(state.case.db, q.get("path", ""))
            if info is None:
                return _not_found(request, render)
            found, n_found = queries.file_findings(state.case.db, info["sha256"], offset)
            people_rows, n_people = queries.file_people(state.case.db, info["sha256"])
            inside, n_inside = queries.members(state.case.db, info["path"])
        for f in found:
            f["key"] = _finding_key(f)
        return render(request, "file.html", f=info, findings=found, n_findings=n_found,
                      offset=offset, page=queries.PAGE * 2, people=people_rows,
                      n_people=n_people, members=inside, n_members=n_inside)

    # -- corrections -------------------------------------------------------------------------

    @app.post("/person/{person_id}/decide")
    async def decide(request: Request, person_id: str) -> Response:
        form = await _form(request)
        kind = str(form.get("kind", ""))
        reason = str(form.get("reason", ""))[:500]
        reviewer = request.state.session.reviewer
        with state.db():
            db = state.case.db
            if queries.person(db, person_id) is None:
                return _not_found(request, render)
            records = queries.all_record_ids(db, person_id)
            value: Any = None
            if kind == "false_positive":
                target = _finding_target(db, form)
                if target is None:
                    return render(request, "error.html", 400, message="No such finding.")
            elif kind in ("not_a_person", "sensitive_confirm", "sensitive_clear"):
                target = {"records": records}
            elif kind == "set_role":
                target, value = {"records": records}, str(form.get("role", ""))
            elif kind == "split":
                leaving = [r for r in form.getlist("record") if r in set(records)]
                if not leaving or len(leaving) == len(records):
                    return render(request, "error.html", 400, message=(
                        "Tick some of the person's records, not all, to split them off."))
                target = {"records": sorted(leaving),
                          "from": sorted(set(records) - set(leaving))}
            elif kind == "merge":
                other = str(form.get("other", "")).strip()
                others = queries.all_record_ids(db, other) if other != person_id else []
                if not others:
                    return render(request, "error.html", 400,
                                  message="Give the id of another person to merge with.")
                target = {"records_a": records, "records_b": others}
            else:
                return render(request, "error.html", 400, message="Unknown correction.")
            try:
                decisions.record_decision(state.case, kind, target, reviewer=reviewer,
                                          reason=reason, value=value)
            except ValueError as exc:
                return render(request, "error.html", 400, message=str(exc))
            finally:
                state.summary = None
            # recorded and applied: the person ids may have changed, follow the records
            stay = target["from"][0] if kind == "split" else records[0]
            go_to = queries.person_of_record(db, stay) or ""
        if not go_to:
            return RedirectResponse(f"/people?done={kind}", status_code=303)
        return RedirectResponse(f"/person/{go_to}?done={kind}", status_code=303)

    # -- quality control by sampling (breachscope.review.qc) ---------------------------------

    @app.get("/qc", response_class=HTMLResponse)
    def qc_page(request: Request) -> HTMLResponse:
        with state.db():
            est = qc.estimate(state.case, store=False)
            items = qc.list_items(state.case)
            todo = [i for i in items if i.verdict is None]
            done = [i for i in items if i.verdict is not None]
            values = queries.qc_values(state.case.db,
                                       [i.item_id for i in todo[:100] + done[-100:]])
        return render(request, "qc.html", est=est, todo=todo[:100], n_todo=len(todo),
                      done=done[-100:], n_done=len(done), verdicts=qc.VERDICTS,
                      describe=qc.describe, strata=QC_STRATA, questions=QC_QUESTIONS,
                      values=values)

    @app.post("/qc/draw")
    async def qc_draw(request: Request) -> Response:
        form = await _form(request)
        n = _int(str(form.get("n", "")))
        if not 1 <= n <= 1000:
            return render(request, "error.html", 400, message="Draw 1 to 1000 items.")
        with state.db():
            qc.draw_sample(state.case, n)
        return RedirectResponse("/qc", status_code=303)

    @app.post("/qc/mark")
    async def qc_mark(request: Request) -> Response:
        form = await _form(request)
        with state.db():
            try:
                qc.mark_item(state.case, _int(str(form.get("item_id", ""))),
                             str(form.get("verdict", "")),
                             reviewer=request.state.session.reviewer)
            except ValueError as exc:
                return render(request, "error.html", 400, message=str(exc))
            qc.estimate(state.case, store=True)  # the report and the CNIL draft read it
            state.summary = None
        return RedirectResponse("/qc#todo", status_code=303)

    @app.get("/audit", response_class=HTMLResponse)
    def audit(request: Request) -> HTMLResponse:
        with state.db():
            rows = _decisions(state)
            reveals = _reveals(state)
        return render(request, "audit.html", decisions=rows, reveals=reveals)

    @app.post("/audit/undo")
    async def undo(request: Request) -> Response:
        form = await _form(request)
        with state.db():
            try:
                decisions.undo_decision(state.case, _decision_id(form.get("decision_id")),
                                        reviewer=request.state.session.reviewer)
            except (ValueError, KeyError) as exc:
                return render(request, "error.html", 400, message=str(exc))
            finally:
                state.summary = None
        return RedirectResponse("/audit", status_code=303)

    @app.get("/audit/export")
    def audit_export(request: Request) -> Response:
        fmt = request.query_params.get("fmt", "csv")
        if fmt not in ("csv", "jsonl"):
            return render(request, "error.html", 400, message="Unknown export format.")
        import tempfile

        with tempfile.TemporaryDirectory(prefix="bs-audit-", dir=state.case.work_dir) as tmp:
            out = Path(tmp) / f"audit.{fmt}"
            with state.db():
                decisions.export_audit(state.case, out, fmt)
            body = out.read_bytes() if out.exists() else b""
        media = "text/csv" if fmt == "csv" else "application/x-ndjson"
        return Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="audit.{fmt}"'})

    return app


# -- helpers ---------------------------------------------------------------------------------

async def _guard(request: Request, call_next: Callable, state: State,
                 templates: Jinja2Templates) -> Response:
    """Token → session exchange, session required everywhere, reviewer name asked once,
    CSRF token checked on every POST."""
    sessions = state.sessions
    if not state.allow_remote and not is_loopback(_host_name(request.headers.get("host", ""))):
        # a page of another site whose name was re-pointed at 127.0.0.1 (DNS rebinding)
        return HTMLResponse("Misdirected request", status_code=421)
    if request.url.path == "/" and "token" in request.query_params:
        if not sessions.check_token(request.query_params.get("token")):
            return _unauthorized()
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, sessions.open(), httponly=True, samesite="strict",
                            path="/")
        return response
    session = sessions.get(request.cookies.get(COOKIE))
    if session is None:
        return _unauthorized()
    request.state.session = session
    if request.method == "POST":
        form = await request.form()
        request.state.form = form
        given = form.get("csrf")
        if not isinstance(given, str) or not _same(given, session.csrf):
            return HTMLResponse("Forbidden: stale or missing form token. Reload the page.",
                                status_code=403)
    if session.reviewer is None and request.url.path != "/reviewer" \
            and not request.url.path.startswith("/static/"):
        return RedirectResponse("/reviewer", status_code=303)
    return await call_next(request)


def _host_name(header: str) -> str:
    """The host of a Host header (``127.0.0.1:8765``, ``[::1]:8765``)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _same(a: str, b: str) -> bool:
    import secrets

    return secrets.compare_digest(a.encode("utf-8", "replace"), b.encode())


def _unauthorized() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><title>401 Unauthorized</title><h1>401 Unauthorized</h1>"
        "<p>Open the address printed by <code>breachscope serve</code> (it holds the access "
        "token of this server run).</p>", status_code=401)


async def _form(request: Request) -> Any:
    form = getattr(request.state, "form", None)
    return form if form is not None else await request.form()


def _not_found(request: Request, render: Callable[..., HTMLResponse]) -> HTMLResponse:
    return render(request, "error.html", 404, message="Not found (the people may have been "
                  "re-resolved since: search again).")


def _search(case: Case, search: dict[str, str]) -> list[str]:
    if search["nir"]:
        return find_people(case, nir=search["nir"])
    if search["phone"]:
        return find_people(case, phone=search["phone"])
    if search["email"]:
        return find_people(case, email=search["email"])
    if search["name"] and not search["birth_date"]:
        return _search_name(case, search["name"])
    return find_people(case, name=search["name"] or None,
                       birth_date=search["birth_date"] or None)


def _search_name(case: Case, name: str) -> list[str]:
    """People whose name holds every word given (folded), on the person or a record: the
    reviewer's search, wider than the hotline's (which also needs the birth date)."""
    from breachscope.detect.validators import fold

    words = fold(name).lower().split()
    if not words:
        raise LookupInputError("give a name")
    conds = " AND ".join(
        "strip_accents(lower(coalesce(x.last_name, '') || ' ' || coalesce(x.first_name, '')))"
        " LIKE ?" for _ in words)
    args = [f"%{w}%" for w in words]
    rows = case.db.execute(
        f"SELECT person_id FROM people x WHERE {conds} UNION "
        f"SELECT pr.person_id FROM records x JOIN person_records pr USING (record_id) "
        f"WHERE {conds} LIMIT 5000", args + args).fetchall()
    return sorted(r[0] for r in rows)


def _finding_key(f: dict[str, Any]) -> str:
    """A finding's reference in a form, without its value (the value stays server-side)."""
    import hashlib

    return hashlib.sha256((f["value"] or "").encode()).hexdigest()[:16]


def _finding_target(db: Any, form: Any) -> dict[str, str] | None:
    sha, location, entity = (str(form.get(k, "")) for k in ("sha256", "location", "entity"))
    key = str(form.get("key", ""))
    for value in queries.find_finding(db, sha, location, entity):
        if _finding_key({"value": value}) == key:
            return {"sha256": sha, "location": location, "entity": entity, "value": value}
    return None


def _decisions(state: State) -> list[dict[str, Any]]:
    """The audit log as the page shows it: what each decision names, with a finding's value
    masked (the stored target holds it in full)."""
    out = []
    for d in decisions.list_decisions(state.case):
        out.append({
            "decision_id": d.decision_id, "created_at": d.created_at, "reviewer": d.reviewer,
            "kind": d.kind, "what": _describe_target(state.case, d.kind, d.target),
            "person": _person_now(state.case, d.kind, d.target),
            "value": d.value or "", "reason": d.reason, "undone_at": d.undone_at or "",
            "undone_by": d.undone_by or "", "live": d.undone_at is None})
    return out


def _describe_target(case: Case, kind: str, target: dict[str, Any]) -> str:
    if kind == "false_positive":
        path = queries.path_of(case.db, str(target.get("sha256", "")))
        shown = pages.show_finding(str(target.get("entity", "")), str(target.get("value", "")),
                                   False)
        return f"{target.get('entity')} {shown} at {target.get('location')} in {path or '?'}"
    if kind == "split":
        return (f"{len(target.get('records', []))} record(s) leave a person of "
                f"{len(target.get('records', [])) + len(target.get('from', []))}")
    if kind == "merge":
        return (f"a person of {len(target.get('records_a', []))} record(s) with one of "
                f"{len(target.get('records_b', []))}")
    return f"the person of {len(target.get('records', []))} record(s)"


def _person_now(case: Case, kind: str, target: dict[str, Any]) -> str | None:
    """The person who now holds the decision's records (the ids change with resolution)."""
    records = target.get("from") if kind == "split" else (
        target.get("records_a") if kind == "merge" else target.get("records"))
    if not records:
        return None
    return queries.person_of_record(case.db, records[0])


def _decision_id(value: Any) -> Any:
    text = str(value or "")
    return int(text) if text.isdigit() else text


def _log_reveal(state: State, event: Reveal) -> None:
    """Log a reveal in the case's audit (``review_events``), naming the person's records
    (stable across re-resolutions) and the person id it had."""
    records = queries.all_record_ids(state.case.db, event.person_id)
    decisions.record_event(state.case, "reveal", {"person": event.person_id, "records": records},
                 reviewer=event.reviewer)


def _reveals(state: State) -> list[Reveal]:
    """The reveals, from the case's audit."""
    return [Reveal(at=e["created_at"], reviewer=e["reviewer"],
                   person_id=str(e["target"].get("person", "")))
            for e in decisions.list_events(state.case) if e["kind"] == "reveal"]


def _person_id(value: str | None) -> str:
    """A person id from a query (``P`` and hex digits), or ""."""
    return value if value and re.fullmatch(r"P[0-9a-f]{1,40}", value) else ""


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run_server(
    case_dir: Path, *, key: str | None, host: str, port: int,
    echo: Callable[[str], None] = print, allow_remote: bool = False,
) -> None:
    """Open the case, print the one-time URL, serve until interrupted."""
    import uvicorn

    check_host(host, allow_remote=allow_remote)
    with Case(case_dir, create=False, key=key) as case:
        app = create_app(case, allow_remote=allow_remote)
        # bound here, before the URL is printed: a port in use fails before any token is
        # shown, and ``--port 0`` takes a free port that the URL then names
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.create_server((host.strip("[]"), port), family=family)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        port = sock.getsockname()[1]
        app.state.review.warm()
        token = app.state.review.sessions.token
        shown = f"[{host}]" if ":" in host else host
        echo(f"breachscope review of {case_dir}: open http://{shown}:{port}/?token={token}")
        echo("(the address holds this run's access token: do not share it; Ctrl+C stops)")
        config = uvicorn.Config(app, access_log=False, log_level="warning",
                                server_header=False, date_header=False, lifespan="off")
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()
            # let a summary being computed finish before the case closes under it
            app.state.review.lock.acquire(timeout=60)
