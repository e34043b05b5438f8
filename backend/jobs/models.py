"""One row per (job, period): whoever inserts it first runs the job for that period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, BigId, utcnow

RUNNING, DONE, FAILED = "running", "done", "failed"


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(80))
    # e.g. "2026-11-22T10:15:05Z" for a 5-second job, "2026-11-22" for a nightly one.
    period: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default=RUNNING)
    runner: Mapped[str] = mapped_column(String(120))  # host:pid of the scheduler
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("job", "period"),)
