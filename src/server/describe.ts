/**
 * The routes that describe the served models: `GET /openapi.json`,
 * `GET /models/{name}/openapi.json`, the default model's card at `GET /` and
 * `GET /models/{name}/card`.
 *
 * @module
 */
import { validateRequest } from "../enforce/mod.ts";
import { TensorSpec } from "../mlmodel/mod.ts";
import { publicModelUri } from "./load_failure.ts";
import { cardContentSecurityPolicy, renderCard } from "./card.tsx";
import type { LoadedModel } from "../model/mod.ts";
import type { ModelSlot } from "./model_slot.ts";
import {
  csvColumnsOf,
  csvField,
  type ModelDescription,
  openApiDocument,
  type V2InputName,
} from "./openapi.ts";
import { signatureTensors } from "./v2/metadata.ts";

/**
 * What the describing routes need from the app.
 *
 * @example
 * ```ts ignore
 * describeRoutes(app, { slots: () => registry.slots, defaultSlot, named, version: "0.1.0" });
 * ```
 */
export interface DescribeContext {
  /** Every served model. */
  slots(): readonly ModelSlot[];
  /** The model behind `/invocations`, if any. */
  defaultSlot: ModelSlot | undefined;
  /** The slot of a name; throws MLflow's RESOURCE_DOES_NOT_EXIST for an unknown one. */
  named(name: string): ModelSlot;
  /** The server's version, for the document's `info.version`. */
  version: string;
}

/** Examples (request or answer) larger than this are left out of documents and cards. */
const EXAMPLE_LIMIT = 256 * 1024;

/** The serving input example, or null when there is none or it is too large to show. */
function shownExample(loaded: LoadedModel): string | null {
  const text = loaded.servingInputExample;
  return text !== null && text.length <= EXAMPLE_LIMIT ? text : null;
}

// The model's own answer to its serving input example, computed once per loaded version.
const answers = new WeakMap<LoadedModel, Promise<unknown>>();

function responseExample(loaded: LoadedModel): Promise<unknown> {
  let p = answers.get(loaded);
  if (!p) {
    const example = shownExample(loaded);
    p = example === null
      ? Promise.resolve(undefined)
      : loaded.invoke(example, "application/json").then(
        (r) => r.text.length <= EXAMPLE_LIMIT ? JSON.parse(r.text) : undefined,
        () => undefined,
      ).catch(() => undefined);
    answers.set(loaded, p);
  }
  return p;
}

/** The serving example as the enforcement core reads it: columns or tensors. */
interface ReadExample {
  kind: "columns" | "tensors";
  columns?: { name: string; dtype: string; values: unknown[] }[];
  tensors?: { name: string | null; shape: number[]; values: unknown[] }[];
}

// The serving example read by the core, once per loaded version.
const readExamples = new WeakMap<LoadedModel, Promise<ReadExample | undefined>>();

function readExample(loaded: LoadedModel): Promise<ReadExample | undefined> {
  let p = readExamples.get(loaded);
  if (!p) {
    const signature = loaded.model.signature;
    const example = shownExample(loaded);
    p = !signature?.inputs || example === null
      ? Promise.resolve(undefined)
      : validateRequest(signature, example).then(
        (read) => read.toJSON() as ReadExample,
        () => undefined,
      );
    readExamples.set(loaded, p);
  }
  return p;
}

/**
 * The serving input example as a V2 infer request: each column or tensor the core read becomes
 * the V2 input its metadata names. Only for numeric and boolean inputs (text, bytes and
 * datetimes have content types of their own); undefined otherwise.
 */
async function v2RequestExample(loaded: LoadedModel): Promise<unknown> {
  const inputs = loaded.model.signature?.inputs;
  const read = await readExample(loaded);
  if (!inputs || !read) return undefined;
  const meta = signatureTensors(inputs);
  if (meta.some((t) => t.datatype === "BYTES" || t.datatype === "FP16")) return undefined;
  const parts = read.kind === "columns"
    ? read.columns!.map((c) => ({ name: c.name, shape: [c.values.length, 1], data: c.values }))
    : read.tensors!.map((t) => ({ name: t.name, shape: t.shape, data: t.values }));
  return {
    inputs: parts.map((part, i) => {
      const m = meta.find((t) => t.name === part.name) ?? meta[i];
      return { name: m.name, shape: part.shape, datatype: m.datatype, data: part.data };
    }),
  };
}

const CSV_DTYPES = new Set(["float64", "float32", "int64", "int32", "bool", "str"]);

/** One CSV cell as pandas reads it back: `True`/`False`, quoted text where needed. */
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "True" : "False";
  return csvField(String(v));
}

/**
 * The serving input example as CSV (header and rows), for models with named columns of numbers,
 * booleans or text; undefined otherwise.
 */
async function csvExample(loaded: LoadedModel): Promise<string | undefined> {
  if (!csvColumnsOf(loaded.model.signature)) return undefined;
  const read = await readExample(loaded);
  if (read?.kind !== "columns" || read.columns!.some((c) => !CSV_DTYPES.has(c.dtype))) {
    return undefined;
  }
  const cols = read.columns!;
  // An empty text would come back as a missing value.
  if (cols.some((c) => c.values.some((v) => v === ""))) return undefined;
  const lines = [cols.map((c) => csvField(c.name)).join(",")];
  for (let r = 0; r < (cols[0]?.values.length ?? 0); r++) {
    lines.push(cols.map((c) => csvCell(c.values[r])).join(","));
  }
  return lines.join("\n") + "\n";
}

async function describe(slot: ModelSlot, isDefault: boolean): Promise<ModelDescription> {
  let loaded: LoadedModel;
  try {
    loaded = await slot.get();
  } catch {
    // The public reason only, as on the card: load errors name paths and hosts (the log has them).
    return { name: slot.name, isDefault, signature: null, loadError: slot.publicReason };
  }
  const inputs = loaded.model.signature?.inputs;
  // The names the V2 metadata gives the inputs; every tensor and each required column is needed.
  const v2Inputs: V2InputName[] | undefined = inputs
    ? signatureTensors(inputs).map((t, i) => {
      const spec = inputs.inputs[i];
      return { name: t.name, required: spec instanceof TensorSpec || spec.isRequired };
    })
    : undefined;
  return {
    name: slot.name,
    isDefault,
    v2Inputs,
    signature: loaded.model.signature,
    servingInputExample: shownExample(loaded),
    responseExample: await responseExample(loaded),
    v2RequestExample: await v2RequestExample(loaded),
    csvExample: await csvExample(loaded),
  };
}

const JSON_TYPE = { "Content-Type": "application/json" };
async function htmlHeaders(): Promise<Record<string, string>> {
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": await cardContentSecurityPolicy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  };
}

async function card(slot: ModelSlot, isDefault: boolean): Promise<Response> {
  const base = {
    name: slot.name,
    // The card is public: a registry reference is shown, a path or a host is not.
    uri: publicModelUri(slot.uri),
    invocationsPath: isDefault ? "/invocations" : `/models/${slot.name}/invocations`,
    openApiPath: isDefault ? "/openapi.json" : `/models/${slot.name}/openapi.json`,
    v2MetadataPath: `/v2/models/${slot.name}`,
  };
  let loaded: LoadedModel;
  try {
    loaded = await slot.get();
  } catch {
    // The state and error code only: load-error texts name paths and hosts (the log has them).
    const html = renderCard({ ...base, error: slot.publicReason });
    return new Response(html, { status: 503, headers: await htmlHeaders() });
  }
  const example = shownExample(loaded);
  const html = renderCard({
    ...base,
    model: loaded.model,
    servingInputExample: example,
    csvExample: await csvExample(loaded),
    graphOutputs: loaded.onnx.outputs.map((o) => ({ name: o.name, type: o.type, shape: o.shape })),
    exampleOmittedBytes: example === null ? loaded.servingInputExample?.length : undefined,
  });
  return new Response(html, { status: 200, headers: await htmlHeaders() });
}

/**
 * The OpenAPI document of `slots` (each model described, loading it first as a request would).
 *
 * @example
 * ```ts ignore
 * const res = await openApiResponse(context, context.slots());
 * ```
 */
export async function openApiResponse(
  ctx: DescribeContext,
  slots: readonly ModelSlot[],
): Promise<Response> {
  const models = await Promise.all(slots.map((s) => describe(s, s === ctx.defaultSlot)));
  const document = JSON.stringify(openApiDocument(models, { version: ctx.version }));
  return new Response(document, { headers: JSON_TYPE });
}

/**
 * The model card (HTML) of a slot; 503 with the public reason when it cannot load.
 *
 * @example
 * ```ts ignore
 * const res = await cardResponse(context.named("iris"), false);
 * ```
 */
export function cardResponse(slot: ModelSlot, isDefault: boolean): Promise<Response> {
  return card(slot, isDefault);
}
