import { AuditLogResolver } from './audit.resolver';

export const auditResolvers = [AuditLogResolver] as const;
