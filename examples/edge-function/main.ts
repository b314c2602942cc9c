/**
 * The edge function's entry: `deno run -A examples/edge-function/main.ts` (Supabase Edge
 * Functions and similar hosts run exactly this shape: a module that calls `Deno.serve`).
 * `MODEL_URI` picks the model (default: the iris example); `HOST` and `PORT` the address.
 *
 * @module
 */
import { createHandler } from "./classify.ts";

const uri = Deno.env.get("MODEL_URI") ?? new URL("../iris", import.meta.url).pathname;
Deno.serve({
  hostname: Deno.env.get("HOST"),
  port: Number(Deno.env.get("PORT") ?? 8000),
  onListen: ({ hostname, port }) => console.log(`Classifying iris on http://${hostname}:${port}/`),
}, createHandler(uri));
