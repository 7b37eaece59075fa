import { registerResolvers } from '../../resources';
import { AuditLogResolver } from './audit.resolver';

registerResolvers(AuditLogResolver);
