import type { ContextInput } from "../../../domain/iam/policy/index.js";
import { authorizationError, invalidParameter, type SnsDeps } from "../../../domain/sns/common.js";
import { checkBatch, checkPublish, publish, publishMany } from "../../../domain/sns/publish.js";
import * as subs from "../../../domain/sns/subscriptions.js";
import * as topics from "../../../domain/sns/topics.js";
import { isServiceError } from "../../../errors.js";
import { queryTagContext, rule, str, type AuthzRule, type AuthzTable } from "../../authz.js";
import { XmlMap, asList } from "../../query-protocol.js";
import type { AwsService, OperationHandler } from "../../service.js";

type Input = Record<string, unknown>;
type Op = OperationHandler<Input, Record<string, unknown> | undefined>;

const tagsOut = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** A caller of an unsigned operation (the SubscribeURL and UnsubscribeURL links). */
const unsigned = (c: { principal: { arn: string } }) => c.principal.arn === "anonymous";

/** SNS's operations (awsQuery, namespace http://sns.amazonaws.com/doc/2010-03-31/). */
export function snsOperations(deps: SnsDeps): Record<string, Op> {
  return {
    CreateTopic: async (_c, i) => ({
      TopicArn: await topics.createTopic(deps, { name: i.Name, attributes: i.Attributes, tags: asList(i.Tags), dataProtectionPolicy: i.DataProtectionPolicy }),
    }),
    DeleteTopic: async (_c, i) => {
      await topics.deleteTopic(deps, i.TopicArn);
      return undefined;
    },
    ListTopics: async (_c, i) => {
      const page = await topics.listTopics(deps, i.NextToken);
      return { Topics: page.arns.map((TopicArn) => ({ TopicArn })), NextToken: page.nextToken };
    },
    GetTopicAttributes: async (_c, i) => ({ Attributes: new XmlMap(await topics.getTopicAttributes(deps, i.TopicArn)) }),
    SetTopicAttributes: async (_c, i) => {
      await topics.setTopicAttribute(deps, i.TopicArn, i.AttributeName, i.AttributeValue);
      return undefined;
    },
    Subscribe: async (c, i) => ({ SubscriptionArn: await subs.subscribe(deps, c, i) }),
    ConfirmSubscription: async (c, i) => ({ SubscriptionArn: await subs.confirmSubscription(deps, !unsigned(c), i) }),
    Unsubscribe: async (c, i) => {
      await subs.unsubscribe(deps, !unsigned(c), i.SubscriptionArn);
      return undefined;
    },
    ListSubscriptions: async (_c, i) => {
      const page = await subs.listSubscriptions(deps, i.NextToken);
      return { Subscriptions: page.subscriptions, NextToken: page.nextToken };
    },
    ListSubscriptionsByTopic: async (_c, i) => {
      const page = await subs.listSubscriptions(deps, i.NextToken, i.TopicArn ?? "");
      return { Subscriptions: page.subscriptions, NextToken: page.nextToken };
    },
    GetSubscriptionAttributes: async (_c, i) => ({ Attributes: new XmlMap(await subs.getSubscriptionAttributes(deps, i.SubscriptionArn)) }),
    SetSubscriptionAttributes: async (_c, i) => {
      await subs.setSubscriptionAttribute(deps, i.SubscriptionArn, i.AttributeName, i.AttributeValue);
      return undefined;
    },
    Publish: async (_c, i) => {
      if (i.PhoneNumber !== undefined && i.TopicArn === undefined && i.TargetArn === undefined) {
        throw invalidParameter("PhoneNumber Reason: SMS is not served here");
      }
      const arn = i.TopicArn ?? i.TargetArn;
      const message = checkPublish(i);
      const topic = await topics.requireTopic(deps, arn, i.TopicArn !== undefined ? "TopicArn" : "TargetArn");
      return { MessageId: await publish(deps, topic, message) };
    },
    PublishBatch: async (_c, i) => {
      const entries = checkBatch(i.PublishBatchRequestEntries);
      const topic = await topics.requireTopic(deps, i.TopicArn);
      const Failed: Array<{ Id: string; Code: string; Message: string; SenderFault: boolean }> = [];
      const valid: Array<{ id: string; message: ReturnType<typeof checkPublish> }> = [];
      for (const e of entries) {
        try {
          valid.push({ id: String(e.Id), message: checkPublish(e) });
        } catch (err) {
          if (!isServiceError(err)) throw err;
          Failed.push({ Id: String(e.Id), Code: err.code, Message: err.message, SenderFault: true });
        }
      }
      const ids = await publishMany(deps, topic, valid.map((v) => v.message));
      const Successful = valid.map((v, n) => ({ Id: v.id, MessageId: ids[n]! }));
      return { Successful, Failed };
    },
    TagResource: async (_c, i) => {
      await topics.tagTopic(deps, i.ResourceArn, asList(i.Tags));
      return {};
    },
    UntagResource: async (_c, i) => {
      await topics.untagTopic(deps, i.ResourceArn, asList(i.TagKeys));
      return {};
    },
    ListTagsForResource: async (_c, i) => ({ Tags: tagsOut(await topics.listTopicTags(deps, i.ResourceArn)) }),
  };
}

/**
 * SNS's authorization table: `sns:<Operation>` on the topic (a subscription's operations on
 * its topic), `*` for the account-wide lists; PublishBatch is authorized as sns:Publish, as in
 * AWS. Subscribe carries sns:Protocol and sns:Endpoint.
 */
export function snsAuthz(deps: SnsDeps): AuthzTable {
  const topic = (i: Input) => str(i.TopicArn);
  const ofSubscription = (i: Input) => subs.topicOfSubscription(i.SubscriptionArn);
  const onTopic = (op: string, extra: Partial<AuthzRule> = {}) => rule(`sns:${op}`, topic, extra);
  return {
    CreateTopic: rule("sns:CreateTopic", (i) => deps.topicArn(str(i.Name)), { keys: queryTagContext }),
    DeleteTopic: onTopic("DeleteTopic"),
    ListTopics: rule("sns:ListTopics", () => "*"),
    GetTopicAttributes: onTopic("GetTopicAttributes"),
    SetTopicAttributes: onTopic("SetTopicAttributes"),
    Subscribe: onTopic("Subscribe", {
      keys: (i) => ({
        ...(typeof i.Protocol === "string" ? { "sns:Protocol": i.Protocol } : {}),
        ...(typeof i.Endpoint === "string" ? { "sns:Endpoint": i.Endpoint } : {}),
      }),
    }),
    ConfirmSubscription: onTopic("ConfirmSubscription"),
    Unsubscribe: rule("sns:Unsubscribe", ofSubscription),
    ListSubscriptions: rule("sns:ListSubscriptions", () => "*"),
    ListSubscriptionsByTopic: onTopic("ListSubscriptionsByTopic"),
    GetSubscriptionAttributes: rule("sns:GetSubscriptionAttributes", ofSubscription),
    SetSubscriptionAttributes: rule("sns:SetSubscriptionAttributes", ofSubscription),
    Publish: rule("sns:Publish", (i) => str(i.TopicArn ?? i.TargetArn) || "*"),
    PublishBatch: rule("sns:Publish", topic),
    TagResource: rule("sns:TagResource", (i) => str(i.ResourceArn), { keys: queryTagContext }),
    UntagResource: rule("sns:UntagResource", (i) => str(i.ResourceArn), { keys: queryTagContext }),
    ListTagsForResource: rule("sns:ListTagsForResource", (i) => str(i.ResourceArn)),
  };
}

export function snsService(deps: SnsDeps): AwsService {
  return {
    signingName: "sns",
    protocol: { kind: "query", apiVersion: "2010-03-31", xmlNamespace: "http://sns.amazonaws.com/doc/2010-03-31/" },
    operations: snsOperations(deps),
    authz: snsAuthz(deps),
    accessDenied: authorizationError,
  };
}
