import type * as CC from "@aws-sdk/client-codecommit";
import type { ApprovalRuleTemplateService } from "../../../domain/approvals/templates.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;
type TemplateOut = { approvalRuleTemplate: CC.ApprovalRuleTemplate };

/** Approval rule templates and their associations with repositories (13 operations). */
export function templateOperations(templates: ApprovalRuleTemplateService) {
  const CreateApprovalRuleTemplate: Op<CC.CreateApprovalRuleTemplateInput, TemplateOut> = async (caller, input) => ({
    approvalRuleTemplate: await templates.create(caller, input),
  });

  const GetApprovalRuleTemplate: Op<CC.GetApprovalRuleTemplateInput, TemplateOut> = async (_c, input) => ({
    approvalRuleTemplate: await templates.get(input.approvalRuleTemplateName),
  });

  const ListApprovalRuleTemplates: Op<CC.ListApprovalRuleTemplatesInput, CC.ListApprovalRuleTemplatesOutput> = async (_c, input) => templates.list(input);

  const UpdateApprovalRuleTemplateName: Op<CC.UpdateApprovalRuleTemplateNameInput, TemplateOut> = async (caller, input) => ({
    approvalRuleTemplate: await templates.updateName(caller, input),
  });

  const UpdateApprovalRuleTemplateDescription: Op<CC.UpdateApprovalRuleTemplateDescriptionInput, TemplateOut> = async (caller, input) => ({
    approvalRuleTemplate: await templates.updateDescription(caller, input),
  });

  const UpdateApprovalRuleTemplateContent: Op<CC.UpdateApprovalRuleTemplateContentInput, TemplateOut> = async (caller, input) => ({
    approvalRuleTemplate: await templates.updateContent(caller, input),
  });

  // the model marks the ID required, yet documents a 200 without content for a template deleted before
  const DeleteApprovalRuleTemplate: Op<CC.DeleteApprovalRuleTemplateInput, Partial<CC.DeleteApprovalRuleTemplateOutput>> = async (_c, input) =>
    templates.delete(input.approvalRuleTemplateName);

  const AssociateApprovalRuleTemplateWithRepository: Op<CC.AssociateApprovalRuleTemplateWithRepositoryInput, Record<string, never>> = async (_c, input) => {
    await templates.associate(input.approvalRuleTemplateName, input.repositoryName);
    return {};
  };

  const DisassociateApprovalRuleTemplateFromRepository: Op<CC.DisassociateApprovalRuleTemplateFromRepositoryInput, Record<string, never>> = async (
    _c,
    input,
  ) => {
    await templates.disassociate(input.approvalRuleTemplateName, input.repositoryName);
    return {};
  };

  const BatchAssociateApprovalRuleTemplateWithRepositories: Op<
    CC.BatchAssociateApprovalRuleTemplateWithRepositoriesInput,
    CC.BatchAssociateApprovalRuleTemplateWithRepositoriesOutput
  > = async (_c, input) => templates.batchAssociate(input);

  const BatchDisassociateApprovalRuleTemplateFromRepositories: Op<
    CC.BatchDisassociateApprovalRuleTemplateFromRepositoriesInput,
    CC.BatchDisassociateApprovalRuleTemplateFromRepositoriesOutput
  > = async (_c, input) => templates.batchDisassociate(input);

  const ListAssociatedApprovalRuleTemplatesForRepository: Op<
    CC.ListAssociatedApprovalRuleTemplatesForRepositoryInput,
    CC.ListAssociatedApprovalRuleTemplatesForRepositoryOutput
  > = async (_c, input) => templates.listForRepository(input);

  const ListRepositoriesForApprovalRuleTemplate: Op<CC.ListRepositoriesForApprovalRuleTemplateInput, CC.ListRepositoriesForApprovalRuleTemplateOutput> = async (
    _c,
    input,
  ) => templates.listRepositories(input);

  return {
    CreateApprovalRuleTemplate,
    GetApprovalRuleTemplate,
    ListApprovalRuleTemplates,
    UpdateApprovalRuleTemplateName,
    UpdateApprovalRuleTemplateDescription,
    UpdateApprovalRuleTemplateContent,
    DeleteApprovalRuleTemplate,
    AssociateApprovalRuleTemplateWithRepository,
    DisassociateApprovalRuleTemplateFromRepository,
    BatchAssociateApprovalRuleTemplateWithRepositories,
    BatchDisassociateApprovalRuleTemplateFromRepositories,
    ListAssociatedApprovalRuleTemplatesForRepository,
    ListRepositoriesForApprovalRuleTemplate,
  };
}
