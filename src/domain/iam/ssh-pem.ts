import crypto from "node:crypto";

/**
 * A PEM public key (SPKI `BEGIN PUBLIC KEY`, or PKCS#1 `BEGIN RSA PUBLIC KEY`, as
 * `ssh-keygen -e -m PKCS8|PEM` and openssl write them) as an OpenSSH `type base64` line.
 * ssh2 cannot read PEM public keys, so the SSH wire blob (RFC 4253 §6.6, RFC 5656 §3.1,
 * RFC 8709 §4) is built here from the key's JWK. Returns undefined for what is not a public key
 * of a kind SSH knows.
 */
export function pemToSshLine(pem: string): string | undefined {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey(pem);
  } catch {
    return undefined;
  }
  const jwk = key.export({ format: "jwk" });
  const b = (v: string | undefined) => Buffer.from(v ?? "", "base64url");
  let parts: Buffer[];
  let type: string;
  if (jwk.kty === "RSA") {
    type = "ssh-rsa";
    parts = [text(type), mpint(b(jwk.e)), mpint(b(jwk.n))];
  } else if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    type = "ssh-ed25519";
    parts = [text(type), bytes(b(jwk.x))];
  } else if (jwk.kty === "EC" && (jwk.crv === "P-256" || jwk.crv === "P-384" || jwk.crv === "P-521")) {
    const curve = `nistp${jwk.crv.slice(2)}`;
    type = `ecdsa-sha2-${curve}`;
    // the uncompressed point, each coordinate padded to the curve's size
    const size = { "P-256": 32, "P-384": 48, "P-521": 66 }[jwk.crv];
    const point = Buffer.concat([Buffer.from([4]), pad(b(jwk.x), size), pad(b(jwk.y), size)]);
    parts = [text(type), text(curve), bytes(point)];
  } else {
    return undefined;
  }
  return `${type} ${Buffer.concat(parts).toString("base64")}`;
}

/** SSH `string`: a 4-byte big-endian length, then the bytes. */
function bytes(data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

function text(s: string): Buffer {
  return bytes(Buffer.from(s, "ascii"));
}

/** SSH `mpint` of a non-negative integer: no leading zero bytes, one added if the top bit is set. */
function mpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const trimmed = unsigned.subarray(i);
  return bytes(trimmed.length && trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function pad(data: Buffer, size: number): Buffer {
  return data.length >= size ? data : Buffer.concat([Buffer.alloc(size - data.length), data]);
}
