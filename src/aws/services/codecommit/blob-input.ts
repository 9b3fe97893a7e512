import { ServiceError } from "../../../errors.js";

// a plain character class: a grouped, repeated pattern overflows the regex stack on megabytes
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A blob member of an awsJson request: base64 text on the wire (the SDKs' Uint8Array, the
 * CLI's fileb:// or base64 input). Undefined when absent; malformed base64 is refused rather
 * than half-decoded, as Node's lenient decoder would.
 */
export function blobInput(value: unknown, member: string): Buffer | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length % 4 !== 0 || !BASE64.test(value)) {
    throw new ServiceError("SerializationException", `${member} must be base64-encoded binary data.`);
  }
  return Buffer.from(value, "base64");
}
