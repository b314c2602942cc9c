/**
 * Strict value comparison between a ValidatedInput and MLflow's recorded outcome
 * (tests/fixtures/README.md): integers exact, floats to 1e-9 relative (float32 at float32
 * precision), datetimes to the nanosecond, bytes exact.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ColumnValues, NumpyDtype } from "../../src/enforce/mod.ts";

/** One case line of enforcement-cases.jsonl. */
export interface EnforcementCase {
  id: string;
  schema: { inputs: string | null; params: string | null };
  content_type: string;
  body: string;
  expect: {
    ok: boolean;
    status: number;
    error_code: string | null;
    kind?: "columns" | "tensors";
    names?: (string | null)[];
    dtypes?: string[];
    shapes?: number[][];
    values?: unknown[][];
    params?: Record<string, unknown> | null;
  };
  policy: "match" | "reject";
  policy_why: string | null;
  note: string;
}

/** Reads the fixture cases. */
export async function loadCases(): Promise<EnforcementCase[]> {
  const text = await Deno.readTextFile(
    new URL("../fixtures/enforcement-cases.jsonl", import.meta.url),
  );
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/** Whether our dtype is an acceptable spelling of MLflow's recorded one. */
export function dtypeMatches(ours: NumpyDtype, theirs: string): boolean {
  if (ours === theirs) return true;
  if (theirs === "object") return ours === "str" || ours === "bytes" || ours === "object";
  if (theirs.startsWith("<U")) return ours === "str";
  return false;
}

function nsFromIso(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/.exec(text);
  if (!m) throw new Error(`Unreadable datetime ${text}`);
  const ms = Date.parse(`${m[1]}T${m[2] ?? "00"}:${m[3] ?? "00"}:${m[4] ?? "00"}Z`);
  return BigInt(ms) * 1_000_000n + BigInt((m[5] ?? "").padEnd(9, "0"));
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function expectedNumber(v: unknown): number | bigint {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === null) return NaN;
  if (typeof v === "object" && v !== null && "$int64" in v) {
    return BigInt((v as { $int64: string }).$int64);
  }
  throw new Error(`Not a number in the fixture: ${JSON.stringify(v)}`);
}

function closeFloat(actual: number, expected: number, rel: number, where: string): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${where}: expected NaN, got ${actual}`);
    return;
  }
  if (!Number.isFinite(expected)) {
    assert.equal(actual, expected, where);
    return;
  }
  const tol = Math.max(Math.abs(expected) * rel, rel);
  assert.ok(Math.abs(actual - expected) <= tol, `${where}: expected ${expected}, got ${actual}`);
}

/** Normalises JSON-ish object values so that 1 and 1.0 compare equal (JSON has one number). */
function plain(v: unknown): unknown {
  if (typeof v === "object" && v !== null && "$bytes_b64" in v) return v;
  return JSON.parse(JSON.stringify(v));
}

/** Asserts that `actual` holds exactly the recorded values for a dtype. */
export function assertValues(
  dtype: NumpyDtype,
  actual: ColumnValues,
  expected: unknown[],
  where: string,
): void {
  assert.equal(actual.length, expected.length, `${where}: length`);
  for (let i = 0; i < expected.length; i++) {
    const at = `${where}[${i}]`;
    const a = (actual as unknown[])[i];
    const e = expected[i];
    switch (dtype) {
      case "float64":
        closeFloat(a as number, expectedNumber(e) as number, 1e-9, at);
        break;
      case "float32":
        // Recorded as the exact double of the float32; ours is that float32.
        closeFloat(a as number, expectedNumber(e) as number, 1e-7, at);
        break;
      case "int8":
      case "int16":
      case "int32":
      case "uint8":
      case "uint16":
      case "uint32":
        assert.equal(a, expectedNumber(e), at);
        break;
      case "int64":
      case "uint64":
        assert.equal(a, BigInt(expectedNumber(e) as number), at);
        break;
      case "bool":
        assert.equal(a, e ? 1 : 0, at);
        break;
      case "datetime64[ns]":
        assert.equal(a, e === "NaT" || e === null ? -(2n ** 63n) : nsFromIso(e as string), at);
        break;
      case "bytes": {
        const exp = (e as { $bytes_b64: string }).$bytes_b64;
        assert.equal(a === null ? null : b64(a as Uint8Array), exp, at);
        break;
      }
      default:
        assert.deepEqual(plain(a), plain(e), at);
    }
  }
}

/** Asserts that params are equal, `null` and `{}` both meaning none. */
export function assertParams(actual: Record<string, unknown> | null, expected: unknown): void {
  const none = (p: unknown) =>
    p === null || p === undefined ||
    (typeof p === "object" && Object.keys(p as object).length === 0);
  if (none(expected)) {
    assert.ok(none(actual), `params: expected none, got ${JSON.stringify(actual)}`);
    return;
  }
  assert.deepEqual(plain(actual), plain(expected));
}
