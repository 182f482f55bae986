"""``lucid.save`` / ``lucid.load``: checkpoints that cannot execute code when loaded.

A Lucid file is a zip archive with ``lucid.json``, which describes the saved object (nested
dicts, lists, tuples, strings, numbers, booleans, None), and one ``.npy`` member per array or
Tensor, written with pickling disabled. Loading reads JSON and numbers, nothing else, so a file
from an untrusted source cannot run code (unlike pickle). The zip's CRCs catch a truncated or
corrupted file, which raises ``ValueError``.

Writes are atomic: the file is written next to its target under a temporary name, flushed to
disk, then renamed over the target, so a crash mid-save never destroys the previous checkpoint.

``save_safetensors`` / ``load_safetensors`` read and write the safetensors format (flat dicts of
arrays) through the ``safetensors`` package (``pip install lucid[data]``).
"""

import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path

from lucid._tensor import Tensor
from lucid.backend import is_array, get_backend, canonical_device
from lucid.backend.io import array_to_bytes, array_from_bytes, host

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "FORMAT_VERSION", "EXTENSIONS"]

FORMAT_VERSION = "lucid-3"
EXTENSIONS = (".lct", ".lcd", ".safetensors")
_HEADER = "lucid.json"


# ---------------------------------------------------------------------------- encoding
def _encode(obj, arrays):
    """A JSON-able description of ``obj``; arrays go to ``arrays`` and are referenced by index."""
    if isinstance(obj, Tensor):
        arrays.append(obj.data)
        return {"__tensor__": len(arrays) - 1, "requires_grad": bool(obj.requires_grad),
                "kind": type(obj).__name__}
    if is_array(obj) or (hasattr(obj, "dtype") and hasattr(obj, "shape")):
        arrays.append(obj)
        return {"__array__": len(arrays) - 1}
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return {"__float__": repr(obj)}
        return obj
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays) for v in obj]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if isinstance(obj, dict):
        keys = list(obj)
        if all(isinstance(k, str) for k in keys):
            return {"__dict__": [[k, _encode(obj[k], arrays)] for k in keys],
                    "ordered": isinstance(obj, OrderedDict)}
        if all(isinstance(k, (int, str)) and not isinstance(k, bool) for k in keys):
            return {"__dict__": [[k, _encode(obj[k], arrays)] for k in keys], "mixed": True}
        raise TypeError(f"lucid.save: dict keys must be str or int, got {keys[:3]}")
    if hasattr(obj, "state_dict") and callable(obj.state_dict):  # a Module or an Optimizer
        return _encode(obj.state_dict(), arrays)
    raise TypeError(f"lucid.save cannot store an object of type {type(obj).__name__}")


def _decode(node, arrays, device):
    if isinstance(node, list):
        return [_decode(v, arrays, device) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        array = get_backend(device).asarray(arrays[node["__tensor__"]])
        if node.get("kind") == "Parameter":
            from lucid.nn.parameter import Parameter
            return Parameter(array, requires_grad=node["requires_grad"], device=device)
        t = Tensor(array, device=device)
        if node["requires_grad"] and t.is_floating_point():
            t.requires_grad_(True)
        return t
    if "__array__" in node:
        return get_backend(device).asarray(arrays[node["__array__"]])
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, device) for v in node["__tuple__"])
    if "__dict__" in node:
        cls = OrderedDict if node.get("ordered") else dict
        return cls((k, _decode(v, arrays, device)) for k, v in node["__dict__"])
    raise ValueError(f"unknown entry in a Lucid file: {sorted(node)[:3]}")


# ---------------------------------------------------------------------------- files
def _resolve(path, obj):
    path = Path(path)
    if path.suffix == "":
        path = path.with_suffix(".lct" if isinstance(obj, Tensor) else ".lcd")
    if path.suffix not in EXTENSIONS:
        raise ValueError(f"unsupported file extension {path.suffix!r}; use one of {EXTENSIONS}")
    return path


def _atomic_write(path, write):
    """Run ``write(file)`` on a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save(obj, path, safetensors=False):
    """Save a Tensor, a state_dict (or a Module / Optimizer, by its state_dict), or any nesting of
    dicts, lists, tuples, numbers and strings around them. Returns the resolved Path.

    A path without a suffix gets ``.lct`` for a Tensor and ``.lcd`` otherwise (Lucid's names);
    ``safetensors=True`` (or a ``.safetensors`` suffix) writes a safetensors file instead.
    """
    path = Path(path)
    if safetensors or path.suffix == ".safetensors":
        return save_safetensors(obj, path.with_suffix(".safetensors"))
    path = _resolve(path, obj)
    arrays = []
    header = {"format_version": FORMAT_VERSION, "content": _encode(obj, arrays)}
    payloads = [array_to_bytes(a) for a in arrays]  # everything is encoded before writing

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(_HEADER, json.dumps(header))
            for i, payload in enumerate(payloads):
                zf.writestr(f"arrays/{i}.npy", payload)

    _atomic_write(path, write)
    return path


def load(path, device="cpu"):
    """Load what ``save`` wrote (Tensors come back as Tensors on ``device``, state_dict values as
    arrays). Raises FileNotFoundError for a missing file and ValueError for one that is empty,
    truncated, corrupted or not a Lucid file."""
    path = Path(path)
    device = canonical_device(device)
    if path.suffix == ".safetensors":
        return load_safetensors(path, device)
    if not path.exists():
        raise FileNotFoundError(f"no such checkpoint: {path}")
    try:
        with zipfile.ZipFile(path, "r") as zf:
            header = json.loads(zf.read(_HEADER).decode("utf-8"))
            if header.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"{path} has format version {header.get('format_version')!r}; "
                                 f"this Lucid reads {FORMAT_VERSION!r}")
            names = sorted((n for n in zf.namelist() if n.startswith("arrays/")),
                           key=lambda n: int(n[len("arrays/"):-len(".npy")]))
            arrays = [array_from_bytes(zf.read(n)) for n in names]
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError, EOFError,
            OSError, ValueError) as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError)):
            raise
        if isinstance(exc, ValueError) and "format version" in str(exc):
            raise
        raise ValueError(f"{path} is not a readable Lucid file (empty, truncated, corrupted or "
                         f"of another format): {exc}") from exc
    return _decode(header["content"], arrays, device)


def _safetensors_numpy():
    try:
        from safetensors import numpy as st
    except ImportError as exc:
        raise ImportError("safetensors files need the safetensors package: "
                          "pip install lucid[data] (or pip install safetensors)") from exc
    return st


def save_safetensors(obj, path, metadata=None):
    """Write a flat dict of arrays/Tensors (or a Module's state_dict) as a safetensors file."""
    st = _safetensors_numpy()
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if isinstance(obj, Tensor):
        obj = {"tensor": obj}
    if not isinstance(obj, dict):
        raise TypeError(f"safetensors stores a flat dict of arrays, got {type(obj).__name__}")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"safetensors keys must be strings, got {key!r}")
        if isinstance(value, Tensor):
            value = value.data
        if not (is_array(value) or hasattr(value, "shape")):
            raise TypeError(f"safetensors stores arrays only; {key!r} is a {type(value).__name__}")
        arrays[key] = host(value).copy(order="C")
    path = Path(path)
    data = st.save(arrays, metadata=metadata)
    _atomic_write(path, lambda f: f.write(data))
    return path


def load_safetensors(path, device="cpu"):
    """An OrderedDict of arrays (on ``device``) from a safetensors file."""
    st = _safetensors_numpy()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        arrays = st.load(path.read_bytes())
    except Exception as exc:  # the Rust parser raises its own error types
        raise ValueError(f"{path} is not a readable safetensors file: {exc}") from exc
    backend = get_backend(canonical_device(device))
    return OrderedDict((k, backend.asarray(v)) for k, v in arrays.items())
