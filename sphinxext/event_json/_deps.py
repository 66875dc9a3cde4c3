"""Find the source files that the rendering of an object of the package depends on."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
import types
from pathlib import Path


@functools.cache
def dependency_files(obj: object) -> tuple[Path, ...]:
    """The source files that *obj* (a class or function of a package) is built from.

    That is the module that defines *obj* (found through the code of its functions, since a package
    may re-export it under another ``__module__``), the modules of the same package that this
    module imports, transitively, and the package's ``__init__.py``.
    """
    return module_files(defining_module(obj))


def defining_module(obj: object) -> str:
    """The name of the module whose source defines *obj*.

    Only the modules of *obj*'s top-level package are considered.

    >>> import json
    >>> defining_module(json.JSONDecoder)
    'json.decoder'
    """
    declared = str(getattr(obj, "__module__", ""))
    functions: list[object] = [obj]
    if isinstance(obj, type):
        # Only the methods written in the class body: a function assigned to the class (such as
        # Event.__post_init__, the wire module's check) was written elsewhere.
        own = f"{obj.__qualname__}."
        functions = [getattr(v, "__func__", v) for v in vars(obj).values()]
        functions = [f for f in functions if str(getattr(f, "__qualname__", "")).startswith(own)]
    for function in functions:
        code = getattr(function, "__code__", None)
        if isinstance(code, types.CodeType) and code.co_filename.endswith(".py"):
            name = _module_of_file(code.co_filename, declared.partition(".")[0])
            if name is not None:
                return name
    return declared


def _module_of_file(filename: str, top: str) -> str | None:
    candidates = [
        (name, str(module.__file__))
        for name, module in list(sys.modules.items())
        if (name == top or name.startswith(top + ".")) and getattr(module, "__file__", None)
    ]
    for name, module_file in candidates:
        if module_file == filename:
            return name
    path = Path(filename).resolve()
    for name, module_file in candidates:
        if Path(module_file).resolve() == path:
            return name
    return None


@functools.cache
def module_files(module_name: str) -> tuple[Path, ...]:
    """The source files of *module_name* and of every module of its package that it imports.

    The imports are followed through the modules' source (with :mod:`ast`), transitively but only
    inside the top-level package; the package's ``__init__.py`` is included (it is the public face
    the directives look names up in) without following its imports, so a change to an unrelated
    module of the package does not make every page with an example outdated.

    >>> sorted(p.name for p in module_files("json.decoder"))
    ['__init__.py', 'decoder.py', 'scanner.py']
    """
    top = module_name.partition(".")[0]
    files: dict[Path, None] = {}
    seen: set[str] = set()
    todo = [module_name]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        path = _source_file(name)
        if path is None:
            continue
        files[path] = None
        if name == top and module_name != top:
            continue
        todo.extend(sorted(_package_imports(name, path, top)))
    top_file = _source_file(top)
    if top_file is not None:
        files.setdefault(top_file, None)
    return tuple(files)


def _source_file(module_name: str) -> Path | None:
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    if filename is None:
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            return None
        filename = spec.origin if spec is not None else None
    if filename is None or not filename.endswith(".py"):
        return None
    return Path(filename).resolve()


def _is_package(module_name: str, path: Path) -> bool:
    return path.name == "__init__.py"


# An import statement at the start of a line: `import a.b as c, d` or `from .x import (y, z)`,
# parenthesized or continued with backslashes. Reading only these lines is many times faster
# than parsing the whole module; a match inside a string only adds a dependency, never loses one.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+\.*[\w.]*[ \t]+import[ \t]*(?:\([^)]*\)|[^\n#;\\]*(?:\\\n[^\n#;\\]*)*)"
    r"|import[ \t]+[^\n#;\\]*(?:\\\n[^\n#;\\]*)*)",
    re.MULTILINE,
)


def _package_imports(module_name: str, path: Path, top: str) -> set[str]:
    """The modules of package *top* that the source of *module_name* imports."""
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    package = module_name if _is_package(module_name, path) else module_name.rpartition(".")[0]
    found: set[str] = set()
    for statement in _IMPORT.findall(source):
        try:
            node = ast.parse(statement.strip()).body[0]
        except (SyntaxError, ValueError, IndexError):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            relative = "." * node.level + (node.module or "")
            try:
                base = importlib.util.resolve_name(relative, package) if node.level else relative
            except (ImportError, ValueError):
                continue
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {
        name
        for name in found
        if (name == top or name.startswith(top + ".")) and _source_file(name) is not None
    }
