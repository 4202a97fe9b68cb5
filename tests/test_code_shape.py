"""The code stays easy to change: function bodies ≤ 80 lines (≤ 60 in the CLI), modules ≤ 500.

Measured with Python's ``ast``: a function's body runs from its first
statement after the docstring to its last line. The allowlists name the few
justified exceptions, each with its reason; a new long function fails here
with its name and length.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "segwise"
MAX_BODY = 80
MAX_MODULE = 500
#: A CLI command parses options and calls the library; its work lives below it.
MAX_COMMAND_BODY = 60

#: "module.py::function" → why it may be longer.
LONG_FUNCTIONS: dict[str, str] = {
    "datasets/retail.py::generate_retailer": (
        "one seeded simulation read top to bottom; splitting it scatters the persona logic "
        "over helpers that only it calls"
    ),
}

#: "module.py" → why it may be longer.
LONG_MODULES: dict[str, str] = {
    "lang/compiler.py": "one idea (rule AST → Narwhals expression), mostly per-node methods",
    "lang/parser.py": (
        "the recursive-descent grammar and its located errors (functions and event arguments "
        "live in lang/functions.py and lang/events.py)"
    ),
}


#: Test modules that check one promise across several modules, not one module each.
CROSS_CUTTING_TESTS: dict[str, str] = {
    "activation/test_receiver.py": "webhook syncs against a real signing receiver, killed too",
    "api/test_schema_fuzz.py": "schemathesis against the OpenAPI schema of a live server",
    "cli/test_bad_input.py": "every command's one-line errors and exit codes, side by side",
    "cli/test_commands.py": "each command end to end through the real CLI",
    "features/test_as_of.py": "one as-of rule across readers, features and a project run",
    "io/test_csv_fuzz.py": "hypothesis fuzzing of the text readers (csv, sources, readers)",
    "io/test_quality_properties.py": "the report balances for any table: readers + quality",
    "io/test_real_data.py": "the readers on the real exports of ../shared/data",
    "lang/test_duckdb_equivalence.py": "rules agree with DuckDB SQL on every engine",
    "measure/test_calibration.py": "simulated A/A and A/B experiments: tests + corrections",
    "models/test_btyd.py": "the published CDNOW fits of BG/NBD, Pareto/NBD and Gamma-Gamma",
    "models/test_errors.py": "the models' shared input errors",
    "project/test_customers_only.py": "a project without orders: config, run, service",
    "project/test_faults.py": "a run that fails anywhere leaves the store and files as they were",
    "project/test_real_projects.py": "init → validate → run on the real exports",
    "test_code_shape.py": "this file",
    "test_common.py": "scikit-learn's check_estimator over every estimator",
    "test_golden.py": "the demo's outputs before and after the refactor",
    "test_names.py": "one spelling per idea across the public API",
    "test_scheduling.py": "the suite's own scheduling over its two workers (tests/scheduling.py)",
}

TESTS = SOURCE.parent.parent / "tests"


def _body_length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(body) > 1
    ):
        body = body[1:]
    end = body[-1].end_lineno or body[-1].lineno
    return end - body[0].lineno + 1


def _measure() -> tuple[dict[str, int], dict[str, int]]:
    functions: dict[str, int] = {}
    modules: dict[str, int] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        text = path.read_text(encoding="utf-8")
        modules[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions[f"{name}::{node.name}"] = max(
                    functions.get(f"{name}::{node.name}", 0), _body_length(node)
                )
    return functions, modules


def test_no_function_body_is_over_80_lines() -> None:
    functions, _ = _measure()
    long = {k: v for k, v in functions.items() if v > MAX_BODY and k not in LONG_FUNCTIONS}
    assert not long, f"function bodies over {MAX_BODY} lines (split them): {long}"


def test_no_cli_function_body_is_over_60_lines() -> None:
    functions, _ = _measure()
    long = {k: v for k, v in functions.items() if k.startswith("cli/") and v > MAX_COMMAND_BODY}
    assert not long, f"CLI bodies over {MAX_COMMAND_BODY} lines (move the work down): {long}"


def test_no_module_is_over_500_lines() -> None:
    _, modules = _measure()
    long = {k: v for k, v in modules.items() if v > MAX_MODULE and k not in LONG_MODULES}
    assert not long, f"modules over {MAX_MODULE} lines (one idea per module): {long}"


def test_the_allowlists_hold_only_real_exceptions() -> None:
    functions, modules = _measure()
    stale = [k for k in LONG_FUNCTIONS if functions.get(k, 0) <= MAX_BODY]
    stale += [k for k in LONG_MODULES if modules.get(k, 0) <= MAX_MODULE]
    assert not stale, f"no longer long, remove from the allowlist: {stale}"


def test_tests_mirror_the_source() -> None:
    # tests/<package>/test_<module>.py tests src/segwise/<package>/<module>.py.
    strays = []
    for path in sorted(TESTS.rglob("test_*.py")):
        name = path.relative_to(TESTS).as_posix()
        folder, module = path.parent.relative_to(TESTS), path.stem.removeprefix("test_")
        mirrored = [SOURCE / folder / f"{module}.py", SOURCE / folder / f"_{module}.py"]
        if name not in CROSS_CUTTING_TESTS and not any(p.exists() for p in mirrored):
            strays.append(name)
    assert not strays, f"name each test module after the module it tests: {strays}"
