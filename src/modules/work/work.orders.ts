import type { KeysetSort } from '../../db/pagination';

/** The orders of each list of the work module; the first one is the list's default. */
export const PROJECT_ORDERS = {
  name_asc: { column: 'name', direction: 'asc', type: 'text' },
  name_desc: { column: 'name', direction: 'desc', type: 'text' },
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
  updated_at_desc: { column: 'updated_at', direction: 'desc', type: 'timestamp' },
} as const satisfies Record<string, KeysetSort>;

export const TASK_ORDERS = {
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
  updated_at_desc: { column: 'updated_at', direction: 'desc', type: 'timestamp' },
  /** Tasks without a due date come last. */
  due_date_asc: { column: 'due_sort', direction: 'asc', type: 'timestamp' },
  /** Most urgent first. */
  priority_desc: { column: 'priority_rank', direction: 'desc', type: 'number' },
  title_asc: { column: 'title', direction: 'asc', type: 'text' },
} as const satisfies Record<string, KeysetSort>;

export const SPRINT_ORDERS = {
  start_date_asc: { column: 'start_date', direction: 'asc', type: 'date' },
  start_date_desc: { column: 'start_date', direction: 'desc', type: 'date' },
} as const satisfies Record<string, KeysetSort>;

export const ACTIVITY_ORDERS = {
  created_at_asc: { column: 'created_at', direction: 'asc', type: 'timestamp' },
  created_at_desc: { column: 'created_at', direction: 'desc', type: 'timestamp' },
} as const satisfies Record<string, KeysetSort>;
