"""Finding models by name: `classic.die_hard`, or a user's file `path/to/model.py[:Class]`.

Owns: discovery of the models shipped in the `models` package (imported by name at run time,
never statically, so the engine does not depend on any model), loading one model class by
name or path, and parsing `--set K=V` settings against a model's declared sorts and settings.

Must not import: `models`, `properties` (statically), z3, numpy, hypothesis.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import os
import pkgutil
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from replicheck.lang.errors import ModelError
from replicheck.lang.model import Model, model_shape

MODELS_PACKAGE = "replicheck.models"


class RegistryError(Exception):
    """A model name, path or setting that cannot be resolved (a usage error: exit 2)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    cls: type[Model]

    @property
    def doc(self) -> str:
        """The first paragraph of the model's own docstring (never a base class's), else of its module's."""
        own = self.cls.__dict__.get("__doc__") or sys.modules[self.cls.__module__].__doc__ or ""
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
    if ".py:" in ref:
        path, cls_name = ref.rsplit(":", 1)
        return _load_file(path, cls_name)
    if ref.endswith(".py"):
        return _load_file(ref, "")
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
        raise RegistryError(f"no model file {path}")
    mod_name = "replicheck_user_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise RegistryError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except ModelError:
        raise
    except SyntaxError as err:
        raise RegistryError(f"{path}:{err.lineno}: syntax error: {err.msg}") from None
    except Exception as err:
        raise RegistryError(f"{path}: importing it raised {type(err).__name__}: {err}") from None
    classes = _model_classes(module)
    if cls_name:
        classes = [c for c in classes if c.__name__ == cls_name]
    if len(classes) != 1:
        names = ", ".join(c.__name__ for c in _model_classes(module)) or "none"
        raise RegistryError(
            f"{path} must define exactly one Model subclass (found: {names}); "
            f"name one with {path}:ClassName"
        )
    return ModelInfo(classes[0].name or classes[0].__name__, classes[0])


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_settings(cls: type[Model], pairs: list[str]) -> dict[str, Any]:
    """`["Node=3", "fencing=false"]` -> {"Node": 3, "fencing": False}, typed by the model."""
    shape = model_shape(cls)
    out: dict[str, Any] = {}
    for pair in pairs:
        key, eq, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        raw = raw.strip()
        if not eq or not key or not raw:
            raise RegistryError(f"--set expects NAME=VALUE, got {pair!r}")
        if key in shape.sorts:
            try:
                out[key] = int(raw)
            except ValueError:
                raise RegistryError(f"--set {key}: the size of a sort is a whole number, got {raw!r}") from None
            if out[key] < 1:
                raise RegistryError(f"--set {key}: the size of a sort must be at least 1, got {raw}")
        elif key in shape.settings:
            default = shape.settings[key]
            if isinstance(default, bool):
                if raw.lower() not in _TRUE | _FALSE:
                    raise RegistryError(f"--set {key}: expected true or false, got {raw!r}")
                out[key] = raw.lower() in _TRUE
            elif isinstance(default, int):
                try:
                    out[key] = int(raw)
                except ValueError:
                    raise RegistryError(f"--set {key}: expected a whole number, got {raw!r}") from None
            else:
                out[key] = raw
        else:
            known = list(shape.sorts) + list(shape.settings)
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise RegistryError(
                f"--set {key}: {_model_name(cls, cls.__module__)} has no such setting{hint}; "
                f"its settings are: {', '.join(known) or '(none)'}"
            )
    return out
