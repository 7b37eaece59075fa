import { BadUserInputError } from '../../errors';
import { SPRINT_STATUSES, type SprintStatus } from '../../db/schema';
import { col, defineResource } from '../../resources';
import { SprintStatusEnum } from './work.enums';
import type { KeysetSort } from '../../db/pagination';
import { inProject } from './projects';

/** PLANNED -> ACTIVE -> COMPLETED, and PLANNED or ACTIVE -> CANCELLED. */
export const SPRINT_TRANSITIONS: Record<SprintStatus, readonly SprintStatus[]> = {
  planned: ['active', 'cancelled'],
  active: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

export const SPRINT_ORDERS = {
  start_date_asc: { column: 'start_date', direction: 'asc', type: 'date' },
  start_date_desc: { column: 'start_date', direction: 'desc', type: 'date' },
} as const satisfies Record<string, KeysetSort>;

/** `YYYY-MM-DD` of a day counted from 1 January of `year` (examples that never overlap). */
const isoDay = (year: number, day: number) => new Date(Date.UTC(year, 0, day)).toISOString().slice(0, 10);

export const sprints = defineResource({
  name: 'Sprint',
  table: 'sprints',
  description: 'A time box of a project. Sprints of one project never overlap (cancelled ones aside).',
  relations: {
    project: inProject('sprints'),
  },
  columns: {
    name: col.text({ length: { min: 1, max: 255 }, create: 'required', update: true }),
    goal: col.text({ dbDefault: true, length: { max: 5000 }, create: 'optional', update: true }),
    status: col.enum(SPRINT_STATUSES, SprintStatusEnum, {
      dbDefault: true,
      update: true,
      filter: 'enumList',
      aggregate: { groupBy: true },
    }),
    startDate: col.date({
      create: 'required',
      update: true,
      aggregate: { measures: ['min', 'max'], groupBy: ['week', 'month'] },
    }),
    endDate: col.date({
      description: 'After startDate; the sprint ends before this day starts.',
      create: { required: true, description: 'After startDate.' },
      update: true,
      aggregate: { measures: ['min', 'max'] },
    }),
    completedAt: col.timestamp({ nullable: true, serviceWrites: true }),
  },
  timestamps: { createdAt: true },
  permissions: { read: 'projects:read', create: 'sprints:manage', update: 'sprints:manage', delete: 'sprints:manage' },
  lists: {
    orders: SPRINT_ORDERS,
    root: { description: 'Sprints of every project the caller can see.' },
    byId: {},
    filter: { order: ['status', 'projectId'] },
    alias: 's',
  },
  mutations: {
    create: {},
    update: {
      inputDescription: 'PLANNED -> ACTIVE -> COMPLETED, and PLANNED or ACTIVE -> CANCELLED.',
      order: ['id', 'name', 'goal', 'startDate', 'endDate', 'status'],
    },
    delete: { mode: 'hard', description: 'Deletes a sprint; its tasks stay, outside any sprint.' },
  },
  violations: {
    sprints_name_key: ['name', 'This project already has a sprint with that name'],
    sprints_name_check: ['name', 'The name must be 1 to 255 characters, not only spaces'],
    sprints_no_overlap: ['startDate', 'The dates overlap another sprint of the project'],
    sprints_dates_check: ['endDate', 'The end date must be after the start date'],
  },
  rules: {
    beforeUpdate(_ctx, current, changes) {
      const from = current.status as SprintStatus;
      const to = changes.status as SprintStatus | undefined;
      if (to === undefined || to === from) {
        delete changes.status;
        return;
      }
      if (!SPRINT_TRANSITIONS[from].includes(to))
        throw new BadUserInputError('status', `A ${from.toUpperCase()} sprint cannot become ${to.toUpperCase()}`);
      if (to === 'completed') changes.completed_at = new Date();
    },
  },
  // One week per n, so any number of examples in one project never overlap.
  example: (n) => ({ name: `Sprint ${n}`, start_date: isoDay(2026, 1 + 7 * n), end_date: isoDay(2026, 7 + 7 * n) }),
});
