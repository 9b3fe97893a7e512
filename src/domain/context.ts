/** Who is calling, as established by authentication at the edge. */
export interface Principal {
  /** `user` for IAM users (and the bootstrap admin), `assumed-role` for STS sessions */
  kind: "user" | "assumed-role";
  arn: string;
  /** AIDA… for users, AROA…:session for roles; empty when not known (a role simulated without a session) */
  userId: string;
  accountId: string;
  /** IAM user name (users only) */
  userName?: string;
  /** the access key used, when one was */
  accessKeyId?: string;
  /** assumed roles: the role, its ARN (with the role's path) and the session name */
  roleName?: string;
  roleArn?: string;
  sessionName?: string;
  /** credentials from GetSessionToken or AssumeRole (temporary, with a session token) */
  temporary?: boolean;
  /** temporary credentials: when they were issued (aws:TokenIssueTime) */
  tokenIssueTime?: Date;
}

/** Everything a domain operation may need to know about the request it serves. */
export interface Caller {
  principal: Principal;
  requestId: string;
  sourceIp: string;
  secureTransport: boolean;
}
