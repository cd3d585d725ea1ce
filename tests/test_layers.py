"""The package's layers: every import inside ``assistant`` points down (or sideways within a layer).

base → text → question → search → answering → the ``Assistant`` facade → the edges (training, evaluation, web,
serve, cli, options, langchain_adapters). Imports inside functions and under ``TYPE_CHECKING`` count too.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
LAYERS = ("base", "text", "question", "search", "answering", "assistant")  # lowest first; anything else is an edge


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _rank(module: str) -> int:
    second = module.split(".")[1] if "." in module else ""
    return LAYERS.index(second) if second in LAYERS else len(LAYERS)


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The ``assistant`` modules an import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "assistant"]
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if base.split(".")[0] != "assistant":
        return []
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _imports() -> list[tuple[str, str, int]]:
    known = {_module_name(path) for path in PACKAGE.rglob("*.py")}
    found = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [n for n in _imported(module, path.name == "__init__.py", node) if n in known]
                found += [(module, max(names, key=len), node.lineno)] if names else []
    return found


def test_every_import_points_down():
    upward = [
        f"{module}:{line} imports {target}"
        for module, target, line in _imports()
        if module != "assistant" and (target == "assistant" or _rank(target) > _rank(module))
    ]
    assert _imports(), "no imports found: the check reads the wrong folder"
    assert upward == []


def test_the_check_sees_an_upward_import():
    module = "assistant.text.corpus"
    node = ast.parse("from ..answering.kinds import listing").body[0]
    [target, *_] = sorted(_imported(module, False, node), key=len, reverse=True)
    assert target == "assistant.answering.kinds.listing"
    assert _rank("assistant.answering.kinds") > _rank(module)
