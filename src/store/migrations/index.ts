import type { Kysely } from "kysely";
import type { Engine } from "../db.js";
import * as m001 from "./001_initial.js";
import * as m002 from "./002_iam.js";
import * as m003 from "./003_events.js";
import * as m004 from "./004_iam_names.js";
import * as m005 from "./005_delivery_order.js";
import * as m006 from "./006_pull_requests.js";
import * as m007 from "./007_outbox_consumers.js";
import * as m008 from "./008_s3.js";
import * as m009 from "./009_s3_configs.js";
import * as m010 from "./010_s3_uploads.js";

export interface Migration {
  name: string;
  up(db: Kysely<unknown>, engine: Engine): Promise<void>;
}

/** In order. Never edit a migration that has shipped; add the next one. */
export const migrations: Migration[] = [
  { name: "001_initial", up: m001.up },
  { name: "002_iam", up: m002.up },
  { name: "003_events", up: m003.up },
  { name: "004_iam_names", up: m004.up },
  { name: "005_delivery_order", up: m005.up },
  { name: "006_pull_requests", up: m006.up },
  { name: "007_outbox_consumers", up: m007.up },
  { name: "008_s3", up: m008.up },
  { name: "009_s3_configs", up: m009.up },
  { name: "010_s3_uploads", up: m010.up },
];
