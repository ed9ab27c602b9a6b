"""Checkpoints of a breadth-first search at level boundaries, one format for the batch engine
and the ray engine.

Owns: the directory layout and its validation (`Checkpoint`: `identity` of a run, the
manifest written last and atomically, the level files), `owner_of` (which partition a state
belongs to: the one rule the ray engine routes by and a resumed run re-partitions by), and
`start_batch` / `save_batch_level` (the batch engine's two hooks: at its start and at each
level boundary).

Must not import: z3, hypothesis, ray, `replicheck.cli`, `models`.

The layout, under DIR:

    manifest.json            what a resume reads first; written last, by rename, so it only
                             ever names levels whose files are complete
    run.pickle               the driver's verdicts so far (continue mode, reachability
                             witnesses), the initial states; written before the manifest
    level-000003/slice-1.npz one slice of one level: `keys` (n, words) int64 packed states,
                             `gpos` their positions in the level (the batch engine's order),
                             `parent` the parent's position in the previous level, `action`
                             the action taken (level 0: the index of the initial state)

Levels are written once, as they are finished (a level's states are exactly the states the
store gained in it), so a checkpoint costs the new states of each level, not the whole
store. A slice is whatever one process held: the batch engine writes one per level, the ray
engine one per partition. Reading takes every slice of every level and keeps what the reader
owns (`owner_of` on the fingerprint), so a run may resume with another number of partitions,
or with the other engine. The manifest's `identity` (model, settings, variant, the packed
layout, the actions, the properties chosen, the store) must equal the resuming run's; limits
may differ (resuming with a larger `--max-seconds` is the point).

`run.pickle` is Python's pickle: read a checkpoint only from a directory you trust, as you
would a model file.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from replicheck.backends.numpy_batch import fingerprint
from replicheck.errors import CheckpointError
from replicheck.ir import Program

from .options import CheckOptions

if TYPE_CHECKING:
    from .batch import BatchSearch

Array = Any

FORMAT = "replicheck-checkpoint"
VERSION = 1
MANIFEST = "manifest.json"


def owner_of(fps: Array, partitions: int) -> Array:
    """The partition of each state: its fingerprint's low bits (the hash set uses the top bits
    for the entry, so a partition's states still spread over its whole table)."""
    if partitions == 1:
        return np.zeros(fps.shape[0], dtype=np.intp)
    return (fps.view(np.uint64) % np.uint64(partitions)).astype(np.intp)


def identity(program: Program, options: CheckOptions, words: int) -> dict[str, Any]:
    """What must be equal for a checkpoint to continue a run."""
    shape = "\n".join([
        *(f"{a.label}" for a in program.actions),
        *(f"{p.kind} {p.name}" for p in program.properties),
        f"words {words}",
    ])
    return {
        "model": program.name,
        "variant": program.variant,
        "settings": {k: repr(v) for k, v in sorted(dict(program.settings).items())},
        "shape": hashlib.sha256(shape.encode()).hexdigest(),
        "only": sorted(options.only) if options.only is not None else None,
        "skip": sorted(options.skip),
        "deadlock": options.deadlock,
        "stop_at_first": options.stop_at_first,
        "store": options.store,
    }


@dataclass
class Saved:
    """A checkpoint's manifest, as read: `levels` levels are complete; `state` the search's
    counters (depth, transitions, ...); `run` what `run.pickle` held."""

    directory: Path
    levels: int
    state: dict[str, Any]
    run: dict[str, Any]


class Checkpoint:
    """One checkpoint directory, for writing (`fresh`: it must not hold another run's
    checkpoint) and reading."""

    def __init__(self, directory: str, ident: dict[str, Any]) -> None:
        self.directory = Path(directory)
        self.identity = ident
        self.levels_written = 0

    # -- writing ----------------------------------------------------------------------------
    def prepare(self, resuming: bool) -> None:
        """Make the directory; refuse one that holds another checkpoint unless resuming it."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CheckpointError(f"cannot make the checkpoint directory {self.directory}: {err.strerror or err}") from None
        if not resuming and (self.directory / MANIFEST).exists():
            raise CheckpointError(
                f"{self.directory} already holds a checkpoint: continue it with --resume {self.directory}, "
                "or give an empty directory"
            )
        probe = self.directory / ".write-test"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            raise CheckpointError(f"cannot write to the checkpoint directory {self.directory}: {err.strerror or err}") from None

    def level_dir(self, level: int) -> Path:
        return self.directory / f"level-{level:06d}"

    def write_slice(self, level: int, index: int, keys: Array, gpos: Array, parent: Array, action: Array) -> int:
        """One slice of one level (atomic: a temporary file renamed); returns its bytes."""
        return write_slice(str(self.level_dir(level)), index, keys, gpos, parent, action)

    def commit(self, levels: int, state: dict[str, Any], run: dict[str, Any]) -> None:
        """Record that levels 0 .. levels-1 are complete, with the search's state: run.pickle,
        then the manifest, each by rename; the files of later levels (a crash while writing
        them) are removed."""
        tmp = self.directory / "run.pickle.tmp"
        with open(tmp, "wb") as fh:
            pickle.dump(run, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.directory / "run.pickle")
        doc = {"format": FORMAT, "version": VERSION, "identity": self.identity, "levels": levels, "state": state}
        tmp = self.directory / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True))
        os.replace(tmp, self.directory / MANIFEST)
        self.levels_written = levels
        for d in self.directory.glob("level-*"):
            if d.is_dir() and d.name[6:].isdigit() and int(d.name[6:]) >= levels:
                shutil.rmtree(d, ignore_errors=True)

    # -- reading ----------------------------------------------------------------------------
    def read(self) -> Saved:
        path = self.directory / MANIFEST
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise CheckpointError(f"{self.directory} holds no checkpoint (no {MANIFEST})") from None
        except (OSError, ValueError) as err:
            raise CheckpointError(f"cannot read the checkpoint {path}: {err}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
            raise CheckpointError(f"{path} is not a replicheck checkpoint of format version {VERSION}")
        theirs = doc.get("identity", {})
        for key, mine in self.identity.items():
            if theirs.get(key) != mine:
                raise CheckpointError(
                    f"the checkpoint in {self.directory} is of another run: its {key} is {theirs.get(key)!r}, "
                    f"this run's is {mine!r}"
                )
        try:
            with open(self.directory / "run.pickle", "rb") as fh:
                run = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError) as err:
            raise CheckpointError(f"cannot read {self.directory / 'run.pickle'}: {err}") from None
        self.levels_written = int(doc["levels"])
        return Saved(self.directory, int(doc["levels"]), dict(doc["state"]), run)


def write_slice(level_dir: str, index: int, keys: Array, gpos: Array, parent: Array, action: Array) -> int:
    """Write one slice file (also called by a ray partition, in its own process)."""
    d = Path(level_dir)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f"slice-{index}.tmp.npz"
    with open(tmp, "wb") as fh:
        np.savez(fh, keys=np.ascontiguousarray(keys, dtype=np.int64), gpos=np.asarray(gpos, dtype=np.int64),
                 parent=np.asarray(parent, dtype=np.int64), action=np.asarray(action, dtype=np.int64))
    os.replace(tmp, d / f"slice-{index}.npz")
    return (d / f"slice-{index}.npz").stat().st_size


def read_level(level_dir: str, words: int, part: int = 0, partitions: int = 1) -> tuple[Array, Array, Array, Array, Array]:
    """Every slice of one level, keeping the states `part` owns of `partitions`, sorted by
    position: (keys, fingerprints, gpos, parent, action)."""
    d = Path(level_dir)
    files = sorted(f for f in d.glob("slice-*.npz") if ".tmp" not in f.name)
    if not files:
        raise CheckpointError(f"the checkpoint level {d} has no slice files")
    keys_l, gpos_l, parent_l, action_l = [], [], [], []
    for f in files:
        try:
            with np.load(f) as z:
                keys, gpos, parent, action = z["keys"], z["gpos"], z["parent"], z["action"]
        except (OSError, ValueError, KeyError) as err:
            raise CheckpointError(f"cannot read the checkpoint file {f}: {err}") from None
        if keys.ndim != 2 or keys.shape[1] != words:
            raise CheckpointError(f"{f} holds states of {keys.shape[-1]} words, this model packs {words}")
        keys_l.append(keys)
        gpos_l.append(gpos)
        parent_l.append(parent)
        action_l.append(action)
    keys = np.concatenate(keys_l)
    gpos, parent, action = np.concatenate(gpos_l), np.concatenate(parent_l), np.concatenate(action_l)
    fps = fingerprint(keys)
    if partitions > 1:
        mine = owner_of(fps, partitions) == part
        keys, fps, gpos, parent, action = keys[mine], fps[mine], gpos[mine], parent[mine], action[mine]
    order = np.argsort(gpos, kind="stable")
    return keys[order], fps[order], gpos[order], parent[order], action[order]


def levels_of(saved: Saved, words: int, part: int = 0, partitions: int = 1) -> Iterator[tuple[Array, Array, Array, Array, Array]]:
    """Each complete level of a checkpoint, in order (see `read_level`)."""
    for level in range(saved.levels):
        yield read_level(str(saved.directory / f"level-{level:06d}"), words, part, partitions)


# -- the batch engine's hooks -------------------------------------------------------------------


def batch_checkpoint(search: BatchSearch) -> Checkpoint | None:
    """The checkpoint a batch search writes into (None without --checkpoint or --resume)."""
    opts = search.options
    where = opts.resume or opts.checkpoint
    if where is None:
        return None
    ck = Checkpoint(where, identity(search.program, opts, search.layout.words))
    ck.prepare(resuming=opts.resume is not None)
    return ck


STATE = ("depth", "deepest", "level_count", "level", "bounded")  # the batch loop's variables, saved in this order


def start_batch(search: BatchSearch, ck: Checkpoint, keys: Array, depth: int) -> tuple[Array, tuple[int, int, int, int, bool]]:
    """The batch engine's start with --checkpoint or --resume: resuming, the checkpoint's
    store, links, counters and verdicts replace the initial level; otherwise level 0 is
    written. Returns the frontier's keys and (depth, deepest, level_count, level, bounded)."""
    if search.options.resume is None:
        _save_batch(search, ck, 0, keys, (depth, 0, 0, False))
        return keys, (depth, 0, keys.shape[0], 0, False)
    from .store_hash import HashSet, LevelLinks

    saved = ck.read()
    search.store = HashSet(search.layout.words, search.fp_mode)
    search.links = LevelLinks(max(search.nact, 1))
    keys = np.zeros((0, search.layout.words), dtype=np.int64)
    for keys, fps, _gpos, parent, action in levels_of(saved, search.layout.words):
        search.store.insert_new(keys, fps)
        search.links.add_level(parent, action)
    restore_run(search.run, saved)
    search.inits = list(saved.run["inits"])
    search.transitions = int(saved.state["transitions"])
    search.pruned = int(saved.state["pruned"])
    search.ever_enabled = [bool(x) for x in saved.state["ever_enabled"]]
    st = saved.state
    return keys, (int(st["depth"]), int(st["deepest"]), keys.shape[0], int(st["level"]), bool(st["bounded"]))


def save_batch_level(search: BatchSearch, ck: Checkpoint, level: int, out: Any,
                     state: tuple[int, int, int, bool]) -> None:
    """The batch engine at a level boundary: level `level` is complete (the `LevelOut` that
    holds its keys, in memory or in the worker's shared file; its links are the last of
    `search.links`). `state`: (depth, deepest, level, bounded) of the search to come."""
    if out.file is not None:
        keys = out.file.read(0, out.count)
    else:
        keys = np.concatenate(out.keys) if out.keys else np.zeros((0, search.layout.words), dtype=np.int64)
    _save_batch(search, ck, level, keys, state)


def _save_batch(search: BatchSearch, ck: Checkpoint, level: int, keys: Array, state: tuple[int, int, int, bool]) -> None:
    links = search.links
    ck.write_slice(level, 0, keys, np.arange(keys.shape[0]), links.parents[level], links.actions[level])
    run = search.run
    depth, deepest, lvl, bounded = state
    doc = {"depth": depth, "deepest": deepest, "level": lvl, "bounded": bounded,
           "transitions": search.transitions, "pruned": search.pruned,
           "ever_enabled": list(search.ever_enabled), "initial_states": run.stats.initial_states,
           "stored": search.store.count, "engine": "batch"}
    ck.commit(level + 1, doc, run_state(run, search.inits))


def run_state(run: Any, inits: list[Any]) -> dict[str, Any]:
    """What run.pickle holds: the verdicts so far, the pending targets, the initial states."""
    return {"violations": run.violations, "witnesses": run.witnesses, "reach_pending": list(run.reach_pending),
            "inits": list(inits)}


def restore_run(run: Any, saved: Saved) -> None:
    """The verdicts and pending targets a checkpoint recorded, into a `Run`."""
    run.violations.update(saved.run["violations"])
    run.witnesses.update(saved.run["witnesses"])
    run.reach_pending[:] = list(saved.run["reach_pending"])
    run.stats.initial_states = int(saved.state["initial_states"])


__all__ = ["Checkpoint", "Saved", "batch_checkpoint", "identity", "levels_of", "owner_of", "read_level",
           "restore_run", "run_state", "save_batch_level", "start_batch", "write_slice"]
