"""DuckDB store: one file, named migrations, one writer process at a time."""

from paritylab.store.db import Store, open_store

__all__ = ["Store", "open_store"]
