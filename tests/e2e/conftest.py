"""Shared fixtures for the end-to-end tests: they drive the real agentsh
binary (AGENTSH_BIN, default build/agentsh) as a user would."""
import json
import os
import pathlib
import subprocess

import pytest

TOP = pathlib.Path(__file__).resolve().parents[2]
DATA = TOP / "tests" / "data"
COMPAT = DATA / "compat"


@pytest.fixture(scope="session")
def agentsh_bin():
    path = os.environ.get("AGENTSH_BIN", str(TOP / "build" / "agentsh"))
    assert os.access(path, os.X_OK), f"build agentsh first: {path}"
    return path


class Runner:
    def __init__(self, binary):
        self.binary = binary

    def __call__(self, *args, env=None, cwd=None, check_json=False):
        full_env = dict(os.environ)
        full_env.update({"HOME": "/home/daytona"})
        if env:
            full_env.update(env)
        proc = subprocess.run([self.binary, *map(str, args)],
                              capture_output=True, text=True, env=full_env,
                              cwd=cwd, timeout=60)
        if check_json:
            proc.json = json.loads(proc.stdout)
        return proc


@pytest.fixture
def run(agentsh_bin):
    return Runner(agentsh_bin)


@pytest.fixture
def v0710():
    return COMPAT / "daytona-v0.7.10" / "default.yaml"


@pytest.fixture
def v072():
    return COMPAT / "daytona-v0.7.2" / "default.yaml"
