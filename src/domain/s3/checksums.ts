import crypto from "node:crypto";
import zlib from "node:zlib";
import { Crc32c } from "@aws-crypto/crc32c";

/** The flexible checksums S3 verifies and stores (CRC64NVME is not among them yet). */
export type ChecksumAlgorithm = "CRC32" | "CRC32C" | "SHA1" | "SHA256";
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ["CRC32", "CRC32C", "SHA1", "SHA256"];

/** An incremental hash whose digest is the raw bytes S3 base64-encodes. */
export interface Hasher {
  update(chunk: Buffer): void;
  digest(): Buffer;
}

class Crc32Hasher implements Hasher {
  private crc = 0;
  update(chunk: Buffer): void {
    this.crc = zlib.crc32(chunk, this.crc);
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.crc >>> 0);
    return b;
  }
}

class Crc32cHasher implements Hasher {
  private readonly crc = new Crc32c();
  update(chunk: Buffer): void {
    this.crc.update(chunk);
  }
  digest(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.crc.digest() >>> 0);
    return b;
  }
}

class NodeHasher implements Hasher {
  private readonly h: crypto.Hash;
  constructor(algorithm: string) {
    this.h = crypto.createHash(algorithm);
  }
  update(chunk: Buffer): void {
    this.h.update(chunk);
  }
  digest(): Buffer {
    return this.h.digest();
  }
}

export function hasherFor(algorithm: ChecksumAlgorithm | "MD5" | "SHA256HEX"): Hasher {
  switch (algorithm) {
    case "CRC32":
      return new Crc32Hasher();
    case "CRC32C":
      return new Crc32cHasher();
    case "SHA1":
      return new NodeHasher("sha1");
    case "MD5":
      return new NodeHasher("md5");
    default:
      return new NodeHasher("sha256");
  }
}

/** The byte length of each algorithm's digest (to tell a malformed header value). */
export function digestLength(algorithm: ChecksumAlgorithm): number {
  return algorithm === "SHA1" ? 20 : algorithm === "SHA256" ? 32 : 4;
}
