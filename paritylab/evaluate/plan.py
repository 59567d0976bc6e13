"""What a comparison run is: baseline, challengers, dataset version, metrics and margins, run id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paritylab.config import CandidateConfig, MetricGate, ParityConfig, Settings
from paritylab.errors import ConfigError, ParitylabError
from paritylab.evaluate.cases import EvalCase, parse_dataset_ref, read_cases, resolve_version
from paritylab.hashing import canonical_json
from paritylab.store import Store
from paritylab.store.runs import start_run

RUN_KIND = "model_upgrade"


@dataclass(frozen=True)
class ComparisonRequest:
    """What a caller asks to compare (CLI, flow, task, tests); `prepare` resolves it into a plan. A field
    left unset takes the configured default."""

    dataset: str | None = None
    baseline: str | None = None
    candidates: Sequence[str] | None = None
    metrics: Sequence[str] | None = None
    margins: Mapping[str, float] | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class ComparisonPlan:
    run_id: str
    settings: Settings  # with candidates derived from bare model names and the metric overrides applied
    dataset: str
    version: int
    cases: list[EvalCase]
    baseline: str
    challengers: list[str]

    @property
    def names(self) -> list[str]:
        return [self.baseline, *self.challengers]

    @property
    def metrics(self) -> list[str]:
        return list(self.settings.parity.metrics)

    def candidate_id(self, name: str) -> str:
        return self.settings.candidate_id(name)

    def params(self) -> dict[str, object]:
        """What identifies the run: resuming it with other parameters would mix two comparisons."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "baseline": {self.baseline: self.candidate_id(self.baseline)},
            "challengers": {n: self.candidate_id(n) for n in self.challengers},
            "parity": self.settings.parity.model_dump(mode="json", exclude={"batch_size"}),
        }


def with_overrides(
    settings: Settings, metrics: Sequence[str] | None = None, margins: Mapping[str, float] | None = None
) -> Settings:
    """Settings whose [parity] metrics are `metrics` (gated, margins from config or default) and whose
    margins are overridden by `margins`."""
    current = settings.parity.metrics
    chosen = list(metrics) if metrics else list(current)
    unknown = set(margins or {}) - set(chosen)
    if unknown:
        raise ConfigError(
            f"margin given for {', '.join(sorted(unknown))}, which is not compared",
            hint=f"compared metrics: {', '.join(chosen)}",
        )
    gates = {}
    for name in chosen:
        gate = current.get(name, MetricGate.model_validate({}))
        if margins and name in margins:
            gate = MetricGate.model_validate({**gate.model_dump(), "margin": margins[name]})
        gates[name] = gate
    parity = ParityConfig.model_validate({**settings.parity.model_dump(), "metrics": gates})
    return settings.model_copy(update={"parity": parity})


def resolve_candidates(
    settings: Settings, baseline: str | None, candidates: Sequence[str] | None
) -> tuple[Settings, str, list[str]]:
    """Baseline and challengers by candidate name; a bare [models] name means 'the baseline's prompt and
    params on that model' (the everyday question: can we switch the model?)."""
    base = baseline or settings.parity.baseline
    if base is None:
        raise ConfigError("no baseline candidate", hint="pass --baseline NAME or set [parity] baseline")
    if base not in settings.candidates:
        raise ConfigError(
            f"baseline '{base}' is not a [candidates] entry",
            hint=f"candidates: {', '.join(settings.candidates)}",
        )
    names = list(dict.fromkeys(candidates or [n for n in settings.candidates if n != base]))
    extra: dict[str, CandidateConfig] = {}
    for name in names:
        if name in settings.candidates:
            continue
        if name not in settings.models:
            raise ConfigError(
                f"'{name}' is neither a [candidates] nor a [models] entry",
                hint=f"candidates: {', '.join(settings.candidates)}; models: {', '.join(settings.models)}",
            )
        extra[name] = settings.candidates[base].model_copy(update={"model": name})
    challengers = [n for n in names if n != base]
    if not challengers:
        raise ConfigError("nothing to compare with the baseline", hint="pass --candidate NAME (repeatable)")
    updated = settings.model_copy(update={"candidates": {**settings.candidates, **extra}})
    return updated, base, challengers


def prepare(store: Store, settings: Settings, request: ComparisonRequest) -> ComparisonPlan:
    """Resolve everything, read the cases and record the run (or check a resumed run matches)."""
    settings = with_overrides(settings, request.metrics, request.margins)
    settings, base, challengers = resolve_candidates(settings, request.baseline, request.candidates)
    ref = parse_dataset_ref(request.dataset or settings.parity.dataset or settings.cases.dataset)
    if ref.name == settings.cases.dataset:  # the mined dataset starts as the golden set: seed v1 if absent
        from paritylab.cases import seed_golden

        seed_golden(store, settings)
    version = resolve_version(store, ref)
    cases = read_cases(store, ref.name, version)
    plan = ComparisonPlan("", settings, ref.name, version, cases, base, challengers)
    new_id = start_run(store, RUN_KIND, plan.params(), request.run_id)
    _check_resumable(store, new_id, plan.params())
    return ComparisonPlan(new_id, settings, ref.name, version, cases, base, challengers)


def _check_resumable(store: Store, run_id: str, params: dict[str, object]) -> None:
    [row] = store.rows("SELECT kind, params FROM runs WHERE run_id = ?", [run_id])
    if row["kind"] != RUN_KIND or row["params"] != canonical_json(params):
        raise ParitylabError(
            f"run {run_id} exists with other parameters (kind {row['kind']})",
            hint="resume a run with exactly the same baseline, candidates, dataset and metrics, "
            "or choose another --run-id",
        )
