import fc from "fast-check";
import { ServiceError } from "../../src/errors.js";

/**
 * Shared pieces of the property-based fuzz tests (test/fuzz/): how many cases a run tries, and
 * the hostile text every reader of client input must survive. A failure prints fast-check's
 * seed and path; FUZZ_SEED=<seed> reruns that case, FUZZ_RUNS=<n> tries more.
 */
export const fuzzParams: fc.Parameters<unknown> = {
  numRuns: Number(process.env.FUZZ_RUNS ?? 200),
  ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
  reporter: report,
};

/**
 * fuzzParams for a property whose cases are slow (a server round trip, megabytes of input):
 * at most `max` cases, or FUZZ_RUNS / 8 when that is more (a longer run tries more of these too).
 */
export function fewerRuns(max: number): fc.Parameters<unknown> {
  const all = fuzzParams.numRuns ?? 200;
  return { ...fuzzParams, numRuns: Math.min(all, Math.max(max, Math.ceil(all / 8))) };
}

/** fast-check's report, with the counterexample cut short: a case may be 100 KB of brackets. */
function report(run: fc.RunDetails<unknown>): void {
  if (!run.failed) return;
  const example = fc.stringify(run.counterexample);
  const shown = example.length > 600 ? `${example.slice(0, 300)} … (${example.length} characters) … ${example.slice(-300)}` : example;
  throw new Error(
    `Property failed after ${run.numRuns} cases (FUZZ_SEED=${run.seed}, path ${run.counterexamplePath}).\nCounterexample: ${shown}\n${String(run.errorInstance)}`,
    { cause: run.errorInstance },
  );
}

/**
 * Runs `read` and returns its result, or the modeled error it refused the input with. Anything
 * else it throws (a RangeError of a recursive reader, a TypeError of a shape it did not expect)
 * or a refusal that would be a 5xx fails the property.
 */
export function readOrRefuse<T>(read: () => T): { value: T } | { refused: ServiceError } {
  try {
    return { value: read() };
  } catch (e) {
    if (!(e instanceof ServiceError)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
    if (e.status >= 500) throw new Error(`refused with a ${e.status}: ${e.code} ${e.message}`, { cause: e });
    return { refused: e };
  }
}

/**
 * Runs `work` (a reader of client input), failing when it takes longer than `budgetMs`: a
 * reader whose time grows faster than its input shows up as a case far over budget. The
 * budget is generous (the machine may be busy); a hang is caught by the test's own timeout.
 */
export async function withinMs<T>(budgetMs: number, work: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const ms = performance.now() - started;
    if (ms > budgetMs) throw new Error(`took ${Math.round(ms)} ms, over the ${budgetMs} ms budget`);
  }
}

/** Lists or objects nested `depth` deep around `inner`, as a client could send them. */
export function nested(depth: number, kind: "list" | "object" | "mixed", inner = "1"): string {
  if (kind === "list") return "[".repeat(depth) + inner + "]".repeat(depth);
  if (kind === "object") return '{"a":'.repeat(depth) + inner + "}".repeat(depth);
  return '[{"a":'.repeat(depth) + inner + "}]".repeat(depth);
}

/** Deep nesting, from a little past any sane bound to far past the stack of a recursive reader. */
export const deepText = (inner = "1"): fc.Arbitrary<string> =>
  fc
    .record({ depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 60_000 })), kind: fc.constantFrom("list" as const, "object" as const, "mixed" as const) })
    .map(({ depth, kind }) => nested(depth, kind, inner));

/** Characters that matter to a JSON reader, and some that a careless one chokes on. */
const JSON_PIECES = ["{", "}", "[", "]", '"', ":", ",", "\\", "\\u", "\\ud800", "-", "1e999", "0.", "tru", "null", " ", "\n", "\u0000", "\u2028", "\ud83d"];

/** JSON text broken in the places a reader is most likely to get wrong. */
export function mutatedJson(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    // cut short
    fc.tuple(valid, fc.nat()).map(([s, n]) => s.slice(0, s.length ? n % s.length : 0)),
    // a piece put in somewhere
    fc.tuple(valid, fc.nat(), fc.constantFrom(...JSON_PIECES)).map(([s, n, p]) => {
      const at = s.length ? n % (s.length + 1) : 0;
      return s.slice(0, at) + p + s.slice(at);
    }),
    // a character taken out
    fc.tuple(valid, fc.nat()).map(([s, n]) => (s.length ? s.slice(0, n % s.length) + s.slice((n % s.length) + 1) : s)),
    // a value nested deep inside an otherwise ordinary document
    fc.tuple(valid, deepText()).map(([s, deep]) => s.replace(/"[^"]*"/, deep)),
  );
}

/** Any text at all: valid JSON, broken JSON, deep nesting, and arbitrary strings of code points. */
export function hostileText(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 3, arbitrary: mutatedJson(valid) },
    { weight: 1, arbitrary: deepText() },
    { weight: 1, arbitrary: fc.json({ maxDepth: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  );
}
