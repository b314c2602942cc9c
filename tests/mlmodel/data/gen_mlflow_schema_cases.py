"""Regenerates mlflow_schema_cases.json from MLflow's own schema code.

Needs `mlflow.types.schema` importable (MLflow 3.6 source). The recorded file was produced with
MLflow's schema.py and the params helpers of mlflow/models/utils.py on a path where the rest of
the package was stubbed (MlflowException; `_enforce_object` as a pass-through, so object-typed
param defaults are not validated by this generator). numpy is needed, pandas is not.
Each case records what `Schema.from_json(s).to_json()` / `ParamSchema.from_json(s).to_json()`
return, or the error MLflow raises. Run: `python3 gen_mlflow_schema_cases.py`.
"""

import json
import re
from pathlib import Path

from mlflow.types.schema import ParamSchema, Schema

HERE = Path(__file__).parent
ROOT = HERE.parent.parent.parent

inputs = []  # (kind, json)


def add(kind, s):
    if (kind, s) not in inputs:
        inputs.append((kind, s))


for b in sorted((ROOT / "tests/fixtures/mlflow-bundles").iterdir()):
    sig = json.loads((b / "mlmodel.dict.json").read_text())["signature"]
    for k in ("inputs", "outputs", "params"):
        if sig[k]:
            add("params" if k == "params" else "schema", sig[k])
for line in (ROOT / "tests/fixtures/enforcement-cases.jsonl").read_text().splitlines():
    c = json.loads(line)
    if c["schema"]["inputs"]:
        add("schema", c["schema"]["inputs"])
    if c["schema"]["params"]:
        add("params", c["schema"]["params"])
for f in sorted((HERE / "spec").glob("example_*.MLmodel")):
    for m in re.finditer(r"^  (inputs|outputs|params): '(.*?)'\n(?=  \w|\w)", f.read_text(), re.S | re.M):
        if m.group(2).startswith("["):
            add("params" if m.group(1) == "params" else "schema", " ".join(m.group(2).split("\n    ")))

extra_schema = [
    '[{"type": "double", "name": "a", "required": true}]',
    '[{"type": "string", "required": true}]',
    '[{"type": "array", "items": {"type": "string"}, "name": "stop", "required": true}]',
    '[{"type": "object", "properties": {"b": {"type": "long", "required": false}, "a": {"type": "string"}}, "name": "obj", "required": true}]',
    '[{"type": "map", "values": {"type": "long"}, "name": "m", "required": true}]',
    '[{"type": "any", "name": "x", "required": false}]',
    '[{"type": "any", "name": "x"}]',
    '[{"type": "array", "items": {"type": "long"}, "name": "a"}, {"type": "string", "name": "b"}]',
    '[{"type": "sparkml_vector", "name": "v", "required": true}]',
    '[{"type": "object", "properties": {"a": {"type": "string", "required": null}}, "name": "o", "required": true}]',
    '[{"type": "map", "values": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "double"}}}}, "name": "m", "required": null}]',
    '[{"type": "array", "items": {"type": "sparkml_vector"}, "name": "v", "required": true}]',
    '[{"type": "array", "items": {"type": "array", "items": {"type": "map", "values": {"type": "any"}}}, "name": "deep", "required": true}]',
    '[{"type": "map", "values": {"type": "object", "properties": {"z": {"type": "datetime"}, "y": {"type": "binary", "required": false}}}, "name": "mo", "required": false}]',
    '[{"type": "string", "name": "caf\\u00e9 \\"q\\" \\\\ \\n \\u2603 \\ud83d\\ude00", "required": true}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "float", "shape": [-1, 3]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "<f4", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "int", "shape": [2, -1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "U", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "S", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "bool", "shape": []}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "datetime64[ns]", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "M8[ns]", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "float16", "shape": [-1, 1]}, "name": "h"}]',
    '[{"name": "x", "type": "tensor", "tensor-spec": {"shape": [-1], "dtype": "uint64"}}]',
    # invalid schemas
    "[]",
    '[{"type": "long", "name": "a"}, {"type": "long"}]',
    '[{"type": "long", "name": "a"}, {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}, "name": "b"}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    '[{"type": "long", "required": false}]',
    '[{"type": "int", "name": "a"}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "<U5", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "S3", "shape": [-1]}}]',
    '[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]',
    '[{"type": "tensor"}]',
    '[{"name": "a"}]',
    '[{"type": "array", "name": "a"}]',
    '[{"type": "array", "items": {"type": "str"}, "name": "a"}]',
    '[{"type": "object", "properties": {}, "name": "o"}]',
    '[{"type": "map", "values": {"type": "int"}, "name": "m"}]',
    '[{"type": "object", "properties": {"a": {"required": true}}, "name": "o"}]',
]
for s in extra_schema:
    add("schema", s)

extra_params = [
    '[{"name": "temperature", "default": 0.7, "shape": null, "type": "double"}]',
    '[{"name": "a", "default": 1e-05, "shape": null, "type": "double"}, {"name": "b", "default": 1e16, "shape": null, "type": "double"}, {"name": "c", "default": 1.5e300, "shape": null, "type": "float"}, {"name": "d", "default": 0.0001, "shape": null, "type": "double"}, {"name": "e", "default": 123456789012345678, "shape": null, "type": "double"}, {"name": "f", "default": -0.0, "shape": null, "type": "double"}, {"name": "g", "default": 1E+3, "shape": null, "type": "double"}]',
    '[{"name": "n", "default": 3, "shape": null, "type": "float"}, {"name": "l", "default": [1, 2.5, 3], "shape": [-1], "type": "double"}]',
    '[{"name": "big", "default": 9007199254740993, "shape": null, "type": "long"}]',
    '[{"name": "d1", "default": "2023-07-01", "shape": null, "type": "datetime"}, {"name": "d2", "default": "2023-07-01T10:20:30", "shape": null, "type": "datetime"}, {"name": "d3", "default": "2023-07-01T10:20:30.5", "shape": null, "type": "datetime"}, {"name": "d4", "default": "2023-07", "shape": null, "type": "datetime"}, {"name": "d5", "default": "2023-07-01 10:20", "shape": null, "type": "datetime"}, {"name": "d6", "default": ["2023-01-01", "2024-02-29T00:00:00.123456"], "shape": [-1], "type": "datetime"}]',
    '[{"name": "s", "dtype": "string", "default": "x", "shape": null}]',
    '[{"name": "none", "default": null, "shape": null, "type": "long"}]',
    '[{"name": "b", "default": false, "shape": null, "type": "boolean"}]',
    '[{"name": "e", "default": [], "shape": [-1], "type": "long"}]',
    '[{"name": "obj", "default": {"a": 1}, "shape": null, "type": "object", "properties": {"a": {"type": "long", "required": true}}}]',
    # invalid
    '[{"name": "a", "default": 1, "shape": null, "type": "long"}, {"name": "a", "default": 2, "shape": null, "type": "long"}]',
    '[{"name": "a", "default": 1.0, "shape": null, "type": "long"}]',
    '[{"name": "a", "default": true, "shape": null, "type": "double"}]',
    '[{"name": "a", "default": 5, "shape": null, "type": "string"}]',
    '[{"name": "a", "default": "x", "shape": null, "type": "binary"}]',
    '[{"name": "a", "default": [1], "shape": null, "type": "long"}]',
    '[{"name": "a", "default": 1, "shape": [-1], "type": "long"}]',
    '[{"name": "a", "default": [[1]], "shape": [-1], "type": "long"}]',
    '[{"name": "a", "default": [1], "shape": [2], "type": "long"}]',
    '[{"name": "a", "default": "not a date", "shape": null, "type": "datetime"}]',
    '[{"name": "a", "default": "2023-01-01T00:00:00.123456789", "shape": null, "type": "datetime"}]',
    '[{"name": "a", "shape": null, "type": "long"}]',
]
for s in extra_params:
    add("params", s)

cases = []
for kind, s in inputs:
    cls = Schema if kind == "schema" else ParamSchema
    try:
        out = cls.from_json(s).to_json()
        cases.append({"kind": kind, "json": s, "mlflow": out})
    except Exception as e:  # noqa: BLE001
        cases.append({"kind": kind, "json": s, "error": str(getattr(e, "message", e)), "error_type": type(e).__name__})

(HERE / "mlflow_schema_cases.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
print(len(cases), "cases")
