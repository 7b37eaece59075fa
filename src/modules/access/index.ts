import { SessionResolver } from './session.resolver';

export const accessResolvers = [SessionResolver] as const;
