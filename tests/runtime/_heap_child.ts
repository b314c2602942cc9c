// Child of heap_tuning_test.ts: frees a 16 MB block (which raises glibc's dynamic mmap
// threshold), then allocates, touches and frees 64 blocks of 1 MB under a live small block, and
// prints the resident memory they left behind. With "hold", holdMmapThreshold() runs first.
import { holdMmapThreshold } from "../../src/runtime/heap_tuning.ts";

const held = Deno.args[0] === "hold" ? await holdMmapThreshold() : false;
const libc = Deno.dlopen("libc.so.6", {
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
});
const { malloc, free, memset } = libc.symbols;
const rssMb = () =>
  Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) / 1024;
const MB = 1024n * 1024n;
const big = malloc(16n * MB);
memset(big, 1, 16n * MB);
free(big);
const before = rssMb();
const blocks = Array.from({ length: 64 }, () => {
  const p = malloc(MB);
  memset(p, 1, MB);
  return p;
});
// A live block carved from the heap top above them (too big for any free small-block list),
// so freeing them cannot trim the top.
const pin = malloc(256n * 1024n);
for (const p of blocks) free(p);
console.log(JSON.stringify({ held, leftMb: rssMb() - before }));
free(pin);
libc.close();
