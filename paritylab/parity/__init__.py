"""Parity statistics: paired bootstrap CIs, non-inferiority verdicts, sample-size advice.

Pure functions over numbers (no store, no Prefect), so they are tested and calibrated in isolation.
"""

from paritylab.parity.compare import MetricComparison, StatSettings, compare_metric
from paritylab.parity.decide import Budgets, CandidateVerdict, decide
from paritylab.parity.ops import Answer, OpsStats, ops_stats

__all__ = [
    "Answer",
    "Budgets",
    "CandidateVerdict",
    "MetricComparison",
    "OpsStats",
    "StatSettings",
    "compare_metric",
    "decide",
    "ops_stats",
]
