"""The report in headless Chromium: loads cleanly, shows its verdicts and charts, runs no payload."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from report_browser import Browser, chromium_path
from report_sample import Sample

from paritylab.report.sample_texts import PAYLOADS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None and not os.environ.get("CI"), reason="chromium not installed"),
]

NO_HANDLERS = """[...document.querySelectorAll('*')].filter(e =>
    [...e.attributes].some(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))).length"""


def test_report_loads_without_errors_and_shows_verdicts_and_charts(sample: Sample, tmp_path: Path) -> None:
    with Browser() as browser:
        browser.open(sample.paths.html)
        assert browser.console_errors() == []
        assert browser.evaluate("document.querySelectorAll('#verdict-table tbody tr').length") == 2
        assert browser.evaluate("document.querySelectorAll('svg.forest').length") == 2
        assert browser.evaluate("document.querySelectorAll('svg.trend polyline').length") >= 4 * 3
        assert browser.evaluate("document.querySelectorAll('svg.bars rect').length") == 3 + 6
        assert browser.evaluate("!!document.getElementById('simulated-banner')")
        shot = browser.screenshot(tmp_path / "report.png")
        # the stylesheet applied (the CSP hash matched): the header bar is dark
        assert browser.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") == (
            "rgb(29, 43, 58)"
        )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    keep = os.environ.get("REPORT_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "report.png")


def test_payloads_render_as_text_and_execute_nothing(sample: Sample) -> None:
    with Browser() as browser:
        browser.open(sample.paths.html)
        browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        text = browser.evaluate("document.body.innerText")
        for payload in PAYLOADS:
            assert " ".join(payload.split()) in " ".join(text.split()), payload
        assert browser.evaluate("typeof window.__pwned") == "undefined"
        assert browser.evaluate("typeof parent.__pwned") == "undefined"
        assert browser.evaluate("document.scripts.length") == 0
        assert browser.evaluate("document.querySelectorAll('iframe, img, object, embed').length") == 0
        assert browser.evaluate(NO_HANDLERS) == 0
        assert browser.console_errors() == []


def test_index_loads_and_links_to_the_report(sample: Sample) -> None:
    with Browser() as browser:
        browser.open(sample.paths.index)
        assert browser.console_errors() == []
        href = browser.evaluate("document.querySelector('#reports a').href")
        assert href == sample.paths.html.resolve().as_uri()


def test_the_marker_check_would_catch_a_payload_that_ran(tmp_path: Path) -> None:
    """Control: the same payloads, unescaped and without a CSP, do set the marker in this browser."""
    raw = tmp_path / "raw.html"
    raw.write_text(f"<!DOCTYPE html><html><body>{PAYLOADS[0]}{PAYLOADS[1]}</body></html>", encoding="utf-8")
    with Browser() as browser:
        browser.open(raw)
        assert browser.evaluate("window.__pwned") in ("script", "img")
