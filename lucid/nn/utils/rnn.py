"""``pad_sequence``: stack variable-length sequences into one padded tensor."""

__all__ = ["pad_sequence"]


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
