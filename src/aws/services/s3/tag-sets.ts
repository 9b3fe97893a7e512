import type { Tag } from "../../../domain/s3/buckets.js";
import { S3Error, s3Errors } from "./errors.js";
import { doc, el, parseXml, wrap } from "./xml.js";

/** S3's limits: 10 tags on an object version, 50 on a bucket. */
export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;

/**
 * The characters S3 allows in tag keys and values: Unicode letters, digits and spaces, and
 * `_ . : / = + - @` (the user guide's set; IAM's Tag pattern writes it the same way).
 */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const invalidKey = (key: string) => new S3Error("InvalidTag", "The TagKey you have provided is invalid", 400, { TagKey: key });
const invalidValue = (value: string) => new S3Error("InvalidTag", "The TagValue you have provided is invalid", 400, { TagValue: value });

/**
 * S3's rules for a tag set: at most `max` tags (checked first), unique keys, a key of 1..128 and a value of
 * 0..256 characters (S3 counts UTF-16 code units, as a JS string's length does), from the
 * allowed characters, and no key in AWS's reserved `aws:` namespace.
 */
export function validateTags(tags: Tag[], max: number): Tag[] {
  // S3 answers too many tags with BadRequest, not InvalidTag, before looking at any tag (observed on PutObject and PutObjectTagging)
  if (tags.length > max) throw new S3Error("BadRequest", max === MAX_OBJECT_TAGS ? "Object tags cannot be greater than 10" : `Bucket tag count cannot be greater than ${max}`, 400);
  const seen = new Set<string>();
  for (const { Key, Value } of tags) {
    if (Key.length < 1 || Key.length > 128 || !TAG_TEXT.test(Key)) throw invalidKey(Key);
    if (Value.length > 256 || !TAG_TEXT.test(Value)) throw invalidValue(Value);
    if (Key.toLowerCase().startsWith("aws:")) throw new S3Error("InvalidTag", "Your TagKey cannot be prefixed with aws:", 400, { TagKey: Key });
    if (seen.has(Key)) throw new S3Error("InvalidTag", "Cannot provide multiple Tags with the same key", 400, { TagKey: Key });
    seen.add(Key);
  }
  return tags;
}

/** One element or several, as the XML reader gives a repeated element. */
function list(v: unknown): unknown[] {
  if (v === undefined || v === "") return [];
  return Array.isArray(v) ? v : [v];
}

/** The `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` body of Put…Tagging. */
export function parseTagging(body: Buffer, max: number): Tag[] {
  const tagging = parseXml(body, "Tagging");
  if (tagging.TagSet === undefined) throw s3Errors.malformedXml();
  const set = tagging.TagSet;
  const entries = typeof set === "object" && set !== null ? list((set as Record<string, unknown>).Tag) : list(typeof set === "string" && set.trim() === "" ? undefined : set);
  const tags = entries.map((t): Tag => {
    if (typeof t !== "object" || t === null) throw s3Errors.malformedXml();
    const { Key, Value } = t as Record<string, unknown>;
    if (typeof Key !== "string" || typeof Value !== "string") throw s3Errors.malformedXml();
    return { Key, Value };
  });
  return validateTags(tags, max);
}

const badTaggingHeader = (value: string) =>
  s3Errors.invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.", "x-amz-tagging", value);

function formDecode(s: string, header: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, "%20"));
  } catch {
    throw badTaggingHeader(header);
  }
}

/**
 * `x-amz-tagging` (PutObject, CopyObject): URL query parameters, `k1=v1&k2=v2`, form-encoded
 * (`+` is a space); a key without `=` has the empty value. A duplicate key, a second `=` or a
 * bad escape is InvalidArgument; the tags themselves follow S3's rules.
 */
export function parseTaggingHeader(header: string): Tag[] {
  const tags: Tag[] = [];
  const seen = new Set<string>();
  for (const pair of header.split("&")) {
    if (pair === "") continue;
    const parts = pair.split("=");
    if (parts.length > 2) throw badTaggingHeader(header);
    const Key = formDecode(parts[0]!, header);
    const Value = formDecode(parts[1] ?? "", header);
    if (seen.has(Key)) throw badTaggingHeader(header);
    seen.add(Key);
    tags.push({ Key, Value });
  }
  return validateTags(tags, MAX_OBJECT_TAGS);
}

/** The GetObjectTagging / GetBucketTagging document. */
export function taggingXml(tags: Tag[]): string {
  return doc("Tagging", wrap("TagSet", tags.map((t) => wrap("Tag", el("Key", t.Key) + el("Value", t.Value))).join("")));
}
