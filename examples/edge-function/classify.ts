/**
 * An edge function that uses mlflow-edge as a library: it loads the iris model once per
 * isolate with `loadModel`, scores requests with `model.predict` and turns MLflow's answer into
 * a typed result (a species per row).
 *
 * @module
 */
import { type LoadedModel, loadModel, MlflowError } from "../../mod.ts";

/**
 * The iris classes, in the order of the model's output columns.
 *
 * @example
 * ```ts
 * import { SPECIES } from "./classify.ts";
 * console.log(SPECIES[2]); // "virginica"
 * ```
 */
export const SPECIES = ["setosa", "versicolor", "virginica"] as const;

/**
 * One iris class name.
 *
 * @example
 * ```ts
 * import type { Species } from "./classify.ts";
 * const s: Species = "setosa";
 * ```
 */
export type Species = typeof SPECIES[number];

/**
 * The classification of one row.
 *
 * @example
 * ```ts
 * import type { Classification } from "./classify.ts";
 * const c: Classification = { species: "setosa", probabilities: [0.99996, 0.00004, 0] };
 * ```
 */
export interface Classification {
  species: Species;
  /** Probability per class, in {@linkcode SPECIES} order. */
  probabilities: [number, number, number];
}

/** What MLflow answers for this model: every output element as its own record, 3 per row. */
interface IrisAnswer {
  predictions: { probabilities: number }[];
}

function isIrisAnswer(x: unknown): x is IrisAnswer {
  const p = (x as { predictions?: unknown } | null)?.predictions;
  return Array.isArray(p) && p.length % SPECIES.length === 0 &&
    p.every((r) => typeof (r as { probabilities?: unknown })?.probabilities === "number");
}

/**
 * A classifier for the iris model at `uri`. The model loads on the first call and stays loaded.
 * `input` is anything `/invocations` accepts: an envelope object, or its JSON text.
 *
 * @example
 * ```ts ignore
 * const classify = createClassifier("examples/iris");
 * const [first] = await classify({
 *   dataframe_split: {
 *     columns: ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
 *     data: [[5.1, 3.5, 1.4, 0.2]],
 *   },
 * });
 * console.log(first.species); // "setosa"
 * ```
 */
export function createClassifier(uri: string): (input: unknown) => Promise<Classification[]> {
  let model: Promise<LoadedModel> | undefined;
  return async (input) => {
    model ??= loadModel(uri).catch((e) => {
      model = undefined; // let the next request try again
      throw e;
    });
    const answer = await (await model).predict(input as string | object);
    if (!isIrisAnswer(answer)) {
      throw new MlflowError("The model did not answer with iris probabilities.", "INTERNAL_ERROR");
    }
    const out: Classification[] = [];
    for (let i = 0; i < answer.predictions.length; i += SPECIES.length) {
      const p = answer.predictions.slice(i, i + SPECIES.length).map((r) => r.probabilities);
      const best = p.indexOf(Math.max(...p));
      out.push({ species: SPECIES[best], probabilities: [p[0], p[1], p[2]] });
    }
    return out;
  };
}

/**
 * A `Deno.serve` handler: POST an MLflow envelope, get `{"results": Classification[]}`; a
 * refused request gets MLflow's error body and status.
 *
 * @example
 * ```ts ignore
 * Deno.serve(createHandler("examples/iris"));
 * ```
 */
export function createHandler(uri: string): (request: Request) => Promise<Response> {
  const classify = createClassifier(uri);
  return async (request) => {
    if (request.method !== "POST") {
      return Response.json(
        { error_code: "BAD_REQUEST", message: "Send a POST with a JSON body." },
        { status: 405, headers: { allow: "POST" } },
      );
    }
    try {
      return Response.json({ results: await classify(await request.text()) });
    } catch (e) {
      if (e instanceof MlflowError) return Response.json(e.toJSON(), { status: e.status });
      console.error(e);
      return Response.json(
        { error_code: "INTERNAL_ERROR", message: "The model could not be run." },
        { status: 500 },
      );
    }
  };
}
