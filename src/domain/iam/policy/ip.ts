/**
 * IPv4 and IPv6 addresses and CIDR blocks for IpAddress / NotIpAddress. A bare address means a
 * single host (/32 or /128). An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, which is how
 * Node reports IPv4 clients on a dual-stack socket) counts as the IPv4 address it carries.
 */

export interface IpAddress {
  readonly v6: boolean;
  readonly value: bigint;
}

export interface CidrBlock {
  readonly v6: boolean;
  /** the network address, host bits cleared */
  readonly network: bigint;
  /** how far right to shift an address to keep only its network bits */
  readonly shift: bigint;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(s: string): bigint | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = m[i]!;
    if (octet.length > 1 && octet.startsWith("0")) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(input: string): bigint | undefined {
  let s = input;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const words: number[] = [];
  const take = (list: string[], last: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (last && i === list.length - 1 && g.includes(".")) {
        const v4 = parseV4(g);
        if (v4 === undefined) return false;
        words.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      words.push(parseInt(g, 16));
    }
    return true;
  };
  if (!take(head, halves.length === 1)) return undefined;
  const headCount = words.length;
  if (!take(tail, true)) return undefined;
  if (halves.length === 2) {
    if (words.length > 7) return undefined;
    words.splice(headCount, 0, ...new Array<number>(8 - words.length).fill(0));
  }
  if (words.length !== 8) return undefined;
  let v = 0n;
  for (const w of words) v = (v << 16n) | BigInt(w);
  return v;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** An address as a request carries it, or `undefined` when it is not one. */
export function parseIpAddress(s: string): IpAddress | undefined {
  const t = s.trim();
  const v4 = parseV4(t);
  if (v4 !== undefined) return { v6: false, value: v4 };
  const v6 = parseV6(t);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === MAPPED_PREFIX >> 32n) return { v6: false, value: v6 & 0xffffffffn };
  return { v6: true, value: v6 };
}

/** `203.0.113.0/24`, `2001:DB8:1234:5678::/64`, or a bare address. */
export function parseCidr(s: string): CidrBlock | undefined {
  const slash = s.indexOf("/");
  const addrText = (slash < 0 ? s : s.slice(0, slash)).trim();
  const v4 = parseV4(addrText);
  const v6 = v4 === undefined ? parseV6(addrText) : undefined;
  if (v4 === undefined && v6 === undefined) return undefined;
  const bits = v4 !== undefined ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = s.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return undefined;
    prefix = Number(p);
  }
  const shift = BigInt(bits - prefix);
  const value = (v4 ?? v6)!;
  return { v6: v4 === undefined, network: (value >> shift) << shift, shift };
}

export function cidrContains(block: CidrBlock, ip: IpAddress): boolean {
  return block.v6 === ip.v6 && ip.value >> block.shift === block.network >> block.shift;
}

/** The address in its usual text form (`::ffff:a.b.c.d` becomes `a.b.c.d`); unchanged if not an address. */
export function normaliseIp(s: string): string {
  const ip = parseIpAddress(s);
  if (!ip || ip.v6) return s.trim();
  const v = ip.value;
  return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join(".");
}
