"""Plain data across the grading sandbox's edge: the inputs a kernel is given and the answers it sends back.

Values travel as JSON. What JSON lacks is a one-key object whose key starts with "$":

    {"$array": [dtype, shape, base64 bytes]}   a NumPy array (never pickle)
    {"$scalar": [dtype, value]}                a NumPy scalar such as np.float32(0.5)
    {"$tuple": [...]}   {"$dict": [[key, value], ...]}   {"$float": "nan" | "inf" | "-inf"}
    {"$rng": seed}                             np.random.default_rng(seed), built on arrival
    {"$object": type name}                     anything else: only its type's name travels

`encode` runs in the kernel; `decode` runs in the grader and trusts nothing: dtypes come from a
short list, every array's bytes must match its shape, and nesting and total size are bounded.
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import numpy as np

DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                    "float16", "float32", "float64"})
MAX_DEPTH = 32
MAX_BYTES = 256 << 20          # arrays and strings of one message


class WireError(ValueError):
    """A message that is not well-formed plain data (or is too large)."""


@dataclass(frozen=True)
class Opaque:
    """A value that could not travel as data: only its type's name came."""
    type_name: str

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def _type_name(value) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def encode(value, depth: int = 0):
    """A JSON-ready form of `value`."""
    if depth > MAX_DEPTH:
        return {"$object": "a structure nested too deeply"}
    kind = type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value if abs(value) <= 1 << 64 else {"$object": "int (too large)"}
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is np.ndarray:
        if value.dtype.name not in DTYPES:
            return {"$object": f"numpy.ndarray of dtype {value.dtype}"}
        data = np.ascontiguousarray(value).tobytes()
        return {"$array": [value.dtype.name, list(value.shape), base64.b64encode(data).decode("ascii")]}
    if isinstance(value, np.ndarray):
        return {"$object": f"{_type_name(value)} (a subclass of numpy.ndarray)"}
    if isinstance(value, np.generic) and kind.__module__ == "numpy" and value.dtype.name in DTYPES:
        return {"$scalar": [value.dtype.name, encode(value.item(), depth + 1)]}
    if kind is tuple:
        return {"$tuple": [encode(v, depth + 1) for v in value]}
    if kind is list:
        return [encode(v, depth + 1) for v in value]
    if kind is dict:
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, np.random.Generator):
        return {"$object": "numpy.random.Generator"}
    return {"$object": _type_name(value)}


def rng(seed: int) -> dict:
    """The wire form of a fresh np.random.default_rng(seed), for a case's arguments."""
    return {"$rng": int(seed)}


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise WireError("the message is larger than the grader accepts")


def decode(data, *, allow_rng: bool = False, limit: int = MAX_BYTES):
    """The value `data` (parsed JSON) stands for. Raises WireError on anything malformed."""
    return _decode(data, 0, _Budget(limit), allow_rng)


def _decode(data, depth: int, budget: _Budget, allow_rng: bool):
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if data is None or isinstance(data, bool):
        return data
    if type(data) is int:
        return data
    if type(data) is float:
        return data
    if type(data) is str:
        budget.spend(len(data))
        return data
    if type(data) is list:
        budget.spend(8 * len(data))
        return [_decode(v, depth + 1, budget, allow_rng) for v in data]
    if type(data) is not dict or len(data) != 1:
        raise WireError(f"unexpected {type(data).__name__}")
    (tag, payload), = data.items()
    if tag == "$array":
        return _array(payload, budget)
    if tag == "$scalar":
        if type(payload) is not list or len(payload) != 2 or type(payload[0]) is not str or payload[0] not in DTYPES:
            raise WireError("malformed scalar")
        value = _decode(payload[1], depth + 1, budget, allow_rng)
        if type(value) not in (bool, int, float):
            raise WireError("malformed scalar")
        return np.dtype(payload[0]).type(value)
    if tag == "$tuple" and type(payload) is list:
        budget.spend(8 * len(payload))
        return tuple(_decode(v, depth + 1, budget, allow_rng) for v in payload)
    if tag == "$dict" and type(payload) is list:
        budget.spend(16 * len(payload))
        items = {}
        for pair in payload:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict")
            key = _decode(pair[0], depth + 1, budget, allow_rng)
            if type(key) not in (str, int, float, bool, tuple) or not _hashable(key):
                raise WireError("malformed dict key")
            items[key] = _decode(pair[1], depth + 1, budget, allow_rng)
        return items
    if tag == "$float" and payload in ("nan", "inf", "-inf"):
        return float(payload)
    if tag == "$object" and type(payload) is str:
        budget.spend(len(payload))
        return Opaque(payload[:200])
    if tag == "$rng" and allow_rng and type(payload) is int:
        return np.random.default_rng(payload)
    raise WireError(f"unexpected tag {str(tag)[:20]!r}")


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _array(payload, budget: _Budget) -> np.ndarray:
    if type(payload) is not list or len(payload) != 3:
        raise WireError("malformed array")
    dtype, shape, data = payload
    if type(dtype) is not str or dtype not in DTYPES or type(shape) is not list or len(shape) > 32 \
            or type(data) is not str:
        raise WireError("malformed array")
    if not all(type(n) is int and 0 <= n < 1 << 40 for n in shape):
        raise WireError("malformed array shape")
    budget.spend(len(data))
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError as error:
        raise WireError("malformed array data") from error
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw):
        raise WireError(f"an array of shape {tuple(shape)} and dtype {dtype} with {len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
