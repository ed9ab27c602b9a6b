"""The batch engine's compact stores: the NumPy hash set (exact keys of one or more words,
or fingerprints), its growth, the fingerprint function and collision estimate, and the
level-by-level parent links."""

from __future__ import annotations

import numpy as np
import pytest

from replicheck.backends.numpy_batch import EMPTY, Layout, fingerprint
from replicheck.explore.store_hash import HashSet, LevelLinks, collision_probability


def keys_of(values: list[list[int]]) -> np.ndarray:
    return np.array(values, dtype=np.int64).reshape(len(values), -1)


@pytest.mark.parametrize("words,fingerprints", [(1, False), (2, False), (3, False), (2, True)])
def test_insert_then_lookup_through_several_growths(words: int, fingerprints: bool) -> None:
    rng = np.random.default_rng(7)
    hs = HashSet(words, fingerprints, capacity=16)
    everything = np.unique(rng.integers(0, 1 << 62, size=(20_000, words), dtype=np.int64), axis=0)
    rng.shuffle(everything)
    inserted = everything[:12_000]
    absent = everything[12_000:]
    for batch in np.array_split(inserted, 7):
        fps = fingerprint(batch)
        assert not hs.contains(batch, fps).any()
        hs.insert_new(batch, fps)
    assert hs.count == len(inserted)
    assert hs.cap >= len(inserted) / 0.75 and hs.cap & (hs.cap - 1) == 0
    assert hs.contains(inserted, fingerprint(inserted)).all()
    assert not hs.contains(absent, fingerprint(absent)).any()
    assert hs.nbytes == hs.cap * 8 * (1 if fingerprints else words)


@pytest.mark.parametrize("words,fingerprints", [(1, False), (2, True), (2, False)])
def test_add_absent_adds_exactly_the_rows_not_yet_held(words: int, fingerprints: bool) -> None:
    # overlapping batches against a Python set; a tiny table, so claims collide and it grows
    rng = np.random.default_rng(11)
    hs = HashSet(words, fingerprints, capacity=16)
    pool = np.unique(rng.integers(0, 1 << 62, size=(6_000, words), dtype=np.int64), axis=0)
    held: set[tuple[int, ...]] = set()
    for _ in range(12):
        batch = np.unique(pool[rng.integers(0, len(pool), size=900)], axis=0)
        rng.shuffle(batch)
        added = hs.add_absent(batch, fingerprint(batch))
        expected = [tuple(r) not in held for r in batch.tolist()]
        assert added.tolist() == expected
        held.update(map(tuple, batch.tolist()))
        assert hs.count == len(held) and hs.count <= hs.cap * 0.9
        hs.grow_if_full()
        assert not hs.wants_growth()
    every = np.array(sorted(held), dtype=np.int64)
    assert hs.contains(every, fingerprint(every)).all()


def test_keys_colliding_on_their_entry_are_all_kept() -> None:
    # many keys in one batch, a tiny table: claims on the same entries must not lose or mix keys
    hs = HashSet(2, False, capacity=16)
    keys = keys_of([[i, i * 3 + 1] for i in range(500)])
    hs.insert_new(keys, fingerprint(keys))
    assert hs.contains(keys, fingerprint(keys)).all()
    other = keys_of([[i, i * 3 + 2] for i in range(500)])
    assert not hs.contains(other, fingerprint(other)).any()
    used = hs.table[0] != EMPTY
    live = np.stack([t[used] for t in hs.table], axis=1)
    assert sorted(map(tuple, live.tolist())) == sorted(map(tuple, keys.tolist()))


def test_one_word_fingerprints_are_a_bijection_and_never_empty() -> None:
    keys = np.arange(200_000, dtype=np.int64).reshape(-1, 1)
    fps = fingerprint(keys)
    assert len(np.unique(fps)) == len(keys)
    assert (fps != EMPTY).all()
    two = np.stack([np.arange(1000), np.arange(1000)[::-1]], axis=1).astype(np.int64)
    assert len(np.unique(fingerprint(two))) == 1000


def test_growth_bytes_predicts_the_next_table() -> None:
    hs = HashSet(1, True, capacity=16)
    assert hs.growth_bytes(5) == 0
    assert hs.growth_bytes(100) == 256 * 8


def test_collision_probability_is_the_birthday_estimate() -> None:
    assert collision_probability(0) == 0.0
    assert collision_probability(1) == 0.0
    assert collision_probability(2) == pytest.approx(2**-64)
    assert collision_probability(100_000_000) == pytest.approx(1e16 / 2**65, rel=1e-6)
    assert collision_probability(10**12) == 1.0


def test_level_links_rebuild_the_chain_of_actions() -> None:
    links = LevelLinks(actions=10)
    links.add_level(np.zeros(2), np.arange(2))  # two initial states
    links.add_level(np.array([1, 0, 1]), np.array([4, 5, 6]))
    links.add_level(np.array([2, 0]), np.array([7, 8]))
    assert links.chain(0, 1) == (1, [])
    assert links.chain(2, 0) == (1, [6, 7])
    assert links.chain(2, 1) == (1, [4, 8])
    assert len(links) == 7
    assert links.nbytes == 7 * 4 + 7 * 2


def test_layout_packs_slots_without_crossing_words() -> None:
    from replicheck.models.ebs.election import Election

    program = Election(Node=4).compile()
    lay = Layout(program)
    assert lay.words == 2
    for k in range(program.width):
        assert lay.shift[k] + lay.bits[k] <= 63
    state = tuple(sl.domain.hi for sl in program.slots)
    packed = lay.pack_tuples([state])
    assert lay.unpack_tuple(packed[0].tolist()) == state
    assert (packed >= 0).all()


@pytest.mark.parametrize(("words", "fingerprints"), [(1, False), (3, False), (3, True)])
def test_a_store_with_ids_numbers_states_in_insertion_order_through_growth(words: int, fingerprints: bool) -> None:
    """The batch engine's state numbers (the liveness graph's vertices) against a dict that
    numbers each key when first added; batches overlap, repeat keys, and grow the table."""
    rng = np.random.default_rng(1)
    store = HashSet(words, fingerprints, capacity=16, with_ids=True)
    numbered: dict[tuple[int, ...], int] = {}
    for batch in range(60):
        keys = rng.integers(0, 50 if batch % 2 else 5000, size=(int(rng.integers(1, 400)), words)).astype(np.int64)
        _, first = np.unique(keys, axis=0, return_index=True)
        keys = keys[np.sort(first)]
        fps = fingerprint(keys)
        added = store.add_absent(keys, fps)
        for key, new in zip(map(tuple, keys.tolist()), added.tolist()):
            assert new == (key not in numbered)
            if new:
                numbered[key] = len(numbered)
        store.grow_if_full()
        assert store.ids_of(keys, fps).tolist() == [numbered[tuple(k)] for k in keys.tolist()]
    assert store.count == len(numbered)
