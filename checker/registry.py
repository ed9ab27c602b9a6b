"""Finding models by name: `classic.die_hard`, or a user's file `path/to/model.py[:Class]`.

Owns: discovery of the models shipped in the `models` package (imported by name at run time,
never statically, so the engine does not depend on any model), loading one model class by
name or by a user's file (`ModelFile`: where it came from and the sha256 of its source; the
file may import the modules beside it, and may be a module of a package folder; anything the
file's code raises while it is imported, sys.exit() included, is a `ModelError` at its line), finding the
model a saved trace was made with (`load_for_trace`), and parsing `--set K=V` settings against
a model's declared sorts and settings.

Must not import: `models`, `properties` (statically), z3, numpy, hypothesis.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import os
import pkgutil
import sys
from dataclasses import dataclass
from types import CodeType, ModuleType
from typing import Any, Mapping, Sequence

from replicheck.errors import UsageProblem
from replicheck.lang.errors import ModelError, from_exception
from replicheck.lang.model import Model, model_shape

MODELS_PACKAGE = "replicheck.models"


class RegistryError(UsageProblem):
    """A model name, path or setting that cannot be resolved (a usage error: exit 2)."""


@dataclass(frozen=True)
class ModelFile:
    """Where a model loaded from a user's file came from (a trace records it, so that `report`
    can load the same file again and tell whether it changed)."""

    path: str  # absolute
    given: str  # as the user wrote it
    sha256: str  # of the source bytes that were executed
    cls: str  # the Model class's name in the file

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "given": self.given, "sha256": self.sha256, "class": self.cls}


@dataclass(frozen=True)
class ModelInfo:
    name: str
    cls: type[Model]
    file: ModelFile | None = None  # None for a model shipped in `replicheck.models`

    @property
    def doc(self) -> str:
        """The first paragraph of the model's own docstring (never a base class's), else of its module's."""
        module = sys.modules.get(self.cls.__module__)
        own = self.cls.__dict__.get("__doc__") or getattr(module, "__doc__", None) or ""
        return inspect.cleandoc(own).split("\n\n")[0].replace("\n", " ")


def _model_classes(module: ModuleType) -> list[type[Model]]:
    found = []
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and issubclass(value, Model)
            and value is not Model
            and value.__module__ == module.__name__
        ):
            found.append(value)
    return found


def _model_name(cls: type[Model], module_name: str) -> str:
    if cls.name:
        return cls.name
    prefix = MODELS_PACKAGE + "."
    return module_name[len(prefix):] if module_name.startswith(prefix) else module_name


def discover() -> dict[str, ModelInfo]:
    """Every model shipped in the `models` package, by name, sorted."""
    try:
        package = importlib.import_module(MODELS_PACKAGE)
    except ImportError:
        return {}
    found: dict[str, ModelInfo] = {}
    for mod in pkgutil.walk_packages(package.__path__, MODELS_PACKAGE + "."):
        if mod.ispkg:
            continue
        try:
            module = importlib.import_module(mod.name)
        except ModelError:
            raise
        except Exception as err:  # a broken model file must not hide the others
            raise RegistryError(f"cannot import {mod.name}: {type(err).__name__}: {err}") from None
        for cls in _model_classes(module):
            name = _model_name(cls, mod.name)
            found[name] = ModelInfo(name, cls)
    return dict(sorted(found.items()))


def load(ref: str) -> ModelInfo:
    """A model by name (`classic.die_hard`) or by file (`my_model.py` or `my_model.py:Class`)."""
    if ".py:" in ref or ref.endswith(".py"):
        path, _, cls_name = ref.rpartition(":") if ".py:" in ref else (ref, "", "")
        info = _load_file(path, cls_name)
        if info.file is not None:
            _LOADED_FILES[ref] = info.file
        return info
    name = ref.replace("-", "_")
    try:
        module = importlib.import_module(f"{MODELS_PACKAGE}.{name}")
    except ModuleNotFoundError as err:
        if err.name and not f"{MODELS_PACKAGE}.{name}".startswith(err.name):
            raise RegistryError(f"model {ref} needs the module {err.name}, which is not installed") from None
        known = list(discover())
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise RegistryError(
            f"unknown model {ref!r}{hint}; `replicheck list` shows the models: {', '.join(known)}"
        ) from None
    classes = _model_classes(module)
    if len(classes) != 1:
        named = [c for c in classes if _model_name(c, module.__name__) == name]
        if len(named) == 1:
            return ModelInfo(name, named[0])
        raise RegistryError(f"module {MODELS_PACKAGE}.{name} defines {len(classes)} models; expected one")
    return ModelInfo(_model_name(classes[0], module.__name__), classes[0])


def _load_file(path: str, cls_name: str) -> ModelInfo:
    if not os.path.isfile(path):
        what = "is a directory, not a model file" if os.path.isdir(path) else "does not exist"
        raise RegistryError(f"no model file {path}: it {what}")
    module, sha256 = _import_user_file(path)
    classes = _model_classes(module)
    if cls_name:
        named = [c for c in classes if c.__name__ == cls_name]
        if not named:
            found = ", ".join(c.__name__ for c in classes) or "none"
            raise RegistryError(f"{path} defines no Model class {cls_name} (it defines: {found})")
        classes = named
    if len(classes) != 1:
        names = ", ".join(c.__name__ for c in classes) or "none"
        raise RegistryError(
            f"{path} must define exactly one Model subclass (found: {names}); "
            f"name one with {path}:ClassName"
        )
    cls = classes[0]
    file = ModelFile(os.path.abspath(path), path, sha256, cls.__name__)
    return ModelInfo(cls.name or cls.__name__, cls, file)


# --- importing a user's file ------------------------------------------------------------------
#
# A model file is executed fresh on every load (never from a cached module or bytecode), so a
# load sees the file as it is now and the recorded hash is of the bytes that ran. While it runs,
# `_UserFinder` serves top-level imports from the file's folder (as Python does for a script's
# folder) without putting that folder on sys.path. Afterwards every module it served is taken
# out of sys.modules again: the loaded objects keep their modules alive, and the next user file
# (another folder, its own `helpers.py`) cannot be handed this one's modules. A file inside a
# package folder (one with `__init__.py`) is imported under its dotted name, from the folder
# above its outermost package, so its relative imports work too.


class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Compiles from the source every time: never reads nor writes bytecode in the user's folder."""

    def __init__(self, fullname: str, path: str, hashes: dict[str, str]) -> None:
        super().__init__(fullname, path)
        self._hashes = hashes

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        data = self.get_data(path)
        self._hashes[os.path.abspath(path)] = hashlib.sha256(data).hexdigest()
        return compile(data, path, "exec", dont_inherit=True)


class _UserFinder(importlib.abc.MetaPathFinder):
    """Finds the top-level modules of a user's folders, and their submodules, while one model
    file is being imported."""

    def __init__(self, folders: list[str]) -> None:
        self.folders = folders
        self.served: set[str] = set()  # top-level names found in the folders
        self.hashes: dict[str, str] = {}  # absolute path -> sha256 of the source that ran

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        head, _, _ = fullname.partition(".")
        if "." not in fullname:
            dirs = self.folders
        elif head in self.served:
            dirs = list(path or [])
        else:
            return None
        leaf = fullname.rpartition(".")[2]
        for folder in dirs:
            spec = self._spec(fullname, path, folder, leaf)
            if spec is not None:
                self.served.add(head)
                return spec
        return None

    def _spec(
        self, fullname: str, path: Sequence[str] | None, folder: str, leaf: str
    ) -> importlib.machinery.ModuleSpec | None:
        package = os.path.join(folder, leaf)
        init = os.path.join(package, "__init__.py")
        if os.path.isfile(init):
            return importlib.util.spec_from_file_location(
                fullname, init, loader=_SourceOnlyLoader(fullname, init, self.hashes),
                submodule_search_locations=[package],
            )
        source = package + ".py"
        if os.path.isfile(source):
            return importlib.util.spec_from_file_location(
                fullname, source, loader=_SourceOnlyLoader(fullname, source, self.hashes)
            )
        if os.path.isdir(package) and leaf.isidentifier():
            # a folder without __init__.py: a namespace package, unless a real module of that
            # name is installed (which Python would prefer too)
            other = importlib.machinery.PathFinder.find_spec(fullname, path)
            if other is not None and other.origin is not None:
                return None
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [package, *(other.submodule_search_locations or [] if other else [])]
            return spec
        return None


def _package_parts(path: str) -> tuple[str, list[str]]:
    """(the folder to import from, the dotted parts of the file's module name): the file's own
    folder and its stem, or, inside package folders, the folder above the outermost one."""
    folder = os.path.dirname(path)
    parts = [os.path.splitext(os.path.basename(path))[0]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        parts.insert(0, os.path.basename(folder))
        folder = parent
    if len(parts) > 1 and all(p.isidentifier() for p in parts):
        return folder, parts
    return os.path.dirname(path), parts[-1:]


def _import_user_file(given: str) -> tuple[ModuleType, str]:
    """The module executed from the file `given` and the sha256 of its source."""
    path = os.path.abspath(given)
    root, parts = _package_parts(path)
    folders = [root] if len(parts) == 1 else [root, os.path.dirname(path)]
    finder = _UserFinder(folders)
    saved: dict[str, ModuleType] = {}
    if len(parts) == 1:
        digest = hashlib.sha256(path.encode("utf-8")).hexdigest()[:12]
        mod_name = f"replicheck_user_{digest}_{parts[0]}"
        sys.modules.pop(mod_name, None)
        loader = _SourceOnlyLoader(mod_name, path, finder.hashes)
        spec = importlib.util.spec_from_file_location(mod_name, path, loader=loader)
        if spec is None:  # pragma: no cover - a .py path always has a spec
            raise RegistryError(f"cannot load {given} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
    else:
        mod_name = ".".join(parts)
        taken = sys.modules.get(parts[0])
        package = os.path.realpath(os.path.join(root, parts[0]))
        if taken is not None and os.path.realpath(os.path.dirname(getattr(taken, "__file__", None) or "")) == package:
            # the same package, imported before (by the user's own code): set it aside while the
            # model file is loaded through the finder, and put it back after
            saved = {n: m for n, m in sys.modules.items() if n == parts[0] or n.startswith(parts[0] + ".")}
            for n in saved:
                del sys.modules[n]
            taken = None
        if taken is not None:
            where = getattr(taken, "__file__", None) or "a module of this Python"
            raise RegistryError(
                f"cannot import {given} as {mod_name} (its folder is a package): the name {parts[0]} "
                f"is already the module {where}; rename the package folder {os.path.join(root, parts[0])}"
            )
    where = next((i for i, f in enumerate(sys.meta_path) if f is importlib.machinery.PathFinder), 0)
    sys.meta_path.insert(where, finder)
    importlib.invalidate_caches()
    try:
        if len(parts) == 1:
            loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except ModelError:
        raise
    except SyntaxError as err:
        raise RegistryError(f"{err.filename or given}:{err.lineno}: syntax error: {err.msg}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # the file's own code: an exception, sys.exit(), a RecursionError
        raise from_exception(err, f"importing {given}") from err
    finally:
        sys.meta_path.remove(finder)
        for name in list(sys.modules):
            if name.partition(".")[0] in finder.served:
                del sys.modules[name]
        sys.modules.update(saved)
    if os.path.abspath(getattr(module, "__file__", "") or "") != path or path not in finder.hashes:
        raise RegistryError(  # pragma: no cover - guarded by the `taken` check above
            f"cannot import {given} as {mod_name}: that name is the module {getattr(module, '__file__', '?')}"
        )
    return module, finder.hashes[path]


def loaded_file(ref: str) -> ModelFile | None:
    """The model file the last `load(ref)` in this process loaded (None for a shipped model or a
    ref not loaded): what a trace found by a run of that model records."""
    return _LOADED_FILES.get(ref)


_LOADED_FILES: dict[str, ModelFile] = {}


def load_for_trace(name: str, recorded: Mapping[str, str] | None, override: str | None = None) -> tuple[ModelInfo, str | None]:
    """The model to replay a trace against, and a note if its file is not the one the trace recorded.

    `name` is the model the trace names, `recorded` its "model_file" (path, given, sha256, class;
    None for a shipped model), `override` the user's `--model` (a file path.py[:Class] or a name).
    Without an override: the recorded absolute path, else the recorded path as given (relative
    to the current folder), else `name` among the shipped models. The note (None if the
    file's sha256 is the recorded one) says the file changed since the trace was written."""
    if override is not None:
        if recorded is not None and (override.endswith(".py") or ".py:" in override):
            path, _, cls_name = override.rpartition(":") if ".py:" in override else (override, "", "")
            return _load_recorded(path, {**recorded, "class": cls_name or recorded["class"]}, moved=True)
        return load(override), None
    if recorded is None:
        try:
            return load(name), None
        except RegistryError as err:
            raise RegistryError(
                f"{err}. If {name} is a model in a file of yours, give the file with --model FILE"
            ) from None
    path, given = recorded["path"], recorded["given"]
    for candidate in (path, given):
        if os.path.isfile(candidate):
            return _load_recorded(candidate, recorded)
    moved = f" (nor {given} from here)" if given != path and not os.path.isabs(given) else ""
    raise RegistryError(
        f"the trace's model file {path} does not exist{moved}; if it moved, give it with --model FILE"
    )


def _load_recorded(path: str, recorded: Mapping[str, str], moved: bool = False) -> tuple[ModelInfo, str | None]:
    if not os.path.isfile(path):
        return _load_file(path, ""), None  # raises the one-line reason
    try:
        now = file_sha256(path)
    except OSError as err:
        raise RegistryError(f"cannot read the model file {path}: {err.strerror or err}") from None
    note = None
    if now != recorded["sha256"]:
        what = (f"is not the file the trace was written with ({recorded['path']})" if moved
                else "has changed since the trace was written")
        note = f"the model file {path} {what}: sha256 {recorded['sha256'][:12]}... then, {now[:12]}... now"
    try:
        info = _load_file(path, recorded["class"])
    except RegistryError as err:
        raise RegistryError(f"{note}, and the model does not load: {err}" if note else str(err)) from None
    return info, note


def file_sha256(path: str) -> str:
    """The sha256 of a file's bytes, as `ModelFile.sha256` records it."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_settings(cls: type[Model], pairs: list[str], flag: str = "--set") -> dict[str, Any]:
    """`["Node=3", "fencing=false"]` -> {"Node": 3, "fencing": False}, typed by the model
    (`flag` names the option in the messages: `sweep --grid` parses its values so too)."""
    shape = model_shape(cls)
    out: dict[str, Any] = {}
    for pair in pairs:
        key, eq, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        raw = raw.strip()
        if not eq or not key or not raw:
            raise RegistryError(f"{flag} expects NAME=VALUE, got {pair!r}")
        if key in shape.sorts:
            try:
                out[key] = int(raw)
            except ValueError:
                raise RegistryError(f"{flag} {key}: the size of a sort is a whole number, got {raw!r}") from None
            if out[key] < 1:
                raise RegistryError(f"{flag} {key}: the size of a sort must be at least 1, got {raw}")
        elif key in shape.settings:
            default = shape.settings[key]
            if isinstance(default, bool):
                if raw.lower() not in _TRUE | _FALSE:
                    raise RegistryError(f"{flag} {key}: expected true or false (or yes/no, on/off, 1/0), got {raw!r}")
                out[key] = raw.lower() in _TRUE
            elif isinstance(default, int):
                try:
                    out[key] = int(raw)
                except ValueError:
                    raise RegistryError(f"{flag} {key}: expected a whole number, got {raw!r}") from None
            else:
                out[key] = raw
        else:
            known = list(shape.sorts) + list(shape.settings)
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise RegistryError(
                f"{flag} {key}: {_model_name(cls, cls.__module__)} has no such setting{hint}; "
                f"its settings are: {', '.join(known) or '(none)'}"
            )
    return out
