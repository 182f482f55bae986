"""``lucid.data``: datasets, samplers, ``default_collate`` and the ``DataLoader``."""

from lucid.data.dataset import (Dataset, IterableDataset, TensorDataset, ConcatDataset, Subset,
                                random_split)
from lucid.data.sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
                                WeightedRandomSampler, BatchSampler)
from lucid.data.loader import DataLoader, default_collate, get_worker_info, WorkerInfo

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader", "default_collate",
           "get_worker_info", "WorkerInfo"]
