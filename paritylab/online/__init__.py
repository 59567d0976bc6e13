"""Online evals: production responses scored as logged, daily aggregates, drift and budget flags."""
