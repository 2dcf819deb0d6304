"""Shared fixtures for the Python interop tests: the symbolon binary, the repo, the corpus."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
KEYS = REPO / "testdata" / "keys"


def symbolon_bin() -> str:
    path = os.environ.get("SYMBOLON_BIN") or str(REPO / "target" / "debug" / "symbolon")
    if not os.path.exists(path):
        raise RuntimeError(f"symbolon binary not found at {path}: build it first (cargo build)")
    return path


@pytest.fixture(scope="session")
def symbolon():
    binary = symbolon_bin()

    def run(*args, input=None, check=False):
        proc = subprocess.run([binary, *args], input=input, capture_output=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"symbolon {args} failed: {proc.stderr.decode()}")
        return proc

    return run
