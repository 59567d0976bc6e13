"""Offline eval end to end on the sim candidates: verdicts per quality profile, rows written, resumption
without duplicates or repaid calls, failures recorded as values."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from eval_fixtures import fast_providers, kb_cases, kb_settings_in

from paritylab import aio
from paritylab.config import Settings
from paritylab.errors import DatasetError, ParitylabError
from paritylab.evaluate.cases import EvalCase
from paritylab.evaluate.plan import ComparisonRequest
from paritylab.evaluate.run import run_comparison
from paritylab.evaluate.score import _score_batch
from paritylab.metrics.base import EvalItem, MetricContext, Score
from paritylab.providers.sim_adapter import SimProvider
from paritylab.sim.faults import FaultPlan
from paritylab.sim.profiles import FaultRates, get_profile
from paritylab.store import Store, open_store

CASES = len(kb_cases())


@pytest.fixture
def kb_settings(tmp_path: Path, store: Store) -> Settings:
    return kb_settings_in(tmp_path, store)


def counts(settings: Settings, run_id: str) -> dict[str, int]:
    with open_store(settings.store) as db:
        return {
            t: db.rows(f"SELECT count(*) AS n FROM {t} WHERE run_id = ?", [run_id])[0]["n"]
            for t in ("outputs", "scores", "parity", "candidate_stats", "verdicts", "calls")
        }


def test_quality_profiles_get_the_verdicts_they_deserve(kb_settings: Settings, tmp_path: Path) -> None:
    """447 KB cases: weak FAILs, equivalent PASSes; 14 smoke cases: slightly-worse is INCONCLUSIVE."""
    out = run_comparison(
        kb_settings,
        ComparisonRequest(candidates=["equivalent", "weak"], run_id="kb"),
        report_dir=tmp_path,
        providers=fast_providers(),
    )
    verdicts = {v.candidate: v for v in out.result.verdicts}
    assert verdicts["weak"].verdict == "FAIL"
    assert "weak FAILS against baseline: worse on token_f1" in verdicts["weak"].reason
    assert verdicts["equivalent"].verdict == "PASS"
    assert "budgets met (cost per success 0.6" in verdicts["equivalent"].reason

    tiny = run_comparison(
        kb_settings,
        ComparisonRequest(dataset="smoke@v1", candidates=["slightly-worse"], run_id="tiny"),
        report_dir=tmp_path,
        providers=fast_providers(),
    )
    [close] = tiny.result.verdicts
    assert close.verdict == "INCONCLUSIVE"
    assert close.cases_needed is not None and close.cases_needed > 14
    assert f"{close.cases_needed} cases would decide it" in close.reason

    n = counts(kb_settings, "kb")
    tags = {"billing", "security", "developer", "app", "data", "docs-2", "docs-3", "docs-4", "hallucination"}
    assert n["outputs"] == CASES * 3 and n["scores"] == CASES * 3 * 2
    assert n["parity"] == 2 * 2 * (1 + len(tags)) and n["candidate_stats"] == 3 and n["verdicts"] == 2
    with open_store(kb_settings.store) as db:
        rows = db.rows(
            "SELECT candidate, verdict, dataset, dataset_version, simulated FROM verdicts "
            "WHERE run_id = 'kb' ORDER BY candidate"
        )
        run = db.rows("SELECT status, simulated FROM runs WHERE run_id = 'kb'")[0]
        tag_rows = {r["tag"] for r in db.rows("SELECT DISTINCT tag FROM parity WHERE run_id = 'kb'")}
    assert rows == [
        {
            "candidate": "equivalent",
            "verdict": "PASS",
            "dataset": "kb",
            "dataset_version": 1,
            "simulated": True,
        },
        {"candidate": "weak", "verdict": "FAIL", "dataset": "kb", "dataset_version": 1, "simulated": True},
    ]
    assert run == {"status": "completed", "simulated": True}
    assert tag_rows == {"", *tags}
    text = out.report.with_suffix(".md").read_text()
    assert "SIMULATED" in text and "| weak | FAIL |" in text
    assert "<script" not in out.report.read_text()


def test_rerun_resumes_without_duplicates_or_repaid_calls(kb_settings: Settings, tmp_path: Path) -> None:
    first = run_comparison(
        kb_settings,
        ComparisonRequest(candidates=["equivalent"], run_id="r"),
        report_dir=tmp_path,
        providers=fast_providers(),
    )
    before = counts(kb_settings, "r")
    # A crash before the last batches were written: their outputs and scores are missing.
    with open_store(kb_settings.store) as db:
        db.execute("DELETE FROM outputs WHERE run_id = 'r' AND case_id > 'kb-s'")
        db.execute("DELETE FROM scores WHERE run_id = 'r' AND case_id > 'kb-s'")
        db.execute("DELETE FROM verdicts WHERE run_id = 'r'")
        lost = CASES * 2 - db.rows("SELECT count(*) AS n FROM outputs WHERE run_id = 'r'")[0]["n"]
    assert lost > 0
    again = run_comparison(
        kb_settings,
        ComparisonRequest(candidates=["equivalent"], run_id="r"),
        report_dir=tmp_path,
        providers=fast_providers(),
    )
    after = counts(kb_settings, "r")
    assert {k: v for k, v in after.items() if k != "calls"} == {
        k: v for k, v in before.items() if k != "calls"
    }
    assert after["calls"] == before["calls"] + lost  # one cache_hit row per regenerated answer
    with open_store(kb_settings.store) as db:
        paid = db.rows(
            "SELECT request_hash, count(*) AS n FROM calls WHERE run_id = 'r' AND status = 'ok' "
            "GROUP BY ALL HAVING count(*) > 1"
        )
        hits = db.rows("SELECT count(*) AS n FROM calls WHERE run_id = 'r' AND status = 'cache_hit'")[0]["n"]
    assert paid == [] and hits == lost
    assert [v.verdict for v in again.result.verdicts] == [v.verdict for v in first.result.verdicts]
    # a third run finds everything done: no call at all
    run_comparison(
        kb_settings,
        ComparisonRequest(candidates=["equivalent"], run_id="r"),
        report_dir=tmp_path,
        providers=fast_providers(),
    )
    assert counts(kb_settings, "r") == after


def test_failed_answers_count_as_errors_not_zeros(kb_settings: Settings, tmp_path: Path) -> None:
    """A model that always answers 500: every output is an error row, scores are 'skipped', and the
    error-rate budget FAILs the candidate (a bare model name is the baseline's prompt on that model)."""
    providers = fast_providers()
    providers["flaky"] = SimProvider(get_profile("good"), FaultPlan(FaultRates(server_error=1.0)))
    out = run_comparison(
        kb_settings,
        ComparisonRequest(dataset="smoke", candidates=["flaky"], run_id="f"),
        report_dir=tmp_path,
        providers=providers,
    )
    [v] = out.result.verdicts
    assert (
        v.verdict == "FAIL"
        and "no successful answer at all" in v.reason
        and "error rate is 100.0%" in v.reason
    )
    with open_store(kb_settings.store) as db:
        outputs = db.rows(
            "SELECT DISTINCT status, error_class, attempts FROM outputs WHERE run_id = 'f' "
            "AND candidate = 'flaky'"
        )
        scores = db.rows(
            "SELECT DISTINCT s.status, s.error FROM scores s JOIN outputs o USING (run_id, case_id, "
            "candidate_id) WHERE s.run_id = 'f' AND o.candidate = 'flaky'"
        )
    assert outputs == [{"status": "error", "error_class": "transient", "attempts": 2}]
    assert scores == [{"status": "skipped", "error": "no answer to score: generation failed"}]


def test_resuming_with_other_parameters_is_refused(kb_settings: Settings, tmp_path: Path) -> None:
    run_comparison(
        kb_settings,
        ComparisonRequest(dataset="smoke", candidates=["weak"], run_id="p"),
        report_dir=tmp_path,
        providers=fast_providers(),
    )
    with pytest.raises(ParitylabError, match="run p exists with other parameters"):
        run_comparison(
            kb_settings,
            ComparisonRequest(dataset="smoke", candidates=["equivalent"], run_id="p"),
            report_dir=tmp_path,
            providers=fast_providers(),
        )


@pytest.mark.parametrize(
    ("ref", "message"),
    [("golden", "dataset 'golden' has no cases"), ("kb@v7", "has no version 7"), ("kb@@1", "not a dataset")],
)
def test_dataset_errors_say_what_exists(
    kb_settings: Settings, tmp_path: Path, ref: str, message: str
) -> None:
    with pytest.raises(DatasetError, match=message) as err:
        run_comparison(kb_settings, ComparisonRequest(dataset=ref, candidates=["weak"]), report_dir=tmp_path)
    assert err.value.hint


class ExplodingJudge:
    """A metric whose backend fails: its failure must become judge_error rows, not an exception."""

    name = "exploding"
    needs = frozenset[str]()

    async def score(self, items: Sequence[EvalItem], ctx: MetricContext) -> list[Score]:
        raise TimeoutError("judge did not answer")


def test_a_failing_metric_is_recorded_per_item(kb_settings: Settings) -> None:
    case = EvalCase("c1", "q", "ctx", "ref", ())
    outputs = [{"case_id": "c1", "status": "ok", "output_text": "a"}]
    [score] = aio.run(_score_batch(ExplodingJudge(), outputs, {"c1": case}, MetricContext(kb_settings)))
    assert score.status == "judge_error" and score.value is None
    assert score.error == "TimeoutError: judge did not answer"
