"""Writing a report: one self-contained HTML file, its JSON twin, the `reports` row and the folder's index.

Safety: Jinja2 autoescapes every value (text and attributes); the only unescaped insert is our own
stylesheet, read from the package. The page has no script at all, and its Content-Security-Policy
allows nothing but that stylesheet (by hash): no scripts, no network, no frames, no forms.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paritylab.errors import ReportError
from paritylab.report import fmt, model, queries, views

if TYPE_CHECKING:
    import jinja2

    from paritylab.config import ReportConfig
    from paritylab.store.db import Store


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    json: Path
    index: Path


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("paritylab.report", "templates"),
        autoescape=True,  # every template, whatever its name: nothing from the store reaches the page raw
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt.FILTERS)
    return env


@lru_cache(maxsize=1)
def stylesheet() -> tuple[Any, str]:
    """The stylesheet as trusted markup, and the CSP that allows exactly it (sha256 of its text)."""
    from markupsafe import Markup

    css = resources.files("paritylab.report").joinpath("templates/style.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{digest}'; script-src 'none'; img-src 'none'; "
        "font-src 'none'; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )
    return Markup(css), csp  # our own file, not data: the one unescaped insert


def file_stem(run_id: str) -> str:
    """A safe file name for a run id (ids with other characters get a hash so two never collide)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", run_id)[:120].lstrip(".") or "run"
    if stem != run_id:
        stem += "-" + hashlib.sha256(run_id.encode()).hexdigest()[:8]
    return stem


def render_report(
    store: Store, run_id: str, reports_dir: Path, cfg: ReportConfig | None = None
) -> ReportPaths:
    """Render run `run_id` into reports_dir/<run>.html and .json, record it in `reports`, and rebuild
    reports_dir/index.html."""
    from paritylab.config import ReportConfig

    cfg = cfg or ReportConfig.model_validate({})
    data = model.collect(store, run_id, cfg)
    _ensure_dir(reports_dir)
    stem = file_stem(run_id)
    html_path, json_path = reports_dir / f"{stem}.html", reports_dir / f"{stem}.json"
    css, csp = stylesheet()
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            d=data,
            v=views.build(data),
            css=css,
            csp=csp,
            generated_at=datetime.now(UTC),
            index_href="index.html",
            json_href=json_path.name,
        )
    )
    _write_atomic(json_path, to_json(data))
    _write_atomic(html_path, page)
    store.execute(
        "INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?, ?, now())",
        [
            run_id,
            str(html_path.resolve()),
            str(json_path.resolve()),
            data["headline"],
            bool(data["simulated_sources"]),
        ],
    )
    index = write_index(store, reports_dir)
    return ReportPaths(html=html_path, json=json_path, index=index)


def write_index(store: Store, reports_dir: Path) -> Path:
    """reports_dir/index.html: every report of this store whose file is in the folder, newest run first."""
    folder = reports_dir.resolve()
    rows = store.rows(
        "SELECT r.run_id, r.path, r.json_path, r.headline, r.simulated, u.kind, u.started_at FROM reports r "
        "LEFT JOIN runs u USING (run_id) ORDER BY u.started_at DESC NULLS LAST, r.created_at DESC, r.run_id"
    )
    verdicts = store.rows(
        f"SELECT run_id, candidate, verdict FROM verdicts ORDER BY {queries.VERDICT_ORDER}, candidate"
    )
    listed = []
    for row in rows:
        html = Path(row["path"])
        if html.parent != folder or not html.exists():
            continue  # a report written elsewhere, or deleted: no dead links
        row["html_href"] = html.name
        row["json_href"] = Path(row["json_path"]).name if row["json_path"] else html.name
        row["verdicts"] = [v for v in verdicts if v["run_id"] == row["run_id"]]
        listed.append(row)
    css, csp = stylesheet()
    page = _environment().get_template("index.html.j2").render(reports=listed, css=css, csp=csp)
    index = reports_dir / "index.html"
    _write_atomic(index, page)
    return index


def to_json(data: dict[str, Any]) -> str:
    """The report's rows as JSON: the same values the page formats (timestamps as ISO 8601)."""
    return json.dumps(data, default=_json_value, indent=1, ensure_ascii=False, allow_nan=False)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot export {type(value).__name__} to JSON")


def _ensure_dir(reports_dir: Path) -> None:
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(
            f"cannot create the reports folder {reports_dir}: {exc.strerror}",
            hint="set [report] dir in paritylab.toml (or --dir) to a writable folder",
        ) from None


def _write_atomic(path: Path, text: str) -> None:
    """Write next to the target and rename: a reader (or a crash) never sees half a report."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
