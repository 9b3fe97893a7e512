import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { ChunkChain } from "../../src/aws/services/s3/chunk-signatures.js";
import { decodeAwsChunked } from "../../src/aws/services/s3/chunked.js";
import { S3Error } from "../../src/aws/services/s3/errors.js";
import { headerMap, parseSignature, signingKey, verifySignature } from "../../src/aws/sigv4.js";

/**
 * AWS's published example of a signed aws-chunked upload ("Example: PUT Object" in the SigV4
 * streaming docs): 64 KiB of 'a' then 1 KiB of 'a', the request signature as seed, each chunk's
 * signature. The trailer signature for `first:1st`, `second:2nd`, `third:3rd` after the same
 * chunks is the vector the AWS Common Runtime's chunk-signer tests use.
 */
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const CHUNK1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
const CHUNK2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
const FINAL = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
const TRAILER = "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c";

const start = () => ({
  seed: SEED,
  amzDate: "20130524T000000Z",
  scope: "20130524/us-east-1/s3/aws4_request",
  signingKey: signingKey(SECRET, "20130524", "us-east-1", "s3"),
});

function body(opts: { trailer?: string; sigs?: [string, string, string] } = {}): Buffer {
  const [s1, s2, s3] = opts.sigs ?? [CHUNK1, CHUNK2, FINAL];
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${s1}\r\n`),
    Buffer.alloc(65536, "a"),
    Buffer.from(`\r\n400;chunk-signature=${s2}\r\n`),
    Buffer.alloc(1024, "a"),
    Buffer.from(`\r\n0;chunk-signature=${s3}\r\n`),
    Buffer.from(opts.trailer ?? "\r\n"),
  ]);
}

async function decode(data: Buffer, pieceSize: number, signedTrailer = false): Promise<{ size: number; trailers: Map<string, string> }> {
  async function* pieces() {
    for (let i = 0; i < data.length; i += pieceSize) yield data.subarray(i, i + pieceSize);
  }
  const trailers = new Map<string, string>();
  let size = 0;
  for await (const piece of decodeAwsChunked(pieces(), trailers, new ChunkChain(start()), signedTrailer)) size += piece.length;
  return { size, trailers };
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof S3Error ? `${e.status} ${e.code}` : String(e);
  }
  return "no error";
}

describe("signed aws-chunked bodies: AWS's published example", () => {
  it("the seed is the request's own signature, as our SigV4 verifier computes it", () => {
    const auth = `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${SEED}`;
    const req = {
      method: "PUT",
      url: "/examplebucket/chunkObject.txt",
      headers: headerMap([
        "Host", "s3.amazonaws.com",
        "x-amz-date", "20130524T000000Z",
        "x-amz-storage-class", "REDUCED_REDUNDANCY",
        "Authorization", auth,
        "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding", "aws-chunked",
        "x-amz-decoded-content-length", "66560",
        "Content-Length", "66824",
      ]),
      body: Buffer.alloc(0),
      s3: true,
    };
    expect(() => verifySignature(req, parseSignature(req), SECRET)).not.toThrow();
  });

  it("gives the published chunk signatures, in order", () => {
    const chain = new ChunkChain(start());
    const sha = (n: number) => crypto.createHash("sha256").update(Buffer.alloc(n, "a")).digest("hex");
    expect(chain.expectedChunk(sha(65536))).toBe(CHUNK1);
    chain.verifyChunk(sha(65536), CHUNK1);
    expect(chain.expectedChunk(sha(1024))).toBe(CHUNK2);
    chain.verifyChunk(sha(1024), CHUNK2);
    expect(chain.expectedChunk(sha(0))).toBe(FINAL);
  });

  it("decodes the example body however it is split, and with the CRT's signed trailer", async () => {
    for (const size of [1, 100, 8192, 70000]) {
      expect([size, (await decode(body(), size)).size]).toEqual([size, 66560]);
    }
    const trailer = `first:1st\r\nsecond:2nd\r\nthird:3rd\r\nx-amz-trailer-signature:${TRAILER}\r\n\r\n`;
    const r = await decode(body({ trailer }), 777, true);
    expect([r.size, r.trailers.get("second"), r.trailers.has("x-amz-trailer-signature")]).toEqual([66560, "2nd", false]);
  });

  it("refuses a changed byte, a wrong, missing or reordered signature, a dropped final chunk, and an unsigned or changed trailer", async () => {
    const changed = body();
    changed[200] = 0x62;
    expect(await failure(decode(changed, 4096))).toBe("403 SignatureDoesNotMatch");
    expect(await failure(decode(body({ sigs: [CHUNK2, CHUNK1, FINAL] }), 4096))).toBe("403 SignatureDoesNotMatch");
    expect(await failure(decode(body({ sigs: [CHUNK1, CHUNK2, "0".repeat(64)] }), 4096))).toBe("403 SignatureDoesNotMatch");
    const unsigned = Buffer.from(body().toString("latin1").replace(`;chunk-signature=${CHUNK2}`, ""), "latin1");
    expect(await failure(decode(unsigned, 4096))).toBe("403 SignatureDoesNotMatch");
    const cut = body().subarray(0, body().indexOf(`0;chunk-signature=${FINAL}`));
    expect(await failure(decode(cut, 4096))).toBe("400 IncompleteBody");
    const lines = "first:1st\r\nsecond:2nd\r\nthird:3rd\r\n";
    expect(await failure(decode(body({ trailer: `${lines}\r\n` }), 4096, true))).toBe("403 SignatureDoesNotMatch");
    expect(await failure(decode(body({ trailer: `${lines.replace("2nd", "two")}x-amz-trailer-signature:${TRAILER}\r\n\r\n` }), 4096, true))).toBe("403 SignatureDoesNotMatch");
    // a body signed without a trailer may not carry one
    expect(await failure(decode(body({ trailer: `${lines}\r\n` }), 4096, false))).toBe("400 InvalidRequest");
  });
});
