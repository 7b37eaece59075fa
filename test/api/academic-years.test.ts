import { describeResource } from '../support/describe-resource';
import { resourceRules } from '../support/resource-rules';
import { academicYears } from '../../src/modules/school/academic-years';

// What every resource does (create, lists, filters, orders, updates, soft delete, isolation, a viewer).
describeResource(academicYears, {
  updates: {
    startDate: (n) => ({ startDate: `${2100 + n}-09-01`, endDate: `${2101 + n}-07-01` }),
    endDate: (n) => ({ startDate: `${2300 + n}-09-01`, endDate: `${2301 + n}-06-15` }),
    // Only one live year of a tenant may be current: the case clears it again afterwards.
  },
});

// The rules the database keeps, through the API and under concurrency.
describe('academic years: the rules', () => {
  const t = resourceRules(academicYears);
  const year = (from: number, extra: Record<string, unknown> = {}) => ({
    name: `${from}/${from + 1}`,
    startDate: `${from}-09-01`,
    endDate: `${from + 1}-07-01`,
    ...extra,
  });
  const rows = async (orgId: string) =>
    (
      await t.superuser.query<{ name: string; current: boolean }>(
        'select name, current from academic_years where organization_id = $1 and deleted_at is null order by name',
        [orgId],
      )
    ).rows;

  it('refuses a year that ends before it starts, naming endDate, and writes nothing', async () => {
    const { orgId, token } = await t.tenant();
    const res = await t.create(token, { name: 'Backwards', startDate: '2027-09-01', endDate: '2027-08-01' });
    expect(t.codeOf(res)).toBe('BAD_USER_INPUT');
    expect(t.fieldOf(res)).toBe('endDate');
    expect(await rows(orgId)).toEqual([]);
  });

  it('lets exactly one of ten concurrent overlapping years in; the others are CONFLICT on startDate', async () => {
    const { orgId, token } = await t.tenant();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.create(token, { name: `Overlap ${i}`, startDate: `2030-0${1 + (i % 9)}-01`, endDate: '2031-01-01' }),
      ),
    );
    expect(results.filter((r) => !r.body.errors)).toHaveLength(1);
    for (const r of results.filter((x) => x.body.errors)) {
      expect(t.codeOf(r)).toBe('CONFLICT');
      expect(t.fieldOf(r)).toBe('startDate');
    }
    expect(await rows(orgId)).toHaveLength(1);
    // Back to back is not an overlap: the end day is not part of the year.
    const next = await t.create(token, { name: 'Next', startDate: '2031-01-01', endDate: '2031-06-01' });
    expect(next.body.errors).toBeUndefined();
  });

  it('keeps at most one current year, also when ten are made current at once', async () => {
    const { orgId, token } = await t.tenant();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.create(token, year(2040 + i, { current: true }))),
    );
    expect(results.filter((r) => !r.body.errors)).toHaveLength(1);
    for (const r of results.filter((x) => x.body.errors)) {
      expect(t.codeOf(r)).toBe('CONFLICT');
      expect(t.fieldOf(r)).toBe('current');
    }
    expect((await rows(orgId)).filter((r) => r.current)).toHaveLength(1);
  });

  it('frees the dates, the name and the current flag of a deleted year, and will not restore it into a clash', async () => {
    const { orgId, token } = await t.tenant();
    const old = t.nodeOf<{ id: string }>(await t.create(token, year(2050, { current: true })));
    expect((await t.delete(token, old.id)).body.errors).toBeUndefined();

    expect((await t.create(token, year(2050, { current: true }))).body.errors).toBeUndefined();
    expect(t.codeOf(await t.restore(token, old.id))).toBe('CONFLICT');
    const still = await t.superuser.query('select deleted_at from academic_years where id = $1', [old.id]);
    expect(still.rows[0].deleted_at).not.toBeNull();
    expect(await rows(orgId)).toEqual([{ name: '2050/2051', current: true }]);
  });

  it('keeps the rules per organization: another organization may use the same names and dates', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    expect((await t.create(a.token, year(2060, { current: true }))).body.errors).toBeUndefined();
    expect((await t.create(b.token, year(2060, { current: true }))).body.errors).toBeUndefined();
  });
});
