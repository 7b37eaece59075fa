import { col, defineResource } from '../../resources';

/** `YYYY-MM-DD` of 1 September of the nth school year after 2000, and of 1 July after it. */
const schoolYear = (n: number) => ({ start_date: `${2000 + n}-09-01`, end_date: `${2001 + n}-07-01` });

/**
 * Academic years (seed 001): the school years that scope classes, timetables and fee plans. The
 * database keeps the rules (migration 0024): live years of an organization never overlap, at most
 * one is current, and names are unique among them.
 */
export const academicYears = defineResource({
  name: 'AcademicYear',
  table: 'academic_years',
  description: 'A school year. Years of an organization never overlap; at most one is current.',
  columns: {
    name: col.text({ length: { min: 1, max: 100 }, create: 'required', update: true, filter: 'string' }),
    startDate: col.date({
      create: 'required',
      update: true,
      description: 'The first day of the year.',
      aggregate: { measures: ['min', 'max'] },
    }),
    endDate: col.date({
      create: 'required',
      update: true,
      description: 'After startDate; the year ends before this day.',
      aggregate: { measures: ['min', 'max'] },
    }),
    current: col.boolean({ dbDefault: true, create: 'optional', update: true, description: 'The year in progress.' }),
  },
  timestamps: { createdAt: true, updatedAt: true, deletedAt: true },
  permissions: {
    read: 'academics:read',
    create: 'academics:manage',
    update: 'academics:manage',
    delete: 'academics:manage',
  },
  lists: {
    orders: {
      start_date_desc: { column: 'start_date', direction: 'desc', type: 'date' },
      start_date_asc: { column: 'start_date', direction: 'asc', type: 'date' },
      name_asc: { column: 'name', direction: 'asc', type: 'text' },
    },
    root: { description: 'Academic years, the latest first.' },
    byId: {},
    alias: 'ay',
  },
  mutations: { create: {}, update: {}, delete: { mode: 'soft' }, restore: {} },
  violations: {
    academic_years_name_key: ['name', 'This organization already has an academic year with that name'],
    academic_years_name_check: ['name', 'The name must be 1 to 100 characters, not only spaces'],
    academic_years_dates_check: ['endDate', 'The end date must be after the start date'],
    academic_years_no_overlap: ['startDate', 'The dates overlap another academic year'],
    academic_years_one_current: ['current', 'Another academic year is current; make it not current first'],
  },
  example: (n) => ({ name: `${2000 + n}/${2001 + n}`, ...schoolYear(n) }),
});
