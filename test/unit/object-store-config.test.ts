import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { parseS3Location } from "../../src/domain/s3/s3-object-store.js";

describe("--object-store s3://BUCKET/PREFIX", () => {
  it("names a bucket and a key prefix that ends in / (or none), a trailing slash or not", () => {
    expect(parseS3Location("s3://bytes")).toEqual({ bucket: "bytes", prefix: "" });
    expect(parseS3Location("s3://bytes/")).toEqual({ bucket: "bytes", prefix: "" });
    expect(parseS3Location("s3://bytes/hw")).toEqual({ bucket: "bytes", prefix: "hw/" });
    expect(parseS3Location("s3://bytes/a/b//")).toEqual({ bucket: "bytes", prefix: "a/b/" });
  });

  it("refuses what is not an s3:// address, an endpoint alone, and credentials in the endpoint", () => {
    const load = (...argv: string[]) => () => loadConfig(argv, {});
    expect(load("--object-store", "https://bytes")).toThrow(/--object-store: an address such as s3:\/\/my-bucket\/headwater/);
    expect(load("--object-store", "s3://")).toThrow(ConfigError);
    expect(load("--object-store-endpoint", "http://127.0.0.1:9000")).toThrow("--object-store-endpoint needs --object-store");
    expect(load("--object-store", "s3://bytes", "--object-store-endpoint", "ftp://host")).toThrow("an http:// or https:// URL");
    expect(load("--object-store", "s3://bytes", "--object-store-endpoint", "http://key:secret@host")).toThrow("no credentials in the URL");
    const cfg = loadConfig(["--object-store", "s3://bytes/hw", "--object-store-endpoint", "http://127.0.0.1:9000"], {});
    expect([cfg.objectStore, cfg.objectStoreEndpoint, cfg.objectStoreGraceSeconds]).toEqual(["s3://bytes/hw", "http://127.0.0.1:9000", 86400]);
    expect(loadConfig([], { HEADWATER_OBJECT_STORE: "s3://bytes", HEADWATER_OBJECT_STORE_GRACE_SECONDS: "0" }).objectStoreGraceSeconds).toBe(0);
  });
});
