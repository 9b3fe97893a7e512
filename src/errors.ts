/**
 * The one error type the domain throws. `code` is the service's own error name
 * (`RepositoryDoesNotExistException`, `NoSuchEntity`, …): the protocol edge decides how to
 * put it on the wire, the domain only decides what went wrong.
 */
export class ServiceError extends Error {
  readonly code: string;
  /** HTTP status the protocol should use; 400 unless the service models another. */
  readonly status: number;
  /** `server` for faults that are ours (500s), `client` otherwise. */
  readonly fault: "client" | "server";
  /** set on refusals: what was refused and why, for the server's log (never sent to the client) */
  denial?: Denial;

  constructor(code: string, message: string, opts: { status?: number; fault?: "client" | "server" } = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.fault = opts.fault ?? ((opts.status ?? 400) >= 500 ? "server" : "client");
    this.status = opts.status ?? (this.fault === "server" ? 500 : 400);
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

/**
 * What a refusal refused, as the server's log reports it: the IAM action and resource (null when
 * not known, as for a request refused at authentication), and a short reason: the policy
 * evaluation's (no-identity-allow, explicit-deny-identity, no-session-allow, …) or the
 * authentication failure's (badSignature, unknownKey, expiredToken, …).
 */
export interface Denial {
  action: string | null;
  resource: string | null;
  reason: string;
}

/** Marks an error as a refusal (see Denial); returns it, to be thrown. */
export function withDenial<E extends Error & { denial?: Denial }>(e: E, denial: Denial): E {
  e.denial = denial;
  return e;
}
