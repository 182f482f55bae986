"""lucid.transforms on HWC uint8 arrays and CHW tensors."""

import numpy as np
import pytest

import lucid
import lucid.transforms as T
from helpers import needs_torch, torch


def _image(h=6, w=8, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def test_to_tensor_layout_and_scale():
    img = _image()
    t = T.ToTensor()(img)
    assert t.shape == (3, 6, 8) and t.dtype == lucid.float32
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor()(img[..., 0]).shape == (1, 6, 8)


def test_normalize_is_per_channel():
    t = T.ToTensor()(_image())
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    out = T.Normalize(mean, std)(t).numpy()
    expected = (t.numpy() - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    batch = T.Normalize(mean, std)(lucid.stack([t, t]))
    np.testing.assert_allclose(batch.numpy()[1], expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="channels"):
        T.Normalize([0.5, 0.5], [1, 1])(t)
    with pytest.raises(ValueError, match="nonzero"):
        T.Normalize([0.5], [0.0])


@needs_torch
def test_resize_matches_bilinear_interpolation():
    t = T.ToTensor()(_image(7, 9))
    out = T.Resize((4, 5))(t)
    ref = torch.nn.functional.interpolate(torch.tensor(t.numpy())[None], size=(4, 5),
                                          mode="bilinear", align_corners=False)[0]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    assert T.Resize(4)(t).shape == (3, 4, 5)  # shorter side 4, aspect kept
    arr = T.Resize((3, 4))(_image())
    assert arr.shape == (3, 4, 3) and arr.dtype == np.uint8


def test_crops_and_pad():
    img = _image(6, 8)
    np.testing.assert_array_equal(T.CenterCrop((2, 4))(img), img[2:4, 2:6])
    t = T.ToTensor()(img)
    lucid.random.seed(0)
    crop = T.RandomCrop(4, padding=2)(t)
    assert crop.shape == (3, 4, 4)
    padded = T.Pad(1, fill=7)(img)
    assert padded.shape == (8, 10, 3) and padded[0, 0, 0] == 7
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(20)(t)


def test_random_crop_covers_every_offset_and_is_seeded():
    t = lucid.arange(25).reshape(1, 5, 5).float()
    lucid.random.seed(1)
    first = [T.RandomCrop(3)(t)[0, 0, 0].item() for _ in range(60)]
    lucid.random.seed(1)
    again = [T.RandomCrop(3)(t)[0, 0, 0].item() for _ in range(60)]
    assert first == again
    assert set(first) == {r * 5 + c for r in range(3) for c in range(3)}


def test_flips():
    img = _image()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(img), img[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(img), img[::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(img), img)
    lucid.random.seed(0)
    flips = sum(T.RandomHorizontalFlip(0.5)(img)[0, 0, 0] != img[0, 0, 0] for _ in range(400))
    assert 150 < flips < 250
    with pytest.raises(ValueError):
        T.RandomHorizontalFlip(1.5)


def test_rotation_by_90_degrees_is_rot90():
    t = lucid.arange(16).reshape(1, 4, 4).float()
    out = T.RandomRotation((90, 90))(t)
    np.testing.assert_array_equal(out.numpy()[0], np.rot90(t.numpy()[0]))
    same = T.RandomRotation((0, 0), interpolation="bilinear")(t)
    np.testing.assert_allclose(same.numpy(), t.numpy(), atol=1e-6)


def test_grayscale_and_color_jitter():
    img = _image()
    grey = T.RandomGrayscale(1.0)(img)
    luma = (img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114)
    assert grey.shape == img.shape
    np.testing.assert_allclose(grey[..., 0], luma.astype(np.uint8), atol=1)
    t = T.ToTensor()(img)
    np.testing.assert_allclose(T.ColorJitter()(t).numpy(), t.numpy())  # all factors off
    red = lucid.Tensor([[[1.0]], [[0.0]], [[0.0]]])
    from lucid.transforms.transforms import _shift_hue
    np.testing.assert_allclose(_shift_hue(red, 1 / 3).numpy().ravel(), [0, 1, 0], atol=1e-6)
    bright = T.ColorJitter(brightness=(2.0, 2.0))(t * 0.25)
    np.testing.assert_allclose(bright.numpy(), (t * 0.5).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)


def test_random_erasing_and_compose_with_callables():
    t = lucid.ones(3, 10, 10)
    lucid.random.seed(0)
    erased = T.RandomErasing(p=1.0, value=0)(t)
    zeros = int((erased.numpy() == 0).sum())
    assert 0 < zeros < 300 and zeros % 3 == 0
    assert np.all(t.numpy() == 1)  # the input is untouched
    pipeline = T.Compose([T.ToTensor(), lambda x: x * 2, T.Lambda(lambda x: x + 1)])
    out = pipeline(_image())
    np.testing.assert_allclose(out.numpy(), T.ToTensor()(_image()).numpy() * 2 + 1, rtol=1e-6)
    with pytest.raises(TypeError):
        T.Compose([3])
