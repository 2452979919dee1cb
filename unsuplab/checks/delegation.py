"""Tell an answer that only hands the work to the library's reference from one that does the work.

Three shapes count as delegation: the reference itself (``my_fn = target_distribution``), a subclass of the
reference class that adds nothing (``class Mine(KLSparsity): pass``, or methods that only call ``super()``),
and a function whose body (imports and a docstring aside) is one call of the reference
(``def mine(q): return dec.target_distribution(q)``). The source is read with ``inspect`` (IPython keeps the
notebook cells' sources) and the callee is looked up in the function's own globals, without running anything.
"""

import ast
import importlib
import importlib.util
import inspect
import textwrap


def resolve(reference):
    """``"package.module:name"`` (or the object itself) -> the object; None when it cannot be imported."""
    if not isinstance(reference, str):
        return reference
    module, _, name = reference.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in name.split(".") if name else ():
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        return None


def where(reference):
    """Where a student finds the library's version: ``unsuplab/dec.py, target_distribution``."""
    module, _, name = reference.partition(":") if isinstance(reference, str) else (
        reference.__module__, "", reference.__qualname__)
    path = module.replace(".", "/") + ".py"
    package = importlib.util.find_spec(module)
    if package is not None and package.submodule_search_locations:
        path = module.replace(".", "/") + "/__init__.py"
    return f"{path}, {name}"


def _function_node(source, name):
    """The ``def name`` (or, for ``<lambda>``, the first lambda) in ``source``: the lines inspect gives, which
    for a lambda may be an unfinished statement such as ``for f in (lambda q: g(q),):``."""
    source = textwrap.dedent(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = ast.parse(source + "\n    pass")
    kinds = (ast.Lambda,) if name == "<lambda>" else (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        if isinstance(node, kinds) and getattr(node, "name", name) == name:
            return node
    return None


def _lookup(expr, scope):
    """The object a Name/Attribute chain names in ``scope`` (no calls, no side effects), or None."""
    if isinstance(expr, ast.Name):
        return scope.get(expr.id, getattr(__builtins__, expr.id, None) if not isinstance(__builtins__, dict)
                         else __builtins__.get(expr.id))
    if isinstance(expr, ast.Attribute):
        base = _lookup(expr.value, scope)
        return None if base is None else inspect.getattr_static(base, expr.attr, None)
    return None


def _only_call(fn, targets, allow_super=False):
    """True when ``fn``'s body is imports, a docstring and one call of an object in ``targets``."""
    try:
        node = _function_node(inspect.getsource(fn), getattr(fn, "__name__", ""))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return False
    if node is None:
        return False
    scope = dict(getattr(fn, "__globals__", {}))
    try:
        scope.update(inspect.getclosurevars(fn).nonlocals)
    except (TypeError, ValueError):
        pass
    body = [node.body] if isinstance(node, ast.Lambda) else list(node.body)
    statements = []
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module:
            for alias in stmt.names:
                scope[alias.asname or alias.name] = resolve(f"{stmt.module}:{alias.name}")
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                scope[alias.asname or alias.name.split(".")[0]] = resolve(alias.name.split(".")[0] + ":")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue  # a docstring
        else:
            statements.append(stmt)
            if isinstance(stmt, ast.Return):
                break  # what follows an unconditional return never runs
    if len(statements) != 1:
        return False
    stmt = statements[0]
    call = stmt if isinstance(stmt, ast.Call) else getattr(stmt, "value", None)
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    if allow_super and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) \
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "super":
        return True
    callee = _lookup(func, scope)
    return callee is not None and any(callee is t for t in targets)


def delegation(answer, reference):
    """A plain-words sentence when ``answer`` only delegates to ``reference`` (an object or "module:name");
    None when it does its own work (or the reference cannot be found)."""
    ref = resolve(reference)
    if ref is None or answer is None:
        return None
    name = getattr(ref, "__name__", str(reference))
    if answer is ref:
        return f"this is the library's own {name}, not yours: write it yourself (that is the exercise)."
    if inspect.isclass(answer) and inspect.isclass(ref) and issubclass(answer, ref):
        own = [value for key, value in vars(answer).items()
               if inspect.isfunction(value) and key not in ("get_config", "from_config")]
        if all(_only_call(method, (ref,), allow_super=True) for method in own):
            return (f"your class is a subclass of the library's {name} that adds nothing of its own: "
                    "write the computation yourself (that is the exercise).")
        return None
    if callable(answer) and _only_call(answer, (ref, getattr(ref, "__wrapped__", ref))):
        return (f"your function only calls the library's {name}: write the computation yourself "
                "(that is the exercise).")
    return None
