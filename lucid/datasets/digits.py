"""``Digits``: the UCI optical handwritten digits, embedded in the package (see data/README.md).

1,797 grey images of 8x8 pixels (values 0..16) in 10 classes. ``train=True`` gives a fixed 80 %
of each class, ``train=False`` the other 20 % (a stratified split drawn once with a fixed seed,
so it is the same on every machine).
"""

from pathlib import Path

from lucid._tensor import Tensor
from lucid.backend.io import load_npz
from lucid.data.dataset import Dataset

__all__ = ["Digits"]

_FILE = Path(__file__).with_name("data") / "digits.npz"


def _split(labels, train, test_fraction=0.2, seed=0):
    """Indices of a stratified split: for each class, the last ``test_fraction`` of a fixed
    shuffle of that class's samples is the test part."""
    from lucid.random import Generator, permutation

    generator = Generator(seed)
    chosen = []
    for c in range(10):
        members = [i for i, y in enumerate(labels) if y == c]
        order = permutation(len(members), generator=generator).tolist()
        n_test = round(len(members) * test_fraction)
        part = order[len(members) - n_test:] if not train else order[:len(members) - n_test]
        chosen += [members[k] for k in part]
    return sorted(chosen)


class Digits(Dataset):
    """Item i is ``(image, label)``: image a float32 Tensor (1, 8, 8) scaled to [0, 1] (or the
    result of ``transform`` applied to the uint8 (8, 8) array), label an int."""

    classes = list(range(10))

    def __init__(self, train=True, transform=None, target_transform=None):
        arrays = load_npz(_FILE)
        labels = arrays["labels"].tolist()
        self.indices = _split(labels, train)
        self.images = arrays["images"][self.indices]
        self.targets = [labels[i] for i in self.indices]
        self.train = train
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        image, label = self.images[index], self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        else:
            image = Tensor(image.reshape(1, 8, 8).astype("float32") / 16.0)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def tensors(self):
        """All images (N, 1, 8, 8) float32 in [0, 1] and labels (N,) int64, as two Tensors."""
        images = Tensor(self.images.reshape(-1, 1, 8, 8).astype("float32") / 16.0)
        return images, Tensor(self.targets, dtype="int64")

    def __repr__(self):
        return f"Digits(train={self.train}, {len(self)} images of 8x8, 10 classes)"
