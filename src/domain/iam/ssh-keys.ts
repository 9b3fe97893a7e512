import crypto from "node:crypto";
import ssh2 from "ssh2";
import { ServiceError } from "../../errors.js";
import { iamId } from "../../secrets/crypto.js";
import type { SshPublicKeysTable } from "../../store/schema.js";
import type { IamDeps } from "./deps.js";
import { pemToSshLine } from "./ssh-pem.js";
import { paginate, type Page } from "./paging.js";
import { requireUser } from "./users.js";
import * as v from "./validate.js";

export const MAX_SSH_KEYS = 5;

export interface SshPublicKey {
  userName: string;
  id: string;
  /** the key as uploaded, normalised to one `type base64` line */
  body: string;
  fingerprint: string;
  status: string;
  uploadedAt: Date;
}

export interface ParsedSshKey {
  type: string;
  /** the SSH wire-format public key blob */
  blob: Buffer;
  /** `type base64` */
  line: string;
  md5: string;
  sha256: string;
}

/**
 * Parses an OpenSSH public key line or a PEM public key (SPKI or PKCS#1, as AWS takes them). AWS takes RSA keys of at least
 * 2048 bits; ed25519 and ECDSA keys are accepted too, which AWS does not.
 */
export function parseSshPublicKey(body: string): ParsedSshKey {
  let text = body.trim();
  if (text.startsWith("-----BEGIN")) {
    // Node would happily derive the public half of a pasted private key: refuse it instead
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
      throw new ServiceError("InvalidPublicKey", "The public key is a private key; upload the public half only.");
    }
    const line = pemToSshLine(text);
    if (!line) throw new ServiceError("UnrecognizedPublicKeyEncoding", "The public key encoding format is unsupported or unrecognized.");
    text = line;
  }
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed)) {
    throw new ServiceError("UnrecognizedPublicKeyEncoding", "The public key encoding format is unsupported or unrecognized.");
  }
  if (parsed.isPrivateKey()) throw new ServiceError("InvalidPublicKey", "The public key is a private key; upload the public half only.");
  const type = parsed.type;
  if (!/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521))$/.test(type)) {
    throw new ServiceError("InvalidPublicKey", `Keys of type ${type} are not supported: use ssh-rsa (2048 bits or more), ssh-ed25519 or ECDSA.`);
  }
  const blob = parsed.getPublicSSH() as Buffer;
  if (type === "ssh-rsa") {
    const pem = parsed.getPublicPEM();
    const bits = crypto.createPublicKey(pem).asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new ServiceError("InvalidPublicKey", `The RSA key is ${bits} bits; the minimum is 2048.`);
  }
  return {
    type,
    blob,
    line: `${type} ${blob.toString("base64")}`,
    md5: crypto.createHash("md5").update(blob).digest("hex").match(/../g)!.join(":"),
    sha256: "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, ""),
  };
}

/** The key in PEM (SPKI) encoding, as GetSSHPublicKey with Encoding=PEM returns it. */
export function toPem(line: string): string {
  const parsed = ssh2.utils.parseKey(line);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error("stored key does not parse");
  return crypto.createPublicKey(parsed.getPublicPEM()).export({ format: "pem", type: "spki" }) as string;
}

function toKey(r: SshPublicKeysTable): SshPublicKey {
  return { userName: r.user_name, id: r.id, body: r.body, fingerprint: r.fingerprint_md5, status: r.status, uploadedAt: new Date(r.uploaded_at) };
}

export async function uploadSshPublicKey(deps: IamDeps, userInput: unknown, bodyInput: unknown): Promise<SshPublicKey> {
  const user = await requireUser(deps, v.userName(userInput));
  const body = v.required(bodyInput, "sSHPublicKeyBody");
  if (body.length > 16384) throw new ServiceError("ValidationError", "1 validation error detected: Value at 'sSHPublicKeyBody' failed to satisfy constraint: Member must have length less than or equal to 16384");
  const key = parseSshPublicKey(body);
  const existing = await deps.db.selectFrom("ssh_public_keys").select(["id", "fingerprint_sha256"]).where("user_name", "=", user.name).execute();
  if (existing.some((k) => k.fingerprint_sha256 === key.sha256)) {
    throw new ServiceError("DuplicateSSHPublicKey", "The public key is already associated with the specified IAM user.");
  }
  if (existing.length >= MAX_SSH_KEYS) throw v.limitExceeded(`Cannot exceed quota for PublicKeysPerUser: ${MAX_SSH_KEYS}`);
  const row: SshPublicKeysTable = {
    id: iamId("APKA"),
    user_name: user.name,
    body: key.line,
    fingerprint_md5: key.md5,
    fingerprint_sha256: key.sha256,
    status: "Active",
    uploaded_at: Date.now(),
  };
  await deps.db.insertInto("ssh_public_keys").values(row).execute();
  deps.changed();
  return toKey(row);
}

async function requireKey(deps: IamDeps, userInput: unknown, idInput: unknown): Promise<SshPublicKeysTable> {
  const user = await requireUser(deps, v.userName(userInput));
  const id = v.sshKeyId(idInput);
  const row = await deps.db.selectFrom("ssh_public_keys").selectAll().where("id", "=", id).where("user_name", "=", user.name).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`The Public Key with id ${id} cannot be found.`);
  return row;
}

export async function getSshPublicKey(deps: IamDeps, userInput: unknown, idInput: unknown, encodingInput: unknown): Promise<SshPublicKey> {
  const encoding = v.required(encodingInput, "encoding");
  if (encoding !== "SSH" && encoding !== "PEM") {
    throw new ServiceError("ValidationError", `1 validation error detected: Value '${encoding}' at 'encoding' failed to satisfy constraint: Member must satisfy enum value set: [SSH, PEM]`);
  }
  const key = toKey(await requireKey(deps, userInput, idInput));
  return encoding === "PEM" ? { ...key, body: toPem(key.body) } : key;
}

export async function listSshPublicKeys(deps: IamDeps, userName: string, marker?: string, maxItems?: number): Promise<Page<SshPublicKey>> {
  const user = await requireUser(deps, userName);
  const rows = await deps.db.selectFrom("ssh_public_keys").selectAll().where("user_name", "=", user.name).orderBy("id").execute();
  return paginate(rows.map(toKey), marker, maxItems, (k) => k.id);
}

export async function updateSshPublicKey(deps: IamDeps, userInput: unknown, idInput: unknown, statusInput: unknown): Promise<void> {
  const row = await requireKey(deps, userInput, idInput);
  await deps.db.updateTable("ssh_public_keys").set({ status: v.status(statusInput) }).where("id", "=", row.id).execute();
  deps.changed();
}

export async function deleteSshPublicKey(deps: IamDeps, userInput: unknown, idInput: unknown): Promise<void> {
  const row = await requireKey(deps, userInput, idInput);
  await deps.db.deleteFrom("ssh_public_keys").where("id", "=", row.id).execute();
  deps.changed();
}
