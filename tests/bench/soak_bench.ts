/**
 * `deno task bench soak [--duration=600] [--connections=64] [--backend=web|native]`: the
 * scoring server under wrk for a long time with a mix of valid and invalid bodies (one valid
 * iris row, 100 valid rows, a body refused by the signature, malformed JSON, an unknown
 * envelope key, a wrong content type), reporting requests, socket errors, statuses and the
 * server's resident memory at 1 minute and at the end.
 *
 * @module
 */
import { irisBody, startServe } from "../server/_serve_process.ts";
import { loadAverage } from "./_wrk.ts";

function flag(args: string[], name: string, fallback: string): string {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

// Each request of a wrk thread takes the next body, round robin: two valid bodies for every
// four refused ones.
const BODIES: [string, string][] = [
  ["application/json", irisBody(1)],
  ["application/json", irisBody(1, '[5.1, "x", 1.4, 0.2]')],
  ["application/json", '{"dataframe_split": {"columns": ["a"], "data": [[1]'],
  ["application/json", irisBody(100)],
  ["application/json", '{"not_an_envelope": 1}'],
  ["text/plain", irisBody(1)],
];

function luaScript(): string {
  const entries = BODIES.map(([type, body]) => `  {type = [==[${type}]==], body = [==[${body}]==]}`)
    .join(",\n");
  return `local bodies = {\n${entries}\n}
local i = 0
request = function()
  i = i % #bodies + 1
  local b = bodies[i]
  return wrk.format("POST", "/invocations", {["Content-Type"] = b.type}, b.body)
end
`;
}

/** Runs the soak and prints its figures. */
export async function run(args: string[] = []): Promise<void> {
  const duration = Number(flag(args, "duration", "600"));
  const connections = Number(flag(args, "connections", "64"));
  const backend = flag(args, "backend", "web");
  const server = await startServe(["--backend", backend]);
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(script, luaScript());
  const samples: { t: number; rss: number }[] = [];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    try {
      samples.push({ t: (performance.now() - t0) / 1000, rss: server.rssMb() });
    } catch {
      // the server is gone; wrk will report it
    }
  }, 1000);
  try {
    console.log(
      `Load average at start: ${await loadAverage()}; ${connections} connections, ${duration} s, ` +
        `backend ${backend}, server idle RSS ${server.rssMb().toFixed(0)} MB\n`,
    );
    const out = await new Deno.Command("/usr/bin/wrk", {
      args: [
        "-t2",
        `-c${connections}`,
        `-d${duration}s`,
        "--timeout",
        "10s",
        "-s",
        script,
        server.url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    clearInterval(sampler);
    const text = new TextDecoder().decode(out.stdout);
    const at = (s: number) => samples.find((x) => x.t >= s)?.rss ?? NaN;
    const oneMinute = at(60);
    const end = samples.at(-1)?.rss ?? NaN;
    const requests = /(\d+) requests in/.exec(text)?.[1] ?? "?";
    const socket = /Socket errors: (.*)/.exec(text)?.[1] ?? "none";
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? "0";
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? "?";
    const peak = Math.max(...samples.map((s) => s.rss));
    console.log("| figure | value |\n| --- | --- |");
    console.log(`| requests | ${requests} (${rps}/s) |`);
    console.log(`| socket errors | ${socket} |`);
    console.log(`| non-2xx answers (the refused bodies, by design) | ${non2xx} |`);
    console.log(`| RSS at 1 min | ${oneMinute.toFixed(0)} MB |`);
    console.log(
      `| RSS at end | ${end.toFixed(0)} MB (${((end / oneMinute - 1) * 100).toFixed(1)} %) |`,
    );
    console.log(`| RSS peak | ${peak.toFixed(0)} MB |`);
    console.log(`\nLoad average at end: ${await loadAverage()}`);
    if (!out.success) console.log(new TextDecoder().decode(out.stderr));
  } finally {
    clearInterval(sampler);
    await Deno.remove(script);
    await server.stop();
  }
}

if (import.meta.main) await run(Deno.args);
