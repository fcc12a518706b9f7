import sys
from pathlib import Path

# The probe service lives beside the tests; child processes get the same path via PYTHONPATH.
TESTS_DIR = Path(__file__).parent
sys.path.insert(0, str(TESTS_DIR))
