"""The chaos suite in its short form, for every CI run (`make chaos` runs the long one)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from chaos import Config, run  # noqa: E402
from devstack import sessions  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(900)
async def test_orders_converge_and_invariants_hold_through_kills_and_restarts():
    # A directory the PostgreSQL server's own OS user can enter (pytest's tmp_path is 0700).
    workdir = sessions.new_session_dir()
    try:
        report = await run(Config(orders=60, seed=7, kill_every=(1.5, 3.0), duration=40), workdir)
    finally:
        sessions.remove_session_dir(workdir)
    print(report.render())
    assert report.kafka_restarts == 1 and report.pg_restarts == 1 and sum(report.kills.values()) >= 3
    assert report.audit is not None
    failed = [f"{c.name}: {c.detail}" for c in report.audit.checks if not c.ok]
    assert not failed, "\n".join(failed)
