import { ServiceError } from "../../errors.js";

export const MAX_TAGS = 50;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Validates a tag map as CodeCommit does (shape, lengths, characters, the reserved aws: prefix). */
export function validateTags(value: unknown, requiredCode?: string): Record<string, string> {
  if (value === undefined || value === null) {
    if (requiredCode) throw new ServiceError(requiredCode, "A map of tags is required.");
    return {};
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ServiceError("InvalidTagsMapException", "The tags must be a map of keys to values.");
  }
  const tags = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== "string") throw new ServiceError("InvalidTagsMapException", `The value of tag '${k}' must be a string.`);
    if (k.length < 1 || k.length > 128 || !TAG_CHARS.test(k)) {
      throw new ServiceError(
        "InvalidTagsMapException",
        `The tag key '${k}' is not valid: keys are 1 to 128 letters, digits, spaces and _ . : / = + - @.`,
      );
    }
    if (v.length > 256 || !TAG_CHARS.test(v)) {
      throw new ServiceError(
        "InvalidTagsMapException",
        `The value of tag '${k}' is not valid: values are up to 256 letters, digits, spaces and _ . : / = + - @.`,
      );
    }
    if (k.toLowerCase().startsWith("aws:")) {
      throw new ServiceError("InvalidSystemTagUsageException", `The tag key '${k}' uses the reserved prefix aws:.`);
    }
  }
  if (Object.keys(tags).length > MAX_TAGS) {
    throw new ServiceError("TooManyTagsException", `A resource can have at most ${MAX_TAGS} tags.`);
  }
  return tags as Record<string, string>;
}

export function validateTagKeys(value: unknown): string[] {
  if (value === undefined || value === null) {
    throw new ServiceError("TagKeysListRequiredException", "A list of tag keys is required.");
  }
  if (!Array.isArray(value)) throw new ServiceError("InvalidTagKeysListException", "The tag keys must be a list of strings.");
  for (const k of value) {
    if (typeof k !== "string" || k.length < 1 || k.length > 128) {
      throw new ServiceError("InvalidTagKeysListException", "Each tag key must be a string of 1 to 128 characters.");
    }
    if (k.toLowerCase().startsWith("aws:")) {
      throw new ServiceError("InvalidSystemTagUsageException", `The tag key '${k}' uses the reserved prefix aws:.`);
    }
  }
  return value as string[];
}
