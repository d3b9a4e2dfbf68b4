"""The mail path's imports run one way: parts → mail/ → core/models. mail/ finds the
parts' composers and due-mail hooks in its registry, and only the RQ worker makes an app
for jobs (petitions/operations/worker.py)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "petitions"


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_mail_imports_no_part():
    allowed = ("petitions.core", "petitions.models", "petitions.mail")
    for path in sorted((PACKAGE / "mail").glob("*.py")):
        ours = {m for m in imported_modules(path) if m.split(".")[0] == "petitions"}
        assert all(m.startswith(allowed) for m in ours), (path.name, sorted(ours))


def test_only_the_worker_makes_an_app_for_jobs():
    makers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "petitions.create_app" in imported_modules(path)
    }
    assert makers == {"operations/worker.py"}
