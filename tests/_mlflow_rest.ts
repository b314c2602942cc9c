// What the two MLflow tracking-server doubles answer alike: the read-only registry with fault
// injection (store/_servers.ts) and the stateful logging server (tracking/_tracking_server.ts).
// MLflow's REST paths, its JSON error shape, the proxied-artifact listing and download, and a
// listener on 127.0.0.1 behind an optional reverse-proxy path prefix.

/** The proxied-artifact route (mlflow_artifacts.proto). */
export const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";
/** The tracking and registry REST routes (service.proto, model_registry.proto). */
export const API = "/api/2.0/mlflow/";

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** MLflow's error answer: `{error_code, message}`. */
export function restError(code: string, message: string, status: number): Response {
  return json({ error_code: code, message }, status);
}

/** A downloaded artifact, or MLflow's 404 when there is none at `key`. */
export function artifactFile(bytes: Uint8Array | undefined, key: string): Response {
  if (!bytes) return restError("RESOURCE_DOES_NOT_EXIST", `File ${key} not found`, 404);
  return new Response(bytes as BodyInit, {
    headers: { "content-type": "application/octet-stream" },
  });
}

/** The `artifacts?path=dir` answer over artifact files keyed by path. */
export function listArtifacts(
  artifacts: ReadonlyMap<string, Uint8Array>,
  dir: string,
): { files?: { path: string; is_dir: boolean; file_size?: number }[] } {
  const base = dir.replace(/\/+$/, "");
  const entries = new Map<string, { is_dir: boolean; file_size?: number }>();
  for (const [key, bytes] of artifacts) {
    if (!key.startsWith(`${base}/`)) continue;
    const rest = key.slice(base.length + 1);
    const slash = rest.indexOf("/");
    if (slash < 0) entries.set(rest, { is_dir: false, file_size: bytes.length });
    else entries.set(rest.slice(0, slash), { is_dir: true });
  }
  // Like MLflow: an empty or missing directory lists as no files.
  const files = [...entries].map(([path, e]) => ({ path, ...e }));
  return files.length ? { files } : {};
}

/** Serves `handle` on a free port of 127.0.0.1; `url` ends with `prefix` (a reverse proxy's). */
export function listen(
  handle: (req: Request) => Response | Promise<Response>,
  prefix = "",
): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
  return { url: `http://127.0.0.1:${server.addr.port}${prefix}`, close: () => server.shutdown() };
}

/** The path under `prefix`, or undefined when the request is outside it. */
export function underPrefix(req: Request, prefix: string): string | undefined {
  const { pathname } = new URL(req.url);
  return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : undefined;
}
