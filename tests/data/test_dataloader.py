"""lucid.data: datasets, samplers, collate and the DataLoader (with worker processes)."""

import time
from collections import namedtuple

import numpy as np
import pytest

import lucid
from lucid.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
                        RandomSampler, SequentialSampler, Subset, SubsetRandomSampler,
                        TensorDataset, WeightedRandomSampler, default_collate, get_worker_info,
                        random_split)


def _dataset(n=10):
    return TensorDataset(lucid.arange(2 * n).reshape(n, 2).float(), lucid.arange(n))


class Slow(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        time.sleep(0.03)
        return np.full(3, i, dtype=np.float32), i


class Failing(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise KeyError(f"sample {i} is broken")
        return float(i)


class Counting(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, 11, step))


def test_tensor_dataset_items_and_len():
    ds = _dataset()
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3 and len(ds) == 10
    with pytest.raises(ValueError, match="first-dimension"):
        TensorDataset(lucid.zeros(3, 2), lucid.zeros(4))


def test_order_without_shuffle_and_drop_last():
    dl = DataLoader(_dataset(), batch_size=3)
    assert len(dl) == 4
    assert [y.tolist() for _, y in dl] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    dl = DataLoader(_dataset(), batch_size=3, drop_last=True)
    assert len(dl) == 3 and [y.tolist() for _, y in dl][-1] == [6, 7, 8]


def test_shuffle_is_seeded_and_a_permutation():
    lucid.random.seed(5)
    first = [y.tolist() for _, y in DataLoader(_dataset(), batch_size=4, shuffle=True)]
    lucid.random.seed(5)
    again = [y.tolist() for _, y in DataLoader(_dataset(), batch_size=4, shuffle=True)]
    assert first == again
    assert sorted(sum(first, [])) == list(range(10)) and sum(first, []) != list(range(10))
    g1, g2 = lucid.random.Generator(1), lucid.random.Generator(1)
    a = [y.tolist() for _, y in DataLoader(_dataset(), batch_size=4, shuffle=True, generator=g1)]
    b = [y.tolist() for _, y in DataLoader(_dataset(), batch_size=4, shuffle=True, generator=g2)]
    assert a == b


@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_give_the_same_batches(shuffle):
    lucid.random.seed(0)
    plain = [(x.numpy(), y.tolist()) for x, y in DataLoader(_dataset(), 4, shuffle=shuffle)]
    lucid.random.seed(0)
    workers = [(x.numpy(), y.tolist())
               for x, y in DataLoader(_dataset(), 4, shuffle=shuffle, num_workers=2)]
    assert [y for _, y in plain] == [y for _, y in workers]
    for (a, _), (b, _) in zip(plain, workers):
        np.testing.assert_array_equal(a, b)


def test_workers_speed_up_a_slow_dataset():
    start = time.perf_counter()
    serial = [y.tolist() for _, y in DataLoader(Slow(), batch_size=4)]
    t_serial = time.perf_counter() - start
    start = time.perf_counter()
    parallel = [y.tolist() for _, y in DataLoader(Slow(), batch_size=4, num_workers=2)]
    t_parallel = time.perf_counter() - start
    assert serial == parallel
    assert t_parallel < 0.85 * t_serial  # 2 processes sleeping in parallel


def test_persistent_workers_serve_several_epochs():
    dl = DataLoader(_dataset(), batch_size=5, num_workers=2, persistent_workers=True)
    for _ in range(3):
        assert [y.tolist() for _, y in dl] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    pool = dl._pool
    assert pool is not None and all(p.is_alive() for p in pool["workers"])
    dl._shutdown(pool)


@pytest.mark.parametrize("workers", [0, 2])
def test_worker_exception_reaches_the_caller(workers):
    with pytest.raises(KeyError, match="sample 3 is broken"):
        list(DataLoader(Failing(), batch_size=1, num_workers=workers))


@pytest.mark.parametrize("workers", [0, 2])
def test_iterable_dataset(workers):
    batches = [b.tolist() for b in DataLoader(Counting(), batch_size=3, num_workers=workers)]
    assert sorted(sum(batches, [])) == list(range(11))
    assert all(len(b) <= 3 for b in batches)


def test_default_collate_nested_structures():
    Point = namedtuple("Point", "x y")
    batch = [{"img": np.ones((2, 2), np.float32) * i, "label": i, "meta": ("a", 0.5 * i),
              "p": Point(i, float(i))} for i in range(3)]
    out = default_collate(batch)
    assert out["img"].shape == (3, 2, 2) and out["img"].dtype == lucid.float32
    assert out["label"].tolist() == [0, 1, 2] and out["label"].dtype == lucid.int64
    assert out["meta"][0] == ["a", "a", "a"] and out["meta"][1].tolist() == [0.0, 0.5, 1.0]
    assert isinstance(out["p"], Point) and out["p"].y.dtype == lucid.float32
    tensors = default_collate([lucid.ones(2), lucid.zeros(2)])
    assert tensors.tolist() == [[1, 1], [0, 0]]
    with pytest.raises(ValueError):
        default_collate([(1, 2), (1,)])


def test_samplers():
    ds = _dataset()
    assert list(SequentialSampler(ds)) == list(range(10))
    lucid.random.seed(0)
    assert sorted(RandomSampler(ds)) == list(range(10))
    assert len(list(RandomSampler(ds, replacement=True, num_samples=25))) == 25
    assert sorted(SubsetRandomSampler([1, 5, 7])) == [1, 5, 7]
    draws = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 400))
    assert set(draws) <= {1, 3} and 0.6 < draws.count(3) / 400 < 0.9
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(SequentialSampler(range(5)), 2, True)) == 2


def test_subset_concat_and_random_split():
    ds = _dataset()
    sub = Subset(ds, [4, 2])
    assert sub[0][1].item() == 4 and len(sub) == 2
    cat = ds + ds
    assert isinstance(cat, ConcatDataset) and len(cat) == 20 and cat[13][1].item() == 3
    parts = random_split(ds, [0.7, 0.3], seed=1)
    assert [len(p) for p in parts] == [7, 3]
    again = random_split(ds, [0.7, 0.3], seed=1)
    assert parts[0].indices == again[0].indices
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    with pytest.raises(ValueError, match="sum"):
        random_split(ds, [3, 3])


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size"), ({"batch_size": -2}, "batch_size"),
    ({"num_workers": -1}, "num_workers"), ({"shuffle": True, "sampler": [0]}, "exclusive"),
    ({"persistent_workers": True}, "persistent_workers"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(_dataset(), **kwargs)
