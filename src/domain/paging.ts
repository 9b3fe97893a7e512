import { ServiceError } from "../errors.js";

/**
 * Opaque continuation tokens: the position after the last item returned and the query they
 * belong to. A token from another query, or one that does not decode, is refused.
 */
export function encodeToken(query: string, position: unknown): string {
  return Buffer.from(JSON.stringify({ q: query, p: position })).toString("base64url");
}

export function decodeToken<T>(token: string, query: string, errorCode = "InvalidContinuationTokenException"): T {
  try {
    const v = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { q?: unknown; p?: unknown };
    if (v && v.q === query && v.p !== undefined) return v.p as T;
  } catch {
    /* fall through */
  }
  throw new ServiceError(errorCode, "The specified continuation token is not valid.");
}
