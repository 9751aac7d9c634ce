"""The package's layering: no import cycle, counting imports inside functions and type-checking blocks.

A cycle hidden in a function-level import still means two modules that each need the other; the
test reads every `import` statement with ast (nothing is imported), so it holds for code paths no
other test runs. Modules loaded by name count too: the built-in plugins (`DEFAULT_PLUGINS`) and
the package's lazily imported top-level names (`_LAZY`).
"""
from __future__ import annotations

import ast
from pathlib import Path

import flickr_replace_plugin

PACKAGE = Path(flickr_replace_plugin.__file__).parent
NAME = PACKAGE.name


def module_names() -> dict[str, Path]:
    modules = {}
    for file in PACKAGE.rglob("*.py"):
        parts = [NAME, *file.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = file
    return modules


def imports_of(module: str, file: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that `module` imports anywhere in its text."""
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules:
            targets = [node.value]  # a module loaded by its name
        elif isinstance(node, ast.Assign) and module == NAME and _names(node) == ["_LAZY"]:
            targets = [f"{NAME}.{name}" for name in ast.literal_eval(node.value).values()]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from .x import y` imports the module x.y when there is one, else a name from x
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` names a.b.c; a name inside: its module
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def _names(node: ast.Assign) -> list[str]:
    return [t.id for t in node.targets if isinstance(t, ast.Name)]


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, file, modules) for name, file in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(_one_cycle(graph, set(group)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way round inside `group`, from its first module back to it, for the message."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    return paths[node] + [start]
                if nxt not in paths:
                    paths[nxt] = paths[node] + [nxt]
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return sorted(group)


def test_the_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    assert f"{NAME}.cli.commands" in graph[f"{NAME}.cli"]  # inside main(): a function-level import
    assert f"{NAME}.photoid.patterns" in graph[f"{NAME}.cli"]  # `from ..photoid.patterns import ...`
    assert f"{NAME}.flickr.responses" in graph[f"{NAME}.flickr.client"]
    assert f"{NAME}.sources.xmp" in graph[f"{NAME}.plugins"]  # DEFAULT_PLUGINS, loaded by name
    assert f"{NAME}.core" in graph[NAME]  # the lazily imported `replace`


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def top_level(module: str) -> str:
    """A module's top-level subpackage or module in the package: `core`, `safety`, `cli`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(package)"


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every import between two top-level parts of the package (a package's `__init__` aside: it
    re-exports lazily and is imported by nothing inside)."""
    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = top_level(module)
        out.setdefault(source, set())
        for target in targets:
            if top_level(target) != source and source != "(package)":
                out[source].add(top_level(target))
    return out


def test_the_package_graph_maps_modules_to_their_top_level_part():
    graph = package_graph({f"{NAME}.core": {f"{NAME}.pipeline.stages", f"{NAME}.result"},
                           f"{NAME}.pipeline.stages": {f"{NAME}.pipeline.send", f"{NAME}.safety.journal"},
                           NAME: {f"{NAME}.core"}})
    assert graph == {"core": {"pipeline", "result"}, "pipeline": {"safety"}, "(package)": set()}
    assert package_graph(import_graph())["undoing"] >= {"core", "safety"}  # undo sits above the core


def test_no_import_cycle_between_the_package_parts():
    found = cycles(package_graph(import_graph()))
    assert not found, "package-level import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_sandbox_does_not_import_the_cli():
    """The CLI starts the sandbox; the sandbox stands alone below it (a test server needs no CLI)."""
    reaching_up = {(module, target) for module, targets in import_graph().items()
                   if module.startswith(f"{NAME}.sandbox") for target in targets
                   if target == f"{NAME}.cli" or target.startswith(f"{NAME}.cli.")}
    assert not reaching_up, f"the sandbox imports the CLI: {sorted(reaching_up)}"


def test_every_runtime_dependency_is_imported_by_the_package():
    """A dependency only tests use belongs in the `test` extra: users should not install it."""
    import re
    from importlib.metadata import packages_distributions

    text = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL).group(1)
    declared = {re.split(r"[<>=!~;\[ ]", name)[0].lower().replace("_", "-") for name in re.findall(r'"([^"]+)"', block)}
    imported = set()
    for file in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.split(".")[0])
    providers = packages_distributions()
    used = {dist.lower().replace("_", "-") for module in imported for dist in providers.get(module, ())}
    loaded_by_another = {"pyvips-binary"}  # the libvips library pyvips itself loads: no module of ours imports it
    assert declared - loaded_by_another <= used, \
        f"runtime dependencies the package never imports: {sorted(declared - loaded_by_another - used)}"
