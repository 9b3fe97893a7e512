import { PassThrough } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FLUSH, PktLineError, parseCommandSection, pktLine, readCommandSection, type CommandSection } from "../../src/transport/pkt-line.js";
import { fewerRuns, fuzzParams } from "../helpers/fuzz.js";

/**
 * A push's command section (pkt-lines up to the first flush) is read by the server itself,
 * before git sees it, from any authenticated client over HTTP or SSH. Whatever the bytes, and
 * however the stream cuts them, the reader gives the section, asks for more, or refuses with
 * PktLineError (a 400, or git's error line over SSH); reading in pieces gives what reading
 * whole gives, loses no byte, and takes time in proportion to the bytes.
 */

const ZERO = "0".repeat(40);
const oid = fc.oneof(fc.constant(ZERO), fc.stringMatching(/^[0-9a-f]{40}$/));
const refChar = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789/-_.") }, { weight: 1, arbitrary: fc.constantFrom("é", "世", "😀", "~", "^", ":") });
const ref = fc.oneof(
  fc.constantFrom("refs/heads/main", "refs/tags/v1", "HEAD"),
  fc.string({ unit: refChar, minLength: 1, maxLength: 60 }).map((s) => `refs/heads/${s}`),
);
const command = fc.record({ oldOid: oid, newOid: oid, ref });
const capability = fc.constantFrom("report-status", "report-status-v2", "side-band-64k", "quiet", "atomic", "ofs-delta", "push-options", "agent=git/2.43.0", "object-format=sha1");

/** A section as git writes it: commands (capabilities after a NUL on the first), maybe shallow lines, the flush, then the pack. */
const section = fc
  .record({
    commands: fc.array(command, { maxLength: 8 }),
    capabilities: fc.uniqueArray(capability, { maxLength: 5 }),
    shallow: fc.array(fc.tuple(fc.nat(), oid), { maxLength: 2 }),
    newline: fc.boolean(),
    pack: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ commands, capabilities, shallow, newline, pack }) => {
    const nl = newline ? "\n" : "";
    const lines = commands.map((c, i) => `${c.oldOid} ${c.newOid} ${c.ref}${i === 0 && capabilities.length ? `\0${capabilities.join(" ")}` : ""}${nl}`);
    for (const [at, o] of shallow) lines.splice(lines.length ? (at % lines.length) + 1 : 0, 0, `shallow ${o}${nl}`);
    const head = Buffer.concat([...lines.map((l) => pktLine(l)), FLUSH]);
    return { commands, capabilities: commands.length ? capabilities : [], head, bytes: Buffer.concat([head, Buffer.from(pack)]) };
  });

/** Pieces a careless reader gets wrong: special packets, bad lengths, lengths past the end. */
const PIECES = ["0000", "0001", "0002", "0003", "0004", "0005", "fff0", "ffff", "FFFF", "zzzz", "00", "\0", "\n", " ", "shallow ", "-001", "+0ab"];

/** Sections broken in the places that matter, and any bytes at all. */
const hostile = fc.oneof(
  { weight: 2, arbitrary: section.map((s) => s.bytes) },
  { weight: 2, arbitrary: fc.tuple(section, fc.nat()).map(([s, n]) => s.bytes.subarray(0, n % (s.bytes.length + 1))) },
  {
    weight: 3,
    arbitrary: fc.tuple(section, fc.nat(), fc.constantFrom(...PIECES), fc.boolean()).map(([s, n, piece, replace]) => {
      const at = n % (s.bytes.length + 1);
      const p = Buffer.from(piece, "latin1");
      return Buffer.concat([s.bytes.subarray(0, at), p, s.bytes.subarray(replace ? at + p.length : at)]);
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.array(fc.string({ unit: "binary", maxLength: 40 }), { maxLength: 6 }).map((ls) => Buffer.concat([...ls.map((l) => pktLine(l)), FLUSH])) },
);

type Whole = { section: Omit<CommandSection, "consumed"> | null } | { error: string };

/** parseCommandSection, with anything but PktLineError failing the property. */
function parseWhole(buf: Buffer): Whole {
  try {
    return { section: parseCommandSection(buf) };
  } catch (e) {
    if (!(e instanceof PktLineError)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
    return { error: e.message };
  }
}

/** Cuts `buf` into pieces at the given points. */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (buf.length ? p % buf.length : 0)))].filter((p) => p > 0).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...at, buf.length]) {
    if (p > from) pieces.push(buf.subarray(from, p));
    from = p;
  }
  return pieces;
}

/** Writes the pieces into a stream, reads the section off it, then reads what it left. */
async function readStream(pieces: Buffer[], maxBytes: number): Promise<{ section: CommandSection; rest: Buffer } | { error: unknown }> {
  const stream = new PassThrough();
  for (const p of pieces) stream.write(p);
  stream.end();
  let section: CommandSection;
  try {
    section = await readCommandSection(stream, maxBytes);
  } catch (e) {
    return { error: e };
  }
  const rest: Buffer[] = [];
  // an empty stream's section is its end: nothing is left to read
  if (!stream.readableEnded) {
    const ended = new Promise((resolve) => stream.once("end", resolve));
    stream.on("data", (d: Buffer) => rest.push(d));
    // the reader paused the stream: a listener alone does not start it again
    stream.resume();
    await ended;
  }
  return { section, rest: Buffer.concat(rest) };
}

describe("the push command reader, on any bytes", () => {
  it("gives the section, asks for more, or refuses with PktLineError; what it gives is commands of two object IDs and a ref", () => {
    fc.assert(
      fc.property(hostile, (buf) => {
        const whole = parseWhole(buf);
        if (!("section" in whole) || whole.section === null) return;
        for (const c of whole.section.commands) {
          expect(c.oldOid).toMatch(/^[0-9a-f]{40}$/);
          expect(c.newOid).toMatch(/^[0-9a-f]{40}$/);
          expect(c.ref).toMatch(/^\S+$/);
        }
      }),
      fuzzParams,
    );
  });

  it("reads a section as git wrote it, and no part of it as complete", () => {
    fc.assert(
      fc.property(section, fc.nat(), (s, n) => {
        expect(parseWhole(s.bytes)).toEqual({ section: { commands: s.commands, capabilities: s.capabilities } });
        expect(parseWhole(s.head.subarray(0, n % s.head.length))).toEqual({ section: null });
      }),
      fuzzParams,
    );
  });

  it("reading a stream in any pieces gives what reading it whole gives, and leaves every byte after the section unread", async () => {
    await fc.assert(
      fc.asyncProperty(hostile, fc.array(fc.nat(), { maxLength: 12 }), async (buf, points) => {
        const whole = parseWhole(buf);
        const read = await readStream(cut(buf, points), 1 << 20);
        if ("error" in read) {
          expect(read.error).toBeInstanceOf(PktLineError);
          if ("error" in whole) expect((read.error as Error).message).toBe(whole.error);
          // a stream that ends before the flush: the whole bytes lack one too
          else expect(whole.section).toBeNull();
          return;
        }
        if (buf.length === 0) {
          expect(read.section.commands).toEqual([]);
          return;
        }
        expect(whole).toEqual({ section: { commands: read.section.commands, capabilities: read.section.capabilities } });
        // what it consumed and what it left are the stream's bytes, in order
        expect(Buffer.concat([read.section.consumed, read.rest]).equals(buf)).toBe(true);
      }),
      fuzzParams,
    );
  });

  it("refuses a stream that sends more than its limit without a flush, and stops reading it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 4, max: 4096 }), fc.integer({ min: 1, max: 512 }), async (maxBytes, piece) => {
        const stream = new PassThrough();
        // shallow lines, cut into pieces wherever `piece` falls
        const lines = Buffer.concat(Array.from({ length: Math.ceil((maxBytes + 2 * piece) / 53) + 1 }, () => pktLine(`shallow ${ZERO}\n`)));
        let written = 0;
        const read = readCommandSection(stream, maxBytes).then(
          () => null,
          (e) => e,
        );
        // writes until refused: a reader that never refuses would make this loop run out the test's time
        let error: unknown;
        for (let round = 0; error === undefined; round++) {
          const buf = lines.subarray(written, written + piece);
          expect(buf.length).toBeGreaterThan(0);
          stream.write(buf);
          written += buf.length;
          await new Promise((r) => setImmediate(r));
          error = await Promise.race([read, new Promise((r) => setImmediate(() => r(undefined)))]);
          expect(round).toBeLessThan(10_000);
        }
        expect(error).toBeInstanceOf(PktLineError);
        expect(written).toBeLessThanOrEqual(maxBytes + piece);
        expect(stream.listenerCount("data")).toBe(0);
      }),
      fewerRuns(50),
    );
  });

  it("reads the largest section a push may send, in pieces as small as a slow link's, in time proportional to its bytes", async () => {
    // 4,000 commands of 250-character names (CodeCommit's most per push), or a megabyte of shallow lines
    const full = Buffer.concat([
      ...Array.from({ length: 4000 }, (_, i) => pktLine(`${ZERO} ${"a".repeat(40)} refs/heads/${"b".repeat(240)}-${i}${i === 0 ? "\0report-status side-band-64k" : ""}\n`)),
      FLUSH,
    ]);
    const shallow = Buffer.concat([...Array.from({ length: 20_000 }, () => pktLine(`shallow ${ZERO}\n`)), FLUSH]);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(full, shallow), fc.integer({ min: 256, max: 4096 }), async (buf, size) => {
        const pieces: Buffer[] = [];
        for (let i = 0; i < buf.length; i += size) pieces.push(buf.subarray(i, i + size));
        const started = performance.now();
        const read = await readStream(pieces, 8 * 1024 * 1024);
        const ms = performance.now() - started;
        expect("section" in read).toBe(true);
        // linear reading takes tens of milliseconds here; reading all again for each piece, seconds
        expect(ms).toBeLessThan(1500);
      }),
      fewerRuns(6),
    );
  });
});
