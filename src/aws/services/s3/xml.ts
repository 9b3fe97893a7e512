import { XMLParser } from "fast-xml-parser";
import { s3Errors } from "./errors.js";

export const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"'\r\n\t]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : c === "'" ? "&apos;" : `&#${c.charCodeAt(0)};`,
  );
}

/** An element with text content (escaped), or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return "";
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** An element around already-built children. */
export function wrap(name: string, children: string): string {
  return `<${name}>${children}</${name}>`;
}

/** A response document: the prolog and the root in S3's namespace. */
export function doc(root: string, children: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${children}</${root}>`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (name) => name === "Object",
});

/** Parses a request body; MalformedXML when it is not XML with the expected root. */
export function parseXml(body: Buffer, root: string): Record<string, unknown> {
  const text = body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = parser.parse(text, true);
  } catch {
    throw s3Errors.malformedXml();
  }
  const top = (parsed as Record<string, unknown> | undefined)?.[root];
  if (top === undefined) throw s3Errors.malformedXml();
  return top && typeof top === "object" ? (top as Record<string, unknown>) : {};
}

/** S3's timestamps in XML: ISO 8601 with milliseconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Timestamps in headers (Last-Modified): RFC 1123. */
export function httpTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}
