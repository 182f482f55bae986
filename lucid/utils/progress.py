"""``progress(iterable, ...)``: a progress bar from tqdm (the maintained library everyone
knows), or a plain pass-through iterator when tqdm is not installed or output is disabled."""

__all__ = ["progress"]


class _Plain:
    """The same interface as a tqdm bar, printing nothing."""

    def __init__(self, iterable=None, total=None, **kwargs):
        self.iterable, self.total = iterable, total

    def __iter__(self):
        return iter(self.iterable)

    def __len__(self):
        return len(self.iterable) if self.total is None else self.total

    def set_postfix(self, *args, **kwargs):
        pass

    def set_description(self, *args, **kwargs):
        pass

    def update(self, n=1):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def progress(iterable=None, desc=None, total=None, disable=False, leave=True, **kwargs):
    """Wrap ``iterable`` in a tqdm progress bar (``bar.set_postfix(loss=...)`` shows live
    values). With ``disable=True`` or without tqdm installed, iterate silently."""
    if disable:
        return _Plain(iterable, total)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Plain(iterable, total)
    return tqdm(iterable, desc=desc, total=total, leave=leave, dynamic_ncols=True, **kwargs)
