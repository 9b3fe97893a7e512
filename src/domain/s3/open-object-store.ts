import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../../config.js";
import { LocalObjectStore, type ObjectStore } from "./object-store.js";
import { parseS3Location, S3ObjectStore } from "./s3-object-store.js";

export interface OpenedObjectStore {
  store: ObjectStore;
  /** where the bytes are, for logs and errors (no credentials: they never come from the options) */
  describe: string;
  /**
   * The start sweep's cut-off. Files in the data dir are this process's alone, and none of its
   * PUTs is under way before it serves: everything unnamed goes. A bucket may be shared by
   * servers on one PostgreSQL, whose PUTs may be under way: only what is older than the grace.
   */
  sweepBefore(): number;
  /** lets go of the client's kept-alive connections (an embedding process lives on after stop) */
  close(): void;
}

/** The store `--object-store` names, or files under `<data-dir>/objects/`. */
export function openObjectStore(cfg: Config): OpenedObjectStore {
  if (!cfg.objectStore) {
    return { store: new LocalObjectStore(path.join(cfg.dataDir, "objects")), describe: "the data directory", sweepBefore: () => Date.now(), close: () => {} };
  }
  const client = new S3Client({
    ...(cfg.objectStoreEndpoint ? { endpoint: cfg.objectStoreEndpoint, forcePathStyle: true } : {}),
    // every download in flight holds a connection while it streams: more than the default 50
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 512 }, httpsAgent: { keepAlive: true, maxSockets: 512 } },
  });
  return {
    store: new S3ObjectStore(client, parseS3Location(cfg.objectStore)),
    describe: cfg.objectStore + (cfg.objectStoreEndpoint ? ` at ${cfg.objectStoreEndpoint}` : ""),
    sweepBefore: () => Date.now() - cfg.objectStoreGraceSeconds * 1000,
    close: () => client.destroy(),
  };
}
