"""Log-derived text stays text: escaped by the template engine, never in a script, handler or URL."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from pathlib import Path

from markupsafe import escape
from report_html import parse
from report_sample import Sample

from paritylab.report.sample_texts import PAYLOADS

TEMPLATES = Path(__file__).resolve().parents[2] / "paritylab" / "report" / "templates"


def test_every_payload_reaches_the_page_only_as_escaped_text(sample: Sample) -> None:
    page = sample.paths.html.read_text(encoding="utf-8")
    for payload in PAYLOADS:
        assert str(escape(payload)) in page, f"payload missing from the page: {payload}"
    assert "<script" not in page.lower()
    assert (
        "<iframe" not in page.lower()
        and "<img" not in page.lower()
        and '<meta http-equiv="refresh' not in page
    )


def test_no_attribute_carries_a_handler_a_script_url_or_unescaped_data(sample: Sample) -> None:
    for path in (sample.paths.html, sample.paths.index):
        parsed = parse(path.read_text(encoding="utf-8"))
        assert parsed.attrs_seen, "nothing parsed"
        for tag, name, value in parsed.attrs_seen:
            assert not name.startswith("on"), f"<{tag} {name}=...> is an event handler"
            assert name not in ("style", "srcdoc", "src", "action", "formaction"), f"<{tag} {name}=...>"
            if name in ("href", "xlink:href"):
                assert value is not None and re.fullmatch(r"[A-Za-z0-9._-]+\.(html|json)", value), value


def test_attributes_holding_data_are_quoted_and_escaped(sample: Sample) -> None:
    page = sample.paths.html.read_text(encoding="utf-8")
    # The payload case ids are safe; the candidate names are data too: every data-* value is a quoted string
    # in which a quote or angle bracket could only appear escaped.
    for value in re.findall(r'\sdata-[a-z]+=("[^"]*"|\S+)', page):
        assert value.startswith('"') and value.endswith('"'), value
        assert "<" not in value and ">" not in value


def test_the_csp_allows_only_the_report_s_own_stylesheet(sample: Sample) -> None:
    for path in (sample.paths.html, sample.paths.index):
        page = path.read_text(encoding="utf-8")
        [raw] = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
        csp = unescape(raw)
        [css] = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"style-src 'sha256-{digest}'" in csp
        for directive in ("default-src 'none'", "script-src 'none'", "connect-src 'none'", "base-uri 'none'"):
            assert directive in csp
        assert page.index("Content-Security-Policy") < page.index("<style>")
        assert "http://" not in page and "https://" not in page  # nothing to fetch: opens offline


def test_templates_never_mark_data_safe() -> None:
    for template in TEMPLATES.glob("*.j2"):
        text = template.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "autoescape false" not in text, template.name
        assert "javascript:" not in text and "<script" not in text, template.name
