import { s3Errors } from "./errors.js";

const CRLF = Buffer.from("\r\n");
const MAX_LINE = 4096;

/**
 * Decodes an `aws-chunked` body (`hex-size[;ext]\r\n data \r\n … 0\r\n trailer-lines \r\n`) as it
 * streams, yielding the object's bytes and filling `trailers` (lower-case names) from the
 * trailing header lines. Any chunk size is accepted; a body that ends early or is not framed so
 * is IncompleteBody or InvalidRequest.
 */
export async function* decodeAwsChunked(source: AsyncIterable<Buffer>, trailers: Map<string, string>): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let state = "size" as "size" | "data" | "dataEnd" | "trailer" | "done";
  let remaining = 0;
  const bad = (why: string) => s3Errors.invalidRequest(`The aws-chunked body is not valid: ${why}.`);

  const takeLine = (): string | undefined => {
    const i = buf.indexOf(CRLF);
    if (i < 0) {
      if (buf.length > MAX_LINE) throw bad("a chunk header or trailer line is too long");
      return undefined;
    }
    const line = buf.subarray(0, i).toString("latin1");
    buf = buf.subarray(i + 2);
    return line;
  };

  for await (const incoming of source) {
    buf = buf.length ? Buffer.concat([buf, incoming]) : incoming;
    for (;;) {
      if (state === "size") {
        const line = takeLine();
        if (line === undefined) break;
        const sizeText = line.split(";")[0]!.trim();
        if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw bad(`'${line.slice(0, 40)}' is not a chunk size`);
        remaining = parseInt(sizeText, 16);
        state = remaining === 0 ? "trailer" : "data";
      } else if (state === "data") {
        if (!buf.length) break;
        const n = Math.min(remaining, buf.length);
        const piece = buf.subarray(0, n);
        buf = buf.subarray(n);
        remaining -= n;
        if (remaining === 0) state = "dataEnd";
        yield piece;
      } else if (state === "dataEnd") {
        if (buf.length < 2) break;
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw bad("a chunk's data is not followed by CRLF");
        buf = buf.subarray(2);
        state = "size";
      } else if (state === "trailer") {
        const line = takeLine();
        if (line === undefined) break;
        if (line === "") {
          state = "done";
          continue;
        }
        const colon = line.indexOf(":");
        if (colon <= 0) throw bad(`'${line.slice(0, 40)}' is not a trailer line`);
        trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      } else {
        if (buf.length && buf.toString("latin1").trim() !== "") throw bad("there are bytes after the final chunk");
        buf = Buffer.alloc(0);
        break;
      }
    }
  }
  // the final CRLF after the trailer is optional in practice; a partial line is not
  if ((state as string) === "trailer" && buf.length === 0) state = "done";
  if ((state as string) !== "done") throw s3Errors.incompleteBody();
}
