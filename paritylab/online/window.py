"""Windows of whole UTC days, and the run id each scored day is recorded under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from paritylab.errors import ConfigError

if TYPE_CHECKING:
    from paritylab.store.db import Store

# A log's day, computed without DuckDB's session time zone (or the ICU extension): days since the epoch.
UTC_DAY_SQL = "(DATE '1970-01-01' + CAST(floor(epoch({col}) / 86400) AS INTEGER))"
RUN_PREFIX = "online-"


@dataclass(frozen=True)
class Window:
    """The UTC days `first` .. `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ConfigError(
                f"window starts {self.first} after it ends {self.last}", hint="give the earlier day first"
            )

    @classmethod
    def ending(cls, last: date, days: int) -> Window:
        return cls(last - timedelta(days=days - 1), last)

    @property
    def start_ts(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end_ts(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"


def run_id_for(day: date) -> str:
    """One online run per UTC day: rescoring a day (hourly, nightly, after a crash) adds to the same run."""
    return f"{RUN_PREFIX}{day.isoformat()}"


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"'{text}' is not a day", hint="write days as YYYY-MM-DD, e.g. 2026-11-20"
        ) from None


def latest_log_day(store: Store) -> date | None:
    """The UTC day of the newest log, or None when the store holds no logs."""
    [row] = store.rows(f"SELECT max({UTC_DAY_SQL.format(col='ts')}) AS day FROM logs")
    day = row["day"]
    return day if isinstance(day, date) else None


def resolve_window(store: Store, days: int, trailing_days: int, end: date | None) -> Window | None:
    """The days to score and aggregate: `days` ending at `end` (default: the newest log's day), plus the
    trailing days they are compared with, so a first run backfills what the comparison needs."""
    last = end or latest_log_day(store)
    return None if last is None else Window.ending(last, days + trailing_days)
