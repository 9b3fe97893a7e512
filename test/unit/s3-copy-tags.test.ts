import { describe, expect, it } from "vitest";
import { s3AuthzTable } from "../../src/aws/services/s3/authz.js";
import { parseCopySource } from "../../src/aws/services/s3/copy.js";
import { MAX_OBJECT_TAGS, parseTagging, parseTaggingHeader, validateTags } from "../../src/aws/services/s3/tag-sets.js";

const caller = {} as never;

describe("x-amz-copy-source", () => {
  it("takes the bucket, the URL-encoded key and a versionId, with or without the leading slash", () => {
    expect(parseCopySource("src/a%20b/c%2Bd%3F.txt")).toEqual({ bucket: "src", key: "a b/c+d?.txt" });
    expect(parseCopySource("/src/k?versionId=abc")).toEqual({ bucket: "src", key: "k", versionId: "abc" });
    expect(parseCopySource("src/%C3%BC")).toEqual({ bucket: "src", key: "ü" });
    // a plus in a path is a plus, not a space
    expect(parseCopySource("src/a+b")).toEqual({ bucket: "src", key: "a+b" });
  });

  it("refuses a source without a bucket or a key, or with a bad escape, as InvalidArgument", () => {
    for (const bad of ["src", "src/", "/src", "/k", "", "src/%zz"]) {
      expect(() => parseCopySource(bad)).toThrow(expect.objectContaining({ code: "InvalidArgument", fields: { ArgumentName: "x-amz-copy-source", ArgumentValue: bad } }));
    }
  });
});

describe("tag sets", () => {
  it("reads x-amz-tagging as form-encoded query parameters, in the order given", () => {
    expect(parseTaggingHeader("a=1&b+c=d%2Fe&f")).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b c", Value: "d/e" },
      { Key: "f", Value: "" },
    ]);
    expect(parseTaggingHeader("")).toEqual([]);
    for (const bad of ["a=1&a=2", "a=b=c", "a=%zz"]) expect(() => parseTaggingHeader(bad)).toThrow(expect.objectContaining({ code: "InvalidArgument" }));
  });

  it("reads the Tagging document with one Tag, several, or none", () => {
    const doc = (inner: string) => Buffer.from(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${inner}</TagSet></Tagging>`);
    expect(parseTagging(doc("<Tag><Key>k</Key><Value>v w</Value></Tag>"), 10)).toEqual([{ Key: "k", Value: "v w" }]);
    expect(parseTagging(doc("<Tag><Key>a</Key><Value></Value></Tag><Tag><Key>b</Key><Value/></Tag>"), 10)).toEqual([
      { Key: "a", Value: "" },
      { Key: "b", Value: "" },
    ]);
    expect(parseTagging(doc(""), 10)).toEqual([]);
    expect(parseTagging(Buffer.from("<Tagging><TagSet/></Tagging>"), 10)).toEqual([]);
    for (const bad of ["<Tagging/>", "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>", "<TagSet/>", "<Tagging><TagSet>text</TagSet></Tagging>"]) {
      expect(() => parseTagging(Buffer.from(bad), 10)).toThrow(expect.objectContaining({ code: "MalformedXML" }));
    }
  });

  it("counts UTF-16 code units as S3 does: 128 for a key, 256 for a value", () => {
    const astral = "𝒜"; // two code units
    expect(validateTags([{ Key: "k".repeat(128), Value: "v".repeat(256) }], MAX_OBJECT_TAGS)).toHaveLength(1);
    expect(() => validateTags([{ Key: astral.repeat(65), Value: "" }], MAX_OBJECT_TAGS)).toThrow(expect.objectContaining({ code: "InvalidTag" }));
    expect(() => validateTags([{ Key: "k", Value: "é".repeat(257) }], MAX_OBJECT_TAGS)).toThrow(expect.objectContaining({ code: "InvalidTag", message: "The TagValue you have provided is invalid" }));
    expect(() => validateTags([{ Key: "AWS:x", Value: "" }], MAX_OBJECT_TAGS)).toThrow(expect.objectContaining({ code: "InvalidTag" }));
  });
});

describe("S3's authorization rows for copy and tagging", () => {
  const table = s3AuthzTable("aws");
  const object = { Bucket: "b", Key: "dir/k", VersionId: "v1" };

  it("name the S3 action for each operation, on the object or the bucket", async () => {
    const rows: Array<[string, string, string]> = [
      ["CopyObject", "s3:PutObject", "arn:aws:s3:::b/dir/k"],
      ["CopyObject(source)", "s3:GetObject", "arn:aws:s3:::b/dir/k"],
      ["CopyObject(source, versionId)", "s3:GetObjectVersion", "arn:aws:s3:::b/dir/k"],
      ["PutObject(tagging)", "s3:PutObjectTagging", "arn:aws:s3:::b/dir/k"],
      ["GetObjectTagging", "s3:GetObjectTagging", "arn:aws:s3:::b/dir/k"],
      ["GetObjectTagging(versionId)", "s3:GetObjectVersionTagging", "arn:aws:s3:::b/dir/k"],
      ["PutObjectTagging", "s3:PutObjectTagging", "arn:aws:s3:::b/dir/k"],
      ["PutObjectTagging(versionId)", "s3:PutObjectVersionTagging", "arn:aws:s3:::b/dir/k"],
      ["DeleteObjectTagging", "s3:DeleteObjectTagging", "arn:aws:s3:::b/dir/k"],
      ["DeleteObjectTagging(versionId)", "s3:DeleteObjectVersionTagging", "arn:aws:s3:::b/dir/k"],
      ["GetBucketTagging", "s3:GetBucketTagging", "arn:aws:s3:::b"],
      ["PutBucketTagging", "s3:PutBucketTagging", "arn:aws:s3:::b"],
      ["DeleteBucketTagging", "s3:PutBucketTagging", "arn:aws:s3:::b"],
    ];
    for (const [op, action, resource] of rows) {
      const row = table[op]!;
      expect([op, row.action, await row.resources(object, caller)]).toEqual([op, action, [resource]]);
    }
    expect(await table["GetObjectTagging(versionId)"]!.keys!(object, caller)).toEqual({ "s3:versionid": "v1" });
    expect(await table.CopyObject!.keys!({ ...object, CopySource: "src/k", MetadataDirective: "COPY" }, caller)).toEqual({
      "s3:x-amz-copy-source": "src/k",
      "s3:x-amz-metadata-directive": "COPY",
    });
  });
});
