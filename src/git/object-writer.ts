import crypto from "node:crypto";
import zlib from "node:zlib";
import { GitError } from "./exec.js";
import { hashObject, type ObjectType } from "./objects.js";
import type { GitRepository } from "./repository.js";

export interface NewObject {
  type: ObjectType;
  body: Buffer;
}

const PACK_TYPE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/**
 * A version-2 pack of whole (undeltified) objects. Stored, not compressed (zlib level 0):
 * it only travels through a pipe to `git unpack-objects`, which inflates it and writes each
 * object loose, compressed its own way.
 */
export function buildPack(objects: NewObject[]): Buffer {
  const header = Buffer.alloc(12);
  header.write("PACK", 0, "latin1");
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [header];
  for (const o of objects) {
    // type and size: 3 bits of type and 4 of size in the first byte, then 7 bits a byte
    let size = o.body.length;
    const bytes: number[] = [];
    let byte = (PACK_TYPE[o.type] << 4) | (size & 0x0f);
    size = Math.floor(size / 16);
    while (size > 0) {
      bytes.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    bytes.push(byte);
    parts.push(Buffer.from(bytes), zlib.deflateSync(o.body, { level: 0 }));
  }
  const pack = Buffer.concat(parts);
  return Buffer.concat([pack, crypto.createHash("sha1").update(pack).digest()]);
}

/** One problem git's fsck reported: `error: object <oid>: <id>: <message>`. */
export interface FsckFinding {
  oid: string;
  /** fsck's message ID, e.g. hasDotgit, fullPathname, zeroPaddedFilemode */
  id: string;
  message: string;
}

/**
 * `git unpack-objects --strict` refused the objects: one of them (or one it links to) is not
 * something git accepts. What is wrong is in the objects, not in the server, so the caller can
 * answer it; `findings` are fsck's, and `reason` is git's last word when fsck named no object.
 */
export class ObjectCheckError extends Error {
  constructor(
    readonly findings: FsckFinding[],
    readonly reason: string,
  ) {
    super(`git refused the objects: ${findings.map((f) => `${f.id}: ${f.message}`).join("; ") || reason}`);
  }
}

const FINDING = /^error: object ([0-9a-f]{40,64}): (\w+): (.*)$/gm;
/** how unpack-objects --strict dies when a check, not the machine, failed */
const CHECK_FAILED = /fsck error|Error on reachable objects|object of unexpected type|expected type|invalid (?:tree|commit|tag)|bad (?:tree|commit|tag)/i;

function checkError(e: GitError): ObjectCheckError | null {
  const findings = [...e.stderr.matchAll(FINDING)].map((m) => ({ oid: m[1]!, id: m[2]!, message: m[3]!.trim() }));
  if (!findings.length && !CHECK_FAILED.test(e.stderr)) return null;
  const fatal = /^fatal: (.*)$/m.exec(e.stderr)?.[1]?.trim() ?? e.stderr.trim();
  return new ObjectCheckError(findings, fatal);
}

/**
 * Writes objects into the repository with one git process, whatever their number:
 * `git unpack-objects --strict` stores each one loose and fsck-checks it on the way (tree
 * order, names, modes, idents, links to objects that must exist), so a bug here cannot put a
 * malformed object into a repository. Returns the object IDs, in order. Throws
 * ObjectCheckError when git refuses the objects (for a request to answer, not a 500).
 */
export async function writeObjects(repo: GitRepository, objects: NewObject[]): Promise<string[]> {
  const ids = objects.map((o) => hashObject(o.type, o.body));
  if (objects.length === 0) return ids;
  try {
    await repo.git(["unpack-objects", "-q", "--strict"], { input: buildPack(objects) });
  } catch (e) {
    throw (e instanceof GitError && checkError(e)) || e;
  }
  return ids;
}
