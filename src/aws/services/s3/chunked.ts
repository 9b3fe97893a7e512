import crypto from "node:crypto";
import type { ChunkChain } from "./chunk-signatures.js";
import { s3Errors } from "./errors.js";

const CRLF = Buffer.from("\r\n");
const MAX_LINE = 4096;

/**
 * Decodes an `aws-chunked` body (`hex-size[;ext]\r\n data \r\n … 0\r\n trailer-lines \r\n`) as it
 * streams, yielding the object's bytes and filling `trailers` (lower-case names) from the
 * trailing header lines. Any chunk size is accepted; a body that ends early or is not framed so
 * is IncompleteBody or InvalidRequest.
 *
 * With a `chain` (a signed body), every chunk's `;chunk-signature=` is checked once its data has
 * been read, before the next chunk's first byte is yielded, and the final empty chunk's too; a
 * mismatch throws SignatureDoesNotMatch, so the caller's write never completes. `signedTrailer`
 * (the -TRAILER form) requires `x-amz-trailer-signature` over the trailer lines; without it, a
 * signed body may have no trailer at all, since nothing would vouch for one.
 */
export async function* decodeAwsChunked(
  source: AsyncIterable<Buffer>,
  trailers: Map<string, string>,
  chain?: ChunkChain,
  signedTrailer = false,
): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let state = "size" as "size" | "data" | "dataEnd" | "trailer" | "done";
  let remaining = 0;
  let chunkSignature: string | undefined;
  let chunkHash: crypto.Hash | undefined;
  const trailerLines: string[] = [];
  let trailerSignature: string | undefined;
  const bad = (why: string) => s3Errors.invalidRequest(`The aws-chunked body is not valid: ${why}.`);

  const finishTrailer = () => {
    // canonical trailer: `name:value\n` lines sorted by name, as for signed headers
    if (chain && signedTrailer) chain.verifyTrailer(trailerLines.sort().join(""), trailerSignature);
  };

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
        const [sizePart, ...extensions] = line.split(";");
        const sizeText = sizePart!.trim();
        if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw bad(`'${line.slice(0, 40)}' is not a chunk size`);
        remaining = parseInt(sizeText, 16);
        if (chain) {
          chunkSignature = extensions.map((e) => /^\s*chunk-signature=(\S*)\s*$/.exec(e)?.[1]).find((v) => v !== undefined);
          chunkHash = crypto.createHash("sha256");
          // the final empty chunk is signed too
          if (remaining === 0) chain.verifyChunk(chunkHash.digest("hex"), chunkSignature);
        }
        state = remaining === 0 ? "trailer" : "data";
      } else if (state === "data") {
        if (!buf.length) break;
        const n = Math.min(remaining, buf.length);
        const piece = buf.subarray(0, n);
        buf = buf.subarray(n);
        remaining -= n;
        chunkHash?.update(piece);
        if (remaining === 0) {
          state = "dataEnd";
          // checked before the chunk's last piece is handed on
          if (chain) chain.verifyChunk(chunkHash!.digest("hex"), chunkSignature);
        }
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
          finishTrailer();
          state = "done";
          continue;
        }
        const colon = line.indexOf(":");
        if (colon <= 0) throw bad(`'${line.slice(0, 40)}' is not a trailer line`);
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (chain && name === "x-amz-trailer-signature") {
          trailerSignature = value;
          continue;
        }
        if (chain && !signedTrailer) throw bad("a signed body without a signed trailer has trailer lines");
        trailerLines.push(`${name}:${value}\n`);
        trailers.set(name, value);
      } else {
        if (buf.length && buf.toString("latin1").trim() !== "") throw bad("there are bytes after the final chunk");
        buf = Buffer.alloc(0);
        break;
      }
    }
  }
  // the final CRLF after the trailer is optional in practice; a partial line is not
  if ((state as string) === "trailer" && buf.length === 0) {
    finishTrailer();
    state = "done";
  }
  if ((state as string) !== "done") throw s3Errors.incompleteBody();
}
