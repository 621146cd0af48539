"""Shared test settings: hypothesis profiles and the path to ../shared."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# SPEC-vs-kernel property tests: `dev` is quick for local runs, `ci` digs deeper.
# Both are seeded (derandomize) so a failure reproduces; choose with HYPOTHESIS_PROFILE.
settings.register_profile(
    "dev", max_examples=150, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci", max_examples=600, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the project's shared/ folder is not beside the checkout ({SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def client():
    """One real Dask cluster of two worker processes for every Dask test (started once)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client
