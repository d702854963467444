"""The test suite, mirroring `estflow/`.

Paths every test computes from this file, never from the working directory or an absolute
path: the repository root, the small fixtures kept in `tests/fixtures/`, and the shared data
sets and TensorFlow golden files beside the repository in `../shared/` (CI puts them there;
tests that need them skip cleanly when they are absent).
"""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"
SHARED_GOLDEN = SHARED / "golden"
