import fs from "node:fs/promises";
import path from "node:path";

/** git's quarantine for a push's objects: objects/tmp_objdir-incoming-XXXXXX (tmp-objdir.c) */
const QUARANTINE = /^tmp_objdir-incoming-[A-Za-z0-9]+$/;

/**
 * receive-pack takes a push's objects into a quarantine directory and moves them into the
 * repository (or drops them) when it is done; a push killed mid-way (SIGKILL, power loss)
 * leaves the quarantine behind, objects and all. Removes those of one repository whose
 * directory has not changed for `olderThanMs`, and returns their names.
 *
 * The age is the guard for a push still running in another server on the same data directory:
 * git creates the directory once receive-pack has started, and every server stops a transfer
 * at its time limit, so a directory older than that limit (with the same setting everywhere)
 * belongs to no live push.
 */
export async function sweepQuarantines(gitDir: string, olderThanMs: number, now = Date.now()): Promise<string[]> {
  const objects = path.join(gitDir, "objects");
  const names = await fs.readdir(objects).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!QUARANTINE.test(name)) continue;
    const dir = path.join(objects, name);
    const stat = await fs.stat(dir).catch(() => null);
    if (!stat?.isDirectory() || now - stat.mtimeMs < olderThanMs) continue;
    await fs.rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
