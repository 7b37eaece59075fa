import { SessionResolver } from './session.resolver';
import { AccountResolver } from './account.resolver';

export const accessResolvers = [SessionResolver, AccountResolver] as const;
