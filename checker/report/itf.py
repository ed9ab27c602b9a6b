"""Traces as JSON in the Informal Trace Format (ITF) that Apalache and Quint read and write.

Owns: `trace_to_itf` (a `Trace` as an ITF object), `source_of` (the one place that says which
model, settings, variant and model file a trace records), `itf_to_json` (stable text: sorted keys,
indented), `write_itf`, and the value encoding both ways (`var_to_itf`, `var_from_itf`,
`value_to_itf`, `value_from_itf`), which `replicheck.report.replay` uses to read a file back.

The format (https://apalache-mc.org/docs/adr/015adr-trace.html):

    {"#meta": {"format": "ITF", "format-description": ..., "source": <model name>,
               "description": ..., "replicheck": {"version": 1, "model", "settings",
               "variant", "property", "kind", "status", "message", "model_file"}},
     "vars": [<state variable names, in declaration order>],
     "states": [{"#meta": {"index": i, "action": <family, or "init">, "params": {...}},
                 <var>: <value>, ...}, ...],
     "loop": <index of the state where a lasso's cycle starts>}      (only for a lasso)

"model_file" is there only for a model loaded from a user's file (not one shipped in
`replicheck.models`): {"path": <absolute>, "given": <as on the command line>, "sha256": <hex
digest of the file's bytes>, "class": <the Model class's name>}, so that `report` can load the
file again and say whether it changed.

Values, by the variable's declared type:

    Int                 {"#bigint": "3"}            (a plain JSON integer is accepted on input)
    Bool                true / false
    Enum value          "primary"                   (its name)
    sort element        "n1"                        (its name)
    element or none     {"tag": "Some", "value": "n1"} / {"tag": "None", "value": {"#tup": []}}
                        (Quint's Option variant, so a sort element named "none" stays unambiguous)
    Map(K, V)           {"#map": [[k, v], ...]}     every key once, in declaration order
    Map(K1, K2, V)      {"#map": [[{"#tup": [k1, k2]}, v], ...]}
    SetOf(K)            {"#set": [k, ...]}          members in declaration order

Action parameters in a state's "#meta" use the same encoding, by the parameter's type.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir` and `replicheck.report`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Protocol

from replicheck.ir import Action, Program, State, StateVar
from replicheck.ir.types import NONE_INDEX, BoolType, ElemType, EnumType, IntType, Type, show

from .results import Trace, Verdict

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
REPLICHECK_TRACE_VERSION = 1

_NONE: dict[str, Any] = {"tag": "None", "value": {"#tup": []}}


# --- values ---------------------------------------------------------------------------------


def value_to_itf(t: Type, value: int) -> Any:
    """One encoded slot value as ITF JSON, by its type."""
    if isinstance(t, BoolType):
        return bool(value)
    if isinstance(t, IntType):
        return {"#bigint": str(value)}
    if isinstance(t, EnumType):
        return t.values[value] if 0 <= value < len(t.values) else {"#bigint": str(value)}
    name: Any = t.names[value] if 0 <= value < t.size else {"#bigint": str(value)}
    if not t.has_none:
        return name
    if value == NONE_INDEX:
        return {"tag": "None", "value": {"#tup": []}}
    return {"tag": "Some", "value": name}


def _short(j: Any) -> str:
    text = json.dumps(j, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def value_from_itf(t: Type, j: Any) -> int:
    """The inverse of `value_to_itf`; raises ValueError saying what was expected."""
    if isinstance(t, BoolType):
        if isinstance(j, bool):
            return int(j)
        raise ValueError(f"{_short(j)} is not a Bool (expected true or false)")
    if isinstance(t, IntType):
        if isinstance(j, dict) and set(j) == {"#bigint"} and isinstance(j["#bigint"], str):
            try:
                return int(j["#bigint"])
            except ValueError:
                pass
        elif isinstance(j, int) and not isinstance(j, bool):
            return j
        raise ValueError(f'{_short(j)} is not an integer (expected {{"#bigint": "<digits>"}})')
    if isinstance(t, EnumType):
        if isinstance(j, str) and j in t.values:
            return t.values.index(j)
        raise ValueError(f"{_short(j)} is not a value of {t.name} (one of {', '.join(t.values)})")
    if t.has_none:
        if isinstance(j, dict) and set(j) == {"tag", "value"}:
            if j["tag"] == "None" and j["value"] == _NONE["value"]:
                return NONE_INDEX
            if j["tag"] == "Some":
                return _elem_from_itf(t, j["value"])
        raise ValueError(
            f'{_short(j)} is not a {t.sort} or none (expected {{"tag": "Some", "value": "<name>"}} '
            f'or {{"tag": "None", "value": {{"#tup": []}}}})'
        )
    return _elem_from_itf(t, j)


def _elem_from_itf(t: ElemType, j: Any) -> int:
    if isinstance(j, str) and j in t.names:
        return t.names.index(j)
    raise ValueError(f"{_short(j)} is not an element of {t.sort} (one of {', '.join(t.names)})")


# --- variables ------------------------------------------------------------------------------


def _key_to_itf(program: Program, slot_index: int) -> Any:
    slot = program.slots[slot_index]
    parts = [value_to_itf(t, k) for t, k in zip(slot.key_types, slot.key, strict=True)]
    return parts[0] if len(parts) == 1 else {"#tup": parts}


def var_to_itf(program: Program, var: StateVar, state: State) -> Any:
    """One state variable as ITF JSON."""
    if var.kind == "scalar":
        return value_to_itf(var.value.type, state[var.first_slot])
    if var.kind == "set":
        return {"#set": [_key_to_itf(program, i) for i in var.slot_range() if state[i]]}
    return {"#map": [[_key_to_itf(program, i), value_to_itf(var.value.type, state[i])] for i in var.slot_range()]}


def _key_from_itf(var: StateVar, j: Any) -> tuple[int, ...]:
    types = [k.type for k in var.keys]
    if len(types) == 1:
        return (value_from_itf(types[0], j),)
    if not (isinstance(j, dict) and set(j) == {"#tup"} and isinstance(j["#tup"], list)):
        raise ValueError(f'the key {_short(j)} is not a tuple (expected {{"#tup": [...]}})')
    if len(j["#tup"]) != len(types):
        raise ValueError(f"the key {_short(j)} has {len(j['#tup'])} parts, not {len(types)}")
    return tuple(value_from_itf(t, part) for t, part in zip(types, j["#tup"], strict=True))


def _show_key(program: Program, var: StateVar, key: tuple[int, ...]) -> str:
    return ", ".join(show(d.type, k) for d, k in zip(var.keys, key, strict=True))


def var_from_itf(program: Program, var: StateVar, j: Any) -> list[int]:
    """The slot values of `var` from ITF JSON, in slot order; raises ValueError with the reason.

    Only the encoding is checked here; whether an Int lies in its declared range is for the
    caller (`Program.out_of_domain`)."""
    if var.kind == "scalar":
        return [value_from_itf(var.value.type, j)]
    slot_of = {program.slots[i].key: i for i in var.slot_range()}
    values: dict[int, int] = {}
    if var.kind == "set":
        if not (isinstance(j, dict) and set(j) == {"#set"} and isinstance(j["#set"], list)):
            raise ValueError(f'{_short(j)} is not a set (expected {{"#set": [...]}})')
        for elem in j["#set"]:
            key = _key_from_itf(var, elem)
            if key not in slot_of:
                raise ValueError(f"{_short(elem)} cannot be a member")
            values[slot_of[key]] = 1
        return [values.get(i, 0) for i in var.slot_range()]
    if not (isinstance(j, dict) and set(j) == {"#map"} and isinstance(j["#map"], list)):
        raise ValueError(f'{_short(j)} is not a map (expected {{"#map": [[key, value], ...]}})')
    for pair in j["#map"]:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ValueError(f"the map entry {_short(pair)} is not a [key, value] pair")
        key = _key_from_itf(var, pair[0])
        if key not in slot_of:
            raise ValueError(f"{_short(pair[0])} is not a key of this map")
        slot = slot_of[key]
        if slot in values:
            raise ValueError(f"the key {_show_key(program, var, key)} appears twice")
        try:
            values[slot] = value_from_itf(var.value.type, pair[1])
        except ValueError as e:
            raise ValueError(f"at key {_show_key(program, var, key)}: {e}") from None
    missing = [i for i in var.slot_range() if i not in values]
    if missing:
        names = ", ".join(_show_key(program, var, program.slots[i].key) for i in missing[:4])
        more = " ..." if len(missing) > 4 else ""
        raise ValueError(f"it has no entry for the key {names}{more}")
    return [values[i] for i in var.slot_range()]


# --- actions --------------------------------------------------------------------------------


def find_instance(program: Program, family: str | None, params: Mapping[str, Any]) -> Action | None:
    """The action (or, for family None / "init", init) instance with these decoded params."""
    pool = program.inits if family in (None, "init") else program.actions
    name = "init" if family is None else family
    wanted = dict(params)
    for a in pool:
        if a.family == name and a.param_values() == wanted:
            return a
    return None


def params_to_itf(action: Action) -> dict[str, Any]:
    return {p.name: value_to_itf(p.type, p.value) for p in action.params}


def _untyped(v: Any) -> Any:
    if v is None:
        return dict(_NONE)
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return {"#bigint": str(v)}
    return str(v)


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


# --- traces ---------------------------------------------------------------------------------


class _Source(Protocol):
    model: str
    settings: dict[str, Any]
    variant: str | None


def source_of(result: _Source, model_file: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `source` argument of `trace_to_itf` for a trace found by a run with this result
    (a `CheckResult`: its model, settings and variant), and the model file it was loaded from
    (`ModelFile.as_json()` of `replicheck.registry`; None for a shipped model)."""
    source: dict[str, Any] = {"model": result.model, "settings": result.settings, "variant": result.variant}
    if model_file is not None:
        source["model_file"] = dict(model_file)
    return source


def trace_to_itf(
    trace: Trace, verdict: Verdict | None = None, source: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The trace as an ITF object. `source` (see `source_of`) gives "model", "settings" and
    "variant", each defaulting to the trace's program's, and "model_file" (recorded if given)."""
    program = trace.program
    src = dict(source or {})
    model = str(src.get("model", program.name))
    settings = _jsonable(dict(src.get("settings", program.settings)))
    variant = src.get("variant", program.variant)
    if verdict is not None:
        what = {"violated": "A counterexample to", "holds": "A witness for"}.get(verdict.status, "A trace for")
        description = f"{what} the {verdict.kind} {verdict.property} of {model}, written by replicheck"
    else:
        description = f"A trace of {model}, written by replicheck"
    pc: dict[str, Any] = {
        "version": REPLICHECK_TRACE_VERSION,
        "model": model,
        "settings": settings,
        "variant": variant,
    }
    if src.get("model_file") is not None:
        pc["model_file"] = {str(k): str(v) for k, v in dict(src["model_file"]).items()}
    if verdict is not None:
        pc.update(property=verdict.property, kind=verdict.kind, status=verdict.status, message=verdict.message)
    states = []
    for i, step in enumerate(trace.steps):
        family = step.action if step.action is not None else "init"
        params = dict(step.params)
        instance = find_instance(program, family, params)
        if instance is not None:
            itf_params = params_to_itf(instance)
        else:
            itf_params = {k: _untyped(v) for k, v in step.params}
        entry: dict[str, Any] = {"#meta": {"index": i, "action": family, "params": itf_params}}
        for var in program.vars:
            entry[var.name] = var_to_itf(program, var, step.state)
        states.append(entry)
    data: dict[str, Any] = {
        "#meta": {
            "format": "ITF",
            "format-description": FORMAT_DESCRIPTION,
            "source": model,
            "description": description,
            "replicheck": pc,
        },
        "vars": [v.name for v in program.vars],
        "states": states,
    }
    if trace.loop_start is not None:
        data["loop"] = trace.loop_start
    return data


def itf_to_json(data: Mapping[str, Any], ascii_only: bool = False) -> str:
    """Stable text: keys sorted, two-space indent, a final newline. `ascii_only` writes every
    non-ASCII character as a \\u escape (for a terminal: a file read back may hold C1 controls
    or bidi overrides, which JSON would otherwise leave as they are)."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=ascii_only, allow_nan=False) + "\n"


def write_itf(path: str | os.PathLike[str], data: Mapping[str, Any]) -> None:
    """Write `itf_to_json(data)` to `path` (through a temporary file, so never half-written)."""
    text = itf_to_json(data)
    target = os.fspath(path)
    tmp = f"{target}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, target)
