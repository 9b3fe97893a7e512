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
