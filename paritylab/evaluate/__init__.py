"""Offline evaluation of candidates on a dataset version: generate, score, compare, persist, report.

Every stage writes per batch with idempotent keys, so a run killed part-way resumes under the same
run id without duplicate rows, and the runner's response cache makes the repeated calls free.
"""
