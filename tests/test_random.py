"""lucid.random: seeding, generators, shapes and dtypes, distributions, bad input.

Distribution checks use large seeded samples and bounds of 5 standard errors: deterministic (the
seed is fixed) and far from the edge, yet a wrong formula (a wrong scale, an off-by-one range)
misses them by a wide margin.
"""

import pickle

import numpy as np
import pytest

import lucid
from lucid import random as R
from lucid.random import Generator

N = 200_000


def _all_draws():
    """One draw of every function, as NumPy arrays."""
    return [R.rand(3, 4).numpy(), R.randn(5).numpy(), R.randint(0, 10, (4,)).numpy(),
            R.uniform(-1, 1, 3).numpy(), R.normal(2, 3, (2, 2)).numpy(),
            R.bernoulli(lucid.full((6,), 0.5)).numpy(), R.permutation(8).numpy()]


def _assert_same(xs, ys):
    for x, y in zip(xs, ys, strict=True):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------- seeding
def test_seed_reproduces_every_function():
    R.seed(5)
    first = _all_draws()
    R.seed(5)
    _assert_same(first, _all_draws())
    R.seed(6)
    assert not np.array_equal(R.rand(3, 4).numpy(), first[0])


def test_consecutive_draws_differ():
    R.seed(0)
    assert not np.array_equal(R.rand(10).numpy(), R.rand(10).numpy())


def test_get_seed_and_seed_types():
    R.seed(7)
    assert R.get_seed() == 7 and type(R.get_seed()) is int
    R.seed(np.int64(11))  # NumPy integers are ints too
    assert R.get_seed() == 11
    lucid.manual_seed(12)  # PyTorch's name, at the top level
    assert R.get_seed() == 12
    for bad in (-1, 1.5, True, "3", None):
        with pytest.raises(ValueError, match="non-negative int"):
            R.seed(bad)
    assert R.get_seed() == 12  # a rejected seed changed nothing


def test_the_stream_is_numpys_default_rng_of_the_seed():
    # pins down the stream: float64 draws are exactly NumPy's Generator(PCG64(seed)) draws,
    # and float32 draws are the same numbers rounded
    R.seed(3)
    np.testing.assert_array_equal(R.rand(4, 5, dtype=lucid.Float64).numpy(),
                                  np.random.default_rng(3).random((4, 5)))
    R.seed(3)
    np.testing.assert_array_equal(R.rand(4, 5).numpy(),
                                  np.random.default_rng(3).random((4, 5)).astype(np.float32))
    R.seed(3)
    np.testing.assert_array_equal(R.randn(6, dtype=lucid.Float64).numpy(),
                                  np.random.default_rng(3).standard_normal(6))


# ---------------------------------------------------------------------------- NumPy's state
def test_numpy_global_seed_does_not_change_lucid_draws():
    np.random.seed(0)
    R.seed(1)
    a = R.rand(5).numpy()
    np.random.seed(123)
    np.random.random(7)
    R.seed(1)
    np.testing.assert_array_equal(R.rand(5).numpy(), a)


def test_lucid_draws_and_seeds_leave_numpys_global_state_alone():
    np.random.seed(42)
    expected = np.random.random(3)
    np.random.seed(42)
    R.seed(9)
    _all_draws()
    R.seed(10)
    np.testing.assert_array_equal(np.random.random(3), expected)


# ---------------------------------------------------------------------------- Generator
def test_generators_are_independent_streams():
    g1, g2 = Generator(3), Generator(3)
    a = R.rand(4, generator=g1).numpy()
    np.testing.assert_array_equal(R.rand(4, generator=g2).numpy(), a)  # same seed, same draws
    assert not np.array_equal(R.rand(4, generator=g1).numpy(), a)  # g1 moved on
    assert not np.array_equal(R.rand(4, generator=Generator(4)).numpy(), a)
    # drawing from a generator does not move the default one
    R.seed(0)
    expected = R.rand(4).numpy()
    R.seed(0)
    R.randn(100, generator=g1)
    R.randint(5, size=10, generator=g1)
    np.testing.assert_array_equal(R.rand(4).numpy(), expected)


def test_generator_seeding():
    g = Generator()
    assert isinstance(g.initial_seed(), int) and g.initial_seed() >= 0
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    a = R.randn(3, generator=g).numpy()
    g.manual_seed(5)
    np.testing.assert_array_equal(R.randn(3, generator=g).numpy(), a)
    with pytest.raises(ValueError, match="non-negative int"):
        Generator(-2)
    with pytest.raises(TypeError, match="lucid.random.Generator"):
        R.rand(2, generator=np.random.default_rng(0))


def test_get_state_set_state_round_trip():
    g = Generator(21)
    R.rand(10, generator=g)  # move away from the start
    state = g.get_state()
    state = pickle.loads(pickle.dumps(state))  # a checkpoint survives pickling
    after = [R.rand(5, generator=g).numpy(), R.randint(100, size=5, generator=g).numpy()]
    g.set_state(state)
    _assert_same(after, [R.rand(5, generator=g).numpy(),
                         R.randint(100, size=5, generator=g).numpy()])
    # restoring into another generator continues the same stream
    h = Generator(0)
    h.set_state(state)
    assert h.initial_seed() == 21
    np.testing.assert_array_equal(R.rand(5, generator=h).numpy(), after[0])


def test_default_generator_state_round_trip():
    R.seed(4)
    R.rand(3)
    state = R.get_rng_state()
    a = R.normal(0, 1, 6).numpy()
    R.rand(50)
    R.set_rng_state(state)
    np.testing.assert_array_equal(R.normal(0, 1, 6).numpy(), a)


@pytest.mark.parametrize("bad", [
    None, {}, {"seed": 1}, {"seed": -1, "streams": {}}, {"seed": 1, "streams": []},
    {"seed": 1, "streams": {"cpu": {"bit_generator": "MT19937"}}},
])
def test_bad_state_raises_and_changes_nothing(bad):
    g = Generator(8)
    R.rand(3, generator=g)
    before = g.get_state()
    expected = R.rand(4, generator=g).numpy()
    g.set_state(before)
    with pytest.raises(ValueError):
        g.set_state(bad)
    assert g.initial_seed() == 8
    np.testing.assert_array_equal(R.rand(4, generator=g).numpy(), expected)


# ---------------------------------------------------------------------------- shapes, dtypes
@pytest.mark.parametrize("fn", [R.rand, R.randn])
def test_shape_forms_and_default_dtype(fn):
    assert fn(2, 3).shape == (2, 3)
    assert fn((2, 3)).shape == (2, 3)
    assert fn([4]).shape == (4,)
    assert fn().shape == ()
    assert fn(0, 3).shape == (0, 3)
    assert fn(2).dtype == lucid.Float32  # float32 default (Lucid 2 used float64)
    assert fn(2, dtype=lucid.Float64).dtype == lucid.Float64
    assert fn(2, dtype="float16").dtype == lucid.Float16


def test_default_dtype_follows_set_default_dtype():
    lucid.set_default_dtype(lucid.Float64)
    try:
        assert R.rand(2).dtype == lucid.Float64
        assert R.normal(size=2).dtype == lucid.Float64
    finally:
        lucid.set_default_dtype(lucid.Float32)
    assert R.rand(2).dtype == lucid.Float32


def test_sized_functions_shapes_and_dtypes():
    assert R.uniform().shape == (1,)  # Lucid's default size=1
    assert R.uniform(0, 1, 5).shape == (5,)
    assert R.uniform(0, 1, (2, 3)).shape == (2, 3)
    assert R.uniform(0, 1, None).shape == ()
    assert R.normal(0, 1, (3, 1)).shape == (3, 1) and R.normal().dtype == lucid.Float32
    r = R.randint(0, 5, (2, 2))
    assert r.shape == (2, 2) and r.dtype == lucid.Int64
    assert R.randint(5).shape == (1,)
    assert R.randint(0, 5, 3, dtype=lucid.Int32).dtype == lucid.Int32
    p = R.permutation(5)
    assert p.shape == (5,) and p.dtype == lucid.Int64
    assert R.permutation(0).shape == (0,)
    b = R.bernoulli(0.5)
    assert b.shape == () and b.dtype == lucid.Float32
    probs = lucid.full((2, 3), 0.5, dtype=lucid.Float64)
    b = R.bernoulli(probs)
    assert b.shape == (2, 3) and b.dtype == lucid.Float64
    assert R.bernoulli(probs, dtype=lucid.Bool).dtype == lucid.Bool


def test_float_functions_reject_integer_dtypes():
    for fn in (lambda: R.rand(2, dtype=lucid.Int64), lambda: R.randn(2, dtype="int32"),
               lambda: R.uniform(0, 1, 2, dtype=lucid.Int64),
               lambda: R.normal(0, 1, 2, dtype=lucid.Bool)):
        with pytest.raises(TypeError, match="not a float type"):
            fn()


# ---------------------------------------------------------------------------- distributions
def _check_moments(x, mean, var):
    """Sample mean and variance within 5 standard errors of the true ones."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / n), (x.mean(), mean)
    # the variance of the sample variance is about (m4 - var^2) / n; bound it with the sample m4
    m4 = ((x - x.mean()) ** 4).mean()
    assert abs(x.var() - var) < 5 * np.sqrt((m4 - var ** 2) / n) + 1e-12, (x.var(), var)


def test_rand_is_uniform_on_0_1():
    x = R.rand(N, dtype=lucid.Float64).numpy()
    assert x.min() >= 0 and x.max() < 1
    _check_moments(x, 0.5, 1 / 12)
    counts = np.histogram(x, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts - N / 10) < 5 * np.sqrt(N / 10))


def test_randn_is_standard_normal():
    x = R.randn(N).numpy()
    _check_moments(x, 0.0, 1.0)
    assert abs((np.abs(x) < 1).mean() - 0.6826895) < 0.005  # the 68% rule


def test_uniform_range_and_moments():
    x = R.uniform(-2.0, 6.0, N).numpy()
    assert x.min() >= -2 and x.max() < 6
    _check_moments(x, 2.0, 64 / 12)
    assert np.all(R.uniform(3, 3, 4).numpy() == 3)  # an empty interval gives low


def test_normal_moments():
    x = R.normal(3.0, 2.0, N).numpy()
    _check_moments(x, 3.0, 4.0)
    assert np.all(R.normal(1.5, 0.0, 4).numpy() == 1.5)


def test_randint_range_and_frequencies():
    x = R.randint(3, 8, N).numpy()
    assert x.min() == 3 and x.max() == 7
    counts = np.bincount(x - 3, minlength=5)
    assert np.all(np.abs(counts - N / 5) < 5 * np.sqrt(N / 5 * 4 / 5))
    y = R.randint(4, size=1000).numpy()  # one argument: [0, high)
    assert set(np.unique(y)) == {0, 1, 2, 3}
    assert np.all(R.randint(-5, -4, 10).numpy() == -5)


def test_bernoulli_rate():
    probs = lucid.full((N,), 0.3)
    x = R.bernoulli(probs).numpy()
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / N)
    # a different probability per element
    p = np.tile(np.array([0.0, 0.1, 0.9, 1.0]), N // 4)
    y = R.bernoulli(lucid.Tensor(p)).numpy().reshape(-1, 4)
    assert np.all(y[:, 0] == 0) and np.all(y[:, 3] == 1)
    assert abs(y[:, 1].mean() - 0.1) < 5 * np.sqrt(0.09 / (N // 4))
    assert abs(y[:, 2].mean() - 0.9) < 5 * np.sqrt(0.09 / (N // 4))
    assert R.bernoulli(1.0).item() == 1.0 and R.bernoulli(0.0).item() == 0.0


def test_permutation_is_a_uniform_permutation():
    p = R.permutation(1000).numpy()
    np.testing.assert_array_equal(np.sort(p), np.arange(1000))
    assert not np.array_equal(p, np.arange(1000))
    # all 6 orderings of 3 items, each about 1/6 of the time
    draws = [tuple(R.permutation(3).numpy()) for _ in range(3000)]
    counts = {order: draws.count(order) for order in set(draws)}
    assert len(counts) == 6
    assert all(abs(c - 500) < 5 * np.sqrt(3000 / 6 * 5 / 6) for c in counts.values())


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: R.randint(5, 5), ValueError, "high 5 must be greater than low 5"),
    (lambda: R.randint(5, 2), ValueError, "high 2 must be greater than low 5"),
    (lambda: R.randint(0), ValueError, "high 0 must be greater than low 0"),
    (lambda: R.randint(0.5, 3), TypeError, "must be ints"),
    (lambda: R.normal(0, -1), ValueError, "std must be non-negative, got -1"),
    (lambda: R.normal(0, float("nan")), ValueError, "std must be non-negative"),
    (lambda: R.uniform(2, 1), ValueError, "high 1.0 is less than low 2.0"),
    (lambda: R.uniform("a", 1), TypeError, "low must be a number"),
    (lambda: R.bernoulli(1.5), ValueError, r"must lie in \[0, 1\], got 1.5"),
    (lambda: R.bernoulli(lucid.Tensor([0.5, -0.1])), ValueError, r"must lie in \[0, 1\]"),
    (lambda: R.permutation(-1), ValueError, "non-negative, got -1"),
    (lambda: R.permutation(2.5), TypeError, "must be an int"),
    (lambda: R.rand(2, -3), ValueError, r"negative sizes, got \(2, -3\)"),
    (lambda: R.randn(2.5), TypeError, "a shape is ints"),
    (lambda: R.uniform(0, 1, (2, -1)), ValueError, "negative sizes"),
    (lambda: R.rand(2, device="tpu"), ValueError, "unknown device 'tpu'"),
])
def test_bad_input(call, error, message):
    R.seed(0)
    expected = R.rand(3).numpy()
    R.seed(0)
    with pytest.raises(error, match=message):
        call()
    # nothing was drawn: the stream is where it was
    np.testing.assert_array_equal(R.rand(3).numpy(), expected)


# ---------------------------------------------------------------------------- tensor arguments
def test_requires_grad_and_keep_grad():
    x = R.rand(3, requires_grad=True)
    assert x.requires_grad and x.grad is None
    (x * 2.0).sum().backward()  # a leaf: the gradient lands on it
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0, np.float32))
    assert R.randn(2, requires_grad=True).requires_grad
    assert R.uniform(size=2, requires_grad=True).requires_grad
    assert R.normal(size=2, requires_grad=True).requires_grad
    assert R.bernoulli(lucid.full((2,), 0.5), requires_grad=True).requires_grad
    assert not R.rand(3).requires_grad
    assert R.randn(2, keep_grad=True).keep_grad
    with pytest.raises(RuntimeError, match="floating point"):
        R.randint(0, 5, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        R.permutation(3, requires_grad=True)


def test_device_argument():
    assert R.rand(2, device="cpu").device == "cpu"
    assert R.randint(3, size=2, device="cpu").device == "cpu"
    probs = lucid.full((2,), 0.5)
    assert R.bernoulli(probs).device == probs.device


def test_gpu_draws_when_cupy_is_available():
    pytest.importorskip("cupy")
    R.seed(0)
    x = R.rand(1000, device="gpu")
    assert x.device == "gpu" and x.dtype == lucid.Float32
    v = x.numpy()
    assert v.min() >= 0 and v.max() < 1
    np.testing.assert_array_equal(np.sort(R.permutation(50, device="gpu").numpy()),
                                  np.arange(50))
    R.seed(0)
    np.testing.assert_array_equal(R.rand(1000, device="gpu").numpy(), v)


# ---------------------------------------------------------------------------- in-place fills
def test_tensor_uniform_and_normal_in_place():
    t = lucid.zeros(N)
    R.seed(2)
    out = t.uniform_(2.0, 3.0)
    assert out is t and t.dtype == lucid.Float32 and t.shape == (N,)
    v = t.numpy()
    assert v.min() >= 2 and v.max() < 3
    _check_moments(v, 2.5, 1 / 12)
    R.seed(2)  # the same draws as lucid.random.uniform
    np.testing.assert_array_equal(v, R.uniform(2.0, 3.0, N).numpy())

    d = lucid.zeros(N, dtype=lucid.Float64)
    d.normal_(5.0, 0.5)
    assert d.dtype == lucid.Float64
    _check_moments(d.numpy(), 5.0, 0.25)


def test_in_place_fill_generator_and_errors():
    g = Generator(1)
    a = lucid.zeros(4).normal_(generator=g).numpy()
    np.testing.assert_array_equal(a, R.normal(0, 1, 4, generator=Generator(1)).numpy())
    w = lucid.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.uniform_()
    with lucid.no_grad():
        w.uniform_(-1, 1)
    assert w.requires_grad and np.all(np.abs(w.numpy()) < 1) and np.any(w.numpy() != 0)
    with pytest.raises(ValueError, match="std must be non-negative"):
        lucid.zeros(3).normal_(0, -1)
