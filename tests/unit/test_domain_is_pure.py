"""The shared domain core imports only the standard library and itself."""

import ast
import sys
from pathlib import Path

import pytest

SHOP = Path(__file__).resolve().parents[2] / "shop"
ALLOWED = set(sys.stdlib_module_names) | {"shop"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", sorted(SHOP.glob("*.py")), ids=lambda p: p.name)
def test_a_domain_module_imports_nothing_but_the_standard_library_and_the_domain(module):
    foreign = imported_roots(module) - ALLOWED
    assert not foreign, f"{module.name} imports {sorted(foreign)}"


def test_the_purity_check_would_notice_a_framework_import(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from sqlalchemy import select\nimport fastapi\nimport json\n")
    assert imported_roots(sneaky) - ALLOWED == {"sqlalchemy", "fastapi"}
