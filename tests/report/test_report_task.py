"""The Prefect task renders through the same function and links the file as an artifact."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from report_sample import Sample

from paritylab.config import load_settings

pytestmark = pytest.mark.slow  # starts a Prefect API server (15-40 s)


def test_publish_report_writes_the_files_and_a_link_artifact(
    prefect_api: str, sample: Sample, tmp_path: Path
) -> None:
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from tasks.report import publish_report

    settings = load_settings(
        None, env={"PARITYLAB_REPORT__DIR": str(tmp_path / "published")}, store=sample.store_path
    )

    @flow(name="report-test")
    def publish(run_id: str) -> Path:
        return publish_report(settings, run_id).html

    html = publish(sample.tonight)
    assert html == tmp_path / "published" / f"{sample.tonight}.html" and html.exists()
    assert (tmp_path / "published" / "index.html").exists()

    async def artifacts() -> list[object]:
        async with get_client() as client:
            key = ArtifactFilter(key=ArtifactFilterKey(any_=["parity-report"]))
            return list(await client.read_artifacts(artifact_filter=key))

    # every version, not the latest: the session's API is shared, another test may publish one meanwhile
    links = [str(a.data) for a in asyncio.run(artifacts())]  # type: ignore[attr-defined]
    assert any(html.resolve().as_uri() in link for link in links)
