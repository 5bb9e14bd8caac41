"""The import picture: frontends sit on one mail layer, which sits on store/ and index/.

Walks every module's imports (top-level and inside functions) and fails on an import that reaches
up a layer, or on a cycle between packages. Ranks, lowest first; a package may import its own rank
or lower.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RANKS = {
    "store": 0, "index": 0,
    "jmapd.mime": 1, "jmapd.protocol": 1,
    "jmapd.mail": 2, "jmapd.auth": 2,
    "jmapd.workers": 3,
    "jmapd.methods": 4,
    # Frontends and entry points: each may use anything below, but not each other's insides,
    # except as listed in FRONTEND_USES.
    "jmapd.http": 5, "jmapd.push": 5, "jmapd.outbox": 5, "jmapd.imap": 5, "jmapd.importers": 5,
    "jmapd.cli": 6, "jmapd.server": 6, "jmapd.testing": 7,
    "jmapd.testdouble": 6,
    "jmapd.config": 1, "jmapd.seed": 1, "jmapd.loadgen": 1, "jmapd.dns": 1, "jmapd.mutf7": 1,
    "jmapd.limits": 1, "jmapd.hints": 1,
    "jmapd.smtp": 5, "jmapd.draft": 5,
}
# Where one frontend may use another: `jmapd serve` starts the server, whose HTTP app runs push
# and serves the draft dialect's endpoint (naming it in the Session); IMAP IDLE listens to push;
# the test double wraps the server as `jmapd serve --ephemeral` runs it.
FRONTEND_USES = {("jmapd.http", "jmapd.push"), ("jmapd.cli", "jmapd.server"), ("jmapd.imap", "jmapd.push"),
                 ("jmapd.http", "jmapd.draft"), ("jmapd.cli", "jmapd.testdouble"), ("jmapd.testdouble", "jmapd.server")}


def unit(module: str) -> str | None:
    """The ranked package (or entry-point module) a dotted module name belongs to."""
    parts = module.split(".")
    for n in (2, 1):
        name = ".".join(parts[:n])
        if name in RANKS:
            return name
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Absolute names of everything a module imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def edges() -> dict[tuple[str, str], str]:
    """(from unit, to unit) -> one module that makes the edge."""
    out: dict[tuple[str, str], str] = {}
    for top in ("jmapd", "store", "index"):
        for path in (ROOT / top).rglob("*.py"):
            source = unit(module_name(path))
            if source is None:
                continue
            for target in imports(path):
                dest = unit(target)
                if dest is not None and dest != source:
                    out.setdefault((source, dest), module_name(path))
    return out


def test_every_package_has_a_rank():
    """A new package must say where it stands before it can import anything."""
    unranked = {module_name(p).split(".")[1] for p in (ROOT / "jmapd").glob("*/__init__.py")}
    unranked |= {module_name(p).split(".")[1] for p in (ROOT / "jmapd").glob("*.py") if p.stem != "__init__"}
    missing = sorted(n for n in unranked if f"jmapd.{n}" not in RANKS)
    assert not missing, f"give these a rank in RANKS: {missing}"


def test_no_import_reaches_up_a_layer():
    upward = [f"{module} imports {dest} ({RANKS[dest]} > {RANKS[source]})"
              for (source, dest), module in edges().items()
              if RANKS[dest] > RANKS[source]
              or (RANKS[dest] == RANKS[source] >= 5 and (source, dest) not in FRONTEND_USES)]
    assert not upward, "\n".join(upward)


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = {}
    for source, dest in edges():
        graph.setdefault(source, set()).add(dest)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path + [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            assert cycle is None, " -> ".join(cycle)


def test_the_mail_layer_knows_no_frontend():
    """No module under jmapd/methods (or any frontend) is imported by the mail layer, store/ or index/."""
    for (source, dest), module in edges().items():
        if source in ("jmapd.mail", "store", "index"):
            assert RANKS[dest] <= RANKS["jmapd.mail"], f"{module} imports {dest}"
