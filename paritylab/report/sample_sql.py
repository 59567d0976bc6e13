"""SQL that fills a store with realistic per-case rows for one night (used by paritylab.report.sample).

Randomness comes from hashes of stable keys (run, case, candidate, metric), so the same plan always
gives the same rows, and ten thousand cases take milliseconds instead of a Python loop per row.
Temp tables the caller creates: _night(run_id, age, dataset, version, n_cases, ts, sim), _cand(...),
_metric(metric, ordinal, margin, gated, judge); and one macro _pick_<kind>(i) per list of texts.
"""

from __future__ import annotations

MACROS = """
CREATE OR REPLACE TEMP MACRO _u(k) AS (hash(k) % 1000003)::DOUBLE / 1000003;
CREATE OR REPLACE TEMP MACRO _noise(k) AS (_u(k || 'a') + _u(k || 'b') + _u(k || 'c') - 1.5) * 0.2;
CREATE OR REPLACE TEMP MACRO _case_id(i) AS 'case-' || lpad(i::VARCHAR, 5, '0');
"""

EVAL_CASES = """
INSERT INTO eval_cases
SELECT n.dataset, n.version, _case_id(i),
       CASE WHEN i % 31 = 13 THEN _pick_payload(i // 31)
            ELSE _pick_question(i) || ' (ticket ' || i || ')' END,
       NULL, _pick_context(i), CASE WHEN i % 4 = 0 THEN _pick_answer(i) END,
       [_pick_tag(i)],
       CASE WHEN i >= n.n_cases - ? THEN _pick_kind(i) END,
       NULL, ['log-' || md5(i::VARCHAR)[:12]], 1 + (i % 5), n.ts
FROM _night n, range(n.n_cases) r(i)
WHERE n.run_id = ?
"""

OUTPUTS = """
INSERT INTO outputs
SELECT n.run_id, _case_id(i), c.candidate_id, c.name, c.model_name, md5(n.run_id || i || c.candidate_id),
       CASE WHEN _u(n.run_id || i || c.candidate_id || 'err') < c.error_rate THEN NULL
            WHEN i % 31 = 13 THEN _pick_payload(i // 31 + 1)
            ELSE _pick_answer(i + c.ordinal) END,
       CASE WHEN _u(n.run_id || i || c.candidate_id || 'err') < c.error_rate THEN 'error' ELSE 'ok' END,
       CASE WHEN _u(n.run_id || i || c.candidate_id || 'err') < c.error_rate THEN 'timeout' END,
       CASE WHEN _u(n.run_id || i || c.candidate_id || 'err') < c.error_rate
            THEN 'no answer within 30 s after 4 attempts' END,
       300 + (i % 700), 40 + (i % 160),
       round(c.cost_usd * (0.7 + 0.6 * _u(n.run_id || i || c.candidate_id || 'cost')), 8),
       round(c.latency_ms * (0.6 + 0.6 * _u(n.run_id || i || c.candidate_id || 'lat')
             + 2.5 * pow(_u(n.run_id || i || c.candidate_id || 'tail'), 8)), 1),
       1, false, n.sim, n.ts
FROM _night n, range(n.n_cases) r(i), _cand c
WHERE n.run_id = ?
"""

# value = case difficulty + candidate shift (grows with the night's age) + noise, kept in [0, 1].
# Payload cases (i % 31 = 13) score very low for the candidate that `sinks_payloads`, so they are among its
# worst regressions and the page shows their question, answers and rationale.
SCORES = """
INSERT INTO scores
SELECT o.run_id, o.case_id, o.candidate_id, m.metric,
       CASE WHEN st = 'ok' AND payload_case AND c.sinks_payloads AND m.metric = 'faithfulness' THEN 0.02
            WHEN st = 'ok' THEN greatest(0.0, least(1.0, round(
            0.5 + 0.35 * _u(o.case_id || m.metric)
            + _noise(o.run_id || o.case_id || o.candidate_id || m.metric)
            + (c.shift[m.ordinal] + c.slope[m.ordinal] * n.age), 3))) END,
       NULL,
       CASE WHEN st = 'ok' AND m.judge IS NOT NULL THEN
            CASE WHEN payload_case THEN _pick_payload(i // 31 + 2)
                 ELSE _pick_rationale(hash(o.case_id || m.metric || o.candidate_id)) END END,
       st,
       CASE st WHEN 'judge_error' THEN 'JudgeError: the judge reply was not valid JSON after 2 attempts'
               WHEN 'skipped' THEN 'no answer to score' END,
       m.judge, n.sim, n.ts
FROM (SELECT *, CASE WHEN status <> 'ok' THEN 'skipped'
                     WHEN _u(run_id || case_id || candidate_id || 'judge') < 0.03 THEN 'judge_error'
                     ELSE 'ok' END AS raw_st FROM outputs) o
JOIN _night n USING (run_id) JOIN _cand c USING (candidate_id),
     _metric m,
     LATERAL (SELECT CASE WHEN o.raw_st = 'judge_error' AND m.judge IS NULL THEN 'ok' ELSE o.raw_st END AS st,
                     o.case_id[6:]::INTEGER AS i, i % 31 = 13 AS payload_case)
WHERE o.run_id = ?
"""

PAIRWISE = """
INSERT INTO pairwise
SELECT s.run_id, s.case_id, b.candidate_id, s.candidate_id, 'preference',
       CASE WHEN bad THEN NULL WHEN NOT consistent THEN 'tie'
            WHEN s.value - b.value > 0.03 THEN 'candidate' WHEN b.value - s.value > 0.03 THEN 'baseline'
            ELSE 'tie' END,
       CASE WHEN bad THEN NULL ELSE consistent END,
       CASE WHEN bad THEN NULL ELSE 'Compared both answers against the retrieved documents.' END,
       CASE WHEN bad THEN 'judge_error' ELSE 'ok' END,
       CASE WHEN bad THEN 'JudgeError: the two orders could not be parsed' END,
       'sim-judge', s.simulated, s.created_at
FROM scores s
JOIN scores b ON b.run_id = s.run_id AND b.case_id = s.case_id AND b.metric = s.metric
JOIN _cand cb ON cb.candidate_id = b.candidate_id AND cb.is_baseline
JOIN _cand cs ON cs.candidate_id = s.candidate_id AND NOT cs.is_baseline,
     LATERAL (SELECT s.status <> 'ok' OR b.status <> 'ok' AS bad,
                     _u(s.run_id || s.case_id || s.candidate_id || 'swap') > cs.swap_flip AS consistent)
WHERE s.run_id = ? AND s.metric = 'faithfulness'
"""

PARITY = """
INSERT INTO parity
WITH pairs AS (
    SELECT c.candidate_id, b.candidate_id AS baseline_id, c.metric, t.tag, b.value AS bv, c.value AS cv
    FROM scores c
    JOIN scores b ON b.run_id = c.run_id AND b.case_id = c.case_id AND b.metric = c.metric
    JOIN _cand cb ON cb.candidate_id = b.candidate_id AND cb.is_baseline
    JOIN _cand cc ON cc.candidate_id = c.candidate_id AND NOT cc.is_baseline
    JOIN _night n ON n.run_id = c.run_id
    JOIN eval_cases e ON e.dataset = n.dataset AND e.version = n.version AND e.case_id = c.case_id,
         LATERAL (SELECT unnest(['', e.tags[1]]) AS tag) t
    WHERE c.run_id = ? AND c.status = 'ok' AND b.status = 'ok'
), agg AS (
    SELECT candidate_id, baseline_id, metric, tag, count(*) AS n, avg(bv) AS bm, avg(cv) AS cm,
           avg(cv - bv) AS d, coalesce(stddev_samp(cv - bv), 0) AS sd,
           count(*) FILTER (WHERE cv - bv > 0.02) AS wins,
           count(*) FILTER (WHERE abs(cv - bv) <= 0.02) AS ties,
           count(*) FILTER (WHERE cv - bv < -0.02) AS losses
    FROM pairs GROUP BY ALL
)
SELECT ?, baseline_id, candidate_id, a.metric, tag, n, bm, cm, d,
       d - 1.96 * sd / sqrt(n), d + 1.96 * sd / sqrt(n), m.margin, m.gated, v.verdict, wins, ties, losses,
       CASE WHEN v.verdict = 'INCONCLUSIVE' THEN least(1000000, greatest(n + 1,
            ceil(pow(1.96 * sd / greatest(abs(d + m.margin), 1e-4), 2))))::INTEGER END,
       json_object('method', 'normal approximation (sample fixture)', 'sd', sd)
FROM agg a JOIN _metric m USING (metric),
     LATERAL (SELECT CASE WHEN d + 1.96 * sd / sqrt(n) < -m.margin THEN 'FAIL'
                          WHEN d - 1.96 * sd / sqrt(n) >= -m.margin THEN 'PASS'
                          ELSE 'INCONCLUSIVE' END AS verdict) v
"""

CANDIDATE_STATS = """
INSERT INTO candidate_stats
SELECT o.run_id, o.candidate_id, c.name, c.model_name, c.is_baseline, count(*),
       count(*) FILTER (WHERE o.status = 'ok'),
       count(*) FILTER (WHERE o.status <> 'ok') / count(*),
       sum(o.cost_usd),
       sum(o.cost_usd) / nullif(count(*) FILTER (WHERE o.status = 'ok'), 0),
       quantile_cont(o.latency_ms, 0.5) FILTER (WHERE o.status = 'ok'),
       quantile_cont(o.latency_ms, 0.95) FILTER (WHERE o.status = 'ok'),
       (SELECT count(*) FILTER (WHERE s.status = 'judge_error')
               / nullif(count(*) FILTER (WHERE s.status <> 'skipped'), 0)
        FROM scores s WHERE s.run_id = o.run_id AND s.candidate_id = o.candidate_id AND s.judge IS NOT NULL),
       (SELECT avg(p.consistent::INTEGER) FROM pairwise p
        WHERE p.run_id = o.run_id AND p.candidate_id = o.candidate_id AND p.status = 'ok'),
       bool_or(o.simulated)
FROM outputs o JOIN _cand c USING (candidate_id)
WHERE o.run_id = ?
GROUP BY o.run_id, o.candidate_id, c.name, c.model_name, c.is_baseline
"""

HUMAN_LABELS = """
INSERT OR IGNORE INTO human_labels
SELECT md5(s.case_id || s.candidate_id || s.metric || 'ann-1'), s.case_id, s.candidate_id, s.metric,
       CASE WHEN agree = (s.value >= 0.5) THEN 'pass' ELSE 'fail' END,
       CASE WHEN agree = (s.value >= 0.5) THEN 1.0 ELSE 0.0 END,
       'reviewer-1', 'reviews/faithfulness-week45.csv', s.created_at
FROM scores s, LATERAL (SELECT _u(s.case_id || s.candidate_id || 'human') < 0.88 AS agree)
WHERE s.run_id = ? AND s.metric = 'faithfulness' AND s.status = 'ok'
  AND s.case_id < _case_id(?)
"""

CALLS = """
INSERT INTO calls
SELECT md5(o.run_id || o.case_id || o.candidate_id || 'call'), o.run_id, o.request_hash, 'generate',
       o.model_name,
       'sim', o.model_name, o.candidate_id, o.case_id, 1, NULL, o.status, o.error_class, o.error_message,
       NULL, NULL, o.input_tokens, o.output_tokens, o.cost_usd, o.latency_ms, o.created_at, o.simulated
FROM outputs o WHERE o.run_id = ? AND o.case_id < _case_id(?)
"""


def text_macros(texts: dict[str, list[str]]) -> str:
    """One macro per kind of text: _pick_<kind>(i) cycles through the list (texts are SQL-quoted)."""
    out = []
    for kind, items in texts.items():
        literal = ", ".join("'" + t.replace("'", "''") + "'" for t in items)
        out.append(
            f"CREATE OR REPLACE TEMP MACRO _pick_{kind}(i) AS [{literal}][1 + (i % {len(items)})::BIGINT];"
        )
    return "\n".join(out)
