import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeAwsChunked } from "../../src/aws/services/s3/chunked.js";
import { S3Error } from "../../src/aws/services/s3/errors.js";
import { parseXml } from "../../src/aws/services/s3/xml.js";
import { fewerRuns, fuzzParams, withinMs } from "../helpers/fuzz.js";

/**
 * S3's readers of client bytes (issue 11's fuzzing, for the S3 API as it landed): the aws-chunked
 * body decoder and the XML request-body reader. On any input they give a value or an S3Error
 * with a 4xx, never another throw, and in time that grows with the input, not faster.
 */

async function decode(pieces: Buffer[]): Promise<{ data: Buffer; trailers: Map<string, string> } | { refused: S3Error }> {
  const trailers = new Map<string, string>();
  async function* source() {
    for (const p of pieces) yield p;
  }
  const out: Buffer[] = [];
  try {
    for await (const b of decodeAwsChunked(source(), trailers)) out.push(b);
    return { data: Buffer.concat(out), trailers };
  } catch (e) {
    if (!(e instanceof S3Error)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.status).toBeLessThan(500);
    return { refused: e };
  }
}

/** `bytes` cut at the given points (each taken modulo the length). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (bytes.length ? p % bytes.length : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of at) {
    if (p > last) out.push(bytes.subarray(last, p));
    last = Math.max(last, p);
  }
  out.push(bytes.subarray(last));
  return out;
}

/** An aws-chunked body as the SDKs frame it: the data in chunks of the given sizes, then the trailers. */
function frame(data: Buffer, sizes: number[], trailers: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const s of sizes.length ? sizes : [data.length]) {
    if (at >= data.length) break;
    const chunk = data.subarray(at, at + Math.max(1, s));
    at += chunk.length;
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  if (at < data.length) {
    const rest = data.subarray(at);
    parts.push(Buffer.from(`${rest.length.toString(16)}\r\n`), rest, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n"));
  for (const [k, v] of trailers) parts.push(Buffer.from(`${k}:${v}\r\n`));
  parts.push(Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

const trailerName = fc.stringMatching(/^x-amz-checksum-[a-z0-9]{1,10}$/);
const trailerValue = fc.stringMatching(/^[A-Za-z0-9+/=]{0,40}$/);

describe("the aws-chunked decoder", () => {
  it("on any bytes, cut anywhere: the bytes or a 4xx S3Error, the same whichever way they are cut", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 12 }), async (bytes, points) => {
        const whole = await decode([Buffer.from(bytes)]);
        const pieces = await decode(cut(Buffer.from(bytes), points));
        if ("refused" in whole) expect("refused" in pieces ? pieces.refused.code : "decoded").toBe(whole.refused.code);
        else expect("data" in pieces ? pieces.data.equals(whole.data) : pieces.refused.code).toBe(true);
      }),
      fuzzParams,
    );
  });

  it("reads back what the SDKs frame, with its trailers, however the network cuts it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 8 }),
        fc.uniqueArray(fc.tuple(trailerName, trailerValue), { maxLength: 3, selector: ([k]) => k }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (bytes, sizes, trailers, points) => {
          const data = Buffer.from(bytes);
          const r = await decode(cut(frame(data, sizes, trailers), points));
          expect("data" in r).toBe(true);
          if (!("data" in r)) return;
          expect(r.data.equals(data)).toBe(true);
          expect([...r.trailers]).toEqual(trailers.map(([k, v]) => [k, v.trim()]));
        },
      ),
      fuzzParams,
    );
  });

  it("takes time in proportion to the body: 1 MiB in 16-byte-to-64-KiB pieces, and endless header lines refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 16, max: 65536 }), async (piece) => {
        const data = Buffer.alloc(1024 * 1024, 7);
        const framed = frame(data, [256 * 1024], [["x-amz-checksum-crc32", "AAAAAA=="]]);
        const pieces: Buffer[] = [];
        for (let i = 0; i < framed.length; i += piece) pieces.push(framed.subarray(i, i + piece));
        const r = await withinMs(piece < 256 ? 10_000 : 5_000, () => decode(pieces));
        expect("data" in r && r.data.length).toBe(data.length);
        // a size line that never ends is refused once it is too long, not buffered for ever
        const endless = Array.from({ length: 1000 }, () => Buffer.alloc(1024, "a".charCodeAt(0)));
        const refused = await withinMs(5_000, () => decode(endless));
        expect("refused" in refused && refused.refused.code).toBe("InvalidRequest");
      }),
      fewerRuns(6),
    );
  }, 120_000);
});

describe("the XML body reader", () => {
  it("on any text: the element named or MalformedXML, never another throw", () => {
    const xmlish = fc.oneof(
      fc.string({ maxLength: 500 }),
      fc
        .array(fc.constantFrom("<", ">", "/", "Delete", "Object", "Key", "<?xml version=\"1.0\"?>", "&amp;", "&#x41;", "&lt;", "<!DOCTYPE a [<!ENTITY e \"x\">]>", "&e;", "<![CDATA[", "]]>", "=", "\"", " ", "a"), { maxLength: 200 })
        .map((a) => a.join("")),
    );
    fc.assert(
      fc.property(xmlish, fc.constantFrom("Delete", "VersioningConfiguration", "CreateBucketConfiguration"), (text, root) => {
        try {
          const v = parseXml(Buffer.from(text), root);
          expect(typeof v).toBe("object");
        } catch (e) {
          if (!(e instanceof S3Error)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
          expect(e.code).toBe("MalformedXML");
          expect(e.status).toBe(400);
        }
      }),
      fuzzParams,
    );
  });

  it("deeply nested elements are read in bounded time or refused", async () => {
    for (const depth of [1000, 20_000]) {
      const text = "<Delete>" + "<a>".repeat(depth) + "</a>".repeat(depth) + "</Delete>";
      await withinMs(5_000, () => {
        try {
          parseXml(Buffer.from(text), "Delete");
        } catch (e) {
          if (!(e instanceof S3Error)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
          expect(e.status).toBe(400);
        }
      });
    }
  });
});
