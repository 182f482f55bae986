"""Variable-length sequences for the recurrent layers, with PyTorch's names and layouts.

- ``pad_sequence``: sequences of lengths L_i -> one padded (max L, B, *) tensor.
- ``pack_padded_sequence`` -> ``PackedSequence``: the valid steps of a padded batch, time-major:
  with the sequences sorted by decreasing length, ``data`` holds step 0 of every sequence, then
  step 1 of those longer than 1, ...; ``batch_sizes[t]`` is how many sequences have a step t.
- ``pad_packed_sequence``: back to (max L, B, *) plus the lengths, in the original batch order.
- ``pack_sequence``: ``pack_padded_sequence(pad_sequence(...))``.

``RNN``/``LSTM``/``GRU`` take a ``PackedSequence`` and return one (the same lengths and order);
each sequence's final state is the one after its own last step. Everything here is made of
differentiable ops (indexing, concatenation, stacking), so gradients flow through packing.
"""

from typing import NamedTuple

from lucid._tensor import Tensor, tensor as _tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence"]


class PackedSequence(NamedTuple):
    """``data`` (sum of lengths, *); ``batch_sizes`` (max L,) int64; ``sorted_indices`` (the
    batch order by decreasing length) and ``unsorted_indices`` (its inverse), or None when the
    batch was already sorted."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor = None
    unsorted_indices: Tensor = None


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Sequences of shape (L_i, *) -> (max L, B, *) or (B, max L, *) with ``batch_first``."""
    from lucid.ops import pad, stack
    if not sequences:
        raise ValueError("pad_sequence needs at least one sequence")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        before, after = (0, extra) if padding_side == "right" else (extra, 0)
        width = [(before, after)] + [(0, 0)] * (s.ndim - 1)
        padded.append(pad(s, width, padding_value) if extra else s)
    return stack(padded, axis=0 if batch_first else 1)


def _lengths_list(lengths, batch):
    """``lengths`` (a list, an array or a Tensor) as a list of ints, checked against the batch."""
    values = lengths.tolist() if hasattr(lengths, "tolist") else list(lengths)
    if len(values) != batch:
        raise ValueError(f"pack_padded_sequence: {len(values)} lengths for a batch of {batch}")
    if any(int(v) != v or v <= 0 for v in values):
        raise ValueError(f"pack_padded_sequence: every length must be a positive int, got "
                         f"{values}")
    return [int(v) for v in values]


def pack_padded_sequence(input_, lengths, batch_first=False, enforce_sorted=True):
    """A padded batch (L, B, *) (or (B, L, *) with ``batch_first``) -> ``PackedSequence`` of the
    first ``lengths[b]`` steps of each sequence b. With ``enforce_sorted`` the lengths must
    already decrease; otherwise the batch is sorted here and the order kept to undo it."""
    x = input_.swapaxes(0, 1) if batch_first else input_  # time-major (L, B, *)
    lengths = _lengths_list(lengths, x.shape[1])
    if max(lengths) > x.shape[0]:
        raise ValueError(f"pack_padded_sequence: a length of {max(lengths)} is longer than the "
                         f"padded sequences ({x.shape[0]} steps)")
    order = sorted(range(len(lengths)), key=lambda b: -lengths[b])  # stable: ties keep order
    if enforce_sorted and order != list(range(len(lengths))):
        raise ValueError(f"pack_padded_sequence: lengths {lengths} are not sorted in decreasing "
                         "order; sort the batch or pass enforce_sorted=False")
    sorted_indices = unsorted_indices = None
    if not enforce_sorted:
        inverse = [0] * len(order)
        for position, b in enumerate(order):
            inverse[b] = position
        sorted_indices = _tensor(order, dtype="int64")
        unsorted_indices = _tensor(inverse, dtype="int64")
        x = x[:, order]
    return _pack(x, [lengths[b] for b in order], sorted_indices, unsorted_indices)


def _pack(x, sorted_lengths, sorted_indices, unsorted_indices):
    """(L, B, *) with the batch already in decreasing-length order -> ``PackedSequence``."""
    from lucid.ops import concatenate
    sizes = [sum(1 for n in sorted_lengths if n > t) for t in range(sorted_lengths[0])]
    data = concatenate([x[t, :size] for t, size in enumerate(sizes)], axis=0)
    return PackedSequence(data, _tensor(sizes, dtype="int64"), sorted_indices,
                          unsorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """``PackedSequence`` -> (padded (L, B, *) or (B, L, *), lengths (B,) int64), in the batch's
    original order; steps past a sequence's length hold ``padding_value``. ``total_length``
    pads to that many steps (at least the longest sequence)."""
    from lucid.ops import pad, stack
    data, sizes = sequence.data, [int(n) for n in sequence.batch_sizes.tolist()]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length={total_length} is shorter "
                             f"than the longest sequence ({steps} steps)")
        steps = total_length
    batch, start, rows = sizes[0], 0, []
    for size in sizes:
        step = data[start:start + size]
        start += size
        width = [(0, batch - size)] + [(0, 0)] * (step.ndim - 1)
        rows.append(pad(step, width, padding_value) if size < batch else step)
    padded = stack(rows, axis=0)
    if steps > len(sizes):  # steps beyond the longest sequence
        padded = pad(padded, [(0, steps - len(sizes))] + [(0, 0)] * data.ndim, padding_value)
    lengths = [sum(1 for size in sizes if size > b) for b in range(batch)]
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices.tolist()
        padded = padded[:, order]
        lengths = [lengths[b] for b in order]
    return (padded.swapaxes(0, 1) if batch_first else padded), _tensor(lengths, dtype="int64")


def pack_sequence(sequences, enforce_sorted=True):
    """Sequences of shape (L_i, *) -> ``PackedSequence`` (``enforce_sorted``: as in
    ``pack_padded_sequence``)."""
    return pack_padded_sequence(pad_sequence(sequences), [s.shape[0] for s in sequences],
                                enforce_sorted=enforce_sorted)
