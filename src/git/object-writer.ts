import crypto from "node:crypto";
import zlib from "node:zlib";
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

/**
 * Writes objects into the repository with one git process, whatever their number:
 * `git unpack-objects --strict` stores each one loose and fsck-checks it on the way (tree
 * order, names, modes, idents, links to objects that must exist), so a bug here cannot put a
 * malformed object into a repository. Returns the object IDs, in order.
 */
export async function writeObjects(repo: GitRepository, objects: NewObject[]): Promise<string[]> {
  const ids = objects.map((o) => hashObject(o.type, o.body));
  if (objects.length === 0) return ids;
  await repo.git(["unpack-objects", "-q", "--strict"], { input: buildPack(objects) });
  return ids;
}
