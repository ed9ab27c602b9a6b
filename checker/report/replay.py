"""Reading a trace file back and replaying it against the model.

Owns: `TraceFileError` (a one-line, human reason a trace file cannot be used),
`load_trace_file` (parse JSON, check the ITF shape and the replicheck version; never
unpickles, never evaluates anything from the file), `trace_source` (which model, settings and
variant the trace was made with), `trace_model_file` (the user's model file it records, checked
for shape only: loading it is for `replicheck.registry`), and `replay` (decode every state, then check that the first
is an initial state of the model and each later one follows from its predecessor by some
action, through the reference evaluator; the result is a `Trace` any renderer can show).

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir`, `replicheck.backends.reference` and `replicheck.report`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator

from replicheck.backends.reference import ModelRuntimeError, fire, initial_states
from replicheck.errors import TraceFileProblem
from replicheck.ir import Action, Program, State

from .changes import state_changes
from .itf import REPLICHECK_TRACE_VERSION, value_from_itf, var_from_itf
from .results import Step, Trace, Verdict


class TraceFileError(TraceFileProblem):
    """A trace file that cannot be read or replayed; `str()` is one line saying why."""


# --- loading --------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_trace_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed trace file, its shape and replicheck version checked."""
    where = os.fspath(path)
    try:
        with open(where, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise TraceFileError(f"cannot read the trace file {where}: it does not exist") from None
    except IsADirectoryError:
        raise TraceFileError(f"cannot read the trace file {where}: it is a directory") from None
    except UnicodeDecodeError:
        raise TraceFileError(f"{where} is not a JSON trace file: it is not UTF-8 text") from None
    except OSError as e:
        raise TraceFileError(f"cannot read the trace file {where}: {e.strerror or e}") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise TraceFileError(
            f"{where} is not JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    except (ValueError, RecursionError) as e:
        raise TraceFileError(f"{where} is not JSON: {e}") from None
    check_shape(data, where)
    return data  # type: ignore[no-any-return]


def _kind(j: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(j), "a number" if isinstance(j, (int, float)) else "null"
    )


def check_shape(data: Any, where: str = "the trace") -> None:
    """Raise TraceFileError unless `data` looks like an ITF trace written by replicheck."""
    if not isinstance(data, dict):
        raise TraceFileError(f"{where} is not an ITF trace: its top level is {_kind(data)}, not an object")
    meta = data.get("#meta")
    if not isinstance(meta, dict):
        raise TraceFileError(f'{where} is not an ITF trace: it has no "#meta" object')
    states = data.get("states")
    if not isinstance(states, list):
        raise TraceFileError(f'{where} is not an ITF trace: it has no "states" list')
    if not states:
        raise TraceFileError(f'{where} has no states: its "states" list is empty')
    pc = meta.get("replicheck")
    if not isinstance(pc, dict) or "version" not in pc:
        raise TraceFileError(
            f'{where} was not written by replicheck (no "#meta"."replicheck"."version"), so it cannot be replayed'
        )
    version = pc["version"]
    if version != REPLICHECK_TRACE_VERSION or isinstance(version, bool):
        raise TraceFileError(
            f"{where} is a replicheck trace of version {json.dumps(version)}; "
            f"this replicheck reads version {REPLICHECK_TRACE_VERSION}"
        )


def trace_source(data: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    """(model name, settings, variant) the trace was made with, from its "#meta"."""
    check_shape(data)
    pc = data["#meta"]["replicheck"]
    model = pc.get("model")
    if not isinstance(model, str) or not model:
        raise TraceFileError('the trace does not name its model ("#meta"."replicheck"."model")')
    settings = pc.get("settings", {})
    if not isinstance(settings, dict) or not all(isinstance(k, str) for k in settings):
        raise TraceFileError('the trace\'s settings ("#meta"."replicheck"."settings") are not an object')
    for k, v in settings.items():
        if not (v is None or isinstance(v, (bool, int, float, str))):
            raise TraceFileError(f"the trace's setting {k} is {_kind(v)}, not a number, boolean or string")
    variant = pc.get("variant")
    if variant is not None and not isinstance(variant, str):
        raise TraceFileError('the trace\'s variant ("#meta"."replicheck"."variant") is not a string')
    return model, dict(settings), variant


_MODEL_FILE_KEYS = ("path", "given", "sha256", "class")


def trace_model_file(data: dict[str, Any]) -> dict[str, str] | None:
    """The model file the trace records ("#meta"."replicheck"."model_file": path, given, sha256,
    class; see `replicheck.report.itf`), or None for a trace of a shipped model."""
    check_shape(data)
    recorded = data["#meta"]["replicheck"].get("model_file")
    if recorded is None:
        return None
    where = '"#meta"."replicheck"."model_file"'
    if not isinstance(recorded, dict):
        raise TraceFileError(f"the trace's {where} is {_kind(recorded)}, not an object")
    for key in _MODEL_FILE_KEYS:
        value = recorded.get(key)
        if not isinstance(value, str) or not value:
            what = "missing" if value is None else f"{_kind(value)}, not a non-empty string"
            raise TraceFileError(f'the trace\'s {where}."{key}" is {what}')
    digest = recorded["sha256"]
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise TraceFileError(f'the trace\'s {where}."sha256" is not a sha256 digest (64 hex digits): {digest!r}')
    if not os.path.isabs(recorded["path"]):
        raise TraceFileError(f'the trace\'s {where}."path" is not an absolute path: {recorded["path"]!r}')
    return {key: recorded[key] for key in _MODEL_FILE_KEYS}


def trace_verdict(data: dict[str, Any], trace: Trace | None = None) -> Verdict | None:
    """The verdict the file records ("#meta"."replicheck": property, kind, status, message), with
    `trace` attached, or None if it records none; render it with the replayed trace."""
    check_shape(data)
    pc = data["#meta"]["replicheck"]
    prop = pc.get("property")
    if not isinstance(prop, str) or not prop:
        return None
    fields = {k: pc.get(k, "") for k in ("kind", "status", "message")}
    for k, v in fields.items():
        if not isinstance(v, str):
            raise TraceFileError(f'the trace\'s "#meta"."replicheck"."{k}" is {_kind(v)}, not a string')
    return Verdict(prop, fields["kind"], fields["status"], fields["message"], trace)


# --- replay ---------------------------------------------------------------------------------


def _fire(action: Action, state: State) -> State | None:
    try:
        return fire(action, state)
    except ModelRuntimeError:
        return None


def _diff(program: Program, before: State, after: State, limit: int = 4) -> str:
    changes = state_changes(program, before, after)
    parts = [f"{c.name}: {c.old} -> {c.new}" for c in changes[:limit]]
    if len(changes) > limit:
        parts.append("...")
    return ", ".join(parts) or "nothing changes"


def _compare(program: Program, got: State, want: State, what: str, limit: int = 4) -> str:
    """`big = 5 where the file has big = 4, ...`: how `got` differs from the file's `want`."""
    changes = state_changes(program, want, got)
    parts = [f"{c.name} = {c.new} where {what} has {c.name} = {c.old}" for c in changes[:limit]]
    if len(changes) > limit:
        parts.append("...")
    return ", ".join(parts)


def _decode_state(program: Program, j: Any, i: int, allow_out_of_domain: bool) -> State:
    if not isinstance(j, dict):
        raise TraceFileError(f"state {i} is {_kind(j)}, not an object")
    meta = j.get("#meta")
    if isinstance(meta, dict) and "index" in meta and meta["index"] != i:
        raise TraceFileError(f"state {i} says it is state {json.dumps(meta['index'])} (its #meta index)")
    names = [v.name for v in program.vars]
    unknown = [k for k in j if k != "#meta" and k not in names]
    if unknown:
        raise TraceFileError(
            f"state {i} has the variable {unknown[0]}, which {program.name} does not declare "
            f"(its variables are {', '.join(names)})"
        )
    values: list[int] = []
    for var in program.vars:
        if var.name not in j:
            raise TraceFileError(f"state {i} has no value for the variable {var.name}")
        try:
            values.extend(var_from_itf(program, var, j[var.name]))
        except ValueError as e:
            raise TraceFileError(f"state {i}: the value of {var.name} is wrong: {e}") from None
    state: State = tuple(values)
    for slot in program.out_of_domain(state):
        if allow_out_of_domain:
            continue
        raise TraceFileError(
            f"state {i}: {slot.name} = {state[slot.index]} is outside its domain {slot.domain.describe()}"
        )
    return state


def _claim(j: Any) -> tuple[str | None, Any]:
    meta = j.get("#meta") if isinstance(j, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("action"), str):
        return None, None
    return meta["action"], meta.get("params", {})


def _claimed_instance(pool: tuple[Action, ...], family: str, params: Any, i: int, program: Program) -> Action:
    """The instance of `family` whose parameters are `params` (ITF JSON), or TraceFileError."""
    candidates = [a for a in pool if a.family == family]
    if not candidates:
        raise TraceFileError(f"step {i} claims the action {family}, which {program.name} does not have")
    if not isinstance(params, dict):
        raise TraceFileError(f"step {i}: the parameters of {family} are {_kind(params)}, not an object")
    for a in candidates:
        if set(params) != {p.name for p in a.params}:
            continue
        try:
            if all(value_from_itf(p.type, params[p.name]) == p.value for p in a.params):
                return a
        except ValueError:
            continue
    shown = ", ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in params.items())
    expected = ", ".join(p.name for p in candidates[0].params) or "no parameters"
    raise TraceFileError(
        f"step {i} claims {family}({shown}), which is not an instance of {family} in {program.name} "
        f"(it takes {expected})"
    )


def _initial(program: Program, j: Any, state: State) -> Action:
    family, params = _claim(j)
    inits = list(initial_states(program))
    if not inits:
        raise TraceFileError(f"{program.name} has no initial state, so no trace of it can be replayed")
    if family is not None and family == "init":
        claimed = _claimed_instance(program.inits, "init", params, 0, program)
        got = _fire(claimed, state)
        if got == state:
            return claimed
    for a, s in inits:
        if s == state:
            return a
    nearest = min((s for _, s in inits), key=lambda s: sum(x != y for x, y in zip(s, state, strict=True)))
    which = "the initial state" if len(inits) == 1 else "the nearest initial state"
    raise TraceFileError(
        f"state 0 is not an initial state of {program.name}: it has "
        + _compare(program, state, nearest, which)
    )


def _matching(program: Program, before: State, after: State) -> Iterator[Action]:
    for a in program.actions:
        if _fire(a, before) == after:
            yield a


def _step(program: Program, j: Any, i: int, before: State, after: State) -> Action:
    family, params = _claim(j)
    if family is None:
        found = next(_matching(program, before, after), None)
        if found is None:
            raise TraceFileError(
                f"step {i} is not a step of {program.name}: no action leads from state {i - 1} to "
                f"state {i} ({_diff(program, before, after)})"
            )
        return found
    claimed = _claimed_instance(program.actions, family, params, i, program)
    try:
        got = fire(claimed, before)
    except ModelRuntimeError as e:
        why = f"it fails in state {i - 1}: {e}"
    else:
        if got == after:
            return claimed
        if got is None:
            why = f"it is not enabled in state {i - 1}"
        else:
            why = f"from state {i - 1} it leads to {_compare(program, got, after, 'the file')}"
    other = next((a for a in _matching(program, before, after) if a != claimed), None)
    also = (
        f"; the step is {other.label}, not {claimed.label}"
        if other is not None
        else f"; no other action leads from state {i - 1} to state {i} ({_diff(program, before, after)}) either"
    )
    raise TraceFileError(f"step {i} claims {claimed.label}, but {why}{also}")


def _loop(program: Program, data: dict[str, Any], states: list[State]) -> int | None:
    loop = data.get("loop")
    if loop is None:
        return None
    n = len(states)
    if not isinstance(loop, int) or isinstance(loop, bool) or not 0 <= loop < n:
        raise TraceFileError(f'the trace\'s "loop" is {json.dumps(loop)}, not a state index 0..{n - 1}')
    last = states[-1]
    if loop < n - 1 and last == states[loop]:
        return loop  # the file repeats the cycle's first state at its end
    if next(_matching(program, last, states[loop]), None) is None:
        raise TraceFileError(
            f"the trace says it loops back to state {loop}, but no action leads from its last state "
            f"(state {n - 1}) to state {loop}"
        )
    return loop


def replay(program: Program, data: dict[str, Any]) -> Trace:
    """Check the trace against `program` through the reference evaluator; the checked Trace.

    A value outside its variable's declared range is accepted only in the last state of a trace
    whose property kind is "domain" (a domain violation's counterexample ends in such a state)."""
    check_shape(data)
    pc = data["#meta"]["replicheck"]
    model = pc.get("model")
    if isinstance(model, str) and model and model != program.name:
        raise TraceFileError(f"the trace is of the model {model}, not {program.name}")
    vars_ = data.get("vars")
    if vars_ is not None:
        if not isinstance(vars_, list) or not all(isinstance(v, str) for v in vars_):
            raise TraceFileError('the trace\'s "vars" is not a list of variable names')
        names = [v.name for v in program.vars]
        unknown = [v for v in vars_ if v not in names]
        if unknown:
            raise TraceFileError(
                f"the trace has the variable {unknown[0]}, which {program.name} does not declare "
                f"(its variables are {', '.join(names)})"
            )
        missing = [v for v in names if v not in vars_]
        if missing:
            raise TraceFileError(f"the trace has no variable {missing[0]}, which {program.name} declares")
    raw = data["states"]
    domain_trace = pc.get("kind") == "domain"
    states = [
        _decode_state(program, j, i, allow_out_of_domain=domain_trace and i == len(raw) - 1)
        for i, j in enumerate(raw)
    ]
    init = _initial(program, raw[0], states[0])
    steps = [Step("init", tuple(init.param_values().items()), states[0])]
    for i in range(1, len(states)):
        if _claim(raw[i])[0] == STUTTER_ACTION:
            # a lasso may end by staying put forever (a stuttering step, as in TLA+)
            if states[i] != states[i - 1]:
                raise TraceFileError(f"step {i} claims to stutter, but the state changes")
            steps.append(Step(STUTTER_ACTION, (), states[i]))
            continue
        a = _step(program, raw[i], i, states[i - 1], states[i])
        steps.append(Step(a.family, tuple(a.param_values().items()), states[i]))
    return Trace(program, tuple(steps), _loop(program, data, states))


STUTTER_ACTION = "stutter"  # the step label liveness lassos use for "nothing changes"
