"""The layout shows the architecture: sub-packages with one-way imports, the README's table, the CLI."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "include"
# a sub-package may import from its own package and from those ranked below it, never above
LAYERS = {"warehouse": 0, "ingest": 1, "transform": 2, "demo": 2, "alerts": 3, "quality": 4, "export": 4,
          "orchestration": 5, "report": 5, "cli": 6}


def layer_of(module: str) -> str:
    return module.split(".")[1]


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("include"):
            found |= {f"{node.module}.{a.name}" if node.module == "include" else node.module for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("include.")}
    return found


def modules() -> list[tuple[str, Path]]:
    return [(".".join(p.relative_to(ROOT).with_suffix("").parts), p) for p in sorted(PACKAGE.rglob("*.py"))
            if p.name != "__init__.py"]


def test_every_module_belongs_to_a_layer():
    assert {layer_of(name) for name, _ in modules()} == set(LAYERS)


@pytest.mark.parametrize("name,path", modules(), ids=[name for name, _ in modules()])
def test_imports_point_one_way(name, path):
    own = layer_of(name)
    upward = [m for m in imported_modules(path) if m.count(".") >= 1 and layer_of(m) != own
              and LAYERS[layer_of(m)] >= LAYERS[own]]
    assert upward == [], f"{name} imports from a layer at or above its own"


def test_no_sys_path_edits():
    for folder in ("include", "dags", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "sys.path" not in path.read_text(encoding="utf-8"), path


def test_the_readme_layout_table_matches_the_tree():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Layout"):readme.index("## The warehouse")]
    listed_paths = set(re.findall(r"^\| `([^`]+)`", table, flags=re.M))
    for listed in listed_paths:
        assert (ROOT / listed).exists(), f"README lists {listed}, which is not in the tree"
    sub_packages = {f"include/{p.name}/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert sub_packages <= listed_paths, sub_packages - listed_paths
    for package in sub_packages:  # every module of a sub-package is named in its row
        row = next(line for line in table.splitlines() if line.startswith(f"| `{package}`"))
        for module in (ROOT / package).glob("*.py"):
            if module.name != "__init__.py" and package != "include/demo/":
                assert f"`{module.name}`" in row, f"{package}{module.name} is missing from the README's table"


def test_the_cli_help_names_every_command_of_the_readme():
    shown = subprocess.run([sys.executable, "-m", "include.cli", "--help"], capture_output=True, text=True,
                           check=True, cwd=ROOT).stdout
    row = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `include/cli.py`"))
    for command in re.findall(r"`(\w+)`", row.split("with", 1)[1]):
        assert re.search(rf"^\s+{command}\b", shown, flags=re.M), command
