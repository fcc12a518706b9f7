import sys
from pathlib import Path

import pytest

# The probe service lives beside the tests; child processes get the same path via PYTHONPATH.
TESTS_DIR = Path(__file__).parent
sys.path.insert(0, str(TESTS_DIR))


@pytest.fixture
async def rig(stack, fresh_db, tmp_path):
    """Probe processes on a fresh database and a topic namespace of their own; killed after.
    Topics are created by the first `rig.start` (a test may create some first, its own way)."""
    from probe_rig import ProbeRig, new_prefix

    r = ProbeRig(stack, fresh_db, new_prefix(), tmp_path)
    yield r
    for p in r.procs:
        p.kill()
