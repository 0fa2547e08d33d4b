"""The talk's three scenarios and RPC, as Python examples (examples/python), run against the
broker under test."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import URI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


@pytest.mark.parametrize("name", ["batch_processing", "image_upload", "distributed_logging", "rpc"])
def test_example_runs(name: str) -> None:
    # A fresh exchange for the logging example: a `logs` of another type may exist already.
    extra = [f"logs-{uuid.uuid4().hex[:8]}"] if name == "distributed_logging" else []
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), URI, *extra],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip()
