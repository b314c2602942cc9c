"""Regenerates pyyaml_cases.json: PyYAML's safe_dump(default_flow_style=False) output for tricky
data (how MLflow writes MLmodel files). Needs only PyYAML: `python3 gen_pyyaml_cases.py`.
Inputs are stored as Python json.dumps text so that floats stay floats (1.0 vs 1)."""

import json
from pathlib import Path

import yaml

strings = [
    "", " lead", "trail ", "a: b", "a:b", "a:", "#x", "a #b", "a#b", "- x", "-x", "-", "?x", "? x", ":x",
    "yes", "No", "on", "OFF", "y", "n", "null", "Null", "~", "1", "-1", "+1", "1.0", "1e5", "1.0e+5", "1.0e5",
    ".5", "5.", "0x1F", "0o17", "017", "08", "1_000", "1:30", "1:30.5", ".inf", "-.Inf", ".nan", "nan", "inf",
    "2024-01-01", "2024-01-01 00:00:00", "2024-1-1 1:00:00", "2024-01-01T00:00:00Z", "2026-11-26 13:51:27.953170",
    "3.11.2", "1.12.0", "3.6.1.dev0", "@x", "`x", "%x", "!x", "&x", "*x", "|x", ">x", "'q'", '"q"', "it's",
    "a\nb", "a\n\nb", " a\nb", "a \nb", "a\n b", "trailing\n", "\nleading", "tab\there", "caf\u00e9", "\u2603",
    "\U0001F600", "a\x85b", "a\u2028b", "del\x7f", "nul\x00", "bell\x07", "bom\ufeff", "nbsp\xa0",
    "---", "...", "--- x", "a,b", "[x]", "{x}", "x]", "x}", "=", "<<", "a=b", "a-b", "a - b", "x?", "x ?y",
    "mlflow-artifacts:/1/models/m-0123/artifacts", "file:///home/user/mlruns/1/models/m-1/artifacts",
    "s3://bucket/path with space/model", "C:\\Users\\x", "100%", "a|b", "a>b", "a'b", 'a"b',
    "word " * 30,
    ("x" * 90) + " tail",
    "lead " + "y" * 100,
    "a  b  " * 20 + "end",
    '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type": "double", "name": "x"}]',
    "it's a long sentence with 'quotes' that keeps going past the eighty column limit of pyyaml's emitter",
    "caf\u00e9 " * 25,
    "multi line\nwith a very long second line that goes well past the eighty column limit of the emitter ok",
    "tab\t" * 30,
    "\u00e9" * 100,
    "  two leading spaces and a very long text that needs folding past eighty columns for sure yes",
]
floats = [0.1, 1.0, 0.7, 1e16, 1e-05, 1e-4, 123456789.0, 1234567890123456.0, 12345678901234567.0,
          1.5e300, -0.0, 2.5e-10, float("nan"), float("inf"), float("-inf"), 100.0, 3.14159]
ints = [0, 1, -1, 2 ** 53 + 1, 2 ** 70, -(2 ** 63)]
cases = []
for s in strings:
    cases.append({"k": s})
    cases.append({"list": [s]})
    if s and len(s) < 200:
        cases.append({s: 1})
cases.append({"f": floats})
cases.append({"i": ints})
cases.append({"b": [True, False, None]})
cases.append({"empty_map": {}, "empty_list": [], "nested": {"a": [], "b": {}}})
cases.append({"lol": [[1, 2], [[3]], [], [{"a": 1, "b": [1, {"c": None}]}]]})
cases.append({"lod": [{"z": 1, "a": 2}, {"m": {"n": [1, 2]}}]})
cases.append({"k" * 130: "long key", "k" * 122: "key of 122", "k" * 123: "key of 123"})
cases.append({"": "empty key"})
cases.append({"multi\nline key": 1})
cases.append({"B": 1, "a": 2, "_": 3, "Z": 4, "\u00e9": 5, "1": 6, "10": 7, "9": 8})
cases.append({"deep": {"a": {"b": {"c": {"d": ["x" * 100 + " y " + "z" * 10]}}}}})
cases.append({"seq_of_long": ["word " * 25]})

# Random documents: strings over an alphabet of YAML-significant characters, long enough to fold.
import random

random.seed(20261126)
ALPHABET = list("abcXYZ019 .:-#,[]{}&*!|>'\"%@`?=~\n\t_/\\") + ["\u00e9", "\u2603", "\U0001F600", "\x85", "  "]


def rand_str():
    n = random.choice([0, 1, 2, 5, 10, 40, 90, 200])
    return "".join(random.choice(ALPHABET) for _ in range(n))


def rand_value(depth=0):
    r = random.random()
    if depth < 3 and r < 0.2:
        return {rand_str()[:20] or "k": rand_value(depth + 1) for _ in range(random.randint(0, 4))}
    if depth < 3 and r < 0.35:
        return [rand_value(depth + 1) for _ in range(random.randint(0, 4))]
    if r < 0.45:
        return random.choice([None, True, False, 0, -7, 2 ** 40, 0.5, 1.0, 1e20, -2.5e-7])
    return rand_str()


for _ in range(300):
    cases.append({"doc": rand_value(), rand_str()[:30] or "x": rand_value()})

out = []
for c in cases:
    out.append({"input": json.dumps(c), "yaml": yaml.safe_dump(c, default_flow_style=False)})
Path(__file__).with_name("pyyaml_cases.json").write_text(json.dumps(out, indent=1) + "\n")
print(len(out), "cases")
