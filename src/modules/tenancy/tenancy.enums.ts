import { registerEnumType } from 'type-graphql';
import { MEMBERSHIP_ROLES, MEMBERSHIP_STATUSES, PLAN_TIERS, USER_STATUSES } from '../../db/schema';
import { enumOf } from '../../graphql/enums';

export const PlanTierEnum = enumOf(PLAN_TIERS);
export const UserStatusEnum = enumOf(USER_STATUSES);
export const MembershipRoleEnum = enumOf(MEMBERSHIP_ROLES);
export const MembershipStatusEnum = enumOf(MEMBERSHIP_STATUSES);

registerEnumType(PlanTierEnum, { name: 'PlanTier', description: 'Subscription tier of an organization.' });
registerEnumType(UserStatusEnum, { name: 'UserStatus', description: 'Whether an account may be used at all.' });
registerEnumType(MembershipRoleEnum, {
  name: 'MembershipRole',
  description: 'Built-in role of a member in an organization.',
});
registerEnumType(MembershipStatusEnum, {
  name: 'MembershipStatus',
  description:
    'Lifecycle of a membership. PLEDGE, ACTIVE, ASSOCIATE and the ALUMNI statuses may sign in; the others may not.',
});
