import { expect } from "vitest";
import { call } from "./api.js";
import { sleep, sns } from "./events.js";
import type { ServerHandle } from "./server.js";
import type { Received, Subscriber } from "./subscriber.js";

/**
 * Creates a topic (AWS CLI v2), subscribes the endpoint (http or https by its URL) and waits
 * until the endpoint has confirmed through SubscribeURL. `ca`: a CA bundle file for the CLI when
 * the server serves HTTPS.
 */
export async function topicWithSubscriber(
  server: ServerHandle,
  name: string,
  s: Subscriber,
  opts: { attributes?: Record<string, string>; ca?: string } = {},
): Promise<{ topicArn: string; subArn: string }> {
  const created = await sns(server.url, ["create-topic", "--name", name], { ca: opts.ca });
  expect(created.code, created.stderr).toBe(0);
  const topicArn = created.json.TopicArn as string;
  const protocol = new URL(s.url).protocol.slice(0, -1);
  const args = ["subscribe", "--topic-arn", topicArn, "--protocol", protocol, "--notification-endpoint", s.url, "--return-subscription-arn"];
  if (opts.attributes) args.push("--attributes", JSON.stringify(opts.attributes));
  const subscribed = await sns(server.url, args, { ca: opts.ca });
  expect(subscribed.code, subscribed.stderr).toBe(0);
  const subArn = subscribed.json.SubscriptionArn as string;
  for (let i = 0; i < 150; i++) {
    const a = await sns(server.url, ["get-subscription-attributes", "--subscription-arn", subArn], { ca: opts.ca });
    if (a.json?.Attributes?.PendingConfirmation === "false") return { topicArn, subArn };
    await sleep(100);
  }
  throw new Error(`the subscription of ${s.url} was never confirmed`);
}

/** Creates a repository whose one trigger (all branches, all events) publishes to the topic. */
export async function repoWithTrigger(server: ServerHandle, repo: string, topicArn: string): Promise<void> {
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: repo })).error).toBeUndefined();
  const put = await call(server.url, "sdk", "PutRepositoryTriggers", {
    repositoryName: repo,
    triggers: [{ name: "all", destinationArn: topicArn, branches: [], events: ["all"] }],
  });
  expect(put.error).toBeUndefined();
}

/** The branch each notification's CodeCommit event names (its first reference), in arrival order. */
export function branchesOf(notifications: Received[]): string[] {
  return notifications.map((n) => {
    const records = JSON.parse(n.json.Message).Records as Array<{ codecommit: { references: Array<{ ref: string }> } }>;
    return records[0]!.codecommit.references[0]!.ref.replace("refs/heads/", "");
  });
}

/** Notifications only (not confirmations), in arrival order. */
export const notificationsIn = (rs: Received[]) => rs.filter((r) => r.headers["x-amz-sns-message-type"] === "Notification");
