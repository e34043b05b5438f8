"""Jobs for the two-process scheduler test: each run appends a line to a shared file."""

import os
from datetime import timedelta

from backend.jobs.registry import Job


def record_run():
    with open(os.environ["BORSELLINO_TEST_RUN_LOG"], "a") as log:
        log.write(f"{os.getpid()}\n")


JOBS = [Job("test_every_second", record_run, every=timedelta(seconds=1))]
