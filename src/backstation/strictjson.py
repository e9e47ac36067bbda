"""The one way Back Station writes JSON: strict (``allow_nan=False``), with
every non-finite number written as ``null``.

NaN and infinity are not JSON; Python's ``json`` writes them as ``NaN`` and
``Infinity`` by default, which strict parsers (jq, JavaScript's JSON.parse,
Go, Rust's serde) reject. A number that could not be computed (an RFD
without enough samples, a % of body mass without a body mass) is unknown,
and JSON says unknown with ``null``. Used for ``--json`` output and for the
metrics stored in the database.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (in dicts, lists, tuples) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if hasattr(value, "dtype") and hasattr(value, "item"):     # numpy scalars
        return finite(value.item())
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of ``finite(value)``, refusing anything still not JSON."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)
