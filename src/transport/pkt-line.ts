import type { Readable } from "node:stream";

/** git's pkt-line framing: four hex digits of length (including themselves), then the payload. */

export const FLUSH = Buffer.from("0000");

export function pktLine(payload: string | Buffer): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const len = (body.length + 4).toString(16).padStart(4, "0");
  return Buffer.concat([Buffer.from(len), body]);
}

/** A side-band-64k packet on band 1 (data), 2 (progress) or 3 (error). */
export function sideband(band: 1 | 2 | 3, payload: Buffer | string): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  return pktLine(Buffer.concat([Buffer.from([band]), body]));
}

export interface PushCommand {
  oldOid: string;
  newOid: string;
  ref: string;
}

export interface CommandSection {
  commands: PushCommand[];
  capabilities: string[];
  /** every byte read from the stream so far (the command section and whatever followed it) */
  consumed: Buffer;
}

export class PktLineError extends Error {}

/**
 * Parses the pkt-lines at `buf` up to and including the first flush. Returns null when more
 * bytes are needed.
 */
export function parseCommandSection(buf: Buffer): Omit<CommandSection, "consumed"> | null {
  return new CommandSectionParser().push(buf);
}

/**
 * parseCommandSection for bytes that arrive in pieces: each piece is parsed once, from where
 * the last complete pkt-line ended, so a section cut into many small pieces (a slow link, or a
 * client that trickles) costs time in proportion to its bytes, not to their square.
 */
export class CommandSectionParser {
  private readonly commands: PushCommand[] = [];
  private capabilities: string[] = [];
  private first = true;
  /** bytes after the last complete pkt-line, and how many the next pkt-line needs */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = 4;

  /** Takes the next bytes; returns the section once its flush has arrived, else null. Throws PktLineError. */
  push(chunk: Buffer): Omit<CommandSection, "consumed"> | null {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.need) return null;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    let pos = 0;
    for (;;) {
      if (buf.length < pos + 4) {
        this.need = 4;
        break;
      }
      const lenHex = buf.toString("latin1", pos, pos + 4);
      if (!/^[0-9a-f]{4}$/i.test(lenHex)) throw new PktLineError(`bad pkt-line length "${lenHex}"`);
      const len = parseInt(lenHex, 16);
      if (len === 0) return { commands: this.commands, capabilities: this.capabilities };
      if (len < 4) throw new PktLineError(`unexpected special packet ${lenHex} in push commands`);
      if (buf.length < pos + len) {
        this.need = len;
        break;
      }
      let line = buf.toString("utf8", pos + 4, pos + len);
      pos += len;
      if (line.endsWith("\n")) line = line.slice(0, -1);
      if (this.first) {
        const nul = line.indexOf("\0");
        if (nul >= 0) {
          this.capabilities = line.slice(nul + 1).split(" ").filter(Boolean);
          line = line.slice(0, nul);
        }
        this.first = false;
      }
      if (line.startsWith("shallow ")) continue;
      const m = /^([0-9a-f]{40}) ([0-9a-f]{40}) (\S+)$/.exec(line);
      if (!m) throw new PktLineError(`malformed push command "${line.slice(0, 120)}"`);
      this.commands.push({ oldOid: m[1]!, newOid: m[2]!, ref: m[3]! });
    }
    const rest = buf.subarray(pos);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return null;
  }
}

/**
 * Reads a receive-pack request's command section off the stream (leaving the stream paused
 * with everything after it unread), without buffering the pack that follows.
 */
export function readCommandSection(stream: Readable, maxBytes: number): Promise<CommandSection> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const parser = new CommandSectionParser();
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      let parsed;
      try {
        parsed = parser.push(chunk);
      } catch (e) {
        cleanup();
        reject(e);
        return;
      }
      if (parsed) {
        stream.pause();
        cleanup();
        resolve({ ...parsed, consumed: chunks.length === 1 ? chunk : Buffer.concat(chunks) });
      } else if (size > maxBytes) {
        cleanup();
        reject(new PktLineError(`the push's list of references is larger than the server reads`));
      }
    };
    const onEnd = () => {
      cleanup();
      const consumed = Buffer.concat(chunks);
      if (consumed.length === 0) resolve({ commands: [], capabilities: [], consumed });
      else reject(new PktLineError("the push request ended inside its command list"));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.resume();
  });
}
