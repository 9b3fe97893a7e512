import { describe, expect, it } from "vitest";
import { publicHostnames, virtualHostBucket } from "../../src/aws/services/s3/addressing.js";

describe("virtual-hosted addressing", () => {
  it("takes the bucket from a subdomain of localhost or of the public URL's host, with or without a port", () => {
    const names = publicHostnames("https://s3.example.com:8443");
    expect(names).toEqual(["s3.example.com", "localhost"]);
    const cases: Array<[string | undefined, string | undefined]> = [
      ["mybucket.localhost:4720", "mybucket"],
      ["my.dotted.bucket.localhost", "my.dotted.bucket"],
      ["MyBucket.S3.Example.com:8443", "mybucket"],
      ["logs.s3.example.com.", "logs"],
      ["localhost:4720", undefined],
      ["s3.example.com:8443", undefined],
      ["127.0.0.1:4720", undefined],
      ["[::1]:4720", undefined],
      ["example.com", undefined],
      ["bucket.elsewhere.test", undefined],
      [undefined, undefined],
    ];
    for (const [host, bucket] of cases) expect([host, virtualHostBucket(host, names)]).toEqual([host, bucket]);
  });

  it("a public host under localhost is itself path style; an IP public URL adds nothing", () => {
    const names = publicHostnames("http://s3.localhost:4720");
    expect([virtualHostBucket("s3.localhost:4720", names), virtualHostBucket("b.s3.localhost:4720", names)]).toEqual([undefined, "b"]);
    expect(publicHostnames("http://10.0.0.5:4720")).toEqual(["localhost"]);
    expect(publicHostnames(undefined)).toEqual(["localhost"]);
  });
});
