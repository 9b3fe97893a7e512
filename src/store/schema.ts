import type { ColumnType, Generated } from "kysely";

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
  permissions_boundary: string | null;
}

export interface IamGroupsTable {
  name: string;
  id: string;
  path: string;
  arn: string;
  created_at: number;
}

export interface IamGroupMembersTable {
  group_name: string;
  user_name: string;
}

export interface IamRolesTable {
  name: string;
  id: string;
  path: string;
  arn: string;
  trust_policy: string;
  description: string | null;
  max_session_duration: number;
  permissions_boundary: string | null;
  created_at: number;
}

export interface IamPoliciesTable {
  arn: string;
  id: string;
  name: string;
  path: string;
  description: string | null;
  default_version: string;
  next_version: number;
  created_at: number;
  updated_at: number;
}

export interface IamPolicyVersionsTable {
  policy_arn: string;
  version_id: string;
  document: string;
  created_at: number;
}

export type EntityType = "user" | "group" | "role";

export interface IamAttachmentsTable {
  entity_type: EntityType;
  entity_name: string;
  policy_arn: string;
  created_at: number;
}

export interface IamInlinePoliciesTable {
  entity_type: EntityType;
  entity_name: string;
  policy_name: string;
  document: string;
}

export interface IamTagsTable {
  entity_type: "user" | "role" | "policy";
  entity_name: string;
  tag_key: string;
  tag_value: string;
}

export interface SshPublicKeysTable {
  id: string;
  user_name: string;
  body: string;
  fingerprint_md5: string;
  fingerprint_sha256: string;
  status: string;
  uploaded_at: number;
}

export interface ServiceCredentialsTable {
  id: string;
  user_name: string;
  service_name: string;
  service_user_name: string;
  password_hash: string;
  status: string;
  created_at: number;
}

export interface LoginProfilesTable {
  user_name: string;
  password_hash: string;
  reset_required: number;
  created_at: number;
}

export interface StsSessionsTable {
  access_key_id: string;
  secret_sealed: string;
  token_sha256: string;
  /** session (GetSessionToken of a user) | assumed-role */
  kind: string;
  entity_name: string;
  session_name: string | null;
  session_policy: string | null;
  expires_at: number;
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
 * transaction that moves ref_tips, in id order. Its readers (domain/events/outbox.ts) each keep
 * a cursor in outbox_cursors.
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

/** How far each reader of the ref_events outbox has got: the id of the last row it handled. */
export interface OutboxCursorsTable {
  consumer: string;
  position: number;
  updated_at: number;
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

/** An SNS-compatible topic; `attributes` is JSON of what CreateTopic/SetTopicAttributes set. */
export interface SnsTopicsTable {
  arn: string;
  name: string;
  owner: string;
  attributes: string;
  created_at: number;
}

export interface SnsTopicTagsTable {
  topic_arn: string;
  tag_key: string;
  tag_value: string;
}

export interface SnsSubscriptionsTable {
  arn: string;
  topic_arn: string;
  protocol: string;
  endpoint: string;
  owner: string;
  principal_arn: string;
  /** pending | confirmed | deleted */
  status: string;
  token: string;
  token_expires_at: number;
  /** JSON: RawMessageDelivery, DeliveryPolicy, FilterPolicy, FilterPolicyScope */
  attributes: string;
  authenticated: number;
  created_at: number;
  updated_at: number;
}

export interface SnsMessagesTable {
  id: string;
  type: string;
  topic_arn: string | null;
  subject: string | null;
  message: string;
  protocol_messages: string | null;
  message_attributes: string | null;
  token: string | null;
  subscribe_url: string | null;
  signature_version: string;
  timestamp: string;
  created_at: number;
}

export interface RepositoryTriggersTable {
  repository_id: string;
  configuration_id: string;
  triggers: string;
  updated_at: number;
}

/** Lambda function ARNs accepted as trigger destinations, and the URL that receives their events. */
export interface FunctionEndpointsTable {
  function_arn: string;
  url: string;
  created_at: number;
  updated_at: number;
}

export interface DeliveriesTable {
  id: Generated<number>;
  message_id: string;
  kind: string;
  destination_key: string;
  topic_arn: string | null;
  subscription_arn: string | null;
  endpoint: string;
  repository_id: string | null;
  event_id: number | null;
  trigger_name: string | null;
  status: string;
  tries: number;
  attempts: number;
  policy: string;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface DeliveryAttemptsTable {
  delivery_id: number;
  attempt: number;
  started_at: number;
  latency_ms: number;
  outcome: string;
  status_code: number | null;
  error: string | null;
}

/** A pull request (one target: CodeCommit allows one repository per pull request). */
export interface PullRequestsTable {
  id: Generated<number>;
  repository_id: string;
  title: string;
  description: string | null;
  author_arn: string;
  /** OPEN | CLOSED */
  status: string;
  source_ref: string;
  destination_ref: string;
  source_commit: string;
  destination_commit: string;
  merge_base: string | null;
  revision_id: string;
  is_merged: ColumnType<number, number | undefined, number>;
  merged_by: string | null;
  merge_commit_id: string | null;
  merge_option: string | null;
  client_request_token: string | null;
  created_at: number;
  last_activity_at: number;
}

export interface PullRequestEventsTable {
  id: Generated<number>;
  pull_request_id: number;
  event_type: string;
  actor_arn: string;
  /** JSON: the event's metadata member, as the wire carries it */
  metadata: string;
  created_at: number;
}

export interface PullRequestApprovalRulesTable {
  id: string;
  pull_request_id: number;
  name: string;
  content: string;
  content_sha256: string;
  origin_template_id: string | null;
  origin_template_name: string | null;
  last_modified_user: string;
  created_at: number;
  updated_at: number;
}

export interface PullRequestApprovalsTable {
  pull_request_id: number;
  revision_id: string;
  user_arn: string;
  created_at: number;
}

export interface PullRequestOverridesTable {
  pull_request_id: number;
  revision_id: string;
  overrider_arn: string;
  created_at: number;
}

export interface ApprovalRuleTemplatesTable {
  id: string;
  name: string;
  description: string;
  content: string;
  content_sha256: string;
  last_modified_user: string;
  created_at: number;
  updated_at: number;
}

export interface ApprovalRuleTemplateRepositoriesTable {
  template_id: string;
  repository_id: string;
  created_at: number;
}

/** A comment on compared commits, or on a pull request when pull_request_id is set. */
export interface CommentsTable {
  id: string;
  repository_id: string;
  pull_request_id: number | null;
  before_commit_id: string | null;
  after_commit_id: string;
  before_blob_id: string | null;
  after_blob_id: string | null;
  file_path: string | null;
  file_position: number | null;
  /** BEFORE | AFTER */
  relative_file_version: string | null;
  in_reply_to: string | null;
  /** the thread's first comment (its own ID for a first comment) */
  thread_id: string;
  content: string;
  deleted: ColumnType<number, number | undefined, number>;
  author_arn: string;
  client_request_token: string | null;
  created_at: number;
  updated_at: number;
}

export interface CommentReactionsTable {
  comment_id: string;
  user_arn: string;
  /** the reaction's key, e.g. THUMBSUP (domain/comments/reactions.ts) */
  reaction: string;
  created_at: number;
}

/** What a clientRequestToken made, per operation family (see domain/idempotency.ts). */
export interface ClientRequestTokensTable {
  scope: string;
  token: string;
  fingerprint: string;
  result: string;
  created_at: number;
}

/** An S3 bucket (issue 13). */
export interface S3BucketsTable {
  name: string;
  region: string;
  /** null (never versioned), Enabled or Suspended */
  versioning: string | null;
  owner_arn: string;
  created_at: number;
  /** JSON array of {Key, Value}; null: no tags */
  tags: string | null;
  /** JSON: the lifecycle configuration as PutBucketLifecycleConfiguration stored it; null: none */
  lifecycle: string | null;
  /** JSON: the notification configuration; null: none */
  notification: string | null;
}

/** One version of an S3 object, or a delete marker. */
export interface S3VersionsTable {
  id: Generated<number>;
  bucket: string;
  key: string;
  /** "null" for the null version */
  version_id: string;
  /** 1 for the key's current version or delete marker */
  latest: number;
  delete_marker: number;
  size: number;
  etag: string;
  blob: string | null;
  content_type: string | null;
  /** JSON object of stored response headers */
  headers: string;
  checksum_algorithm: string | null;
  checksum: string | null;
  created_at: number;
  owner_arn: string;
  /** JSON array of {Key, Value}; null: no tags */
  tags: string | null;
  /** JSON array of part sizes, in part order, for an object CompleteMultipartUpload made; null otherwise */
  parts: string | null;
}

/** A multipart upload in progress (CreateMultipartUpload until Complete or Abort). */
export interface S3UploadsTable {
  id: Generated<number>;
  upload_id: string;
  bucket: string;
  key: string;
  content_type: string | null;
  /** JSON object of the stored response headers the object will have */
  headers: string;
  checksum_algorithm: string | null;
  /** COMPOSITE or FULL_OBJECT; null when no checksum algorithm was asked for */
  checksum_type: string | null;
  /** the tag set from x-amz-tagging, JSON as s3_versions.tags, for the completed object; null: none */
  tagging: string | null;
  owner_arn: string;
  initiated_at: number;
  /** when CompleteMultipartUpload made the object; null while in progress */
  completed_at: number | null;
  /** JSON of Complete's result (ETag, version, checksum), for a retried Complete */
  completed: string | null;
}

/** One uploaded part of a multipart upload; its bytes are a blob in the ObjectStore. */
export interface S3PartsTable {
  upload_id: string;
  part_number: number;
  size: number;
  /** hex MD5, unquoted */
  etag: string;
  blob: string;
  checksum_algorithm: string | null;
  checksum: string | null;
  created_at: number;
}

export interface Database {
  repositories: RepositoriesTable;
  repository_tags: RepositoryTagsTable;
  iam_users: IamUsersTable;
  access_keys: AccessKeysTable;
  ref_tips: RefTipsTable;
  ref_events: RefEventsTable;
  ref_intents: RefIntentsTable;
  outbox_cursors: OutboxCursorsTable;
  iam_groups: IamGroupsTable;
  iam_group_members: IamGroupMembersTable;
  iam_roles: IamRolesTable;
  iam_policies: IamPoliciesTable;
  iam_policy_versions: IamPolicyVersionsTable;
  iam_attachments: IamAttachmentsTable;
  iam_inline_policies: IamInlinePoliciesTable;
  iam_tags: IamTagsTable;
  ssh_public_keys: SshPublicKeysTable;
  service_credentials: ServiceCredentialsTable;
  login_profiles: LoginProfilesTable;
  sts_sessions: StsSessionsTable;
  sns_topics: SnsTopicsTable;
  sns_topic_tags: SnsTopicTagsTable;
  sns_subscriptions: SnsSubscriptionsTable;
  sns_messages: SnsMessagesTable;
  repository_triggers: RepositoryTriggersTable;
  function_endpoints: FunctionEndpointsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  pull_requests: PullRequestsTable;
  pull_request_events: PullRequestEventsTable;
  pull_request_approval_rules: PullRequestApprovalRulesTable;
  pull_request_approvals: PullRequestApprovalsTable;
  pull_request_overrides: PullRequestOverridesTable;
  approval_rule_templates: ApprovalRuleTemplatesTable;
  approval_rule_template_repositories: ApprovalRuleTemplateRepositoriesTable;
  comments: CommentsTable;
  comment_reactions: CommentReactionsTable;
  client_request_tokens: ClientRequestTokensTable;
  s3_buckets: S3BucketsTable;
  s3_versions: S3VersionsTable;
  s3_uploads: S3UploadsTable;
  s3_parts: S3PartsTable;
}
