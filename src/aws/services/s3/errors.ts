import { xmlEscape } from "./xml.js";

/**
 * An S3 error: its code, HTTP status and message, with the extra members S3 puts in the
 * `<Error>` document (BucketName, Key, VersionId, Condition, …) and headers it sends with it.
 */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly fields: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The `<Error>` document: no namespace, and nothing after `</Error>` (SDK v3 reads its last bytes). */
export function errorXml(e: S3Error, requestId: string): string {
  const extra = Object.entries(e.fields)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(e.code)}</Code><Message>${xmlEscape(e.message)}</Message>${extra}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
}

export const s3Errors = {
  noSuchBucket: (bucket: string) => new S3Error("NoSuchBucket", "The specified bucket does not exist", 404, { BucketName: bucket }),
  noSuchKey: (key: string, headers: Record<string, string> = {}) => new S3Error("NoSuchKey", "The specified key does not exist.", 404, { Key: key }, headers),
  noSuchVersion: (key: string, versionId: string) =>
    new S3Error("NoSuchVersion", "The specified version does not exist.", 404, { Key: key, VersionId: versionId }),
  invalidVersionId: (versionId: string) =>
    new S3Error("InvalidArgument", "Invalid version id specified", 400, { ArgumentName: "versionId", ArgumentValue: versionId }),
  invalidBucketName: (bucket: string) => new S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, { BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409, { BucketName: bucket }),
  bucketNotEmpty: (bucket: string) =>
    new S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty. You must delete all versions in the bucket.", 409, { BucketName: bucket }),
  accessDenied: (message = "Access Denied") => new S3Error("AccessDenied", message, 403),
  preconditionFailed: (condition: string) =>
    new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, { Condition: condition }),
  invalidRange: (size: number, range: string) =>
    new S3Error("InvalidRange", "The requested range is not satisfiable", 416, { ActualObjectSize: String(size), RangeRequested: range }, {
      "content-range": `bytes */${size}`,
    }),
  badDigest: (what: string) => new S3Error("BadDigest", `The ${what} you specified did not match the calculated checksum.`, 400),
  badContentMd5: () => new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400),
  invalidDigest: () => new S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.", 400),
  invalidRequest: (message: string) => new S3Error("InvalidRequest", message, 400),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new S3Error("InvalidArgument", message, 400, name !== undefined ? { ArgumentName: name, ArgumentValue: value ?? "" } : {}),
  malformedXml: () =>
    new S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400),
  methodNotAllowed: (method: string, resourceType: string, headers: Record<string, string> = {}) =>
    new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, { Method: method, ResourceType: resourceType }, headers),
  notImplemented: (what: string) =>
    new S3Error("NotImplemented", `A header or query you provided implies functionality that is not implemented: ${what} is not served by this server yet.`, 501),
  sha256Mismatch: (client: string, computed: string) =>
    new S3Error("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
      ClientComputedContentSHA256: client,
      S3ComputedContentSHA256: computed,
    }),
  incompleteBody: () => new S3Error("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header", 400),
  entityTooLarge: (max: number) =>
    new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400, { MaxSizeAllowed: String(max) }),
  internal: () => new S3Error("InternalError", "We encountered an internal error. Please try again.", 500),
};
