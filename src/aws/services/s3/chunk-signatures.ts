import crypto from "node:crypto";
import { sha256Hex } from "../../sigv4.js";
import { S3Error } from "./errors.js";

const EMPTY_SHA256 = sha256Hex("");

/**
 * The signature chain of a signed aws-chunked body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD` and
 * `…-PAYLOAD-TRAILER`): each chunk's signature signs its data's hash and the previous signature,
 * starting from the request's own (the seed), so no chunk can be changed, dropped, reordered or
 * added without the key. The trailer, when there is one, is signed last the same way.
 */
export interface ChunkChainStart {
  /** the request's signature (hex) */
  seed: string;
  /** the request's X-Amz-Date */
  amzDate: string;
  /** `date/region/s3/aws4_request` */
  scope: string;
  /** the derived signing key of the request's credential scope */
  signingKey: Buffer;
}

export function chunkSignatureMismatch(): S3Error {
  return new S3Error(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    403,
  );
}

export class ChunkChain {
  private previous: string;

  constructor(private readonly start: ChunkChainStart) {
    this.previous = start.seed;
  }

  private hmac(stringToSign: string): Buffer {
    return crypto.createHmac("sha256", this.start.signingKey).update(stringToSign).digest();
  }

  private check(expected: Buffer, given: string | undefined): void {
    const g = given !== undefined && /^[0-9a-f]{64}$/.test(given) ? Buffer.from(given, "hex") : undefined;
    if (!g || !crypto.timingSafeEqual(g, expected)) throw chunkSignatureMismatch();
    this.previous = given!;
  }

  /** The signature a chunk whose data hashes to `dataSha256` (hex) must carry, as the chain stands. */
  expectedChunk(dataSha256: string): string {
    const { amzDate, scope } = this.start;
    return this.hmac(`AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${this.previous}\n${EMPTY_SHA256}\n${dataSha256}`).toString("hex");
  }

  /** Checks one chunk's `chunk-signature` (the final empty chunk too) and moves the chain on. */
  verifyChunk(dataSha256: string, given: string | undefined): void {
    this.check(Buffer.from(this.expectedChunk(dataSha256), "hex"), given);
  }

  /** Checks `x-amz-trailer-signature` over the canonical trailer (`name:value\n` lines, sorted). */
  verifyTrailer(canonicalTrailer: string, given: string | undefined): void {
    const { amzDate, scope } = this.start;
    this.check(this.hmac(`AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${this.previous}\n${sha256Hex(canonicalTrailer)}`), given);
  }
}
