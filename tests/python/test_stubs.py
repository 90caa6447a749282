"""The hand-written _core.pyi must declare exactly what _core binds (names, classes' members)."""

import ast
from pathlib import Path

import autodistill_cpp
from autodistill_cpp import _core

STUB = Path(autodistill_cpp.__file__).with_name("_core.pyi")


def stub_tree():
    assert STUB.exists(), "the stub is installed with the package"
    return ast.parse(STUB.read_text())


def test_stub_declares_every_module_name():
    tree = stub_tree()
    declared = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.add(node.target.id)
    bound = {n for n in dir(_core) if not (n.startswith("__") and n.endswith("__"))} | {"__version__"}
    assert bound - declared == set(), "bound but missing from _core.pyi"
    assert {n for n in declared if n in {c.name for c in tree.body if isinstance(c, ast.ClassDef)}} <= bound


def test_stub_declares_every_class_member():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef) or node.name == "Error":
            continue
        cls = getattr(_core, node.name)
        declared = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        declared |= {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        own = vars(cls)  # defined by the binding, not inherited from object
        public = {name for name in own
                  if not name.startswith("_") or name in {"__init__", "__len__", "__getitem__", "__setitem__",
                                                          "__eq__", "__copy__", "__deepcopy__"}}
        missing = public - declared - {"__getstate__", "__setstate__"}
        assert missing == set(), f"{node.name}: {missing} missing from _core.pyi"


def test_package_reexports_exist():
    for name in autodistill_cpp.__all__:
        assert hasattr(autodistill_cpp, name), name
