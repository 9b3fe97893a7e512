import crypto from "node:crypto";
import { ServiceError } from "../../errors.js";
import { iamId } from "../../secrets/crypto.js";
import { hashPassword, verifyPassword } from "../../secrets/passwords.js";
import { isUniqueViolation } from "../../store/db.js";
import type { ServiceCredentialsTable } from "../../store/schema.js";
import type { IamDeps } from "./deps.js";
import { paginate, type Page } from "./paging.js";
import { freeServiceUserName, lockServiceUserNames } from "./service-user-names.js";
import { requireUser } from "./users.js";
import * as v from "./validate.js";

/** The services we issue service-specific credentials for: HTTPS Git credentials. */
export const SUPPORTED_SERVICES = ["codecommit.amazonaws.com"];
export const MAX_PER_SERVICE = 2;

export interface ServiceCredential {
  id: string;
  userName: string;
  serviceName: string;
  serviceUserName: string;
  status: string;
  createdAt: Date;
  /** only when just created or reset */
  password?: string;
}

function toCredential(r: ServiceCredentialsTable, password?: string): ServiceCredential {
  return {
    id: r.id,
    userName: r.user_name,
    serviceName: r.service_name,
    serviceUserName: r.service_user_name,
    status: r.status,
    createdAt: new Date(r.created_at),
    password,
  };
}

/** 44 random bytes in base64: the shape AWS's service passwords have. */
function newPassword(): string {
  return crypto.randomBytes(44).toString("base64");
}

export async function createServiceCredential(deps: IamDeps, userInput: unknown, serviceInput: unknown): Promise<ServiceCredential> {
  const user = await requireUser(deps, v.userName(userInput));
  const serviceName = v.required(serviceInput, "serviceName");
  if (!SUPPORTED_SERVICES.includes(serviceName)) {
    throw v.noSuchEntity(`No such service ${serviceName} is supported for Service Specific Credentials`);
  }
  const password = newPassword();
  const password_hash = await hashPassword(password); // slow on purpose: outside the transaction
  // The quota and the name are decided under the names lock, in the transaction that inserts,
  // so concurrent creates neither exceed the quota nor pick one name twice.
  for (let attempt = 0; ; attempt++) {
    try {
      const row = await deps.db.transaction().execute(async (trx) => {
        await lockServiceUserNames(trx, deps.engine);
        const existing = await trx.selectFrom("service_credentials").select("id").where("user_name", "=", user.name).where("service_name", "=", serviceName).execute();
        if (existing.length >= MAX_PER_SERVICE) {
          throw v.limitExceeded(`Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: ${MAX_PER_SERVICE}`);
        }
        const row: ServiceCredentialsTable = {
          id: iamId("ACCA", 21),
          user_name: user.name,
          service_name: serviceName,
          service_user_name: await freeServiceUserName(trx, user.name, deps.accountId),
          password_hash,
          status: "Active",
          created_at: Date.now(),
        };
        await trx.insertInto("service_credentials").values(row).execute();
        return row;
      });
      deps.changed();
      return toCredential(row, password);
    } catch (e) {
      // a writer that got past the lock anyway (another engine's process before migration…):
      // choose again rather than answer a 500; after a few tries, say it was concurrent
      if (!isUniqueViolation(e)) throw e;
      if (attempt >= 3) throw new ServiceError("ConcurrentModification", "Another request changed this user's credentials at the same time; try again.", { status: 409 });
    }
  }
}

export async function listServiceCredentials(deps: IamDeps, userName: string, serviceName?: unknown): Promise<Page<ServiceCredential>> {
  const user = await requireUser(deps, userName);
  let q = deps.db.selectFrom("service_credentials").selectAll().where("user_name", "=", user.name);
  if (serviceName !== undefined && serviceName !== "") {
    if (!SUPPORTED_SERVICES.includes(String(serviceName))) {
      throw v.noSuchEntity(`No such service ${String(serviceName)} is supported for Service Specific Credentials`);
    }
    q = q.where("service_name", "=", String(serviceName));
  }
  const rows = await q.orderBy("created_at").execute();
  return paginate(rows.map((r) => toCredential(r)), undefined, 1000, (c) => c.id);
}

async function requireCredential(deps: IamDeps, userName: string, idInput: unknown): Promise<ServiceCredentialsTable> {
  const user = await requireUser(deps, userName);
  const id = v.credentialId(idInput);
  const row = await deps.db.selectFrom("service_credentials").selectAll().where("id", "=", id).where("user_name", "=", user.name).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`No such credential ${id} exists`);
  return row;
}

export async function resetServiceCredential(deps: IamDeps, userName: string, idInput: unknown): Promise<ServiceCredential> {
  const row = await requireCredential(deps, userName, idInput);
  const password = newPassword();
  const password_hash = await hashPassword(password);
  await deps.db.updateTable("service_credentials").set({ password_hash }).where("id", "=", row.id).execute();
  deps.changed();
  return toCredential({ ...row, password_hash }, password);
}

export async function updateServiceCredential(deps: IamDeps, userName: string, idInput: unknown, statusInput: unknown): Promise<void> {
  const row = await requireCredential(deps, userName, idInput);
  await deps.db.updateTable("service_credentials").set({ status: v.status(statusInput) }).where("id", "=", row.id).execute();
  deps.changed();
}

export async function deleteServiceCredential(deps: IamDeps, userName: string, idInput: unknown): Promise<void> {
  const row = await requireCredential(deps, userName, idInput);
  await deps.db.deleteFrom("service_credentials").where("id", "=", row.id).execute();
  deps.changed();
}

/**
 * Checks HTTPS Git credentials (`jane-at-123456789012` and the password). Returns the owning
 * user's name, or null. scrypt is slow on purpose, so successful checks are remembered by a
 * digest of user name and password until identities change.
 */
export class ServiceCredentialVerifier {
  private readonly verified = new Map<string, string>();

  constructor(private readonly deps: IamDeps) {
    deps.bus.subscribe("identities", () => this.verified.clear());
  }

  async verify(serviceUserName: string, password: string): Promise<string | null> {
    const digest = crypto.createHash("sha256").update(`${serviceUserName}\u0000${password}`).digest("base64");
    const hit = this.verified.get(digest);
    if (hit) return hit;
    const row = await this.deps.db
      .selectFrom("service_credentials")
      .select(["user_name", "password_hash", "status"])
      .where("service_user_name", "=", serviceUserName)
      .where("service_name", "=", "codecommit.amazonaws.com")
      .executeTakeFirst();
    if (!row || row.status !== "Active") return null;
    if (!(await verifyPassword(password, row.password_hash))) return null;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(digest, row.user_name);
    return row.user_name;
  }
}
