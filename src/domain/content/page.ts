import { ServiceError } from "../../errors.js";
import { decodeToken } from "../paging.js";
import { contentErrors } from "./errors.js";

/**
 * A page size from a maxResults/MaxResults member: absent means `fallback`; anything but a
 * positive whole number is InvalidMaxResultsException; more than `max` is served as `max`
 * (the answer then carries a token for the rest, which every paginating client follows).
 */
export function pageSize(value: unknown, fallback: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw contentErrors.invalidMaxResults(max);
  return Math.min(value, max);
}

/** The position a continuation token holds, or undefined for the first page. */
export function pagePosition<T>(token: unknown, query: string): T | undefined {
  if (token === undefined || token === null || token === "") return undefined;
  if (typeof token !== "string") throw new ServiceError("SerializationException", "A continuation token must be a string.");
  return decodeToken<T>(token, query);
}
