"""``DataLoader``: batches from a dataset, optionally loaded by worker processes.

With ``num_workers=0`` batches are made in the calling process. With ``num_workers > 0`` each
worker is a real process (forked where the OS allows) that receives lists of indices, loads and
collates them, and sends the batch back; the loader hands batches out in sampler order whatever
order they finish in, keeping at most ``prefetch_factor`` batches per worker in flight. An
exception in a worker is re-raised in the caller with the worker's traceback.
"""

import itertools
import multiprocessing
import queue
import traceback

from lucid._tensor import Tensor
from lucid.backend import is_array
from lucid.data.dataset import IterableDataset
from lucid.data.sampler import SequentialSampler, RandomSampler, BatchSampler

__all__ = ["DataLoader", "default_collate", "get_worker_info", "WorkerInfo"]


def default_collate(batch):
    """Stack a list of samples into a batch, structure by structure.

    Tensors and arrays are stacked along a new first axis; Python numbers become a 1-D tensor
    (int64 / float32 / bool); strings stay a list; tuples, lists and dicts are collated field by
    field (so a batch of (x, y) pairs becomes (X, Y)).
    """
    from lucid.ops import stack

    if not batch:
        raise ValueError("cannot collate an empty batch")
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch, axis=0)
    if is_array(first) or (hasattr(first, "__array__") and hasattr(first, "shape")):
        return stack([Tensor(b) for b in batch], axis=0)
    if isinstance(first, bool):
        return Tensor(batch, dtype="bool")
    if isinstance(first, int):
        return Tensor(batch, dtype="int64")
    if isinstance(first, float):
        return Tensor(batch)
    if isinstance(first, (str, bytes)) or first is None:
        return list(batch)
    if isinstance(first, dict):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
        return type(first)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(first, (tuple, list)):
        sizes = {len(b) for b in batch}
        if len(sizes) != 1:
            raise ValueError(f"cannot collate sequences of different lengths {sorted(sizes)}")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(f"default_collate cannot batch {type(first).__name__}; pass collate_fn")


class WorkerInfo:
    """What a worker process knows about itself (``get_worker_info()`` inside a worker)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset


_worker_info = None


def get_worker_info():
    """This worker's WorkerInfo, or None in the main process."""
    return _worker_info


class _WorkerError:
    """An exception raised in a worker, carried to the main process as text."""

    def __init__(self, worker_id, exc):
        self.worker_id = worker_id
        self.type_name = type(exc).__name__
        self.exc_type = type(exc)
        self.text = traceback.format_exc()

    def reraise(self):
        message = f"{self.type_name} in DataLoader worker {self.worker_id}:\n{self.text}"
        try:
            error = self.exc_type(message)
        except Exception:
            error = RuntimeError(message)
        raise error




def _worker_loop(dataset, index_queue, result_queue, collate_fn, worker_id, num_workers, seed,
                 worker_init_fn, auto_collate, iterable):
    global _worker_info
    from lucid import random as lrandom

    lrandom.seed(seed)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception as exc:  # reported on the first batch request
        init_error = _WorkerError(worker_id, exc)
    else:
        init_error = None
    stream = iter(dataset) if iterable else None
    while True:
        task = index_queue.get()
        if task is None:
            return
        batch_id, indices = task
        if init_error is not None:
            result_queue.put((batch_id, init_error))
            continue
        try:
            if iterable:
                samples = list(itertools.islice(stream, indices))
                if not samples:
                    result_queue.put((batch_id, StopIteration()))
                    continue
                data = collate_fn(samples) if auto_collate else samples[0]
            else:
                samples = [dataset[i] for i in indices]
                data = collate_fn(samples) if auto_collate else samples[0]
            result_queue.put((batch_id, data))
        except Exception as exc:
            result_queue.put((batch_id, _WorkerError(worker_id, exc)))


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, drop_last=False, generator=None, persistent_workers=False,
    prefetch_factor=2, worker_init_fn=None, timeout=0)``. Shuffling draws from ``generator``
    (or lucid.random's default one), so ``lucid.random.seed`` fixes the order. ``len`` is the
    number of batches.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, drop_last=False, generator=None,
                 persistent_workers=False, prefetch_factor=2, worker_init_fn=None, timeout=0,
                 pin_memory=False):
        if batch_size is not None and (not isinstance(batch_size, int)
                                       or isinstance(batch_size, bool) or batch_size <= 0):
            raise ValueError(f"batch_size must be a positive int (or None), got {batch_size!r}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers must be a non-negative int, got {num_workers!r}")
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor must be >= 1, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers needs num_workers > 0")
        self.iterable = isinstance(dataset, IterableDataset)
        if self.iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("an IterableDataset takes no shuffle, sampler or batch_sampler")
        if sampler is not None and shuffle:
            raise ValueError("sampler and shuffle are mutually exclusive")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("batch_sampler is mutually exclusive with batch_size, shuffle, "
                             "sampler and drop_last")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor or 2
        self.persistent_workers = persistent_workers
        self.worker_init_fn = worker_init_fn
        self.timeout = timeout
        self.generator = generator
        self.drop_last = drop_last
        self.auto_collate = batch_size is not None or batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if self.auto_collate else (lambda x: x))
        self.batch_size = batch_size if batch_sampler is None else None
        if not self.iterable:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle \
                    else SequentialSampler(dataset)
            if batch_sampler is None and batch_size is not None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._pool = None
        self._epoch = 0

    def __len__(self):
        if self.iterable:
            raise TypeError("an IterableDataset loader has no length")
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def _index_batches(self):
        if self.iterable:
            return None
        if self.batch_sampler is not None:
            return iter(self.batch_sampler)
        return ([i] for i in self.sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return self._single_process()
        return self._multi_process()

    # ------------------------------------------------------------------ in this process
    def _single_process(self):
        if self.iterable:
            stream = iter(self.dataset)
            size = self.batch_size or 1
            while True:
                samples = list(itertools.islice(stream, size))
                if not samples or (self.drop_last and len(samples) < size):
                    return
                yield self.collate_fn(samples) if self.auto_collate else samples[0]
        for indices in self._index_batches():
            samples = [self.dataset[i] for i in indices]
            yield self.collate_fn(samples) if self.auto_collate else samples[0]

    # ------------------------------------------------------------------ worker processes
    def _start_workers(self):
        from lucid import random as lrandom

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        # Worker seeds derive from the generator's seed and the epoch, without drawing from its
        # stream, so that the batch order is the same with and without workers.
        self._epoch += 1
        seed_source = (self.generator or lrandom.default_generator).initial_seed()
        base_seed = (seed_source * 1000003 + self._epoch * 7919) % (2 ** 31)
        result_queue = ctx.Queue()
        workers, index_queues = [], []
        for worker_id in range(self.num_workers):
            index_queue = ctx.Queue()
            process = ctx.Process(
                target=_worker_loop,
                args=(self.dataset, index_queue, result_queue, self.collate_fn, worker_id,
                      self.num_workers, base_seed + worker_id, self.worker_init_fn,
                      self.auto_collate, self.iterable),
                daemon=True)
            process.start()
            workers.append(process)
            index_queues.append(index_queue)
        return {"workers": workers, "index_queues": index_queues, "results": result_queue}

    def _shutdown(self, pool):
        for q in pool["index_queues"]:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for process in pool["workers"]:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()

    def _multi_process(self):
        pool = self._pool if self.persistent_workers and self._pool is not None \
            else self._start_workers()
        if self.persistent_workers:
            self._pool = pool
        finished_cleanly = False
        try:
            yield from self._serve(pool)
            finished_cleanly = True
        finally:
            if not (self.persistent_workers and finished_cleanly):
                self._shutdown(pool)
                self._pool = None

    def _serve(self, pool):
        n = self.num_workers
        if self.iterable:
            tasks = ((i, self.batch_size or 1) for i in itertools.count())
        else:
            tasks = enumerate(self._index_batches())
        sent = received = 0
        next_id = 0
        done = {}
        exhausted = [False] * n
        stop_at = None
        worker_of = {}

        def send():
            nonlocal sent
            try:
                batch_id, indices = next(tasks)
            except StopIteration:
                return False
            worker = batch_id % n
            if self.iterable and exhausted[worker]:
                return True
            worker_of[batch_id] = worker
            pool["index_queues"][worker].put((batch_id, indices))
            sent += 1
            return True

        for _ in range(n * self.prefetch_factor):
            if not send():
                break
        while next_id < sent:  # every batch sent is handed out, in order
            while next_id not in done:
                try:
                    batch_id, data = pool["results"].get(timeout=self.timeout or 5.0)
                except queue.Empty:
                    dead = [p.pid for p in pool["workers"] if not p.is_alive()]
                    if dead:
                        raise RuntimeError(f"DataLoader worker(s) with pid {dead} exited "
                                           "unexpectedly") from None
                    if self.timeout:
                        raise RuntimeError(f"DataLoader timed out after {self.timeout} s")
                    continue
                done[batch_id] = data
                received += 1
            data = done.pop(next_id)
            next_id += 1
            if isinstance(data, _WorkerError):
                data.reraise()
            if isinstance(data, StopIteration):
                exhausted[worker_of[next_id - 1]] = True
                if stop_at is None:
                    stop_at = next_id
                if all(exhausted):
                    while received < sent:
                        pool["results"].get()
                        received += 1
                    return
                send()
                continue
            if self.iterable and self.drop_last and self.batch_size and \
                    _batch_len(data) < self.batch_size:
                send()
                continue
            send()
            yield data

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            try:
                self._shutdown(pool)
            except Exception:
                pass


def _batch_len(data):
    if isinstance(data, Tensor):
        return data.shape[0]
    if isinstance(data, (tuple, list)) and data:
        return _batch_len(data[0])
    if isinstance(data, dict) and data:
        return _batch_len(next(iter(data.values())))
    return 0


