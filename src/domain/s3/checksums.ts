import crypto from "node:crypto";
import zlib from "node:zlib";
import { Crc32c } from "@aws-crypto/crc32c";

/** The flexible checksums S3 verifies and stores. */
export type ChecksumAlgorithm = "CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256";
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

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

/**
 * CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, initial value and final XOR all ones),
 * table-driven over two 32-bit halves: the SDKs' package for it has only an async digest, and
 * BigInt arithmetic per byte would be slow. Its check value ("123456789") is 0xAE8B14860A799888.
 */
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
{
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_HI[i] = Number(c >> 32n);
    CRC64_LO[i] = Number(c & 0xffffffffn);
  }
}

class Crc64NvmeHasher implements Hasher {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(chunk: Buffer): void {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < chunk.length; i++) {
      const idx = (lo ^ chunk[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ CRC64_HI[idx]!) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }
  digest(): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    b.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
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
    case "CRC64NVME":
      return new Crc64NvmeHasher();
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
  return algorithm === "SHA1" ? 20 : algorithm === "SHA256" ? 32 : algorithm === "CRC64NVME" ? 8 : 4;
}
