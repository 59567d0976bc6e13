"""One Provider interface, small adapters, and the runner that owns limits, retries, cache and ledger."""
