"""lucid.save / lucid.load (safe, atomic) and safetensors."""

import os
import zipfile

import numpy as np
import pytest

import lucid
import lucid.nn as nn


def _model():
    lucid.random.seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_tensor_round_trip_and_suffixes(tmp_path):
    t = lucid.randn(3, 4, requires_grad=True)
    path = lucid.save(t, tmp_path / "t")
    assert path.suffix == ".lct"
    back = lucid.load(path)
    assert isinstance(back, lucid.Tensor) and back.requires_grad and back.dtype == lucid.float32
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    assert lucid.save(_model(), tmp_path / "m").suffix == ".lcd"
    with pytest.raises(ValueError, match="extension"):
        lucid.save(t, tmp_path / "t.pkl")


def test_model_round_trip_gives_identical_outputs(tmp_path):
    model = _model()
    x = lucid.randn(5, 4)
    path = lucid.save(model.state_dict(), tmp_path / "model.lcd")
    other = _model()
    for p in other.parameters():
        p.data = p.data * 0
    other.load_state_dict(lucid.load(path))
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())


def test_nested_checkpoint(tmp_path):
    ckpt = {"epoch": 3, "lr": 0.1, "best": float("inf"), "name": "run", "flags": [True, None],
            "shape": (2, 3), "model": _model().state_dict(), "ids": {0: "a", 1: "b"}}
    back = lucid.load(lucid.save(ckpt, tmp_path / "ckpt.lcd"))
    assert back["epoch"] == 3 and back["best"] == float("inf") and back["shape"] == (2, 3)
    assert back["flags"] == [True, None] and back["ids"] == {0: "a", 1: "b"}
    assert list(back["model"]) == list(ckpt["model"])


def test_unsupported_objects_raise_before_writing(tmp_path):
    with pytest.raises(TypeError, match="cannot store"):
        lucid.save({"f": lambda x: x}, tmp_path / "bad.lcd")
    assert not (tmp_path / "bad.lcd").exists()


def test_files_cannot_execute_code(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.lcd"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ValueError, match="not a readable Lucid file"):
        lucid.load(path)


@pytest.mark.parametrize("cut", [0, 10, 100, 0.5, -20])
def test_truncated_files_raise_and_leave_the_model_unchanged(tmp_path, cut):
    model = _model()
    good = lucid.save(model, tmp_path / "good.lcd")
    data = good.read_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else (cut if cut >= 0 else len(data) + cut)
    bad = tmp_path / "bad.lcd"
    bad.write_bytes(data[:n])
    target = _model()
    before = {k: v.copy() for k, v in target.state_dict().items()}
    with pytest.raises(ValueError):
        target.load_state_dict(lucid.load(bad))
    for k, v in target.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_random_bytes_corruption_and_missing_file(tmp_path):
    junk = tmp_path / "junk.lcd"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError):
        lucid.load(junk)
    good = lucid.save(_model(), tmp_path / "good.lcd")
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("arrays/1.npy")
    payload_start = info.header_offset + 30 + len(info.filename)  # after the local file header
    data[payload_start + info.file_size - 3] ^= 0xFF  # one flipped weight byte: the CRC sees it
    flipped = tmp_path / "flipped.lcd"
    flipped.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        lucid.load(flipped)
    with pytest.raises(FileNotFoundError):
        lucid.load(tmp_path / "missing.lcd")


def test_atomic_write_keeps_previous_checkpoint_on_failure(tmp_path, monkeypatch):
    path = lucid.save(_model(), tmp_path / "ckpt.lcd")
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        lucid.save(_model(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.lcd"]  # no temporary left behind


def test_safetensors_round_trip(tmp_path):
    pytest.importorskip("safetensors")
    model = _model()
    path = lucid.save(model, tmp_path / "w", safetensors=True)
    assert path.suffix == ".safetensors"
    state = lucid.load(path)
    assert set(state) == set(model.state_dict())
    other = _model()
    other.load_state_dict(state)
    x = lucid.randn(2, 4)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 7)
    with pytest.raises(ValueError):
        lucid.load(bad)


def test_optimizer_checkpoint_resumes_with_identical_steps(tmp_path):
    import lucid.optim as optim

    def make():
        model = _model()
        return model, optim.Adam(model.parameters(), lr=0.01)

    def step(model, opt, x, y):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    x, y = lucid.randn(8, 4), lucid.randn(8, 3)
    model, opt = make()
    for _ in range(3):
        step(model, opt, x, y)
    path = lucid.save({"model": model.state_dict(), "optimizer": opt.state_dict()},
                      tmp_path / "ckpt.lcd")
    resumed, resumed_opt = make()
    checkpoint = lucid.load(path)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    for _ in range(2):
        assert step(resumed, resumed_opt, x, y) == step(model, opt, x, y)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
