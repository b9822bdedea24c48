"""The domain imports only the standard library, pydantic and itself, and has no clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[3] / "domain"
# pydantic_core is pydantic's own engine, pinned by it (its PydanticCustomError words messages).
ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core"}
FORBIDDEN_STDLIB = {"random", "secrets", "time", "asyncio", "threading", "socket", "subprocess"}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "uuid4", "uuid1"}


def _modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_imports_only_stdlib_pydantic_and_itself() -> None:
    problems: list[str] = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                allowed = (
                    top in ("domain", "__future__")
                    or top in ALLOWED_THIRD_PARTY
                    or (top in sys.stdlib_module_names and top not in FORBIDDEN_STDLIB)
                )
                if not allowed:
                    problems.append(f"{path.relative_to(DOMAIN.parent)} imports {name}")
    assert problems == []


def test_the_domain_has_no_async_and_reads_no_clock_or_randomness() -> None:
    problems: list[str] = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef | ast.Await):
                problems.append(f"{path.name}:{node.lineno} is async")
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in FORBIDDEN_CALLS:
                    problems.append(f"{path.name}:{node.lineno} calls {name}()")
    assert problems == []
