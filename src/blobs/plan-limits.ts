import { formatBytes } from '../errors';
import type { PlanTier } from '../db/schema';

const MB = 1024 * 1024;

/**
 * The largest file one upload may bring, by the organization's plan (seed 003): checked while
 * the bytes stream in, never after. Keyed by every plan tier, so a new tier does not compile
 * until it has a limit.
 *
 * @example
 * const maxBytes = FILE_SIZE_LIMITS[organization.plan_tier]; // 10 MB on trial and starter
 */
export const FILE_SIZE_LIMITS: Readonly<Record<PlanTier, number>> = {
  trial: 10 * MB,
  starter: 10 * MB,
  professional: 100 * MB,
  enterprise: 1024 * MB,
};

/** The refusal's wording: "10 MB per file on the starter plan". */
export function describeFileSizeLimit(plan: PlanTier): string {
  return `${formatBytes(FILE_SIZE_LIMITS[plan])} per file on the ${plan} plan`;
}
