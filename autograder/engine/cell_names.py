"""What a code cell binds, changes and reads, found statically (Python's ast and symtable, IPython
syntax allowed): the dependency analysis behind skipping.py."""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass
from functools import lru_cache

_NAMESPACE_CALLS = {"globals", "locals", "vars"}
_OPAQUE_NAMES = {"eval", "exec", "compile", "get_ipython", "__import__", "__builtins__", "__main__",
                 "builtins", "In", "Out", "_oh", "_ih", "_dh", "_", "__", "___", "_i", "_ii", "_iii"}
_OPAQUE_ATTRIBUTES = {"f_globals", "f_locals", "f_back", "__globals__", "user_ns", "user_global_ns"}
#: magics that read no Python name beyond the code they are given
_PLAIN_MAGICS = {"matplotlib", "load_ext", "reload_ext", "autoreload", "config", "time", "timeit",
                 "capture", "pip", "conda"}


@dataclass(frozen=True)
class CellNames:
    """What one cell does to the notebook's namespace, as far as its source shows."""

    binds: frozenset[str] = frozenset()    #: assigned, imported, defined or deleted
    values: frozenset[str] = frozenset()   #: of those, bound otherwise than by def, class or import
    stores: frozenset[str] = frozenset()   #: an attribute or item of it is assigned or deleted
    uses: frozenset[str] = frozenset()     #: a method is called on it, or it is passed to a call
    reads: frozenset[str] = frozenset()    #: global names read anywhere in the cell
    opaque: bool = False                   #: reads names in a way no static check can follow
    global_effects: tuple[str, ...] = ()   #: process-wide settings or files it changes (set_default_dtype, save, ...)

    def touches(self, definitions: frozenset[str]) -> frozenset[str]:
        """Names whose value may differ after this cell; `definitions` (modules, functions and
        classes, never bound otherwise in the notebook) change only by assigning to them."""
        return self.binds | self.stores | (self.uses - definitions)


#: calls that change a setting of the whole process, or a file, not a name (figures may be saved)
_GLOBAL_SETTERS = {"set_default_dtype", "set_default_tensor_type", "set_default_device",
                   "use_deterministic_algorithms", "set_printoptions", "set_flush_denormal",
                   "set_num_threads", "set_num_interop_threads", "set_grad_enabled", "set_detect_anomaly",
                   "chdir", "putenv", "setattr", "delattr", "filterwarnings", "simplefilter",
                   "resetwarnings", "seterr", "setrecursionlimit", "save", "savez", "savez_compressed",
                   "savetxt", "write_text", "write_bytes"}
_WRITE_MODES = set("wax+")


@lru_cache(maxsize=4096)
def cell_names(source: str) -> CellNames:
    """Names a cell binds, changes and reads (IPython syntax allowed; unparsable code does nothing)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        code = TransformerManager().transform_cell(source)
        tree = ast.parse(code)
        table = symtable.symtable(code, "cell", "exec")
    except (SyntaxError, ValueError):
        return CellNames()
    binds, reads = _scope_names(table)
    opaque, literal_reads, magic_code = _dynamic_reads(tree)
    stores, uses, effects = _changed(tree)
    names = CellNames(frozenset(binds), frozenset(binds - _pure_definitions(tree)), frozenset(stores),
                      frozenset(uses), frozenset(reads | literal_reads), opaque, tuple(sorted(effects)))
    for inner in map(cell_names, magic_code):  # %time / %%timeit bodies run in the notebook's namespace
        names = CellNames(names.binds | inner.binds, names.values | inner.values, names.stores | inner.stores,
                          names.uses | inner.uses, names.reads | inner.reads, names.opaque or inner.opaque,
                          names.global_effects + inner.global_effects)
    return names


def _scope_names(table) -> tuple[set[str], set[str]]:
    binds, reads = set(), set()
    for symbol in table.get_symbols():
        if table.get_type() == "module":
            if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace():
                binds.add(symbol.get_name())
            if symbol.is_referenced():
                reads.add(symbol.get_name())
        else:
            if symbol.is_declared_global() and symbol.is_assigned():
                binds.add(symbol.get_name())
            if symbol.is_global() and symbol.is_referenced():
                reads.add(symbol.get_name())
    for child in table.get_children():
        child_binds, child_reads = _scope_names(child)
        binds |= child_binds
        reads |= child_reads
    return binds, reads


def _pure_definitions(tree) -> set[str]:
    """Names bound at the top level by def, class or import only (never assigned in the cell)."""
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    return defined - assigned


def _base_name(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _changed(tree) -> tuple[set[str], set[str], set[str]]:
    """(names whose attribute or item is stored, names a call may change in place, process-wide
    settings changed), in every scope of the cell: conservative."""
    stores, uses, effects = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores.add(_base_name(node.value))
        elif isinstance(node, ast.Call):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in _GLOBAL_SETTERS:
                effects.add(function)
            if function == "open" and isinstance(node.func, ast.Name) and _writes(node):
                effects.add("open for writing")
            if isinstance(node.func, ast.Attribute):  # x.append(...), model.train()
                uses.add(_base_name(node.func.value))
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                uses.add(_base_name(argument))
    return stores - {None}, uses - {None}, effects


def _writes(call: ast.Call) -> bool:
    """Whether `open(...)` may write: a mode with w, a, x or +, or one the code computes."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None:
        return False
    return not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)) or bool(_WRITE_MODES & set(mode.value))


def _dynamic_reads(tree) -> tuple[bool, set[str], list[str]]:
    """(opaque, names read by a literal lookup such as "x" in globals(), code run by magics)."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    opaque, literal, magic_code = False, set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            continue  # `for _ in ...` binds; reading `_` is what reaches IPython's history
        if isinstance(node, ast.Name) and node.id in _OPAQUE_NAMES:
            if node.id == "get_ipython" and _plain_magic(node, parents, magic_code):
                continue
            opaque = True
        elif isinstance(node, ast.Name) and (node.id[1:].isdigit() or node.id[2:].isdigit()) \
                and node.id.startswith("_") and len(node.id) > 1:
            opaque = True  # _12, _i12: IPython's output and input history
        elif isinstance(node, ast.Attribute) and node.attr in _OPAQUE_ATTRIBUTES:
            opaque = True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _NAMESPACE_CALLS:
            name = _literal_lookup(node, parents)
            if name is None:
                opaque = True
            else:
                literal.add(name)
    return opaque, literal, magic_code


def _literal_lookup(call, parents) -> str | None:
    """The name in `"x" in globals()`, `globals()["x"]` or `globals().get("x")`; None otherwise."""
    parent = parents.get(call)
    if isinstance(parent, ast.Compare) and parent.comparators == [call] and \
            all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops):
        key = parent.left
    elif isinstance(parent, ast.Subscript) and parent.value is call:
        key = parent.slice
    elif isinstance(parent, ast.Attribute) and parent.attr == "get" and isinstance(parents.get(parent), ast.Call):
        arguments = parents[parent].args
        key = arguments[0] if arguments else None
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _plain_magic(name_node, parents, magic_code: list[str]) -> bool:
    """Whether `get_ipython().run_*_magic("name", ...)` (or `.system("cmd")`) reads no hidden name;
    collects the code that %time-like magics run."""
    call = parents.get(name_node)
    method = parents.get(call)
    invocation = parents.get(method)
    if not (isinstance(call, ast.Call) and isinstance(method, ast.Attribute) and isinstance(invocation, ast.Call)):
        return False
    arguments = invocation.args
    if not arguments or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in arguments):
        return False
    values = [a.value for a in arguments]
    if method.attr in ("system", "getoutput"):
        return not any(sign in values[0] for sign in "{$")  # !cmd {x} expands Python names
    if method.attr in ("run_line_magic", "run_cell_magic") and values[0] in _PLAIN_MAGICS:
        if values[0] in ("time", "timeit", "capture"):
            code = values[-1]  # the line's code, or the cell's body
            try:
                ast.parse(code)
            except SyntaxError:  # options such as `%timeit -n 3 f()`: not followed
                return False
            magic_code.append(code)
        return True
    return False


def definitions(names: list[CellNames]) -> frozenset[str]:
    """Names that only def, class or import statements bind, in all of a notebook's cells."""
    binds = frozenset().union(*(n.binds for n in names))
    return binds - frozenset().union(*(n.values for n in names))
