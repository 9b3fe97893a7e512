import crypto from "node:crypto";
import { ServiceError } from "../../errors.js";
import { ZERO_OID } from "../../git/repository.js";
import type { Caller } from "../context.js";
import { parseArn } from "../repos/arn.js";
import { branchNameProblem } from "../repos/names.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import type { SnsDeps } from "../sns/common.js";
import { DEFAULT_RETRY, type DeliveryPlan } from "../sns/delivery-policy.js";
import { publishToTopic, type DeliveryOrigin } from "../sns/publish.js";
import { findTopic } from "../sns/topics.js";
import { LAMBDA_ARN, functionUrl } from "./functions.js";
import { enqueue, type Db } from "./queue.js";
import { eventDocuments, triggerSubject, type Trigger } from "./records.js";
import type { Sender } from "./sender.js";

export const MAX_TRIGGERS = 10;
export const MAX_BRANCHES = 10;
export const MAX_CUSTOM_DATA = 1000;
const EVENTS = new Set(["all", "updateReference", "createReference", "deleteReference"]);

/** Lambda's asynchronous invocation: two retries, one and then two minutes later. */
export const LAMBDA_PLAN: DeliveryPlan = { retry: { ...DEFAULT_RETRY, numRetries: 2 }, delays: [60, 120], contentType: "application/json" };

export interface TriggerConfiguration {
  configurationId?: string;
  triggers: Trigger[];
}

function err(code: string, message: string): ServiceError {
  return new ServiceError(code, message);
}

type Destination = { kind: "sns"; arn: string } | { kind: "lambda"; arn: string };

/**
 * Repository triggers: CodeCommit's PutRepositoryTriggers, GetRepositoryTriggers and
 * TestRepositoryTriggers. Destinations are topics of this server, or Lambda function ARNs an
 * administrator registered an endpoint for.
 */
export class TriggerService {
  constructor(
    private readonly repos: RepositoryService,
    private readonly sns: SnsDeps,
    private readonly send: Sender,
    private readonly timeoutMs: number,
  ) {}

  private get db() {
    return this.sns.db;
  }

  /** Validates the shape of a trigger list (not whether destinations exist). */
  private check(input: unknown): Array<Trigger & { destination: Destination }> {
    if (input === undefined || input === null) {
      throw err("RepositoryTriggersListRequiredException", "The list of triggers for the repository is required, but was not specified.");
    }
    if (!Array.isArray(input)) throw err("SerializationException", "triggers must be a list.");
    if (input.length > MAX_TRIGGERS) {
      throw err("MaximumRepositoryTriggersExceededException", `The number of triggers allowed for the repository was exceeded. A repository can have at most ${MAX_TRIGGERS} triggers.`);
    }
    const names = new Set<string>();
    return input.map((raw) => {
      const t = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
      const name = t.name;
      if (name === undefined || name === null || name === "") throw err("RepositoryTriggerNameRequiredException", "A name for the trigger is required, but was not specified.");
      if (typeof name !== "string" || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name) || name.trim() !== name) {
        throw err("InvalidRepositoryTriggerNameException", `The name of the trigger is not valid: '${String(name)}'. Use 1 to 100 characters, without control characters or surrounding spaces.`);
      }
      if (names.has(name)) throw err("InvalidRepositoryTriggerNameException", `The name of the trigger is not valid: '${name}' is used by more than one trigger.`);
      names.add(name);

      const arn = t.destinationArn;
      if (arn === undefined || arn === null || arn === "") {
        throw err("RepositoryTriggerDestinationArnRequiredException", `A destination ARN for the target service for the trigger '${name}' is required, but was not specified.`);
      }
      const destination = this.destination(name, arn);

      let customData: string | undefined;
      if (t.customData !== undefined && t.customData !== null) {
        if (typeof t.customData !== "string" || t.customData.length > MAX_CUSTOM_DATA) {
          throw err("InvalidRepositoryTriggerCustomDataException", `The custom data provided for the trigger '${name}' is not valid: it can be at most ${MAX_CUSTOM_DATA} characters.`);
        }
        customData = t.customData;
      }

      if (t.branches === undefined || t.branches === null) {
        throw err(
          "RepositoryTriggerBranchNameListRequiredException",
          `A list of branches is required for the trigger '${name}', but was not specified. Use an empty list for all branches.`,
        );
      }
      if (!Array.isArray(t.branches)) throw err("InvalidRepositoryTriggerBranchNameException", `The branches of the trigger '${name}' must be a list.`);
      if (t.branches.length > MAX_BRANCHES) {
        throw err("MaximumBranchesExceededException", `The number of branches for the trigger '${name}' was exceeded. A trigger can name at most ${MAX_BRANCHES} branches.`);
      }
      const branches = t.branches.map((b) => {
        const problem = typeof b === "string" ? branchNameProblem(b) : "must be a string";
        if (problem) throw err("InvalidRepositoryTriggerBranchNameException", `One or more branch names specified for the trigger '${name}' is not valid: '${String(b)}' ${problem}.`);
        return b as string;
      });

      if (t.events === undefined || t.events === null || (Array.isArray(t.events) && t.events.length === 0)) {
        throw err("RepositoryTriggerEventsListRequiredException", `At least one event for the trigger '${name}' is required, but was not specified.`);
      }
      if (!Array.isArray(t.events)) throw err("InvalidRepositoryTriggerEventsException", `The events of the trigger '${name}' must be a list.`);
      const events = [...new Set(t.events.map(String))];
      const unknown = events.find((e) => !EVENTS.has(e));
      if (unknown !== undefined) {
        throw err("InvalidRepositoryTriggerEventsException", `One or more events specified for the trigger '${name}' is not valid: '${unknown}'. Use all, updateReference, createReference or deleteReference.`);
      }
      if (events.includes("all") && events.length > 1) {
        throw err("InvalidRepositoryTriggerEventsException", `The event 'all' cannot be combined with other events in the trigger '${name}'.`);
      }
      return { name, destinationArn: arn as string, ...(customData !== undefined ? { customData } : {}), branches, events, destination };
    });
  }

  private destination(name: string, arnInput: unknown): Destination {
    const arn = String(arnInput);
    const parsed = typeof arnInput === "string" ? parseArn(arnInput) : null;
    const invalid = () =>
      err(
        "InvalidRepositoryTriggerDestinationArnException",
        `The Amazon Resource Name (ARN) for the trigger '${name}' is not valid for the specified destination: ${arn}. Use the ARN of an Amazon SNS topic or of an AWS Lambda function.`,
      );
    if (!parsed || (parsed.service !== "sns" && parsed.service !== "lambda")) throw invalid();
    if (parsed.service === "sns" && !/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(parsed.resource)) throw invalid();
    if (parsed.service === "lambda" && !LAMBDA_ARN.test(arn)) throw invalid();
    if (parsed.region !== this.sns.region) {
      throw err(
        "InvalidRepositoryTriggerRegionException",
        `The AWS Region for the trigger target (${parsed.region}) does not match the AWS Region of the repository (${this.sns.region}). Triggers must be created in the same Region as their target.`,
      );
    }
    return { kind: parsed.service, arn };
  }

  /** Why a destination cannot be used, or null when it can. */
  private async unusable(db: Db, d: Destination): Promise<string | null> {
    if (d.kind === "sns") {
      if (d.arn.endsWith(".fifo")) return `${d.arn} is a FIFO topic; triggers publish to standard topics only.`;
      return (await findTopic(db, d.arn)) ? null : `The destination ${d.arn} is not an existing Amazon SNS topic in this account and Region.`;
    }
    return (await functionUrl(db, d.arn))
      ? null
      : `The destination ${d.arn} is not a Lambda function with a registered endpoint (see headwater admin register-function).`;
  }

  async get(repoName: unknown): Promise<TriggerConfiguration> {
    const repo = await this.repos.require(repoName);
    const cfg = await triggersOf(this.db, repo.id);
    return {
      configurationId: cfg.configurationId,
      triggers: cfg.triggers.map((t) => ({ ...t, customData: t.customData ?? "" })),
    };
  }

  async put(repoName: unknown, input: unknown): Promise<string> {
    const repo = await this.repos.require(repoName);
    const triggers = this.check(input);
    for (const t of triggers) {
      const why = await this.unusable(this.db, t.destination);
      if (why) throw err("InvalidRepositoryTriggerDestinationArnException", `The destination for the trigger '${t.name}' is not valid. ${why}`);
    }
    const configurationId = crypto.randomUUID();
    const stored = JSON.stringify(triggers.map(({ destination: _, ...t }) => t));
    const now = Date.now();
    await this.db
      .insertInto("repository_triggers")
      .values({ repository_id: repo.id, configuration_id: configurationId, triggers: stored, updated_at: now })
      .onConflict((oc) => oc.column("repository_id").doUpdateSet({ configuration_id: configurationId, triggers: stored, updated_at: now }))
      .execute();
    return configurationId;
  }

  /**
   * Sends each trigger a test event, built from the repository's last commit (zeros when it has
   * none), named TriggerEventTest: SNS topics get it published (their subscribers receive it
   * as any notification), Lambda endpoints are called at once and must answer 2xx.
   */
  async test(caller: Caller, repoName: unknown, input: unknown): Promise<{ successfulExecutions: string[]; failedExecutions: Array<{ trigger: string; failureMessage: string }> }> {
    const repo = await this.repos.require(repoName);
    const triggers = this.check(input);
    const cfg = await triggersOf(this.db, repo.id);
    const configurationId = cfg.configurationId ?? crypto.randomUUID();
    const successfulExecutions: string[] = [];
    const failedExecutions: Array<{ trigger: string; failureMessage: string }> = [];
    let queued = false;
    for (const t of triggers) {
      const why = await this.unusable(this.db, t.destination);
      if (why) {
        failedExecutions.push({ trigger: t.name, failureMessage: why });
        continue;
      }
      const reference = await this.sampleReference(repo, t);
      const [doc] = eventDocuments(
        {
          region: this.sns.region,
          repositoryArn: repo.arn,
          userIdentityArn: caller.principal.arn,
          time: Date.now(),
          trigger: t,
          configurationId,
          eventName: "TriggerEventTest",
        },
        [reference],
      );
      if (t.destination.kind === "sns") {
        const topic = (await findTopic(this.db, t.destination.arn))!;
        await this.db.transaction().execute((trx) =>
          publishToTopic(trx, topic, { subject: triggerSubject(this.sns.region, repo.name), message: doc! }, { repositoryId: repo.id, triggerName: t.name }),
        );
        queued = true;
        successfulExecutions.push(t.name);
      } else {
        const url = (await functionUrl(this.db, t.destination.arn))!;
        const r = await this.send({ url, headers: { "content-type": "application/json" }, body: doc!, timeoutMs: this.timeoutMs });
        if (r.status !== undefined && r.status >= 200 && r.status < 300) successfulExecutions.push(t.name);
        else failedExecutions.push({ trigger: t.name, failureMessage: `The function endpoint ${url} did not accept the event: ${r.error ?? `HTTP ${r.status}`}.` });
      }
    }
    if (queued) this.sns.queued();
    return { successfulExecutions, failedExecutions };
  }

  /** The last commit of the trigger's first branch (or the default branch), else zeros. */
  private async sampleReference(repo: Repository, t: Trigger): Promise<{ commit: string; ref: string }> {
    const git = this.repos.git(repo);
    for (const b of [...t.branches, repo.defaultBranch].filter((x): x is string => !!x)) {
      const commit = await git.refTarget(`refs/heads/${b}`);
      if (commit) return { commit, ref: `refs/heads/${b}` };
    }
    return { commit: ZERO_OID, ref: `refs/heads/${t.branches[0] ?? repo.defaultBranch ?? "main"}` };
  }
}

export async function triggersOf(db: Db, repositoryId: string): Promise<TriggerConfiguration> {
  const row = await db.selectFrom("repository_triggers").select(["configuration_id", "triggers"]).where("repository_id", "=", repositoryId).executeTakeFirst();
  return row ? { configurationId: row.configuration_id, triggers: JSON.parse(row.triggers) as Trigger[] } : { triggers: [] };
}

/** Queues a trigger's event for a Lambda function endpoint. */
export async function queueLambda(db: Db, functionArn: string, url: string, body: string, origin: DeliveryOrigin): Promise<void> {
  const now = Date.now();
  await enqueue(
    db,
    {
      id: crypto.randomUUID(),
      type: "Lambda",
      topic_arn: null,
      subject: null,
      message: body,
      protocol_messages: null,
      message_attributes: null,
      token: null,
      subscribe_url: null,
      signature_version: "1",
      timestamp: new Date(now).toISOString(),
      created_at: now,
    },
    [{ kind: "lambda", destinationKey: `lambda:${functionArn}`, endpoint: url, plan: LAMBDA_PLAN, ...origin }],
    now,
  );
}
