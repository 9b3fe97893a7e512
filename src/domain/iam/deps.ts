import type { Kysely } from "kysely";
import type { Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import type { SecretBox } from "../../secrets/crypto.js";
import type { ChangeBus } from "../change-bus.js";
import { partitionOf } from "../repos/arn.js";

/** What every IAM operation needs: the store, the secret box, the account, and the change bus. */
export class IamDeps {
  readonly partition: string;

  constructor(
    readonly db: Kysely<Database>,
    readonly box: SecretBox,
    readonly accountId: string,
    readonly region: string,
    readonly bus: ChangeBus,
    readonly engine: Engine = "sqlite",
  ) {
    this.partition = partitionOf(region);
  }

  /** Every write that can change who may do what calls this: caches of keys and policies drop. */
  changed(): void {
    this.bus.publish("identities");
  }

  arn(kind: "user" | "group" | "role" | "policy", path: string, name: string): string {
    return `arn:${this.partition}:iam::${this.accountId}:${kind}${path}${name}`;
  }
}

export interface Tag {
  key: string;
  value: string;
}
