"""lucid.datasets: the embedded Digits, and MNIST/CIFAR read from small files in the canonical
formats that the tests write (no network)."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

import lucid
from lucid.datasets import CIFAR10, CIFAR100, MNIST, Digits, FashionMNIST


def _idx(array):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += b"".join(struct.pack(">i", n) for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, n_train=5, n_test=3, gz=True):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    data = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte"
            payload = _idx(array)
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(payload))
            else:
                (folder / name).write_bytes(payload)
        data[prefix] = (images, labels)
    return data


def test_digits_is_embedded_and_split_by_class():
    train, test = Digits(train=True), Digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == 359
    assert not set(train.indices) & set(test.indices)
    counts = np.bincount(test.targets, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # stratified: ~20 % of each class
    image, label = train[0]
    assert image.shape == (1, 8, 8) and image.dtype == lucid.float32
    assert 0.0 <= image.numpy().min() and image.numpy().max() <= 1.0 and 0 <= label < 10
    x, y = test.tensors()
    assert x.shape == (359, 1, 8, 8) and y.dtype == lucid.int64
    assert Digits(train=False).indices == test.indices  # the split is fixed


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_reads_idx_files(tmp_path, gz, cls):
    data = _write_mnist(tmp_path / cls.__name__, gz=gz)
    train = cls(tmp_path, train=True)
    test = cls(tmp_path, train=False)
    assert len(train) == 5 and len(test) == 3
    image, label = train[2]
    assert image.shape == (1, 28, 28) and image.dtype == lucid.float32
    np.testing.assert_allclose(image.numpy()[0], data["train"][0][2] / 255.0, rtol=1e-6)
    assert label == int(data["train"][1][2])
    raw = cls(tmp_path, train=False, transform=lambda a: a)
    assert raw[0][0].dtype == np.uint8 and raw[0][0].shape == (28, 28)


def test_mnist_missing_and_corrupt_files(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        MNIST(tmp_path)
    folder = tmp_path / "MNIST"
    _write_mnist(folder, gz=False)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="IDX"):
        MNIST(tmp_path)
    path.write_bytes(b"\x01\x02\x03\x04garbage")
    with pytest.raises(ValueError, match="magic"):
        MNIST(tmp_path)


def _write_cifar(folder, batches, label_key, n=4, classes=10):
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in batches:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, classes, n).tolist()
        (folder / name).write_bytes(pickle.dumps({b"data": data, label_key: labels,
                                                  b"batch_label": b"x"}))
        written[name] = (data, labels)
    return written


def test_cifar10_reads_python_batches(tmp_path):
    folder = tmp_path / "CIFAR10" / "cifar-10-batches-py"
    written = _write_cifar(folder, [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"],
                           b"labels")
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert len(train) == 20 and len(test) == 4
    image, label = test[1]
    assert image.shape == (3, 32, 32)
    expected = written["test_batch"][0][1].reshape(3, 32, 32) / 255.0
    np.testing.assert_allclose(image.numpy(), expected, rtol=1e-6)
    assert label == written["test_batch"][1][1]
    hwc = CIFAR10(tmp_path, train=False, transform=lambda a: a)[1][0]
    assert hwc.shape == (32, 32, 3)


def test_cifar100_uses_fine_labels(tmp_path):
    folder = tmp_path / "CIFAR100" / "cifar-100-python"
    written = _write_cifar(folder, ["train", "test"], b"fine_labels", classes=100)
    ds = CIFAR100(tmp_path, train=True)
    assert [ds[i][1] for i in range(4)] == written["train"][1]


def test_cifar_refuses_a_pickle_that_runs_code(tmp_path):
    folder = tmp_path / "CIFAR10" / "cifar-10-batches-py"
    _write_cifar(folder, [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"], b"labels")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Evil(), b"labels": [0]}))
    with pytest.raises(ValueError, match="refusing"):
        CIFAR10(tmp_path, train=False)
