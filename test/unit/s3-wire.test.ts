import { describe, expect, it } from "vitest";
import { decodeAwsChunked } from "../../src/aws/services/s3/chunked.js";
import { isValidBucketName } from "../../src/aws/services/s3/names.js";

async function decode(body: Buffer, pieceSize: number): Promise<{ data: string; trailers: Map<string, string> }> {
  async function* pieces() {
    for (let i = 0; i < body.length; i += pieceSize) yield body.subarray(i, i + pieceSize);
  }
  const trailers = new Map<string, string>();
  const out: Buffer[] = [];
  for await (const chunk of decodeAwsChunked(pieces(), trailers)) out.push(chunk);
  return { data: Buffer.concat(out).toString("utf8"), trailers };
}

describe("aws-chunked decoding", () => {
  const framed = Buffer.from("b\r\nhello world\r\n3;chunk-ext=x\r\n!!!\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");

  it("yields the data and reads the trailer, however the bytes are split", async () => {
    for (const size of [1, 2, 3, 7, 64, framed.length]) {
      const r = await decode(framed, size);
      expect([size, r.data, r.trailers.get("x-amz-checksum-crc32")]).toEqual([size, "hello world!!!", "DUoRhQ=="]);
    }
  });

  it("accepts a body without trailers, and one without the final CRLF", async () => {
    expect((await decode(Buffer.from("2\r\nhi\r\n0\r\n\r\n"), 3)).data).toBe("hi");
    expect((await decode(Buffer.from("2\r\nhi\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n"), 5)).trailers.size).toBe(1);
  });

  it("refuses a body cut short or badly framed", async () => {
    await expect(decode(Buffer.from("b\r\nhello"), 4)).rejects.toMatchObject({ code: "IncompleteBody" });
    await expect(decode(Buffer.from("zz\r\nhello\r\n"), 4)).rejects.toMatchObject({ code: "InvalidRequest" });
    await expect(decode(Buffer.from("2\r\nhiXX0\r\n\r\n"), 4)).rejects.toMatchObject({ code: "InvalidRequest" });
    await expect(decode(Buffer.from("2\r\nhi\r\n0\r\n\r\nmore"), 4)).rejects.toMatchObject({ code: "InvalidRequest" });
  });
});

describe("bucket names", () => {
  it("follow S3's rules", () => {
    for (const ok of ["abc", "my-bucket", "my.bucket.name", "a1-b2.c3", "a".repeat(63), "1bucket", "bucket1"]) expect([ok, isValidBucketName(ok)]).toEqual([ok, true]);
    for (const bad of ["ab", "a".repeat(64), "ABC", "a_b", ".abc", "abc.", "-abc", "abc-", "a..b", "a.-b", "a-.b", "10.0.0.1", "xn--abc", "sthree-abc", "amzn-s3-demo-abc", "abc-s3alias", "abc--ol-s3", "abc.mrap", "abc--x-s3", "a b"]) {
      expect([bad, isValidBucketName(bad)]).toEqual([bad, false]);
    }
  });
});
