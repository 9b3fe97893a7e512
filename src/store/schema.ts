import type { Generated } from "kysely";

/**
 * Table types. Times are epoch milliseconds (integers) so both engines store and compare them
 * the same way; JSON columns are text.
 */
export interface RepositoriesTable {
  id: string;
  account_id: string;
  name: string;
  description: string | null;
  default_branch: string | null;
  kms_key_id: string;
  created_at: number;
  updated_at: number;
}

export interface RepositoryTagsTable {
  repository_id: string;
  tag_key: string;
  tag_value: string;
}

export interface IamUsersTable {
  id: string;
  name: string;
  path: string;
  arn: string;
  created_at: number;
}

export interface AccessKeysTable {
  id: string;
  user_name: string;
  /** AES-256-GCM sealed secret (see secrets/crypto.ts). */
  secret_sealed: string;
  status: string;
  created_at: number;
  last_used_at: number | null;
  last_used_service: string | null;
  last_used_region: string | null;
  /** 1 when the key was made by the bootstrap identity step, so it can be replaced there. */
  bootstrap: number;
}

/** Ref tips as last recorded: the baseline every ref change is measured against. */
export interface RefTipsTable {
  repository_id: string;
  ref_name: string;
  commit_id: string;
}

/**
 * The outbox: one row per recorded change of a repository's refs, written in the same
 * transaction that moves ref_tips. Delivery workers read it (events issue).
 */
export interface RefEventsTable {
  id: Generated<number>;
  repository_id: string;
  repository_name: string;
  actor_arn: string;
  /** push | api | repair */
  source: string;
  /** JSON: [{ref, oldCommit, newCommit}] */
  refs: string;
  created_at: number;
}

/**
 * A ref change in flight (a push, or an API call that moves a branch), written before git is
 * asked to move anything. Recording the change deletes it; one left behind by a crash tells the
 * start-up repair whom to attribute the change to.
 */
export interface RefIntentsTable {
  id: string;
  repository_id: string;
  actor_arn: string;
  /** push | api */
  source: string;
  /** JSON: full ref names the change may touch */
  refs: string;
  started_at: number;
}

export interface Database {
  repositories: RepositoriesTable;
  repository_tags: RepositoryTagsTable;
  iam_users: IamUsersTable;
  access_keys: AccessKeysTable;
  ref_tips: RefTipsTable;
  ref_events: RefEventsTable;
  ref_intents: RefIntentsTable;
}
