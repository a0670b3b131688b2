"""The package's shape: no import cycles, small modules, a public API, a core free of Streamlit."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

import mnist_app

PACKAGE = Path(mnist_app.__file__).parent
MAX_MODULE_LINES = 350


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The mnist_app modules ``path`` imports at run time (anywhere but ``if TYPE_CHECKING:`` blocks)."""
    found: set[str] = set()
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # type-only imports never run: drop them
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # `from package import submodule` depends on the submodule, not on the package's names
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {name for name in found if name in known and name != this}


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imported_modules(path, known) for name, path in modules.items()}


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 20 and "mnist_app.models.zoo" in graph["mnist_app.models"]
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_the_cycle_check_sees_a_cycle() -> None:
    # The check above must be able to fail: a graph with a submodule that imports its package.
    graph = import_graph()
    graph["mnist_app.models.zoo"] = graph["mnist_app.models.zoo"] | {"mnist_app.models"}
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter(graph).prepare()


def test_no_submodule_imports_its_own_package_face() -> None:
    # A submodule that imports names from its package's __init__ makes a cycle through it.
    graph = import_graph()
    for name, imports in graph.items():
        parents = {name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1)}
        assert not (imports & parents), f"{name} imports its own package: {imports & parents}"


def test_modules_are_small() -> None:
    long = {name: len(path.read_text().splitlines()) for name, path in all_modules().items()}
    assert {name: lines for name, lines in long.items() if lines > MAX_MODULE_LINES} == {}


def test_only_the_ui_imports_streamlit() -> None:
    graph_modules = all_modules()
    for name, path in graph_modules.items():
        if name.startswith("mnist_app.ui"):
            continue
        tree = ast.parse(path.read_text())
        roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        roots |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and not node.level}
        assert "streamlit" not in roots and "streamlit_drawable_canvas" not in roots, name


def test_the_public_api_imports_from_the_package() -> None:
    from mnist_app import (  # noqa: F401  (the import is the test)
        available_models,
        evaluate,
        get_model,
        load_mnist,
        predict,
        predict_digit,
        predict_digits,
        steps,
        to_mnist,
    )

    assert callable(evaluate) and evaluate.__module__ == "mnist_app.evaluation"
    assert set(mnist_app.__all__) >= {"load_mnist", "to_mnist", "steps", "get_model", "predict",
                                      "evaluate", "available_models"}
    for name in mnist_app.__all__:
        assert getattr(mnist_app, name) is not None
    with pytest.raises(AttributeError):
        mnist_app.no_such_name  # noqa: B018


def test_importing_the_package_and_listing_models_stays_light() -> None:
    # `import mnist_app` loads nothing heavy; listing the models never imports PyTorch.
    script = (
        "import sys, mnist_app\n"
        "assert 'sklearn' not in sys.modules and 'numpy' not in sys.modules, 'import mnist_app is heavy'\n"
        "from mnist_app import available_models\n"
        "names = available_models()\n"
        "assert 'torch' not in sys.modules, 'listing the models imported torch'\n"
        "print(','.join(names))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "logistic_regression" in result.stdout.split(",")
