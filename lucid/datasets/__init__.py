"""``lucid.datasets``: MNIST, FashionMNIST, CIFAR10, CIFAR100 from their canonical files, and
``Digits``, a small real dataset that ships inside the package (no network needed)."""

from lucid.datasets.digits import Digits
from lucid.datasets.vision import MNIST, FashionMNIST, CIFAR10, CIFAR100, default_root

__all__ = ["Digits", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "default_root"]
