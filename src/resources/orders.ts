import { orderEnum } from '../graphql/connection';
import type { ResourceModel } from './model';

/**
 * `${T}Order` from the resource's orders (orderEnum: `start_date_asc` -> `START_DATE_ASC`; the id
 * tiebreak is applyKeyset's), only when some list takes `orderBy`: an enum nothing uses is left out.
 */
export const buildOrder = (model: ResourceModel): object | undefined =>
  model.orders && model.exposesOrderBy ? orderEnum(model.names.order, model.orders) : undefined;
