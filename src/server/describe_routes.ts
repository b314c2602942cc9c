/**
 * The describing routes: `/` and `/models/{name}/card` (model cards), `/openapi.json` and
 * `/models/{name}/openapi.json`. Their handlers (the card's JSX, the OpenAPI document builder)
 * are imported on the first such request rather than at start, so a server that only answers
 * predictions never loads them.
 *
 * @module
 */
import type { Hono } from "hono";
import { MlflowError } from "../errors.ts";
import type { DescribeContext } from "./describe.ts";

/**
 * Adds the describing routes to `app`. Describing a model loads it (as a request would).
 *
 * @example
 * ```ts ignore
 * import { Hono } from "hono";
 * describeRoutes(new Hono(), context);
 * ```
 */
export function describeRoutes(app: Hono, ctx: DescribeContext): void {
  const handlers = () => import("./describe.ts");
  app.get("/openapi.json", async () => (await handlers()).openApiResponse(ctx, ctx.slots()));
  app.get("/models/:name/openapi.json", async (c) => {
    const slot = ctx.named(c.req.param("name"));
    return (await handlers()).openApiResponse(ctx, [slot]);
  });
  app.get("/", async () => {
    if (!ctx.defaultSlot) {
      throw new MlflowError(
        "No model is configured, so there is no card.",
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    return (await handlers()).cardResponse(ctx.defaultSlot, true);
  });
  app.get("/models/:name/card", async (c) => {
    const slot = ctx.named(c.req.param("name"));
    return (await handlers()).cardResponse(slot, false);
  });
}
