/**
 * The `s3://bucket/prefix` store: ListObjectsV2 and GET, signed with SigV4 by aws4fetch.
 * With an endpoint override (MinIO, R2's S3 API, GCS interop) requests use path-style
 * addressing; without one, AWS's virtual-hosted style.
 *
 * @module
 */
import { AwsClient } from "aws4fetch";
import { MlflowError } from "../errors.ts";
import { q } from "./_errors.ts";
import { assertSafeKey, encodeKey, trimSlashes } from "./_path.ts";
import { httpRequest, type Pipeline, responseBody, withRetries } from "./_pipeline.ts";
import type { BundleStore, ObjectMeta, S3Options } from "./types.ts";

const MAX_PAGES = 1000;

/**
 * Parse `s3://bucket/prefix` into bucket and prefix (no leading or trailing slash).
 *
 * @example
 * ```ts
 * import { parseS3Uri } from "./s3.ts";
 * parseS3Uri("s3://models/iris/1/"); // { bucket: "models", prefix: "iris/1" }
 * ```
 */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/?#]+)(\/[^?#]*)?$/i.exec(uri);
  if (!m) {
    throw new MlflowError(
      `Not an S3 URI: ${q(uri)}; expected "s3://bucket/prefix".`,
      "INVALID_PARAMETER_VALUE",
    );
  }
  assertBucketName(m[1], uri);
  return { bucket: m[1], prefix: trimSlashes(decodeURIComponent(m[2] ?? "")) };
}

/**
 * S3's bucket naming rules: 3–63 lowercase letters, digits, dots and hyphens, starting and
 * ending with a letter or digit, no two adjacent dots, not shaped like an IP address. The
 * bucket becomes part of a host name (`https://bucket.s3.region.amazonaws.com`), so anything
 * else — `x@host:port`, a backslash — could point the signed request at another host.
 */
function assertBucketName(bucket: string, uri: string): void {
  if (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes("..") &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(bucket)
  ) return;
  throw new MlflowError(
    `Invalid S3 bucket name in ${q(uri)}: S3 bucket names are 3 to 63 lowercase letters, ` +
      `digits, dots and hyphens, start and end with a letter or digit, and are not IP addresses.`,
    "INVALID_PARAMETER_VALUE",
  );
}

/**
 * A store over the objects under an S3 prefix.
 *
 * @example
 * ```ts
 * import { s3Store } from "./s3.ts";
 * const pipeline = { fetch, timeoutMs: 10_000, retries: 2, retryDelayMs: 200, signal: new AbortController().signal };
 * const store = s3Store("s3://models/iris", pipeline, { endpoint: "http://127.0.0.1:9000", accessKeyId: "k", secretAccessKey: "s" });
 * store.uri; // "s3://models/iris"
 * ```
 */
export function s3Store(uri: string, p: Pipeline, options: S3Options = {}): BundleStore {
  const { bucketUrl, prefix, shown, request } = s3Bucket(uri, options);
  const base = prefix ? `${prefix}/` : "";

  return {
    uri: shown,
    cacheId: `${options.endpoint ?? "aws"}|${shown}`,
    async list(ctx): Promise<ObjectMeta[]> {
      const out: ObjectMeta[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const params = new URLSearchParams({ "list-type": "2", prefix: base });
        if (token) params.set("continuation-token", token);
        const xml = await withRetries(
          { ...p, signal: ctx.signal ?? p.signal },
          `Listing of ${q(shown)}`,
          async (signal) => {
            const req = await request(`${bucketUrl}?${params}`, { signal });
            const res = await httpRequest(p, req, { signal }, `Listing of ${q(shown)}`);
            return await res.text();
          },
        );
        for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const key = xmlText(m[1], "Key");
          if (key === undefined || !key.startsWith(base) || key.endsWith("/")) continue;
          const size = Number(xmlText(m[1], "Size") ?? NaN);
          out.push({
            key: assertSafeKey(key.slice(base.length), shown, "The listing"),
            size: Number.isFinite(size) ? size : undefined,
            etag: xmlText(m[1], "ETag"),
          });
        }
        token = xmlText(xml, "IsTruncated") === "true"
          ? xmlText(xml, "NextContinuationToken")
          : undefined;
        if (!token) return out;
      }
      throw new MlflowError(
        `Listing of ${q(shown)} has more than ${MAX_PAGES} pages.`,
        "RESOURCE_EXHAUSTED",
      );
    },
    async get(key, init) {
      const url = `${bucketUrl}/${encodeKey(base + key)}`;
      const req = await request(url, { signal: init.signal });
      const res = await httpRequest(
        p,
        req,
        { signal: init.signal },
        `Object "${key}" of ${q(shown)}`,
      );
      return responseBody(res);
    },
  };
}

/**
 * An S3 prefix's addressing and signing: the bucket URL (path style with an endpoint override,
 * virtual-hosted on AWS), the prefix, and `request(url, init)` signed with SigV4 when keys are
 * given. The stores read through it and uploads write through it.
 *
 * @example
 * ```ts
 * import { s3Bucket } from "./s3.ts";
 * s3Bucket("s3://models/iris", { endpoint: "http://127.0.0.1:9000" }).bucketUrl; // "http://127.0.0.1:9000/models"
 * ```
 */
export function s3Bucket(uri: string, options: S3Options = {}): {
  bucketUrl: string;
  prefix: string;
  shown: string;
  request: (url: string, init: RequestInit & { signal: AbortSignal }) => Promise<Request>;
} {
  const { bucket, prefix } = parseS3Uri(uri);
  const region = options.region || "us-east-1";
  let bucketUrl: string;
  if (options.endpoint) {
    bucketUrl = `${options.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(bucket)}`;
  } else if (bucket.includes(".")) {
    bucketUrl = `https://s3.${region}.amazonaws.com/${encodeURIComponent(bucket)}`;
  } else {
    bucketUrl = `https://${bucket}.s3.${region}.amazonaws.com`;
  }
  const shown = `s3://${bucket}/${prefix}`;
  const client = options.accessKeyId && options.secretAccessKey
    ? new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      sessionToken: options.sessionToken,
      service: "s3",
      region,
      retries: 0, // the pipeline retries
    })
    : undefined;
  const request = async (url: string, init: RequestInit & { signal: AbortSignal }) =>
    client ? await client.sign(url, init) : new Request(url, init);
  return { bucketUrl, prefix, shown, request };
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1]) : undefined;
}

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === "#") {
      const cp = e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
    }
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e] ?? "";
  });
}
