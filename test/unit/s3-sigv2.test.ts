import { describe, expect, it } from "vitest";
import { parseSigV2, stringToSignV2, verifySigV2 } from "../../src/aws/sigv2.js";
import { AuthFailure, headerMap } from "../../src/aws/sigv4.js";

/**
 * AWS's published SigV2 examples (the S3 developer guide's "Signing and authenticating REST
 * requests", bucket johnsmith, the documentation key pair): the string-to-sign and signature of
 * each, virtual-hosted (so the resource is /johnsmith/…) and path style.
 */
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

function req(method: string, url: string, headers: string[], signature: string) {
  return { method, url, headers: headerMap([...headers, "Authorization", `AWS AKIAIOSFODNN7EXAMPLE:${signature}`]), body: Buffer.alloc(0), s3: true };
}

const examples = [
  {
    name: "Object GET",
    r: req("GET", "/photos/puppy.jpg", ["Host", "johnsmith.s3.amazonaws.com", "Date", "Tue, 27 Mar 2007 19:36:42 +0000"], "bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
    resource: "/johnsmith/photos/puppy.jpg",
    sts: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
  },
  {
    name: "Object PUT",
    r: req("PUT", "/photos/puppy.jpg", ["Content-Type", "image/jpeg", "Content-Length", "94328", "Host", "johnsmith.s3.amazonaws.com", "Date", "Tue, 27 Mar 2007 21:15:45 +0000"], "MyyxeRY7whkBe+bq8fHCL/2kKUg="),
    resource: "/johnsmith/photos/puppy.jpg",
    sts: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
  },
  {
    name: "List (the query's prefix, max-keys and marker are not signed)",
    r: req("GET", "/?prefix=photos&max-keys=50&marker=puppy", ["User-Agent", "Mozilla/5.0", "Host", "johnsmith.s3.amazonaws.com", "Date", "Tue, 27 Mar 2007 19:42:41 +0000"], "htDYFYduRNen8P9ZfE/s9SuKy0U="),
    resource: "/johnsmith/",
    sts: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
  },
  {
    name: "Fetch (the ?acl sub-resource is)",
    r: req("GET", "/?acl", ["Host", "johnsmith.s3.amazonaws.com", "Date", "Tue, 27 Mar 2007 19:44:46 +0000"], "c2WLPFtWHVgbEmeEG93a4cG37dM="),
    resource: "/johnsmith/",
    sts: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
  },
  {
    name: "Upload (Content-MD5, x-amz-* headers sorted, a repeated one joined by commas; a CNAME bucket)",
    r: req(
      "PUT",
      "/db-backup.dat.gz",
      [
        "User-Agent", "curl/7.15.5",
        "Host", "static.johnsmith.net:8080",
        "Date", "Tue, 27 Mar 2007 21:06:08 +0000",
        "x-amz-acl", "public-read",
        "content-type", "application/x-download",
        "Content-MD5", "4gJE4saaMU4BqNR0kLY+lw==",
        "X-Amz-Meta-ReviewedBy", "joe@johnsmith.net",
        "X-Amz-Meta-ReviewedBy", "jane@johnsmith.net",
        "X-Amz-Meta-FileChecksum", "0x02661779",
        "X-Amz-Meta-ChecksumAlgorithm", "crc32",
        "Content-Disposition", "attachment; filename=database.dat",
        "Content-Encoding", "gzip",
        "Content-Length", "5913339",
      ],
      "ilyl83RwaSoYIEdixDQcA4OnAnc=",
    ),
    resource: "/static.johnsmith.net/db-backup.dat.gz",
    sts: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\nx-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\nx-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
  },
  {
    name: "List All My Buckets",
    r: req("GET", "/", ["Host", "s3.amazonaws.com", "Date", "Wed, 28 Mar 2007 01:29:59 +0000"], "qGdzdERIC03wnaRNKh6OqZehG9s="),
    resource: "/",
    sts: "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
  },
  {
    name: "Unicode keys (the path as sent, still encoded)",
    r: req("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", ["Host", "s3.amazonaws.com", "Date", "Wed, 28 Mar 2007 01:49:49 +0000"], "DNEZGsoieTZ92F3bUfSPQcbGmlM="),
    resource: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
    sts: "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
  },
];

const deleteExample = req(
  "DELETE",
  "/johnsmith/photos/puppy.jpg",
  ["User-Agent", "dotnet", "Host", "s3.amazonaws.com", "Date", "Tue, 27 Mar 2007 21:20:27 +0000", "x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"],
  "lx3byBScXR6KzyMaifNkardMwNk=",
);

describe("SigV2: AWS's published examples", () => {
  for (const ex of examples) {
    it(ex.name, () => {
      const parts = parseSigV2(ex.r);
      expect(stringToSignV2(ex.r, parts, ex.resource)).toBe(ex.sts);
      expect(() => verifySigV2(ex.r, parts, SECRET, ex.resource)).not.toThrow();
    });
  }

  it("Delete with x-amz-date: the guide's worked example (its value on the Date line) and its rule (an empty Date line, x-amz-date signed as a header)", () => {
    const parts = parseSigV2(deleteExample);
    expect(() => verifySigV2(deleteExample, parts, SECRET, "/johnsmith/photos/puppy.jpg")).not.toThrow();
    expect(stringToSignV2(deleteExample, parts, "/johnsmith/photos/puppy.jpg")).toBe("DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg");
  });

  it("a changed header, method or resource, or another secret, does not verify", () => {
    const ex = examples[1]!;
    const changed = { ...ex.r, headers: new Map(ex.r.headers).set("content-type", ["image/png"]) };
    const cases: Array<[typeof ex.r, string, string]> = [
      [changed, SECRET, ex.resource],
      [{ ...ex.r, method: "POST" }, SECRET, ex.resource],
      [ex.r, SECRET, "/johnsmith/photos/kitten.jpg"],
      [ex.r, SECRET.replace("K", "k"), ex.resource],
    ];
    for (const [r, secret, resource] of cases) {
      expect(() => verifySigV2(r, parseSigV2(r), secret, resource)).toThrow(AuthFailure);
    }
  });

  it("a presigned URL signs Expires in the Date's place and its x-amz-* query parameters as headers", () => {
    const url = "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&x-amz-security-token=TOKEN";
    const r = { method: "GET", url, headers: headerMap(["Host", "s3.amazonaws.com"]), body: Buffer.alloc(0), s3: true };
    const parts = parseSigV2(r);
    expect([parts.accessKeyId, parts.expires, parts.signature, parts.securityToken]).toEqual(["AKIAIOSFODNN7EXAMPLE", "1175139620", "NpgCjnDzrM+WFzoENXmpNDUsSn8=", "TOKEN"]);
    expect(stringToSignV2(r, parts, "/johnsmith/photos/puppy.jpg")).toBe("GET\n\n\n1175139620\nx-amz-security-token:TOKEN\n/johnsmith/photos/puppy.jpg");
  });
});
