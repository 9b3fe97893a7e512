import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCopySource } from "../../src/aws/services/s3/copy.js";
import { S3Error } from "../../src/aws/services/s3/errors.js";
import { MAX_BUCKET_TAGS, parseTagging, parseTaggingHeader, taggingXml } from "../../src/aws/services/s3/tag-sets.js";
import { fuzzParams } from "../helpers/fuzz.js";

/**
 * The readers of CopyObject's and tagging's client input: `x-amz-copy-source`, `x-amz-tagging`
 * and the Tagging document. On any input they give a value or an S3Error with a 4xx, never
 * another throw; what a client writes of a valid value reads back as that value.
 */

function readOrRefuse<T>(read: () => T): { value: T } | { refused: S3Error } {
  try {
    return { value: read() };
  } catch (e) {
    if (!(e instanceof S3Error)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
    if (e.status < 400 || e.status >= 500) throw new Error(`refused with a ${e.status}: ${e.code}`, { cause: e });
    return { refused: e };
  }
}

/** Characters S3 allows in tags, from several scripts, and the symbols it allows. */
const TAG_CHARS = ["a", "Z", "0", "9", "é", "ß", "中", "٣", "Ж", " ", "\u00a0", "_", ".", ":", "/", "=", "+", "-", "@"];
const tagText = (min: number, max: number) => fc.array(fc.constantFrom(...TAG_CHARS), { minLength: min, maxLength: max }).map((cs) => cs.join(""));
const validTags = (max: number) =>
  fc.uniqueArray(fc.record({ Key: tagText(1, 128).filter((k) => !k.toLowerCase().startsWith("aws:")), Value: tagText(0, 256) }), { maxLength: max, selector: (t) => t.Key });

/** Pieces that matter to the readers: escapes, separators, XML markup. */
const PIECES = ["%", "%2", "%zz", "%C3%A9", "%ED%A0%80", "+", "=", "&", "?", "/", "versionId=", "<", ">", "&amp;", "&#13;", "<Tag>", "</Tag>", "<Key>", "<Value>", "<TagSet>", "</TagSet>", "\u0000", "\ud800"];
const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 5 })), { maxLength: 40 }).map((a) => a.join("")),
);

describe("x-amz-copy-source", () => {
  it("gives a source or InvalidArgument on any text", () => {
    fc.assert(fc.property(hostile, (s) => void readOrRefuse(() => parseCopySource(s))), fuzzParams);
  });

  it("reads back the bucket, the key as a client encodes it, and the version ID", () => {
    const key = fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(fc.constantFrom("src", "my.bucket", "a-b-c"), key, fc.option(fc.stringMatching(/^[A-Za-z0-9]{32}$/), { nil: undefined }), fc.boolean(), (bucket, k, versionId, slash) => {
        // botocore and the SDKs percent-encode the key, keeping `/`
        const encoded = k.split("/").map(encodeURIComponent).join("/");
        const header = `${slash ? "/" : ""}${bucket}/${encoded}${versionId ? `?versionId=${versionId}` : ""}`;
        expect(parseCopySource(header)).toEqual({ bucket, key: k, ...(versionId ? { versionId } : {}) });
      }),
      fuzzParams,
    );
  });
});

describe("x-amz-tagging", () => {
  it("gives tags or a 4xx on any text", () => {
    fc.assert(fc.property(hostile, (s) => void readOrRefuse(() => parseTaggingHeader(s))), fuzzParams);
  });

  it("reads back any valid tag set a client URL-encodes (URLSearchParams, as the SDKs and botocore write it)", () => {
    fc.assert(
      fc.property(validTags(10), (tags) => {
        const header = new URLSearchParams(tags.map((t): [string, string] => [t.Key, t.Value])).toString();
        expect(parseTaggingHeader(header)).toEqual(tags);
      }),
      fuzzParams,
    );
  });
});

describe("the Tagging document", () => {
  it("gives tags or a 4xx on any body", () => {
    const doc = fc.oneof(hostile, hostile.map((s) => `<Tagging><TagSet>${s}</TagSet></Tagging>`));
    fc.assert(fc.property(doc, (s) => void readOrRefuse(() => parseTagging(Buffer.from(s), MAX_BUCKET_TAGS))), fuzzParams);
  });

  it("reads back what GetBucketTagging writes, for any valid tag set", () => {
    fc.assert(
      fc.property(validTags(MAX_BUCKET_TAGS), (tags) => {
        expect(parseTagging(Buffer.from(taggingXml(tags)), MAX_BUCKET_TAGS)).toEqual(tags);
      }),
      fuzzParams,
    );
  });
});
