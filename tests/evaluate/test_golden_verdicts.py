"""The acceptance on the bundled golden set itself (datasets/golden, seeded as v1 of the demo dataset):
with the demo config's sim models, a clearly worse candidate FAILs and an equivalent one PASSes."""

from __future__ import annotations

from pathlib import Path

from paritylab.config import load_settings
from paritylab.evaluate.plan import ComparisonRequest
from paritylab.evaluate.run import run_comparison
from paritylab.providers.sim_adapter import SimProvider
from paritylab.sim.profiles import get_profile

ROOT = Path(__file__).resolve().parents[2]


def test_on_the_golden_set_weak_fails_and_equivalent_passes(tmp_path: Path) -> None:
    env = {"PARITYLAB_CASES__DATASETS_DIR": str(tmp_path / "datasets")}
    settings = load_settings(ROOT / "paritylab.toml", env=env, store=tmp_path / "golden.duckdb")
    # the simulator's answers and reported latencies, without waiting for them
    providers = {
        f"sim-{p}": SimProvider(get_profile(p), wait_scale=0.0) for p in ("good", "weak", "equivalent")
    }
    out = run_comparison(
        settings,
        ComparisonRequest(
            dataset="support-evals@v1",
            candidates=["cheap-weak", "sim-equivalent"],  # a bare model name: the baseline's prompt on it
            run_id="golden",
        ),
        report_dir=tmp_path / "reports",
        providers=providers,
    )
    assert out.plan.dataset == "support-evals" and out.plan.version == 1 and len(out.plan.cases) == 120
    verdicts = {v.candidate: v.verdict for v in out.result.verdicts}
    assert verdicts == {"cheap-weak": "FAIL", "sim-equivalent": "PASS"}, [
        v.reason for v in out.result.verdicts
    ]
