import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # harness.py beside the tests

import pytest

from devstack.system import System


@pytest.fixture(scope="session")
async def system(stack, tmp_path_factory):
    """Every service as its own process (two instances of inventory and production, as the
    design expects them to scale), started once for the end-to-end tests."""
    # Its own topics, databases and consumer groups on the session's servers: the service
    # tests that ran before left messages and offsets on the plain names.
    sys_ = System(stack.namespace("e2e"), tmp_path_factory.mktemp("system"))
    try:
        await sys_.start(extra_instances={"inventory": 1, "production": 1})
        yield sys_
    finally:
        sys_.stop()
