"""The transforms; see the package docstring for the image conventions."""

import math
import numbers

from lucid import ops, random as lrandom
from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad
from lucid.backend import is_array
from lucid.nn.module import Module

__all__ = ["Compose", "Lambda", "ToTensor", "Normalize", "Resize", "CenterCrop", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomGrayscale",
           "ColorJitter", "RandomErasing", "Grayscale", "Pad"]


def _to_chw(image):
    """(Tensor in CHW/NCHW layout, function that turns a result back into the input's kind)."""
    if isinstance(image, Tensor):
        if image.ndim not in (3, 4):
            raise ValueError(f"expected a CHW or NCHW tensor, got shape {tuple(image.shape)}")
        return image, lambda t: t
    if is_array(image) or hasattr(image, "__array__"):
        t = Tensor(image)
        if t.ndim == 2:
            return t.unsqueeze(0), lambda out: out[0].numpy()
        if t.ndim == 3:
            return t.permute(2, 0, 1), lambda out: out.permute(1, 2, 0).numpy()
        raise ValueError(f"expected an HW or HWC array, got shape {tuple(t.shape)}")
    raise TypeError(f"transforms take an array or a Tensor, got {type(image).__name__}")


def _size_pair(size, name="size"):
    if isinstance(size, numbers.Integral):
        size = (int(size), int(size))
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"{name} must be a positive int or an (h, w) pair, got {size}")
    return size


def _uniform(low, high, generator):
    return lrandom.uniform(low, high, 1, dtype="float64", generator=generator).item()


def _chance(p, generator):
    return _uniform(0.0, 1.0, generator) < p


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability p must be in [0, 1], got {p}")
    return p


class _RandomApply(Module):
    """A transform applied with probability ``p`` (one draw from ``generator`` per call);
    otherwise the image comes back unchanged. Subclasses write ``_transform(image)``."""

    def __init__(self, p, generator):
        super().__init__()
        self.p, self.generator = _check_p(p), generator

    def forward(self, image):
        if not _chance(self.p, self.generator):
            return image
        return self._transform(image)


class Compose(Module):
    """Apply ``transforms`` one after another (any callables, not only Modules)."""

    def __init__(self, transforms):
        super().__init__()
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose takes callables, got {type(t).__name__}")

    def forward(self, image):
        for t in self.transforms:
            image = t(image)
        return image

    def extra_repr(self):
        return "\n".join(repr(t) for t in self.transforms)


class Lambda(Module):
    """Wrap a function as a transform."""

    def __init__(self, fn):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"Lambda needs a callable, got {type(fn).__name__}")
        self.fn = fn

    def forward(self, image):
        return self.fn(image)


class ToTensor(Module):
    """HWC (or HW) array -> CHW float Tensor; uint8 values are scaled to [0, 1]."""

    def __init__(self, requires_grad=False, keep_grad=False, dtype="float32"):
        super().__init__()
        self.requires_grad, self.keep_grad, self.dtype = requires_grad, keep_grad, dtype

    def forward(self, image):
        if isinstance(image, Tensor):
            t = image
        else:
            t, _ = _to_chw(image)
        scale = 255.0 if t.dtype == lucid_uint8() else 1.0
        out = (t.astype(self.dtype) / scale).astype(self.dtype)
        out = out.detach()
        if self.requires_grad:
            out.requires_grad_(True)
        out.keep_grad = self.keep_grad
        return out


def lucid_uint8():
    from lucid.backend.dtypes import UInt8
    return UInt8


class Normalize(Module):
    """(x - mean[c]) / std[c] for each channel c of a CHW / NCHW image (Lucid 2 broadcast the
    statistics along the width by mistake)."""

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = [float(m) for m in (mean if hasattr(mean, "__len__") else [mean])]
        self.std = [float(s) for s in (std if hasattr(std, "__len__") else [std])]
        if any(s == 0 for s in self.std):
            raise ValueError(f"std must be nonzero, got {self.std}")

    def forward(self, image):
        t, back = _to_chw(image)
        channels = t.shape[-3]
        if len(self.mean) not in (1, channels) or len(self.std) not in (1, channels):
            raise ValueError(f"Normalize has {len(self.mean)} means and {len(self.std)} stds for "
                             f"an image of {channels} channels")
        shape = (-1, 1, 1)
        mean = Tensor(self.mean, dtype=t.dtype, device=t.device).reshape(shape)
        std = Tensor(self.std, dtype=t.dtype, device=t.device).reshape(shape)
        return back((t - mean) / std)

    def extra_repr(self):
        return f"mean={self.mean}, std={self.std}"


class Resize(Module):
    """Resize to ``size`` ((h, w), or an int for the shorter side keeping the aspect ratio),
    bilinear by default (PyTorch's interpolate with align_corners=False)."""

    def __init__(self, size, interpolation="bilinear"):
        super().__init__()
        self.size = size if isinstance(size, numbers.Integral) else _size_pair(size)
        self.interpolation = interpolation

    def forward(self, image):
        from lucid.nn import functional as F

        t, back = _to_chw(image)
        h, w = t.shape[-2:]
        if isinstance(self.size, numbers.Integral):
            short = self.size
            size = (short, max(1, int(short * w / h))) if h <= w else (max(1, int(short * h / w)),
                                                                        short)
        else:
            size = self.size
        dtype = t.dtype
        batch = t if t.ndim == 4 else t.unsqueeze(0)
        kwargs = {} if self.interpolation in ("nearest", "area") else {"align_corners": False}
        with no_grad():
            out = F.interpolate(batch.astype("float32") if dtype.base_dtype.kind != "f" else batch,
                                size=size, mode=self.interpolation, **kwargs)
        if dtype.base_dtype.kind != "f":
            out = ops.clip(ops.round(out), 0, 255).astype(dtype)
        return back(out if t.ndim == 4 else out[0])

    def extra_repr(self):
        return f"size={self.size}, interpolation={self.interpolation}"


def _crop(t, top, left, h, w):
    return t[..., top:top + h, left:left + w]


class CenterCrop(Module):
    """The central (h, w) window (zero-padded when the image is smaller)."""

    def __init__(self, size):
        super().__init__()
        self.size = _size_pair(size)

    def forward(self, image):
        t, back = _to_chw(image)
        h, w = self.size
        H, W = t.shape[-2:]
        if h > H or w > W:
            ph, pw = max(h - H, 0), max(w - W, 0)
            t = ops.pad(t, [(0, 0)] * (t.ndim - 2) + [(ph // 2, ph - ph // 2),
                                                      (pw // 2, pw - pw // 2)])
            H, W = t.shape[-2:]
        return back(_crop(t, int(round((H - h) / 2.0)), int(round((W - w) / 2.0)), h, w))


class Pad(Module):
    """Pad the borders with a constant: ``padding`` int, (lr, tb) or (l, t, r, b)."""

    def __init__(self, padding, fill=0):
        super().__init__()
        if isinstance(padding, numbers.Integral):
            padding = (padding,) * 4
        elif len(padding) == 2:
            padding = (padding[0], padding[1], padding[0], padding[1])
        if len(padding) != 4 or min(padding) < 0:
            raise ValueError(f"padding must be non-negative, got {padding}")
        self.padding, self.fill = tuple(int(p) for p in padding), fill

    def forward(self, image):
        t, back = _to_chw(image)
        left, top, right, bottom = self.padding
        width = [(0, 0)] * (t.ndim - 2) + [(top, bottom), (left, right)]
        return back(ops.pad(t, width, self.fill))


class RandomCrop(Module):
    """A random (h, w) window, after optional ``padding`` of the borders."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, generator=None):
        super().__init__()
        self.size = _size_pair(size)
        self.pad = Pad(padding, fill) if padding else None
        self.pad_if_needed, self.fill, self.generator = pad_if_needed, fill, generator

    def forward(self, image):
        t, back = _to_chw(image)
        if self.pad is not None:
            t = self.pad(t)
        h, w = self.size
        H, W = t.shape[-2:]
        if self.pad_if_needed and (H < h or W < w):
            t = Pad((max(w - W, 0), max(h - H, 0)), self.fill)(t)
            H, W = t.shape[-2:]
        if H < h or W < w:
            raise ValueError(f"crop size {self.size} is larger than the image ({H}, {W})")
        top = lrandom.randint(0, H - h + 1, 1, generator=self.generator).item()
        left = lrandom.randint(0, W - w + 1, 1, generator=self.generator).item()
        return back(_crop(t, top, left, h, w))


class RandomHorizontalFlip(_RandomApply):
    """Mirror left-right with probability p."""

    axis = -1

    def __init__(self, p=0.5, generator=None):
        super().__init__(p, generator)

    def _transform(self, image):
        t, back = _to_chw(image)
        return back(ops.flip(t, self.axis))


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability p."""

    axis = -2


def _grey(t):
    """ITU-R 601 luma of a 3-channel CHW image, as one channel."""
    if t.shape[-3] == 1:
        return t
    r, g, b = t[..., 0:1, :, :], t[..., 1:2, :, :], t[..., 2:3, :, :]
    return r * 0.299 + g * 0.587 + b * 0.114


class Grayscale(Module):
    """Luma, repeated to ``num_output_channels``."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, image):
        t, back = _to_chw(image)
        dtype = t.dtype
        grey = _grey(t.astype("float32")).astype(dtype) if dtype.base_dtype.kind != "f" \
            else _grey(t)
        if self.num_output_channels > 1:
            grey = ops.concatenate([grey] * self.num_output_channels, axis=-3)
        return back(grey)


class RandomGrayscale(_RandomApply):
    """Grayscale (keeping the channel count) with probability p."""

    def __init__(self, p=0.1, generator=None):
        super().__init__(p, generator)

    def _transform(self, image):
        t, back = _to_chw(image)
        return back(Grayscale(t.shape[-3])(t))


class RandomRotation(Module):
    """Rotate by an angle drawn from U(-degrees, degrees) (or the given (min, max)) about the
    centre, nearest-neighbour or bilinear, filling uncovered pixels with ``fill``."""

    def __init__(self, degrees, interpolation="nearest", fill=0, generator=None):
        super().__init__()
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(f"degrees must be non-negative, got {degrees}")
            degrees = (-degrees, degrees)
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation, self.fill, self.generator = interpolation, fill, generator

    def forward(self, image):
        t, back = _to_chw(image)
        angle = _uniform(self.degrees[0], self.degrees[1], self.generator)
        return back(_rotate(t, angle, self.interpolation, self.fill))


def _rotate(t, angle, mode, fill):
    """Rotate CHW/NCHW ``t`` by ``angle`` degrees counter-clockwise about the image centre by
    inverse mapping: each output pixel samples the input at the rotated-back position."""
    xp = t._backend.xp
    H, W = t.shape[-2:]
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    cy, cx = (H - 1) / 2.0, (W - 1) / 2.0
    ys, xs = xp.meshgrid(xp.arange(H, dtype="float64"), xp.arange(W, dtype="float64"),
                         indexing="ij")
    # output (y, x) comes from input (cos dx - sin dy, sin dx + cos dy) + centre, with the y axis
    # pointing down, so a positive angle turns the picture counter-clockwise
    dx, dy = xs - cx, ys - cy
    src_x = cos * dx - sin * dy + cx
    src_y = sin * dx + cos * dy + cy
    data = t.data
    if mode == "nearest":
        ix, iy = xp.rint(src_x).astype("int64"), xp.rint(src_y).astype("int64")
        inside = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
        out = data[..., xp.clip(iy, 0, H - 1), xp.clip(ix, 0, W - 1)]
        out = xp.where(inside, out, xp.asarray(fill, dtype=data.dtype))
    elif mode == "bilinear":
        x0, y0 = xp.floor(src_x).astype("int64"), xp.floor(src_y).astype("int64")
        fx, fy = src_x - x0, src_y - y0
        acc = 0.0
        for oy, ox, wgt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                            (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
            yy, xx = y0 + oy, x0 + ox
            ok = (xx >= 0) & (xx < W) & (yy >= 0) & (yy < H)
            vals = data[..., xp.clip(yy, 0, H - 1), xp.clip(xx, 0, W - 1)].astype("float64")
            acc = acc + xp.where(ok, vals, float(fill)) * wgt
        out = acc.astype(data.dtype) if data.dtype.kind == "f" else \
            xp.clip(xp.rint(acc), 0, 255).astype(data.dtype)
    else:
        raise ValueError(f"interpolation must be 'nearest' or 'bilinear', got {mode!r}")
    return Tensor(out, device=t.device)


class ColorJitter(Module):
    """Random brightness, contrast, saturation and hue changes (in a random order), each factor
    drawn from [max(0, 1 - v), 1 + v] (hue: a shift in [-v, v] of the colour wheel, v <= 0.5),
    as torchvision's. Works on float images in [0, 1] and uint8 images."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0, generator=None):
        super().__init__()
        self.brightness = self._range(brightness, "brightness")
        self.contrast = self._range(contrast, "contrast")
        self.saturation = self._range(saturation, "saturation")
        if isinstance(hue, numbers.Number):
            if not 0 <= hue <= 0.5:
                raise ValueError(f"hue must be in [0, 0.5], got {hue}")
            hue = (-hue, hue) if hue else None
        self.hue = hue
        self.generator = generator

    @staticmethod
    def _range(value, name):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"{name} must be non-negative, got {value}")
            return (max(0.0, 1.0 - value), 1.0 + value) if value else None
        return (float(value[0]), float(value[1]))

    def forward(self, image):
        t, back = _to_chw(image)
        dtype = t.dtype
        integer = dtype.base_dtype.kind != "f"
        x = t.astype("float32") / 255.0 if integer else t
        order = lrandom.permutation(4, generator=self.generator).tolist()
        for which in order:
            if which == 0 and self.brightness:
                x = ops.clip(x * _uniform(*self.brightness, self.generator), 0.0, 1.0)
            elif which == 1 and self.contrast:
                factor = _uniform(*self.contrast, self.generator)
                mean = _grey(x).mean(axis=(-3, -2, -1), keepdims=True)
                x = ops.clip(mean + (x - mean) * factor, 0.0, 1.0)
            elif which == 2 and self.saturation and x.shape[-3] == 3:
                factor = _uniform(*self.saturation, self.generator)
                grey = _grey(x)
                x = ops.clip(grey + (x - grey) * factor, 0.0, 1.0)
            elif which == 3 and self.hue and x.shape[-3] == 3:
                x = _shift_hue(x, _uniform(*self.hue, self.generator))
        if integer:
            x = ops.clip(ops.round(x * 255.0), 0, 255).astype(dtype)
        return back(x)


def _shift_hue(x, shift):
    """Rotate the hue of an RGB image in [0, 1] by ``shift`` turns (via HSV)."""
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc = ops.maximum(ops.maximum(r, g), b)
    minc = ops.minimum(ops.minimum(r, g), b)
    delta = maxc - minc
    safe = ops.where(delta > 0, delta, 1.0)
    h = ops.where(maxc == r, ((g - b) / safe) % 6.0,
                  ops.where(maxc == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0)) / 6.0
    h = ops.where(delta > 0, h, 0.0)
    s = ops.where(maxc > 0, delta / ops.where(maxc > 0, maxc, 1.0), 0.0)
    v = maxc
    h = (h + shift) % 1.0
    i = ops.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, u = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i % 6
    pick = [(v, u, p), (q, v, p), (p, v, u), (p, q, v), (u, p, v), (v, p, q)]
    channels = []
    for c in range(3):
        value = pick[5][c]
        for k in range(4, -1, -1):
            value = ops.where(i == k, pick[k][c], value)
        channels.append(value)
    return ops.stack(channels, axis=-3)


class RandomErasing(_RandomApply):
    """With probability p, fill a random rectangle (area fraction in ``scale``, aspect ratio in
    ``ratio``) of a CHW tensor with ``value`` (a number, or "random" for normal noise)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, generator=None):
        super().__init__(p, generator)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"scale {scale} and ratio {ratio} must be (min, max) ranges")
        self.scale, self.ratio, self.value = scale, ratio, value

    def _transform(self, image):
        t, back = _to_chw(image)
        H, W = t.shape[-2:]
        area = H * W
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * _uniform(self.scale[0], self.scale[1], self.generator)
            aspect = math.exp(_uniform(log_ratio[0], log_ratio[1], self.generator))
            h = int(round(math.sqrt(target * aspect)))
            w = int(round(math.sqrt(target / aspect)))
            if h < H and w < W:
                top = lrandom.randint(0, H - h + 1, 1, generator=self.generator).item()
                left = lrandom.randint(0, W - w + 1, 1, generator=self.generator).item()
                if self.value == "random":
                    fill = lrandom.normal(0.0, 1.0, tuple(t.shape[:-2]) + (h, w), dtype=t.dtype,
                                          device=t.device, generator=self.generator)
                else:
                    fill = self.value
                out = t.clone() if not t.requires_grad else t * 1
                with no_grad():
                    out[..., top:top + h, left:left + w] = fill
                return back(out)
        return image
