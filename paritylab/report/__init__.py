"""HTML parity reports rendered from DuckDB rows: `render_report(store, run_id, reports_dir)`.

Jinja2 templates (package data in templates/) draw one self-contained page per run: inline CSS, inline
SVG charts, no script, a strict Content-Security-Policy; a JSON export carries the same rows.
"""

from paritylab.report.queries import latest_run_id
from paritylab.report.render import ReportPaths, render_report, write_index

__all__ = ["ReportPaths", "latest_run_id", "render_report", "write_index"]
