import crypto from "node:crypto";
import { Crc64NvmeJs } from "@aws-sdk/checksums/crc";
import { describe, expect, it } from "vitest";
import { digestLength, hasherFor } from "../../src/domain/s3/checksums.js";

const crc64 = (...pieces: Buffer[]) => {
  const h = hasherFor("CRC64NVME");
  for (const p of pieces) h.update(p);
  return h.digest();
};

describe("CRC-64/NVME", () => {
  it("gives the catalogue's check value for '123456789', and zero for nothing", () => {
    expect(crc64(Buffer.from("123456789")).toString("hex")).toBe("ae8b14860a799888");
    expect(crc64().toString("hex")).toBe("0000000000000000");
    expect(digestLength("CRC64NVME")).toBe(8);
  });

  it("agrees with the AWS SDK's own implementation, however the bytes are split", async () => {
    for (const size of [1, 7, 8, 9, 1000, 65_537]) {
      const data = crypto.randomBytes(size);
      const sdk = new Crc64NvmeJs();
      sdk.update(data);
      const expected = Buffer.from(await sdk.digest()).toString("hex");
      const cut = Math.floor(size / 3);
      expect([size, crc64(data).toString("hex")]).toEqual([size, expected]);
      expect([size, crc64(data.subarray(0, cut), data.subarray(cut)).toString("hex")]).toEqual([size, expected]);
    }
  });
});
