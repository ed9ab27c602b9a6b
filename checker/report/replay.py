"""Reading a trace file back and replaying it against the model; a trace file is untrusted input.

Owns: `TraceFileError` (a one-line, human reason a trace file cannot be used; control
characters in it made visible, its length bounded), the limits on a trace file
(`MAX_TRACE_FILE_BYTES`, `MAX_TRACE_NESTING`, `MAX_TRACE_STATES`, `MAX_TRACE_SORT_SIZE`,
`MAX_TRACE_INT_SETTING`), `load_trace_file` (only a regular file, read with a size cap; parse
JSON, check nesting, the ITF shape and the replicheck version; never unpickles, never
evaluates anything from the file), `trace_source` (which model, settings and variant the
trace was made with), `variant_settings` (a trace is replayed against the variant it claims:
that variant's settings win over the file's), `check_settings` (settings so large the model would be huge are refused
before it is built), `trace_model_file` (the user's model file it records, checked for shape
only: loading it is for `replicheck.registry`), `replay` (decode every state, then check that
the first is an initial state of the model and each later one follows from its predecessor by
some action, through the reference evaluator; the result is a `Trace` any renderer can show),
and `verify_claim` (the verdict the file claims, re-evaluated on the replayed trace: the
property exists, and the trace shows what the file says it shows; the liveness check and the
model-error check are passed in by the caller, since they live in `replicheck.explore`).

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir`, `replicheck.backends.reference` and `replicheck.report`.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any, Callable, Collection, Iterator, Mapping, Sequence

from replicheck.backends.reference import ModelRuntimeError, fire, holds, initial_states, successors
from replicheck.errors import TraceFileProblem
from replicheck.ir import Action, Program, Property, State

from .changes import state_changes
from .itf import REPLICHECK_TRACE_VERSION, find_instance, value_from_itf, var_from_itf
from .results import HOLDS, VIOLATED, Step, Trace, Verdict
from .untrusted import clip, visible

MAX_TRACE_FILE_BYTES = 64 * 2**20
"""A trace file larger than this (64 MiB) is refused before it is read."""
MAX_TRACE_NESTING = 64
"""Lists and objects nested deeper than this are refused (a replicheck trace needs about 10)."""
MAX_TRACE_STATES = 100_000
"""A trace with more states than this is refused before any is decoded."""
MAX_TRACE_SORT_SIZE = 24
"""A sort size in a trace's settings above this is refused before the model is built (at 24,
rds.multi_az builds in 1.5 s and ebs.election in 4 s; the cost grows faster than the square of
the size, and for a model whose actions or init take many sorts' elements, such as
ebs.remirror, exponentially: no fixed bound makes every model quick)."""
MAX_TRACE_INT_SETTING = 1000
"""An integer setting in a trace's settings beyond +/- this is refused before the model is built."""


class TraceFileError(TraceFileProblem):
    """A trace file that cannot be read or replayed; `str()` is one line saying why (control
    characters from the file shown as escapes, at most a few thousand characters)."""

    def __init__(self, message: str) -> None:
        super().__init__(clip(visible(message), 2000))


# --- loading --------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_FILE_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _read_capped(where: str) -> bytes:
    """The bytes of the regular file `where`, at most MAX_TRACE_FILE_BYTES of them.

    Opened without blocking (a FIFO with no writer would block `open`), then checked through
    the open descriptor (no race with a file swapped in between)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(where, flags)
    except FileNotFoundError:
        raise TraceFileError(f"cannot read the trace file {where}: it does not exist") from None
    except IsADirectoryError:
        raise TraceFileError(f"cannot read the trace file {where}: it is a directory") from None
    except OSError as e:
        raise TraceFileError(f"cannot read the trace file {where}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
    except OSError as e:  # pragma: no cover - fstat of an open descriptor
        os.close(fd)
        raise TraceFileError(f"cannot read the trace file {where}: {e.strerror or e}") from None
    problem = ""
    limit = f"trace files are limited to {MAX_TRACE_FILE_BYTES:,} bytes (MAX_TRACE_FILE_BYTES)"
    if stat.S_ISDIR(st.st_mode):
        problem = f"cannot read the trace file {where}: it is a directory"
    elif not stat.S_ISREG(st.st_mode):
        what = next((word for test, word in _FILE_KINDS if test(st.st_mode)), "not a regular file")
        problem = f"cannot read the trace file {where}: it is {what}, not a regular file"
    elif st.st_size > MAX_TRACE_FILE_BYTES:
        problem = f"the trace file {where} is {st.st_size:,} bytes; {limit}"
    if problem:
        os.close(fd)
        raise TraceFileError(problem)
    with os.fdopen(fd, "rb", buffering=0) as f:
        chunks: list[bytes] = []
        size = 0
        try:
            while size <= MAX_TRACE_FILE_BYTES:
                chunk = f.read(min(2**20, MAX_TRACE_FILE_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as e:
            raise TraceFileError(f"cannot read the trace file {where}: {e.strerror or e}") from None
        if size > MAX_TRACE_FILE_BYTES:
            raise TraceFileError(f"the trace file {where} is more than {MAX_TRACE_FILE_BYTES:,} bytes; {limit}")
    return b"".join(chunks)


def _check_nesting(data: Any, where: str) -> None:
    """Refuse lists and objects nested deeper than MAX_TRACE_NESTING (without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_TRACE_NESTING:
                    raise TraceFileError(_too_deep(where))
                stack.append((child, depth + 1))


def _too_deep(where: str) -> str:
    return f"{where} is nested too deeply: more than {MAX_TRACE_NESTING} levels of lists and objects (MAX_TRACE_NESTING)"


def load_trace_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed trace file, its size, nesting, shape and replicheck version checked."""
    where = os.fspath(path)
    raw = _read_capped(where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TraceFileError(f"{where} is not a JSON trace file: it is not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise TraceFileError(
            f"{where} is not JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    except RecursionError:
        raise TraceFileError(_too_deep(where)) from None
    except ValueError as e:
        raise TraceFileError(f"{where} is not JSON: {e}") from None
    if isinstance(data, (dict, list)):
        _check_nesting(data, where)
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
    if len(states) > MAX_TRACE_STATES:
        raise TraceFileError(
            f"{where} has {len(states):,} states; traces are limited to {MAX_TRACE_STATES:,} states (MAX_TRACE_STATES)"
        )
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
    _check_name(model, '"#meta"."replicheck"."model"')
    settings = pc.get("settings", {})
    if not isinstance(settings, dict) or not all(isinstance(k, str) for k in settings):
        raise TraceFileError('the trace\'s settings ("#meta"."replicheck"."settings") are not an object')
    for k, v in settings.items():
        if not (v is None or isinstance(v, (bool, int, float, str))):
            raise TraceFileError(f"the trace's setting {k} is {_kind(v)}, not a number, boolean or string")
    variant = pc.get("variant")
    if variant is not None and not isinstance(variant, str):
        raise TraceFileError('the trace\'s variant ("#meta"."replicheck"."variant") is not a string')
    if variant is not None:
        _check_name(variant, '"#meta"."replicheck"."variant"')
    for k in settings:
        _check_name(k, 'setting name ("#meta"."replicheck"."settings")')
    return model, dict(settings), variant


_MAX_NAME = 200


def _check_name(name: str, what: str) -> None:
    """A name from the file that other modules put into messages: printable and short."""
    if len(name) > _MAX_NAME or visible(name) != name:
        raise TraceFileError(
            f"the trace's {what} {json.dumps(name[:60])}{'...' if len(name) > 60 else ''} is not a name: "
            f"it is longer than {_MAX_NAME} characters or has control characters"
        )


def _setting_text(v: Any) -> str:
    return json.dumps(v) if isinstance(v, (bool, str)) or v is None else str(v)


def variant_settings(
    settings: dict[str, Any], variant: str | None, variants: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Any], str]:
    """The settings to replay a trace with, and where the file disagrees with its variant.

    A trace is replayed against the variant it claims: every setting the variant sets (the
    model's `variants[variant]`) takes the variant's value, whatever the file says; the other
    settings are the file's. The text ("" if none) lists each setting of the variant the file
    gives another value (`witness = false where fixed has true`): a relabelled trace, or a run
    of the variant with that setting changed, which replays only if it does not matter."""
    if variant is None:
        return dict(settings), ""
    key = variant.replace("-", "_")
    chosen = next((v for k, v in variants.items() if k.replace("-", "_") == key), None)
    if chosen is None:
        return dict(settings), ""  # the model refuses the variant, naming its variants
    out = dict(settings)
    differ = []
    for k, v in chosen.items():
        name = k.replace("-", "_")
        if name in out and (type(out[name]) is not type(v) or out[name] != v):
            differ.append(f"{name} = {_setting_text(out[name])} where {variant} has {_setting_text(v)}")
        out[name] = v
    return out, ", ".join(differ)


def check_settings(settings: dict[str, Any], sorts: Collection[str]) -> None:
    """Refuse, before the model is built, settings that would make it huge: a sort (one of
    `sorts`, the model's sort names) larger than MAX_TRACE_SORT_SIZE, or an integer setting
    beyond +/- MAX_TRACE_INT_SETTING. (The model itself refuses settings it does not have.)"""
    for k, v in settings.items():
        if not isinstance(v, int) or isinstance(v, bool):
            continue
        if k in sorts and v > MAX_TRACE_SORT_SIZE:
            raise TraceFileError(
                f"the trace's settings make the sort {k} of size {v:,}; a trace is replayed only for sorts "
                f"of at most {MAX_TRACE_SORT_SIZE} elements (MAX_TRACE_SORT_SIZE): the model would be too large to build"
            )
        if k not in sorts and abs(v) > MAX_TRACE_INT_SETTING:
            raise TraceFileError(
                f"the trace's setting {k} is {v:,}; a trace is replayed only for integer settings within "
                f"+/-{MAX_TRACE_INT_SETTING:,} (MAX_TRACE_INT_SETTING): the model could be too large to build"
            )


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
        if visible(value) != value or len(value) > 4096:
            raise TraceFileError(f'the trace\'s {where}."{key}" has control characters or is too long')
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


# --- what the trace shows -------------------------------------------------------------------

# the properties every model has, by name, with the kind of verdict each is
BUILTIN_PROPERTIES = {"deadlock": "deadlock", "domain": "domain", "model error": "error"}
_CHECKABLE = ("invariant", "action", "reachable", "liveness")

LassoCheck = Callable[[Program, Sequence[State], Sequence[int | None], int, Property], "str | None"]
"""(program, states, actions, loop_start, property) -> None if the lasso is fair and violates
the property, else what is wrong with it. `actions` has one entry per state: the index into
`program.actions` of the step leaving it (the last closes the loop), None for a stutter.
`replicheck.explore.liveness.verify_lasso` is one (with STUTTER for None)."""
ErrorCheck = Callable[[Program, State], "str | None"]
"""(program, state) -> the model run-time error the reference evaluator meets on `state`
(evaluating the properties and firing the actions), or None."""


def _a(kind: str) -> str:
    return {"invariant": "an invariant", "action": "an action property", "reachable": "a reachable target",
            "liveness": "a liveness property", "measure": "a measure", "constraint": "a constraint"}.get(kind, kind)


def _properties_list(program: Program) -> str:
    names = [p.name for p in program.properties if p.kind in _CHECKABLE]
    return ", ".join(names + list(BUILTIN_PROPERTIES))


def _claimed_property(program: Program, verdict: Verdict) -> tuple[str, Property | None]:
    """(kind, property) of what the file claims; (builtin kind, None) for deadlock, domain and
    model error."""
    name = verdict.property
    prop = next((p for p in program.properties if p.name == name), None)
    if prop is None:
        if name in BUILTIN_PROPERTIES:
            kind = BUILTIN_PROPERTIES[name]
            if verdict.kind not in ("", kind):
                raise TraceFileError(f"the trace claims {name} is of kind {verdict.kind}; it is of kind {kind}")
            return kind, None
        raise TraceFileError(
            f"the trace claims the property {name}, which {program.name} does not have "
            f"(its properties are: {_properties_list(program)})"
        )
    if prop.kind not in _CHECKABLE:
        raise TraceFileError(
            f"the trace claims a verdict on {name}, which is {_a(prop.kind)} of {program.name}, not a property"
        )
    if verdict.kind not in ("", prop.kind):
        raise TraceFileError(
            f"the trace claims {name} is {_a(verdict.kind)}; in {program.name} it is {_a(prop.kind)}"
        )
    return prop.kind, prop


def _others(program: Program, kind: str, name: str, pre: State, post: State | None = None) -> list[str]:
    """The other properties of `kind` false on the state (or the step pre -> post)."""
    out = []
    for p in program.of_kind(kind):
        if p.name == name:
            continue
        try:
            if not holds(p.expr, pre, post):
                out.append(p.name)
        except ModelRuntimeError:
            continue
    return out


def _evaluate(prop: Property, where: str, pre: State, post: State | None = None) -> bool:
    try:
        return holds(prop.expr, pre, post)
    except ModelRuntimeError as e:
        raise TraceFileError(f"evaluating {prop.name} on {where} fails ({e}): the trace shows a model error") from None


def _check_invariant(trace: Trace, prop: Property) -> None:
    program = trace.program
    last = trace.steps[-1].state
    if not _evaluate(prop, "the trace's last state", last):
        return
    others = _others(program, "invariant", prop.name, last)
    if others:
        raise TraceFileError(f"the trace replays, but its last state violates {', '.join(others)}, not {prop.name}")
    earlier = next((i for i, s in enumerate(trace.steps) if not _evaluate(prop, f"state {i}", s.state)), None)
    also = f" (state {earlier} violates it, but the trace goes on)" if earlier is not None else ""
    raise TraceFileError(f"the trace's last state satisfies {prop.name}{also}; the file claims it is violated")


def _check_action_property(trace: Trace, prop: Property) -> None:
    program = trace.program
    if len(trace.steps) < 2:
        raise TraceFileError(f"the trace has no step, so it cannot violate the action property {prop.name}")
    pre, post = trace.steps[-2].state, trace.steps[-1].state
    if not _evaluate(prop, "the trace's last step", pre, post):
        return
    others = _others(program, "action", prop.name, pre, post)
    if others:
        raise TraceFileError(f"the trace replays, but its last step violates {', '.join(others)}, not {prop.name}")
    raise TraceFileError(f"the trace's last step satisfies {prop.name}; the file claims it violates it")


def _check_reachable(trace: Trace, prop: Property) -> None:
    if not _evaluate(prop, "the trace's last state", trace.steps[-1].state):
        raise TraceFileError(f"the trace's last state does not satisfy {prop.name}; the file claims it reaches it")


def _check_deadlock(trace: Trace) -> None:
    try:
        nxt = next(successors(trace.program, trace.steps[-1].state), None)
    except ModelRuntimeError as e:
        raise TraceFileError(f"firing the actions in the trace's last state fails ({e}): the trace shows a model error") from None
    if nxt is not None:
        raise TraceFileError(
            f"the trace's last state has a successor (by {nxt[0].label}), so it is no deadlock; the file claims one"
        )


def _check_domain(trace: Trace) -> None:
    if next(trace.program.out_of_domain(trace.steps[-1].state), None) is None:
        raise TraceFileError(
            "every value of the trace's last state is inside its domain; the file claims a domain violation"
        )


def _action_index(program: Program, step: Step) -> int | None:
    """The index in `program.actions` of the step's action instance; None for a stutter."""
    if step.action == STUTTER_ACTION:
        return None
    instance = find_instance(program, step.action, dict(step.params))
    index = next((k for k, a in enumerate(program.actions) if a is instance), None)
    if index is None:  # pragma: no cover - replay gave the step this instance
        raise TraceFileError(f"the step {step.label} is no action instance of {program.name}")
    return index


def lasso_of(trace: Trace) -> tuple[list[State], list[int | None], int]:
    """(states, actions, loop_start) of a replayed lasso, as `LassoCheck` takes them: one
    action per state, the last one closing the loop (a trace that repeats the cycle's first
    state at its end has that step; one that does not is closed by the first action that fits)."""
    assert trace.loop_start is not None
    program = trace.program
    loop = trace.loop_start
    steps = trace.steps
    n = len(steps)
    actions = [_action_index(program, steps[i]) for i in range(1, n)]
    if loop < n - 1 and steps[-1].state == steps[loop].state:
        return [s.state for s in steps[:-1]], actions, loop
    close = next(_matching(program, steps[-1].state, steps[loop].state))  # replay checked one exists
    index = next(k for k, a in enumerate(program.actions) if a is close)
    return [s.state for s in steps], [*actions, index], loop


def _check_liveness(trace: Trace, prop: Property, lasso_check: LassoCheck | None) -> None:
    if trace.loop_start is None:
        raise TraceFileError(
            f'the trace has no "loop", so it is no lasso and cannot show a violation of the liveness property {prop.name}'
        )
    if lasso_check is None:  # pragma: no cover - the CLI always passes one
        raise TraceFileError(f"cannot check the liveness property {prop.name} here")
    states, actions, loop = lasso_of(trace)
    problem = lasso_check(trace.program, states, actions, loop, prop)
    if problem is not None:
        raise TraceFileError(f"the trace replays, but its lasso does not violate {prop.name}: {problem}")


def _check_error(trace: Trace, error_check: ErrorCheck | None) -> None:
    if error_check is None:  # pragma: no cover - the CLI always passes one
        raise TraceFileError("cannot check a model error here")
    if error_check(trace.program, trace.steps[-1].state) is not None:
        return
    if len(trace.steps) > 1 and trace.steps[-1].action != STUTTER_ACTION:
        # or on the last step: an action property that raises there (as BMC and simulation report)
        pre, post = trace.steps[-2].state, trace.steps[-1].state
        for p in trace.program.action_properties():
            try:
                holds(p.expr, pre, post)
            except ModelRuntimeError:
                return
    raise TraceFileError(
        "the reference evaluator meets no model error in the trace's last state or step; the file claims one"
    )


def verify_claim(
    trace: Trace,
    verdict: Verdict | None,
    lasso_check: LassoCheck | None = None,
    error_check: ErrorCheck | None = None,
) -> Verdict | None:
    """The verdict the file claims (from `trace_verdict`), re-evaluated on the replayed trace,
    with the property's kind as the model declares it; TraceFileError, saying what the trace
    does show, if it does not show the claim. None for a file that claims no verdict.

    A trace can show: an invariant violated in its last state, an action property violated by
    its last step, a deadlock (no successor of the last state), a domain violation (a value of
    the last state outside its domain), a model error (in the last state), a liveness property
    violated by a fair lasso, and a @reachable target reached (holds) in its last state."""
    if verdict is None:
        return None
    program = trace.program
    kind, prop = _claimed_property(program, verdict)
    wanted = HOLDS if kind == "reachable" else VIOLATED
    if verdict.status != wanted:
        shows = "that it is reached" if kind == "reachable" else "a violation"
        raise TraceFileError(
            f"the trace claims {verdict.property} is {json.dumps(verdict.status)}; a trace of {_a(kind)} "
            f"can only show {shows} ({json.dumps(wanted)})"
        )
    if kind == "invariant":
        assert prop is not None
        _check_invariant(trace, prop)
    elif kind == "action":
        assert prop is not None
        _check_action_property(trace, prop)
    elif kind == "reachable":
        assert prop is not None
        _check_reachable(trace, prop)
    elif kind == "liveness":
        assert prop is not None
        _check_liveness(trace, prop, lasso_check)
    elif kind == "deadlock":
        _check_deadlock(trace)
    elif kind == "domain":
        _check_domain(trace)
    else:
        _check_error(trace, error_check)
    return Verdict(verdict.property, kind, verdict.status, verdict.message, trace)
