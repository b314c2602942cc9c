"""Regenerates pyjson_cases.json: Python's repr(float) and json.dumps for doubles given by their
IEEE bits, and json.dumps of strings. Standard library only: `python3 gen_pyjson_cases.py`."""

import json
import random
import struct
from pathlib import Path

random.seed(20261126)
vals = [0.0, -0.0, 1.0, -1.0, 0.1, 0.7, 1e-05, 1e-4, 1e-3, 1e16, 1e15, 9999999999999998.0, 1e17, 1e22, 1e21,
        1.5e300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 123456.789, 0.30000000000000004,
        1 / 3, 2 / 3, 100.0, 12345678901234567890.0, 0.00012345, 0.000012345, 4.35, 5.1, 3.5, 1.4, 0.2,
        1.100000023841858, 3.4028234663852886e38]
for _ in range(400):
    vals.append(struct.unpack("<d", struct.pack("<Q", random.getrandbits(64)))[0])
for _ in range(200):
    vals.append(random.uniform(-1e6, 1e6))
for _ in range(100):
    vals.append(float(random.randint(-10**18, 10**18)) / 10 ** random.randint(0, 25))
floats = []
for v in vals:
    if v != v or v in (float("inf"), float("-inf")):
        continue
    floats.append({"bits": struct.pack(">d", v).hex(), "repr": repr(v), "json": json.dumps(v)})
strings = ["plain", "quote\" back\\ slash/", "\n\r\t\b\f", "\x00\x01\x1f\x7f", "caf\u00e9", "\u2603",
           "\U0001F600", "mixed \u00e9\U0001F600\x7f end"]
Path(__file__).with_name("pyjson_cases.json").write_text(json.dumps({
    "floats": floats,
    "strings": [{"s": s, "json": json.dumps(s)} for s in strings],
    "nested": [json.dumps(x) for x in [[1, 2.0, [], {}], {"a": {"b": [None, True, False]}}]],
    "indent": [{"value": json.dumps(x), "json": json.dumps(x, indent=2)} for x in
               [{"inputs": [[0.0, 1.5], [2.0, float("nan")]]}, {"a": [], "b": {}, "c": [{"d": 1}]}, []]],
}, indent=1) + "\n")
print(len(floats), "floats")
