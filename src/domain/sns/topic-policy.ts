import { isServiceError } from "../../errors.js";
import { parsePolicy } from "../iam/policy/index.js";
import { invalidParameter } from "./common.js";

/**
 * A topic's access policy (the `Policy` attribute) is a resource policy, read by the IAM
 * policy engine's own parser: Principal and Resource required, and SNS's quotas (30 KB, 100
 * statements, only SNS actions). Refusals keep SNS's "Invalid parameter: Policy Error: …"
 * prefix, followed by the parser's reason where SNS itself says only "null".
 */

/** SNS's documented policy quotas */
export const MAX_TOPIC_POLICY_BYTES = 30 * 1024;
export const MAX_TOPIC_POLICY_STATEMENTS = 100;

export function checkTopicPolicy(text: string): void {
  // the size first: a document too large to keep is refused without reading it
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_TOPIC_POLICY_BYTES) {
    throw invalidParameter(`Policy Error: a topic policy can be at most 30 KB (${MAX_TOPIC_POLICY_BYTES} bytes); this one is ${bytes} bytes`);
  }
  let statements;
  try {
    ({ statements } = parsePolicy(text, { kind: "resource" }));
  } catch (e) {
    if (isServiceError(e)) throw invalidParameter(`Policy Error: ${e.message}`);
    throw e;
  }
  if (statements.length > MAX_TOPIC_POLICY_STATEMENTS) {
    throw invalidParameter(`Policy Error: a topic policy can have at most ${MAX_TOPIC_POLICY_STATEMENTS} statements; this one has ${statements.length}`);
  }
  for (const st of statements) {
    for (const p of st.action.patterns) {
      // action patterns are lower-cased: `sns:publish`, `sns:*`, or `*`
      if (p.source !== "*" && !p.source.startsWith("sns:")) throw invalidParameter("Policy statement action out of service scope!");
    }
  }
}
