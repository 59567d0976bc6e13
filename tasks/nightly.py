"""Tasks of the nightly flow itself."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from paritylab.online.markdown import online_markdown
from paritylab.online.run import OnlineSummary


@task(task_run_name="publish nightly summary")
def publish_nightly_summary(new_logs: int, online: OnlineSummary) -> str:
    """The night in one markdown artifact: what came in, what the online eval found."""
    markdown = "\n".join(
        [
            "# Nightly eval",
            "",
            f"New logs stored: **{new_logs}**. Online flags: **{len(online.flagged)}**.",
            "",
            online_markdown(online),
        ]
    )
    create_markdown_artifact(key="nightly-summary", markdown=markdown, description="nightly eval summary")
    return markdown
