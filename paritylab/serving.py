"""`paritylab serve`: the deployments of prefect.yaml served from one process (`prefect.serve`), with the
same names, schedules and parameters, so the yaml stays the one place they are declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paritylab.errors import ConfigError

PREFECT_YAML = Path(__file__).resolve().parents[1] / "prefect.yaml"


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    entrypoint: str  # path/to/file.py:flow_function, relative to the yaml's folder
    description: str = ""
    schedules: tuple[dict[str, Any], ...] = ()  # {"cron", "timezone"} or {"interval"} entries
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.entrypoint.split(":", 1)[0]


def read_deployments(
    prefect_yaml: Path = PREFECT_YAML, only: list[str] | None = None
) -> list[DeploymentSpec]:
    """The yaml's deployments (those named in `only`, when given); an unknown name is an error."""
    import yaml

    if not prefect_yaml.exists():
        raise ConfigError(f"{prefect_yaml} does not exist", hint="pass --prefect-yaml PATH")
    entries = yaml.safe_load(prefect_yaml.read_text(encoding="utf-8")).get("deployments") or []
    specs = [
        DeploymentSpec(
            name=e["name"],
            entrypoint=e["entrypoint"],
            description=e.get("description", ""),
            schedules=tuple(e.get("schedules") or ()),
            parameters=dict(e.get("parameters") or {}),
        )
        for e in entries
    ]
    unknown = set(only or ()) - {s.name for s in specs}
    if unknown:
        raise ConfigError(
            f"{prefect_yaml} has no deployment {', '.join(sorted(unknown))}",
            hint=f"choose from: {', '.join(s.name for s in specs)}",
        )
    return [s for s in specs if not only or s.name in only]


def build_deployments(
    specs: list[DeploymentSpec], root: Path, overrides: dict[str, Any]
) -> tuple[list[Any], list[str]]:
    """RunnerDeployments for `prefect.serve`, and the names skipped because their flow file is absent.
    `overrides` (e.g. store, config) go to every flow that takes such a parameter."""
    from prefect.flows import load_flow_from_entrypoint

    built, missing = [], []
    for spec in specs:
        if not (root / spec.file).exists():
            missing.append(spec.name)
            continue
        flow: Any = load_flow_from_entrypoint(str(root / spec.entrypoint))
        accepted = {k: v for k, v in overrides.items() if k in flow.parameters.properties}
        built.append(
            flow.to_deployment(
                name=spec.name,
                description=spec.description or None,
                schedules=[_schedule(s) for s in spec.schedules],
                parameters={**spec.parameters, **accepted},
            )
        )
    return built, missing


def _schedule(entry: dict[str, Any]) -> Any:
    from prefect.schedules import Cron, Interval

    if "cron" in entry:
        return Cron(entry["cron"], timezone=entry.get("timezone"))
    if "interval" in entry:
        return Interval(entry["interval"], timezone=entry.get("timezone"))
    raise ConfigError(
        f"unsupported schedule {entry}", hint="use cron (+ timezone) or interval in prefect.yaml"
    )


def require_server() -> str:
    """Served schedules fire only with a long-lived Prefect server; the ephemeral API never schedules."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise ConfigError(
            "paritylab serve needs a Prefect server, but PREFECT_API_URL is not set",
            hint="run `prefect server start` in another terminal, then "
            "export PREFECT_API_URL=http://127.0.0.1:4200/api",
        )
    return str(url)
