import { ServiceError } from "../../errors.js";

/** IAM-style pages: `Marker` and `MaxItems` in, `IsTruncated` and `Marker` out. */
export interface Page<T> {
  items: T[];
  isTruncated: boolean;
  marker?: string;
}

export function paginate<T>(all: T[], markerIn: string | undefined, maxItemsIn: number | undefined, keyOf: (t: T) => string): Page<T> {
  const maxItems = maxItemsIn ?? 100;
  if (maxItems < 1 || maxItems > 1000) {
    throw new ServiceError(
      "ValidationError",
      `1 validation error detected: Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value ${maxItems < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`,
    );
  }
  let start = 0;
  if (markerIn) {
    let after: string;
    try {
      after = Buffer.from(String(markerIn), "base64url").toString("utf8");
    } catch {
      throw new ServiceError("InvalidInput", "Invalid Marker.");
    }
    start = all.findIndex((t) => keyOf(t) > after);
    if (start < 0) start = all.length;
  }
  const items = all.slice(start, start + maxItems);
  const isTruncated = start + maxItems < all.length;
  return {
    items,
    isTruncated,
    marker: isTruncated ? Buffer.from(keyOf(items[items.length - 1]!)).toString("base64url") : undefined,
  };
}
