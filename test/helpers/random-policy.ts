/**
 * Random IAM policies for property tests: a seeded generator (so a failure can be replayed by
 * its seed) and statements drawn from lists of actions, resources and conditions chosen to
 * hit the engine's interesting cases (wildcards, NotAction/NotResource, policy variables,
 * IfExists and Null, set operators on codecommit:References, request facts).
 */

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export interface PolicyVocabulary {
  actions: readonly string[];
  resources: readonly string[];
  /** `undefined` entries make statements without a condition more likely */
  conditions: ReadonlyArray<Record<string, unknown> | undefined>;
}

/** One to three statements; 30 % of them Deny, 15 % NotAction, 15 % NotResource. */
export function randomPolicy(r: () => number, v: PolicyVocabulary, allowBias = 0.7): object {
  const statements = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
    const s: Record<string, unknown> = { Effect: r() < allowBias ? "Allow" : "Deny" };
    const actions = Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick(r, v.actions));
    s[r() < 0.15 ? "NotAction" : "Action"] = actions.length === 1 ? actions[0] : actions;
    const resources = Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick(r, v.resources));
    s[r() < 0.15 ? "NotResource" : "Resource"] = resources.length === 1 ? resources[0] : resources;
    const c = pick(r, v.conditions);
    if (c) s.Condition = c;
    return s;
  });
  return { Version: "2012-10-17", Statement: statements };
}
