import { describe, expect, it } from "vitest";
import { RepositoryRefLocks } from "../../src/domain/events/ref-lock.js";
import { KeyedMutex } from "../../src/domain/keyed-mutex.js";
import type { SessionLocks } from "../../src/store/session-locks.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("KeyedMutex.acquire", () => {
  it("holds a key until released, first come first served, other keys free", async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    const releaseA = await m.acquire("repo");
    const b = m.acquire("repo").then((release) => (order.push("b"), release));
    const c = m.acquire("repo").then((release) => (order.push("c"), release));
    const other = await m.acquire("other"); // not held up by "repo"
    other();
    await tick();
    expect(order).toEqual([]);
    releaseA();
    releaseA(); // a second release changes nothing
    const releaseB = await b;
    await tick();
    expect(order).toEqual(["b"]);
    releaseB();
    (await c)();
    expect(order).toEqual(["b", "c"]);
  });
});

describe("RepositoryRefLocks", () => {
  /** Cross-process locks that record who asks, and can be told to fail. */
  function sharedLocks(): SessionLocks & { taken: string[]; held: number; fail: boolean } {
    const s = {
      taken: [] as string[],
      held: 0,
      fail: false,
      async acquire(key: string) {
        if (s.fail) throw new Error("database down");
        s.taken.push(key);
        s.held++;
        return async () => {
          s.held--;
        };
      },
      close: async () => {},
    };
    return s;
  }

  it("takes the in-process lock first, so a process holds one cross-process lock per repository at a time", async () => {
    const shared = sharedLocks();
    const locks = new RepositoryRefLocks(shared);
    const first = await locks.acquire("r1");
    const second = locks.acquire("r1");
    await tick();
    expect(shared.held).toBe(1); // the second waits in-process, not on the database
    await first();
    await (await second)();
    expect(shared.taken).toEqual(["headwater.refs:r1", "headwater.refs:r1"]);
    expect(shared.held).toBe(0);
  });

  it("lets the next waiter in when the cross-process lock cannot be taken", async () => {
    const shared = sharedLocks();
    const locks = new RepositoryRefLocks(shared);
    shared.fail = true;
    await expect(locks.acquire("r1")).rejects.toThrow("database down");
    shared.fail = false;
    expect(await locks.run("r1", async () => "ran")).toBe("ran");
  });
});
