import type * as CC from "@aws-sdk/client-codecommit";
import type { TriggerService } from "../../../domain/events/triggers.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;

/** PutRepositoryTriggers, GetRepositoryTriggers, TestRepositoryTriggers. */
export function triggerOperations(triggers: TriggerService) {
  const PutRepositoryTriggers: Op<CC.PutRepositoryTriggersInput, CC.PutRepositoryTriggersOutput> = async (_c, input) => ({
    configurationId: await triggers.put(input.repositoryName, input.triggers),
  });

  const GetRepositoryTriggers: Op<CC.GetRepositoryTriggersInput, CC.GetRepositoryTriggersOutput> = async (_c, input) =>
    (await triggers.get(input.repositoryName)) as CC.GetRepositoryTriggersOutput;

  const TestRepositoryTriggers: Op<CC.TestRepositoryTriggersInput, CC.TestRepositoryTriggersOutput> = async (caller, input) =>
    triggers.test(caller, input.repositoryName, input.triggers);

  return { PutRepositoryTriggers, GetRepositoryTriggers, TestRepositoryTriggers };
}
