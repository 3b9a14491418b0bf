import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { BudgetGuard, MeterName, UsageRecorder } from '@tessera/metering';
import type { AnalyzedOperation } from './operation-analysis';

/** Who is charged: a caller with or without a tenant (platform operators have none, and no budgets). */
interface ChargedCaller {
  tenant: { id: string } | undefined;
}

/** What an admitted request makes the platform do, as far as budgets are concerned. */
export type GatewayWork = 'read' | 'mutation' | 'predict' | 'upload' | 'subscribe' | 'download';

/**
 * The budgets each kind of work must be within. Reads (queries other than predict) always pass:
 * a tenant past its budget can still see its data and its usage. Downloads are reads of a kind
 * that has its own meter.
 */
const budgetsOfWork: Record<GatewayWork, readonly MeterName[]> = {
  read: [],
  mutation: ['costUnits'],
  predict: ['costUnits'],
  upload: ['costUnits'],
  subscribe: ['costUnits'],
  download: ['downloadBytes'],
};

/**
 * Mutations that stay open past a budget (an operation made of these alone; one beside any other
 * field is new work and refused whole):
 * - raising or removing the budget: how a tenant admin gets out of a refusal, so it must never be
 *   refused by that refusal;
 * - withdrawing access and answering an incident: revoking an API key, deleting a service account,
 *   removing or re-roling a member, withdrawing an invitation, rotating the data key, asking for
 *   the tenant's erasure. A budget is a showback bound on spending; before, a leaked key that had
 *   spent the month's cost units (or any tenant past its budget) could not be revoked until an admin
 *   first raised the budget, and the emergency stop answered QUOTA_EXCEEDED. None of these starts
 *   work the budget meters (they are still charged cost units and rate-limited like any operation).
 */
const budgetMutations: ReadonlySet<string> = new Set([
  'setUsageBudget',
  'removeUsageBudget',
  'revokeApiKey',
  'deleteServiceAccount',
  'removeMember',
  'changeMemberRole',
  'revokeInvitation',
  'rotateTenantKey',
  'requestTenantErasure',
]);

/** The budget and metering step of the pipeline: refuse work past a budget, meter what was admitted. */
export interface UsageBudgetStep {
  /** QUOTA_EXCEEDED (`quota: budget.<meter>`) when the tenant's month-to-date usage reached a budget this work needs. */
  assertWithinBudget(caller: ChargedCaller, work: GatewayWork): Promise<void>;
  /** Adds the cost units of admitted work to the tenant's `costUnits` meter. */
  meterCost(caller: ChargedCaller, cost: number): void;
}

export function createUsageBudgetStep(deps: { guard: BudgetGuard; recorder: UsageRecorder }): UsageBudgetStep {
  return {
    async assertWithinBudget(caller, work) {
      if (!caller.tenant) return;
      await deps.guard.assertWithin(caller.tenant.id, budgetsOfWork[work]);
    },
    meterCost(caller, cost) {
      if (caller.tenant) deps.recorder.add(caller.tenant.id, 'costUnits', cost);
    },
  };
}

/** The work an analysed operation stands for: its type, and whether it runs a prediction. */
export function workOfOperation(analyzed: AnalyzedOperation): GatewayWork {
  switch (analyzed.operation.operation) {
    case 'mutation':
      return rootFieldNames(analyzed.operation.selectionSet, analyzed.document).every((name) => budgetMutations.has(name)) ? 'read' : 'mutation';
    case 'subscription':
      return 'subscribe';
    default:
      return rootFieldNames(analyzed.operation.selectionSet, analyzed.document).includes('predict') ? 'predict' : 'read';
  }
}

/** The fields selected at the root, directly or through (inline) fragments (fragment cycles were refused by the analysis). */
function rootFieldNames(selectionSet: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldNames(selection.selectionSet, document, seen);
    const name = selection.name.value;
    if (seen.has(name)) return [];
    seen.add(name);
    const fragment = document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment ? rootFieldNames(fragment.selectionSet, document, seen) : [];
  });
}
