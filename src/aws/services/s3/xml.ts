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
  // references are decoded below, in one pass: the parser leaves numeric ones (`&#13;`, which the
  // SDKs write for a carriage return in a key) as they are
  processEntities: false,
  isArray: (name) => name === "Object",
});

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g;

/** XML's five entities and its character references, decoded in one pass (so `&amp;#13;` stays `&#13;`). */
export function decodeReferences(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(REFERENCE, (whole, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name) return NAMED[name]!;
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    // not a character XML allows: a malformed document
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw s3Errors.malformedXml();
    return String.fromCodePoint(code);
  });
}

function decodeTree(v: unknown): unknown {
  if (typeof v === "string") return decodeReferences(v);
  if (Array.isArray(v)) return v.map(decodeTree);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = decodeTree(x);
    return out;
  }
  return v;
}

/** Parses a request body; MalformedXML when it is not XML with the expected root. */
export function parseXml(body: Buffer, root: string): Record<string, unknown> {
  const text = body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = parser.parse(text, true);
  } catch {
    throw s3Errors.malformedXml();
  }
  const top = decodeTree((parsed as Record<string, unknown> | undefined)?.[root]);
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
