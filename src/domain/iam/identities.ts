import fs from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { SecretBox, iamId, newSecretAccessKey } from "../../secrets/crypto.js";
import type { ChangeBus } from "../change-bus.js";
import type { Principal } from "../context.js";
import { partitionOf } from "../repos/arn.js";

export const ADMIN_USER = "admin";
export const ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess";

export interface AccessKeyLookup {
  accessKeyId: string;
  secretAccessKey: string;
  active: boolean;
  principal: Principal;
  /** temporary credentials only: SHA-256 (hex) of the token that must accompany the key, and its expiry */
  sessionTokenSha256?: string;
  expiresAt?: number;
}

/** An active SSH public key (UploadSSHPublicKey) and the IAM user it authenticates as. */
export interface SshKeyIdentity {
  keyId: string;
  /** `type base64`, as stored */
  line: string;
  principal: Principal;
}

/**
 * Principals and their keys. Secret access keys are stored sealed (AES-256-GCM) and opened only
 * to verify a signature.
 */
export class IdentityStore {
  /**
   * Verified-request hot path: access key → secret and principal, without a query and a
   * decryption per request. Every write to identities clears it (invalidate), so a deactivated
   * or deleted key stops working at once in this process.
   */
  private readonly keyCache = new Map<string, AccessKeyLookup | null>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly accountId: string,
    private readonly region: string,
    private readonly bus: ChangeBus,
  ) {
    bus.subscribe("identities", () => this.keyCache.clear());
  }

  userArn(name: string, userPath = "/"): string {
    return `arn:${partitionOf(this.region)}:iam::${this.accountId}:user${userPath}${name}`;
  }

  /** Forgets every cached credential; called by every write to users, keys or credentials. */
  invalidate(): void {
    this.bus.publish("identities");
  }

  async lookupAccessKey(accessKeyId: string): Promise<AccessKeyLookup | null> {
    const cached = this.keyCache.get(accessKeyId);
    if (cached !== undefined) return cached;
    const found = await this.loadAccessKey(accessKeyId);
    // unknown keys are cached too (bounded), so a flood of bad keys does not become a flood of queries
    if (this.keyCache.size >= 10_000) this.keyCache.clear();
    this.keyCache.set(accessKeyId, found);
    return found;
  }

  private async loadAccessKey(accessKeyId: string): Promise<AccessKeyLookup | null> {
    if (accessKeyId.startsWith("ASIA")) return this.loadSession(accessKeyId);
    const row = await this.db
      .selectFrom("access_keys")
      .innerJoin("iam_users", "iam_users.name", "access_keys.user_name")
      .select([
        "access_keys.id as keyId",
        "access_keys.secret_sealed",
        "access_keys.status",
        "iam_users.id as userId",
        "iam_users.name as userName",
        "iam_users.arn",
      ])
      .where("access_keys.id", "=", accessKeyId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      accessKeyId: row.keyId,
      secretAccessKey: this.box.open(row.secret_sealed),
      active: row.status === "Active",
      principal: {
        kind: "user",
        arn: row.arn,
        userId: row.userId,
        userName: row.userName,
        accountId: this.accountId,
        accessKeyId: row.keyId,
      },
    };
  }

  /** Temporary credentials: a user's session token, or an assumed role's. */
  private async loadSession(accessKeyId: string): Promise<AccessKeyLookup | null> {
    const s = await this.db.selectFrom("sts_sessions").selectAll().where("access_key_id", "=", accessKeyId).executeTakeFirst();
    if (!s) return null;
    const base = {
      accessKeyId,
      secretAccessKey: this.box.open(s.secret_sealed),
      active: true,
      sessionTokenSha256: s.token_sha256,
      expiresAt: s.expires_at,
    };
    if (s.kind === "assumed-role") {
      const role = await this.db.selectFrom("iam_roles").select(["id", "name", "arn"]).where("name", "=", s.entity_name).executeTakeFirst();
      if (!role) return null;
      return {
        ...base,
        principal: {
          kind: "assumed-role",
          arn: `arn:${partitionOf(this.region)}:sts::${this.accountId}:assumed-role/${role.name}/${s.session_name}`,
          userId: `${role.id}:${s.session_name}`,
          accountId: this.accountId,
          accessKeyId,
          roleName: role.name,
          roleArn: role.arn,
          sessionName: s.session_name ?? undefined,
          temporary: true,
          tokenIssueTime: new Date(s.created_at),
        },
      };
    }
    const user = await this.db.selectFrom("iam_users").select(["id", "name", "arn"]).where("name", "=", s.entity_name).executeTakeFirst();
    if (!user) return null;
    return {
      ...base,
      principal: {
        kind: "user",
        arn: user.arn,
        userId: user.id,
        userName: user.name,
        accountId: this.accountId,
        accessKeyId,
        temporary: true,
        tokenIssueTime: new Date(s.created_at),
      },
    };
  }

  /** Makes the pair the administrator's only bootstrap key (and the only key with that ID). */
  private async replaceBootstrapKey(accessKeyId: string, secretAccessKey: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom("access_keys")
        .where((eb) => eb.or([eb.and([eb("user_name", "=", ADMIN_USER), eb("bootstrap", "=", 1)]), eb("id", "=", accessKeyId)]))
        .execute();
      await trx
        .insertInto("access_keys")
        .values({
          id: accessKeyId,
          user_name: ADMIN_USER,
          secret_sealed: this.box.seal(secretAccessKey),
          status: "Active",
          created_at: Date.now(),
          last_used_at: null,
          last_used_service: null,
          last_used_region: null,
          bootstrap: 1,
        })
        .execute();
    });
  }

  /** The principal of an IAM user by name (HTTPS Git credentials authenticate as their user). */
  async userPrincipal(name: string): Promise<Principal | null> {
    const u = await this.db.selectFrom("iam_users").select(["id", "name", "arn"]).where("name", "=", name).executeTakeFirst();
    return u ? { kind: "user", arn: u.arn, userId: u.id, userName: u.name, accountId: this.accountId } : null;
  }

  /**
   * Active SSH public keys of existing users, by key ID (the SSH user name) or by SHA256
   * fingerprint (user name `git`). Read from the store on every call, never cached, so a key
   * deactivated or deleted stops working at the next authentication.
   */
  async activeSshKeys(by: { keyId: string } | { fingerprintSha256: string }): Promise<SshKeyIdentity[]> {
    let q = this.db
      .selectFrom("ssh_public_keys")
      .innerJoin("iam_users", "iam_users.name", "ssh_public_keys.user_name")
      .select(["ssh_public_keys.id as keyId", "ssh_public_keys.body", "iam_users.id as userId", "iam_users.name as userName", "iam_users.arn"])
      .where("ssh_public_keys.status", "=", "Active");
    q = "keyId" in by ? q.where("ssh_public_keys.id", "=", by.keyId) : q.where("ssh_public_keys.fingerprint_sha256", "=", by.fingerprintSha256);
    const rows = await q.limit(10).execute();
    return rows.map((r) => ({
      keyId: r.keyId,
      line: r.body,
      principal: { kind: "user", arn: r.arn, userId: r.userId, userName: r.userName, accountId: this.accountId },
    }));
  }

  private async ensureUser(name: string): Promise<void> {
    const existing = await this.db.selectFrom("iam_users").select("id").where("name", "=", name).executeTakeFirst();
    if (existing) return;
    await this.db
      .insertInto("iam_users")
      .values({ id: iamId("AIDA", 21), name, path: "/", arn: this.userArn(name), created_at: Date.now() })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
  }

  /**
   * The bootstrap administrator. With a key pair from the environment, the admin user holds
   * exactly that pair as its bootstrap key. Without one, a pair is generated on first start and
   * written to `<dataDir>/admin-credentials.json` (mode 0600).
   */
  async ensureBootstrapAdmin(
    dataDir: string,
    fromEnv?: { accessKeyId: string; secretAccessKey: string },
  ): Promise<{ accessKeyId: string; credentialsFile?: string; generated: boolean }> {
    this.invalidate();
    await this.ensureUser(ADMIN_USER);
    await this.db
      .insertInto("iam_attachments")
      .values({ entity_type: "user", entity_name: ADMIN_USER, policy_arn: ADMINISTRATOR_ACCESS, created_at: Date.now() })
      .onConflict((oc) => oc.columns(["entity_type", "entity_name", "policy_arn"]).doNothing())
      .execute();
    const file = path.join(dataDir, "admin-credentials.json");
    const current = await this.db
      .selectFrom("access_keys")
      .selectAll()
      .where("user_name", "=", ADMIN_USER)
      .where("bootstrap", "=", 1)
      .execute();

    if (fromEnv) {
      const same = current.find((k) => k.id === fromEnv.accessKeyId);
      if (!same || current.length > 1 || this.box.open(same.secret_sealed) !== fromEnv.secretAccessKey) {
        await this.replaceBootstrapKey(fromEnv.accessKeyId, fromEnv.secretAccessKey);
      }
      // a file from an earlier start without the environment names a key that no longer works
      if (fs.existsSync(file) && keyIdInFile(file) !== fromEnv.accessKeyId) fs.rmSync(file, { force: true });
      return { accessKeyId: fromEnv.accessKeyId, generated: false };
    }

    // the file is kept only while it holds the key in force; otherwise a new pair replaces both
    if (current.length === 1 && keyIdInFile(file) === current[0]!.id) {
      return { accessKeyId: current[0]!.id, credentialsFile: file, generated: false };
    }
    const accessKeyId = iamId("AKIA");
    const secretAccessKey = newSecretAccessKey();
    await this.replaceBootstrapKey(accessKeyId, secretAccessKey);
    fs.mkdirSync(dataDir, { recursive: true });
    const body = JSON.stringify(
      { userName: ADMIN_USER, accessKeyId, secretAccessKey, arn: this.userArn(ADMIN_USER) },
      null,
      2,
    );
    fs.writeFileSync(file + ".tmp", body + "\n", { mode: 0o600 });
    fs.renameSync(file + ".tmp", file);
    return { accessKeyId, credentialsFile: file, generated: true };
  }
}

/** The access key ID an admin-credentials.json file holds, if it is there and readable. */
function keyIdInFile(file: string): string | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { accessKeyId?: unknown };
    return typeof parsed.accessKeyId === "string" ? parsed.accessKeyId : undefined;
  } catch {
    return undefined;
  }
}
