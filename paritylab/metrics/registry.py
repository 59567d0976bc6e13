"""Metrics by name, as the config selects them. Factories, so each run gets fresh metric objects."""

from __future__ import annotations

from collections.abc import Callable

from paritylab.config import Settings
from paritylab.errors import ConfigError
from paritylab.metrics.base import Metric


def _lexical(name: str) -> Callable[[Settings], Metric]:
    def build(settings: Settings) -> Metric:
        from paritylab.metrics import lexical

        return {"token_f1": lexical.TOKEN_F1, "grounded": lexical.GROUNDED}[name]

    return build


FACTORIES: dict[str, Callable[[Settings], Metric]] = {
    "token_f1": _lexical("token_f1"),
    "grounded": _lexical("grounded"),
}


def available_metrics() -> list[str]:
    return sorted(FACTORIES)


def build_metric(name: str, settings: Settings) -> Metric:
    try:
        factory = FACTORIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown metric '{name}'", hint=f"choose from: {', '.join(available_metrics())}"
        ) from None
    return factory(settings)
