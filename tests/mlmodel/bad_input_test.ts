import assert from "node:assert/strict";
import { join } from "node:path";
import { MlflowError } from "../../src/errors.ts";
import { Model } from "../../src/mlmodel/mod.ts";

const IRIS = new URL("../fixtures/mlflow-bundles/iris_mlp_onnx/MLmodel", import.meta.url);
const IRIS_TEXT = await Deno.readTextFile(IRIS);
const FILE = "bundles/x/MLmodel";

function refuses(text: string, pattern: RegExp, options = {}): void {
  assert.throws(() => Model.fromYaml(text, FILE, options), (e: unknown) => {
    assert.ok(e instanceof MlflowError, `expected MlflowError, got ${e}`);
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(FILE), `message names the file: ${e.message}`);
    assert.equal(e.status, 400);
    return true;
  });
}

Deno.test("malformed YAML is refused naming the file", () => {
  refuses("flavors: [\n  a: b", /^MLmodel file 'bundles\/x\/MLmodel' is not valid YAML: /);
  refuses("flavors:\n\t- tab", /is not valid YAML/);
  refuses("a: 1\n---\nb: 2\n", /is not valid YAML/);
});

Deno.test("a YAML alias bomb is refused before anything is expanded", () => {
  const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${
        Array(10).fill(`*${prev}`).join(", ")
      }]`,
    );
  }
  lines.push("flavors: {}");
  refuses(lines.join("\n") + "\n", /uses a YAML anchor \(&a\); MLflow never writes anchors/);
});

/** A mapping of `keys` entries, each a list of 40 numbers, indented by `indent` spaces. */
function bigMapping(keys: number, indent: number): string {
  const row = `[${Array.from({ length: 40 }, (_, i) => i * 1.5).join(", ")}]`;
  return Array.from({ length: keys }, (_, i) => `${" ".repeat(indent)}k${i}: ${row}`).join("\n");
}

Deno.test("a 3.7 MB MLmodel that reuses one mapping through 99 merge keys is refused", () => {
  const text = `base: &base\n${bigMapping(18_500, 2)}\nflavors:\n` +
    Array.from({ length: 99 }, (_, i) => `  f${i}:\n    <<: *base\n`).join("");
  assert.ok(text.length > 3_600_000 && text.length < 4 * 1024 * 1024, `${text.length}`);
  refuses(text, /uses a YAML anchor \(&base\)/);
  // Without the anchor line the first reference met is the merge key itself.
  const merge = `flavors:\n  onnx:\n    <<: {data: model.onnx}\n`;
  refuses(merge, /uses a YAML merge key \(<<\)/);
});

Deno.test("a 3.7 MB MLmodel that reuses one list through 99 aliases is refused", () => {
  const list = `[${Array.from({ length: 370_000 }, (_, i) => `"v${i}"`).join(", ")}]`;
  const text = `flavors: {}\nbig: &l ${list}\nuses:\n` +
    Array.from({ length: 99 }, () => "  - *l\n").join("");
  assert.ok(text.length > 3_600_000 && text.length < 4 * 1024 * 1024, `${text.length}`);
  refuses(text, /uses a YAML anchor \(&l\)/);
  // An alias is refused even when its anchor sits after 3.6 MB of plain data.
  const late = `flavors: {}\n${bigMapping(18_500, 0)}\nx: *nowhere\n`;
  assert.ok(late.length > 3_600_000, `${late.length}`);
  refuses(late, /uses a YAML alias \(\*nowhere\)/);
});

Deno.test("ampersands, asterisks and << inside quoted or block scalars are data", () => {
  const text = "flavors: {}\na: \"x &y *z\"\nb: 'a *b'\nc: x&y*z\nd: |\n  &x *y <<\ne: '<<'\n";
  const m = Model.fromYaml(text, FILE);
  assert.deepEqual(
    [m.extra.a, m.extra.b, m.extra.c, m.extra.d, m.extra.e],
    ["x &y *z", "a *b", "x&y*z", "&x *y <<\n", "<<"],
  );
});

Deno.test("an MLmodel that is a list, a scalar or empty is refused", () => {
  refuses("- flavors\n- x\n", /must contain a YAML mapping at the top level, got a list/);
  refuses("just some text\n", /got a string/);
  refuses("42\n", /got a number/);
  refuses("", /got null/);
  refuses("# only a comment\n", /got null/);
});

Deno.test("a missing or malformed flavors key is refused naming the field", () => {
  refuses("model_uuid: abc\n", /field 'flavors' is missing/);
  refuses("flavors: [onnx]\n", /field 'flavors' must be a mapping, got a list/);
  refuses("flavors: null\n", /field 'flavors' must be a mapping, got null/);
  refuses("flavors:\n  onnx: model.onnx\n", /field 'flavors.onnx' must be a mapping, got a string/);
});

Deno.test("signature strings that are not JSON or name unknown types are refused naming the field", () => {
  const withSig = (inputs: string) =>
    `flavors: {}\nsignature:\n  inputs: '${inputs}'\n  outputs: null\n  params: null\n`;
  refuses(withSig("[{"), /field 'signature.inputs': Schema is not valid JSON/);
  refuses(withSig("not json"), /field 'signature.inputs': Schema is not valid JSON/);
  refuses(
    withSig('[{"type": "decimal", "name": "a"}]'),
    /field 'signature.inputs': Unsupported type 'decimal'/,
  );
  refuses(
    withSig('[{"type": "tensor", "tensor-spec": {"dtype": "quaternion", "shape": [-1]}}]'),
    /not understood/,
  );
  refuses(
    withSig("[]"),
    /field 'signature.inputs': Creating Schema with empty inputs is not allowed/,
  );
  refuses(
    'flavors: {}\nsignature:\n  inputs: null\n  outputs: null\n  params: \'[{"name": "a", "default": 1.5, "shape": null, "type": "long"}]\'\n',
    /field 'signature.params': Failed to validate type and shape for 'a'/,
  );
  refuses(
    "flavors: {}\nsignature:\n  inputs: [1, 2]\n",
    /field 'signature.inputs' must be a JSON string, got a list/,
  );
  refuses("flavors: {}\nsignature: '[1]'\n", /field 'signature' must be a mapping/);
  refuses(
    "flavors: {}\nsignature:\n  inputs: null\n",
    /field 'signature': At least one of inputs, outputs or params/,
  );
});

Deno.test("other malformed top-level fields are refused naming the field", () => {
  refuses(
    "flavors: {}\nsaved_input_example_info: input_example.json\n",
    /field 'saved_input_example_info' must be a mapping/,
  );
  refuses("flavors: {}\nmetadata: [1]\n", /field 'metadata' must be a mapping/);
  refuses("flavors: {}\nenv_vars: X\n", /field 'env_vars' must be a list/);
  const escape =
    "flavors: {}\nsaved_input_example_info:\n  artifact_path: ../../etc/passwd\n  type: json_object\n";
  const model = Model.fromYaml(escape, FILE);
  assert.throws(() => model.inputExamplePath, /must be a relative path inside the model directory/);
});

Deno.test("flavor helpers refuse malformed python_function and onnx blocks naming the field", () => {
  const m = Model.fromYaml(
    "flavors:\n  python_function:\n    data: model.onnx\n  onnx:\n    data: model.onnx\n    onnx_session_options:\n      execution_mode: turbo\n",
    FILE,
  );
  assert.throws(
    () => m.pyfuncFlavor(),
    /field 'flavors.python_function.loader_module' must be a string/,
  );
  assert.throws(() => m.onnxFlavor(), /field 'flavors.onnx.onnx_session_options.execution_mode'/);
  const n = Model.fromYaml("flavors:\n  onnx:\n    providers: CPU\n", FILE);
  assert.throws(() => n.onnxFlavor(), /field 'flavors.onnx.data' must be a string/);
});

Deno.test("absurd sizes are refused before parsing", async () => {
  const huge = "flavors: {}\nmetadata:\n  blob: " + "x".repeat(5 * 1024 * 1024) + "\n";
  refuses(huge, /is 524\d+ characters, more than the limit of 4194304/);
  refuses(IRIS_TEXT, /more than the limit of 100/, { maxBytes: 100 });
  const dir = await Deno.makeTempDir({ prefix: "mlmodel_big_" });
  try {
    await Deno.writeTextFile(join(dir, "MLmodel"), huge);
    await assert.rejects(Model.load(dir), (e: unknown) => {
      assert.ok(e instanceof MlflowError);
      assert.match(e.message, /MLmodel' is \d+ bytes, more than the limit/);
      return true;
    });
    await Deno.writeFile(
      join(dir, "MLmodel"),
      new Uint8Array([0x66, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
    );
    await assert.rejects(Model.load(dir), /could not be read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // A deeply nested signature is bounded too.
  const deep = "[".repeat(5000) + "]".repeat(5000);
  refuses(`flavors: {}\nsignature:\n  inputs: '${deep}'\n`, /nesting deeper than 500/);
});

Deno.test("an impossible unquoted date is refused like PyYAML refuses it", () => {
  refuses("flavors: {}\nmetadata:\n  d: 2023-02-29\n", /'2023-02-29' is not a valid date/);
});

Deno.test("duplicate keys are read like PyYAML (the last one wins)", () => {
  const m = Model.fromYaml("flavors: {}\nrun_id: a\nrun_id: b\n", FILE);
  assert.equal(m.runId, "b");
});

Deno.test("truncations and 500 byte mutations of a real MLmodel fail only with MlflowError", () => {
  const check = (text: string) => {
    try {
      const m = Model.fromYaml(text, FILE);
      m.toYaml();
      m.toDict();
      m.pyfuncFlavor();
      m.onnxFlavor();
      void m.servingInputExamplePath;
    } catch (e) {
      if (!(e instanceof MlflowError)) {
        throw new Error(`non-MlflowError for ${JSON.stringify(text)}: ${e}`);
      }
    }
  };
  for (let i = 0; i <= IRIS_TEXT.length; i += 3) check(IRIS_TEXT.slice(0, i));
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = "{}[]'\":-&*!|>#%@`,? \n\tabc01.";
  for (let k = 0; k < 500; k++) {
    const chars = [...IRIS_TEXT];
    for (let j = 0; j < 3; j++) chars[rand(chars.length)] = alphabet[rand(alphabet.length)];
    check(chars.join(""));
  }
});
