"""Metrics: one interface (`Metric`), scores that say when they failed, a registry by name."""
