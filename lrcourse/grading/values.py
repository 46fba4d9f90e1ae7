"""Values as plain JSON: the one form in which an answer travels from learner code to the grader.

``encode`` turns what a function returned into a small dict of built-in types; ``decode`` turns
it back into a NumPy array that the grader owns. Everything the grader compares went through this
pair, so it never compares the learner's own object.

Only exact built-in and NumPy types are read: ``float``, ``int``, NumPy scalars, ``numpy.ndarray``
and lists or tuples of these. Anything else, including subclasses of those types, is recorded by its
type name only. None of the object's own methods (``__eq__``, ``__float__``, ``__array__``,
``__len__``, ``__repr__``) is ever called, so an object that lies about itself earns nothing.

This module imports only the standard library and NumPy: the grader's sandbox loads it on its own,
without the rest of ``lrcourse``.

>>> encode(np.array([1.0, np.nan]))["data"]
[1.0, 'nan']
>>> decode(encode([[1, 2], [3, 4]])).shape
(2, 2)
>>> encode(True)["kind"]
'bool'
"""

import numpy as np

MAX_ELEMENTS = 1_000_000  # larger answers are described by their shape only
MAX_TEXT = 200

# The exact scalar types NumPy creates; a Python subclass of one of them is not in this set.
_NUMPY_SCALARS = {np.dtype(c).type for c in np.typecodes["AllFloat"] + np.typecodes["AllInteger"]}
_NON_FINITE = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}


def _type_name(value):
    """The name of the value's type, read without calling anything the value defines."""
    cls = type(value)
    name = type.__dict__["__name__"].__get__(cls)  # not cls.__name__: a metaclass could lie
    module = type.__dict__["__module__"].__get__(cls)
    return name if module in ("builtins", None) else f"{module}.{name}"[:MAX_TEXT]


def _is_leaf(value):
    return type(value) in (int, float) or type(value) in _NUMPY_SCALARS


def _plain(value, depth=0):
    """True when ``value`` is built only from exact numeric and boolean types (no user classes)."""
    t = type(value)
    if t is bool or t is np.bool_ or _is_leaf(value):
        return True
    if t is np.ndarray:
        return value.dtype.kind in "biuf"
    if t in (list, tuple) and depth < 32:
        return all(_plain(v, depth + 1) for v in value)
    return False


def _has_bool(value):
    t = type(value)
    if t is bool or t is np.bool_:
        return True
    if t is np.ndarray:
        return value.dtype.kind == "b"
    if t in (list, tuple):
        return any(_has_bool(v) for v in value)
    return False


def _array(arr, container):
    """The encoding of a numeric ndarray."""
    shape = list(arr.shape)
    if arr.size > MAX_ELEMENTS:
        return {"kind": "too_big", "shape": shape, "container": container}
    if arr.dtype.kind == "b":
        return {
            "kind": "array",
            "dtype": "bool",
            "shape": shape,
            "container": container,
            "data": arr.ravel().tolist(),
        }
    if arr.dtype.kind in "iu":
        if arr.size and (arr.max() > 2**53 or arr.min() < -(2**53)):
            arr = arr.astype(float)  # beyond float precision anyway; keeps JSON numbers sane
        else:
            return {
                "kind": "array",
                "dtype": "int",
                "shape": shape,
                "container": container,
                "data": arr.astype(np.int64).ravel().tolist(),
            }
    flat = arr.astype(np.float64).ravel()
    data = flat.tolist()
    if not np.isfinite(flat).all():
        data = [
            v if np.isfinite(v) else ("nan" if v != v else "inf" if v > 0 else "-inf") for v in data
        ]
    return {
        "kind": "array",
        "dtype": str(arr.dtype),
        "shape": shape,
        "container": container,
        "data": data,
    }


def encode(value):
    """A JSON-ready description of ``value``, built without trusting it (see the module doc)."""
    t = type(value)
    if value is None:
        return {"kind": "none"}
    if value is Ellipsis:
        return {"kind": "ellipsis"}
    if t is bool or t is np.bool_:
        return {"kind": "bool", "value": bool(value)}
    if t is str:
        return {"kind": "text", "value": value[:MAX_TEXT]}
    if t is int:
        if abs(value) > 2**53:
            value = float(value)
        else:
            return {
                "kind": "array",
                "dtype": "int",
                "shape": [],
                "container": "int",
                "data": [value],
            }
    if t is float or t in _NUMPY_SCALARS:
        return _array(np.asarray(value), "float" if t is float else "numpy scalar")
    if t is np.ndarray:
        if value.dtype.kind not in "biuf":
            return {
                "kind": "unsupported",
                "type": f"numpy array of dtype {value.dtype}"[:MAX_TEXT],
                "shape": list(value.shape),
            }
        return _array(value, "ndarray")
    if t in (list, tuple):
        if not _plain(value):
            return {
                "kind": "unsupported",
                "type": f"{t.__name__} holding something else than "
                "numbers (an object of your own class?)",
            }
        if _has_bool(value):
            # [True, 0.5] would silently become [1.0, 0.5]: booleans are not numbers here.
            return {"kind": "array", "dtype": "bool", "container": t.__name__, "data": None}
        try:
            arr = np.array(value)
        except ValueError:
            return {"kind": "ragged", "container": t.__name__}
        return _array(arr, t.__name__)
    return {"kind": "unsupported", "type": _type_name(value)}


def _is_number(x):
    return type(x) in (int, float) or (type(x) is str and x in _NON_FINITE)


def valid(enc):
    """True when ``enc`` has exactly the form ``encode`` makes, so that decoding it cannot fail.

    The grader checks every value that comes back from its sandbox with this, since the learner's
    code ran in the process that wrote it."""
    if not isinstance(enc, dict) or not isinstance(enc.get("kind"), str):
        return False
    kind = enc["kind"]
    if kind in ("none", "ellipsis"):
        return True
    if kind == "bool":
        return type(enc.get("value")) is bool
    if kind == "text":
        return isinstance(enc.get("value"), str)
    if kind == "unsupported":
        return isinstance(enc.get("type"), str)
    if kind == "ragged":
        return isinstance(enc.get("container"), str)
    if kind not in ("array", "too_big") or not isinstance(enc.get("container"), str):
        return False
    if kind == "array" and enc.get("dtype") == "bool":
        return True  # reported, never decoded
    shape = enc.get("shape")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        return False
    if kind == "too_big":
        return True
    data = enc.get("data")
    return (
        isinstance(enc.get("dtype"), str)
        and isinstance(data, list)
        and len(data) == int(np.prod(shape))
        and len(data) <= MAX_ELEMENTS
        and all(_is_number(x) for x in data)
    )


def decode(enc):
    """A fresh float64 (or int64) ndarray from an ``encode`` result of kind "array".

    Other kinds decode to themselves; they are reported, never compared."""
    if enc.get("kind") != "array":
        return enc
    data = [_NON_FINITE[v] if isinstance(v, str) else v for v in enc["data"]]
    dtype = np.int64 if enc["dtype"] == "int" else bool if enc["dtype"] == "bool" else np.float64
    return np.array(data, dtype=dtype).reshape(enc["shape"])


def decode_input(enc):
    """Decode a case input back to the type the spec wrote: float, int, tuple, list or ndarray.

    A learner's function receives fresh objects for every call, so mutating them cannot leak
    into the next case or into the reference's copy."""
    kind = enc.get("kind")
    if kind == "none":
        return None
    if kind == "bool":
        return enc["value"]
    if kind == "text":
        return enc["value"]
    if kind != "array":
        raise ValueError(f"cannot use {kind} as an input")
    arr = decode(enc)
    container = enc["container"]
    if container == "int":
        return int(arr)
    if container == "float":
        return float(arr)
    if container == "numpy scalar":
        return arr[()]
    if container in ("list", "tuple"):
        out = arr.tolist()
        return tuple(out) if container == "tuple" else out
    return arr


def describe(enc):
    """A short phrase for what was returned: 'a float', 'an array of shape (3, 2)', ..."""
    kind = enc.get("kind")
    if kind == "none":
        return "None"
    if kind == "ellipsis":
        return "... (Ellipsis)"
    if kind == "bool":
        return f"a bool ({enc['value']})"
    if kind == "text":
        return f"a string {enc['value']!r}"
    if kind == "ragged":
        return f"a {enc['container']} of rows with different lengths"
    if kind == "unsupported":
        return f"an object of type {enc['type']}"
    container = enc["container"]
    if kind == "too_big":
        return f"an array of shape {tuple(enc['shape'])}"
    what = "an array" if container == "ndarray" else f"a {container}"
    if enc["dtype"] == "bool":
        return f"{what} of booleans"
    if container in ("int", "float"):
        return f"a Python {container}"
    if container == "numpy scalar":
        return f"a NumPy {enc['dtype']}"
    shape = tuple(enc["shape"])
    return f"{what} of shape {shape}" if shape else f"{what} with a single number (shape ())"
