"""MNIST, FashionMNIST, CIFAR10 and CIFAR100 from their canonical files, with the official
train/test split.

Files live in ``root/<Name>/`` (default root: ``$LUCID_DATA`` or ``~/.cache/lucid/datasets``).
``download=True`` fetches them from the canonical sources and checks their MD5 before use;
without the files and without ``download=True`` a RuntimeError says where to put them.
MNIST-style sets read the IDX files (gzipped or not); CIFAR reads the "python version" batches
with an unpickler that accepts only arrays and plain containers.

An item is ``(image, label)``. With ``transform`` the image is the raw uint8 array (H, W) for
MNIST and (H, W, 3) for CIFAR, as torchvision hands a PIL image to its transforms; without one
(and ``to_tensor=True``) it is a float32 Tensor (C, H, W) scaled to [0, 1].
"""

import gzip
import hashlib
import os
import tarfile
import urllib.request
from pathlib import Path

from lucid._tensor import Tensor
from lucid.backend.io import read_idx, load_array_pickle, concatenate
from lucid.data.dataset import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "default_root"]


def default_root():
    return Path(os.environ.get("LUCID_DATA", Path.home() / ".cache" / "lucid" / "datasets"))


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url, path, md5):
    """Fetch ``url`` to ``path`` (via a temporary file) and check its MD5."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as f:
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            f.write(chunk)
    if _md5(tmp) != md5:
        tmp.unlink()
        raise RuntimeError(f"{url}: MD5 mismatch, the download is corrupted; try again")
    os.replace(tmp, path)


class _VisionDataset(Dataset):
    name = ""
    channels = 1

    def __init__(self, root=None, train=True, download=False, transform=None,
                 target_transform=None, to_tensor=True):
        self.root = Path(root) if root is not None else default_root()
        self.folder = self.root / self.name
        self.train = train
        self.transform, self.target_transform = transform, target_transform
        self.to_tensor = to_tensor
        if download:
            self.download()
        missing = [f for f in self._needed() if not self._find(f)]
        if missing:
            raise RuntimeError(
                f"{self.name} files not found in {self.folder}: {', '.join(missing)}. Use "
                f"download=True to fetch them, or copy the official files there.")
        self.data, self.targets = self._load()

    def _needed(self):
        return [name for name, _, _ in self.resources]

    def _find(self, name):
        for candidate in (name, name[:-3] if name.endswith(".gz") else name + ".gz"):
            if (self.folder / candidate).exists():
                return self.folder / candidate
        return None

    def download(self):
        for name, url, md5 in self.resources:
            path = self.folder / name
            if path.exists() and _md5(path) == md5:
                continue
            _download(url, path, md5)

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        image, label = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        elif self.to_tensor:
            chw = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
            image = Tensor(chw.astype("float32") / 255.0)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"{type(self).__name__}({split}, {len(self)} images, root={str(self.root)!r})"


class MNIST(_VisionDataset):
    """The MNIST handwritten digits: 60,000 train and 10,000 test images of 28x28, 10 classes."""

    name = "MNIST"
    mirror = "https://ossci-datasets.s3.amazonaws.com/mnist/"
    files = {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    classes = [str(i) for i in range(10)]

    @property
    def resources(self):
        return [(name, self.mirror + name, md5) for name, md5 in self.files.items()]

    def _needed(self):
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]

    def _read(self, name):
        path = self._find(name)
        raw = path.read_bytes()
        if path.suffix == ".gz":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise ValueError(f"{path} is not a valid gzip file: {exc}") from exc
        try:
            return read_idx(raw)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc

    def _load(self):
        images_name, labels_name = self._needed()
        images, labels = self._read(images_name), self._read(labels_name)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{self.name}: images {images.shape} and labels {labels.shape} "
                             "do not match")
        return images, labels


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, MNIST's layout."""

    name = "FashionMNIST"
    mirror = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    files = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class CIFAR10(_VisionDataset):
    """CIFAR-10: 50,000 train and 10,000 test colour images of 32x32, 10 classes."""

    name = "CIFAR10"
    archive = "cifar-10-python.tar.gz"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    md5 = "c58f30108f718f92721af3b95e74349a"
    folder_in_archive = "cifar-10-batches-py"
    train_batches = [f"data_batch_{i}" for i in range(1, 6)]
    test_batches = ["test_batch"]
    label_key = b"labels"

    @property
    def resources(self):
        return [(self.archive, self.url, self.md5)]

    def _needed(self):
        batches = self.train_batches if self.train else self.test_batches
        return [f"{self.folder_in_archive}/{b}" for b in batches]

    def _find(self, name):
        path = self.folder / name
        return path if path.exists() else None

    def download(self):
        super().download()
        with tarfile.open(self.folder / self.archive, "r:gz") as tar:
            tar.extractall(self.folder, filter="data")

    def _load(self):
        images, labels = [], []
        for name in self._needed():
            path = self.folder / name
            try:
                batch = load_array_pickle(path.read_bytes())
                data = batch[b"data"]
                targets = list(batch[self.label_key])
            except Exception as exc:
                raise ValueError(f"{path} is not a CIFAR python batch: {exc}") from exc
            if data.ndim != 2 or data.shape[1] != 3072 or len(targets) != len(data):
                raise ValueError(f"{path}: unexpected shapes {data.shape} / {len(targets)}")
            images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            labels += targets
        return concatenate(images), labels


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 with 100 fine classes (``fine_labels``)."""

    name = "CIFAR100"
    archive = "cifar-100-python.tar.gz"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    folder_in_archive = "cifar-100-python"
    train_batches = ["train"]
    test_batches = ["test"]
    label_key = b"fine_labels"
