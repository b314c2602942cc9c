/**
 * Several models in one server: named slots, lazy loads, least-recently-used eviction under a
 * memory budget (the estimate of a model is its bundle's bytes).
 *
 * @module
 */
import type { LoadModelOptions } from "../model/mod.ts";
import { redactUri } from "../store/redact.ts";
import { ModelSlot, type ModelSlotOptions } from "./model_slot.ts";

/**
 * Options of {@linkcode ModelRegistry}.
 *
 * @example
 * ```ts
 * import { ModelRegistry, type ModelRegistryOptions } from "./model_registry.ts";
 * const options: ModelRegistryOptions = { memoryBudgetBytes: 256 * 1024 * 1024, backend: "web" };
 * new ModelRegistry(options);
 * ```
 */
export interface ModelRegistryOptions extends ModelSlotOptions {
  /** Evict least-recently-used models when loaded bundles exceed this many bytes. */
  memoryBudgetBytes?: number;
}

/**
 * Named models with a shared memory budget.
 *
 * @example
 * ```ts
 * import { ModelRegistry } from "./model_registry.ts";
 * const registry = new ModelRegistry({ memoryBudgetBytes: 64 * 1024 * 1024 });
 * registry.add("iris", "examples/iris");
 * const model = await registry.get("iris")!.get();
 * console.log(model.sizeBytes > 0); // true
 * await registry.close();
 * ```
 */
export class ModelRegistry {
  #slots = new Map<string, ModelSlot>();
  #pinned = new Set<string>();
  #options: ModelRegistryOptions;

  /**
   * Creates an empty registry.
   *
   * @param options How models load (backend, store, limits) and the memory budget.
   */
  constructor(options: ModelRegistryOptions = {}) {
    this.#options = options;
  }

  /**
   * Adds (or replaces the URI of) a model; `pinned` models are never evicted; `overrides`
   * replace the registry's load options for this model (e.g. its batching).
   */
  add(name: string, uri: string, pinned = false, overrides: LoadModelOptions = {}): ModelSlot {
    const slot = new ModelSlot(name, uri, {
      ...this.#options,
      ...overrides,
      onLoaded: (s) => {
        this.#options.onLoaded?.(s);
        this.#evictFor(s);
      },
    });
    this.#slots.set(name, slot);
    if (pinned) this.#pinned.add(name);
    return slot;
  }

  /** The slot of a name. */
  get(name: string): ModelSlot | undefined {
    return this.#slots.get(name);
  }

  /** Every slot, in the order added. */
  get slots(): ModelSlot[] {
    return [...this.#slots.values()];
  }

  /** Bytes of all loaded bundles. */
  get loadedBytes(): number {
    let total = 0;
    for (const s of this.#slots.values()) total += s.sizeBytes;
    return total;
  }

  #evictFor(loaded: ModelSlot): void {
    const budget = this.#options.memoryBudgetBytes;
    if (budget === undefined) return;
    let total = this.loadedBytes;
    const candidates = this.slots
      .filter((s) => s !== loaded && s.state === "ready" && !this.#pinned.has(s.name))
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const victim of candidates) {
      if (total <= budget) break;
      total -= victim.sizeBytes;
      (this.#options.log ?? console.warn)(
        `Unloading model "${victim.name}" (${victim.sizeBytes} bytes, least recently used) to ` +
          `stay within the memory budget of ${budget} bytes.`,
      );
      this.#options.onEvent?.({
        event: "model_evict",
        model: victim.name,
        uri: redactUri(victim.uri),
        bytes: victim.sizeBytes,
      });
      victim.unload();
    }
  }

  /** Unloads every model (after in-flight requests). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.unload()));
  }
}
