"""Constants and helpers shared by test modules (imported by name: `from tests_support import ...`;
a conftest.py is not importable by name once several exist)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

TEST_KEY = "sk-test-SECRETKEY-0123456789abcdef"


def artifacts_of(flow_run_id: UUID) -> dict[str, Any]:
    """Artifacts of a flow run and of its subflows, by key, read through the API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterParentFlowRunId

    async def read() -> dict[str, Any]:
        async with get_client() as client:
            children = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])
                )
            )
            ids = [flow_run_id, *(c.id for c in children)]
            found = await client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
            return {a.key: a for a in found}

    return asyncio.run(read())
