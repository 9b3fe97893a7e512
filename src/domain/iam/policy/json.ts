/**
 * A strict JSON reader that remembers where each object and array sits in the text.
 *
 * JSON.parse would do, except for two things a policy engine needs: SimulatePrincipalPolicy
 * reports each matched statement's start and end (line and column), and a document with a
 * key given twice must be refused rather than silently keep the last value (two `Effect`s in
 * one statement is exactly the ambiguity a security policy cannot have). Runs only when a
 * policy is stored or loaded, never per request.
 *
 * The reader is recursive, so it refuses to nest deeper than MAX_DEPTH: the text comes from
 * clients, and a policy needs six levels at most (Statement, statement, Condition, operator,
 * key, list of values), while thousands would overflow the stack.
 */

export type JsonValue = string | number | boolean | null | JsonObject | JsonValue[];
/** Objects have no prototype, so a key such as `__proto__` is just a key. */
export type JsonObject = { [key: string]: JsonValue };

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based; an end position is the column just after the closing bracket */
  column: number;
}

export interface Span {
  start: Position;
  end: Position;
}

/** objects and lists inside one another, counting the outermost; far more than a policy needs */
export const MAX_DEPTH = 32;

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface ParsedJson {
  value: JsonValue;
  /** where each object and array of `value` starts and ends */
  spans: WeakMap<object, Span>;
}

export function parseJson(text: string): ParsedJson {
  return new Reader(text).document();
}

class Reader {
  private i = 0;
  private depth = 0;
  readonly spans = new WeakMap<object, Span>();
  /** offsets at which each line starts, for turning offsets into line/column */
  private readonly lineStarts: number[] = [0];

  constructor(private readonly s: string) {
    for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) === 10) this.lineStarts.push(k + 1);
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  document(): ParsedJson {
    this.ws();
    const value = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail("unexpected text after the document");
    return { value, spans: this.spans };
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(what, this.i);
  }

  private position(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  private value(): JsonValue {
    const c = this.s[this.i];
    if (c === "{" || c === "[") {
      if (++this.depth > MAX_DEPTH) this.fail(`objects and lists nested more than ${MAX_DEPTH} deep`);
      const v = c === "{" ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    if (this.s.startsWith("true", this.i)) return (this.i += 4), true;
    if (this.s.startsWith("false", this.i)) return (this.i += 5), false;
    if (this.s.startsWith("null", this.i)) return (this.i += 4), null;
    return this.fail(c === undefined ? "unexpected end of the document" : `unexpected character ${JSON.stringify(c)}`);
  }

  private object(): JsonObject {
    const start = this.i++;
    const out = Object.create(null) as JsonObject;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
    } else {
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') this.fail("expected a quoted key");
        const keyAt = this.i;
        const key = this.string();
        if (Object.prototype.hasOwnProperty.call(out, key)) {
          throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)}`, keyAt);
        }
        this.ws();
        if (this.s[this.i] !== ":") this.fail("expected ':'");
        this.i++;
        this.ws();
        out[key] = this.value();
        this.ws();
        const sep = this.s[this.i++];
        if (sep === "}") break;
        if (sep !== ",") this.fail("expected ',' or '}'");
      }
    }
    this.spans.set(out, { start: this.position(start), end: this.position(this.i) });
    return out;
  }

  private array(): JsonValue[] {
    const start = this.i++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
    } else {
      for (;;) {
        this.ws();
        out.push(this.value());
        this.ws();
        const sep = this.s[this.i++];
        if (sep === "]") break;
        if (sep !== ",") this.fail("expected ',' or ']'");
      }
    }
    this.spans.set(out, { start: this.position(start), end: this.position(this.i) });
    return out;
  }

  private string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = "";
    let runStart = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail("unterminated string");
      const c = s.charCodeAt(this.i);
      if (c === 34) {
        out += s.slice(runStart, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail("control character in a string");
      if (c !== 92) {
        this.i++;
        continue;
      }
      out += s.slice(runStart, this.i);
      const e = s[this.i + 1];
      this.i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const hex = s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 4;
          break;
        }
        default:
          this.i -= 2;
          this.fail("bad escape");
      }
      runStart = this.i;
    }
  }

  private number(): number {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail("bad number");
    this.i += m[0].length;
    return Number(m[0]);
  }
}
