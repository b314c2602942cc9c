/**
 * The library model: {@linkcode loadModel} fetches an MLflow bundle, reads its MLmodel, opens the
 * ONNX session, compiles the signature and self-checks it; {@linkcode LoadedModel.predict} and
 * {@linkcode LoadedModel.invoke} answer exactly what MLflow's `/invocations` answers. The HTTP
 * server (`createApp`) and library callers share this one path.
 *
 * @example
 * ```ts
 * import { loadModel } from "./mod.ts";
 * const model = await loadModel("examples/iris");
 * console.log(await model.predict({ inputs: { "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2 } }));
 * await model.close();
 * ```
 *
 * @module
 */
export {
  type Invocation,
  type InvocationSignal,
  type InvocationStage,
  LoadedModel,
  loadModel,
  type LoadModelOptions,
  type LoadTimings,
  resolveBackend,
  type StageTimings,
  type V2Inference,
} from "./loaded_model.ts";
export { elementWriter, serializePredictions } from "./serialize.ts";
