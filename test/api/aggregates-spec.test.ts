import 'reflect-metadata';
import { buildSchema } from 'type-graphql';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { withTenant } from '../../src/db/database';
import { defineAggregates } from '../../src/resources/aggregates';
import { SprintStatusEnum } from '../../src/modules/work/work.enums';
import { closeTestPools, ownerDb, testPool } from '../support/db';
import { createProject, createTenant } from '../support/factories';

/**
 * `defineAggregates` beyond Task: what it generates for a table with no key or measure (no empty
 * GraphQL type), and `date` columns (LocalDate), whose buckets are days, not instants.
 */

const bare = defineAggregates({
  typeName: 'ProbeTeam',
  plural: 'probeTeams',
  table: 'teams',
  alias: 'tm',
  permissions: { read: 'teams:read' },
});

const sprints = defineAggregates({
  typeName: 'ProbeSprint',
  plural: 'probeSprints',
  table: 'sprints',
  alias: 's',
  keys: [{ field: 'status', column: 'status', type: () => SprintStatusEnum }],
  buckets: [{ field: 'startDate', column: 'start_date', kind: 'date', units: ['day', 'week', 'month'] }],
  measures: [{ field: 'endDate', column: 'end_date', kind: 'date', ops: ['min', 'max'] }],
  permissions: { read: 'projects:read' },
});

const fieldsOf = (schema: GraphQLSchema, name: string) => {
  const type = schema.getType(name);
  return isObjectType(type)
    ? Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, String(f.type)]))
    : null;
};

describe('defineAggregates', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildSchema({
      resolvers: [bare.Resolver, sprints.Resolver],
      // What a connection's aggregate field would reference.
      orphanedTypes: [bare.Aggregate, sprints.Aggregate],
      authChecker: () => true,
      validate: false,
    });
  });

  it('generates no empty type: a table without keys or measures gets a count, one group and no groupBy', () => {
    expect(fieldsOf(schema, 'ProbeTeamAggregate')).toEqual({ count: 'Int!' });
    expect(fieldsOf(schema, 'ProbeTeamAggregateGroup')).toEqual({ count: 'Int!' });
    expect(fieldsOf(schema, 'ProbeTeamAggregates')).toEqual({ groups: '[ProbeTeamAggregateGroup!]!' });
    for (const absent of ['ProbeTeamAggregateKey', 'ProbeTeamGroupBy', 'ProbeTeamSums', 'ProbeTeamMinimums'])
      expect({ absent, type: schema.getType(absent) }).toEqual({ absent, type: undefined });
    expect(schema.getQueryType()!.getFields().probeTeamsAggregate!.args).toEqual([]);
  });

  it('types date buckets and measures as LocalDate, and only the measure types that have fields', () => {
    expect(fieldsOf(schema, 'ProbeSprintAggregateKey')).toEqual({
      status: 'SprintStatus',
      startDateDay: 'LocalDate',
      startDateWeek: 'LocalDate',
      startDateMonth: 'LocalDate',
    });
    expect(fieldsOf(schema, 'ProbeSprintAggregate')).toEqual({
      count: 'Int!',
      min: 'ProbeSprintMinimums!',
      max: 'ProbeSprintMaximums!',
    });
    expect(fieldsOf(schema, 'ProbeSprintMinimums')).toEqual({ endDate: 'LocalDate' });
    expect(schema.getType('ProbeSprintSums')).toBeUndefined();
    expect(
      schema
        .getQueryType()!
        .getFields()
        .probeSprintsAggregate!.args.map((a) => `${a.name}: ${String(a.type)}`),
    ).toEqual(['groupBy: [ProbeSprintGroupBy!]']);
  });

  it('refuses a spec with two keys of the same name', () => {
    expect(() =>
      defineAggregates({
        typeName: 'ProbeTwice',
        plural: 'probeTwice',
        table: 'sprints',
        alias: 's',
        keys: [{ field: 'startDateWeek', column: 'status', type: () => SprintStatusEnum }],
        buckets: [{ field: 'startDate', column: 'start_date', kind: 'date', units: ['week'] }],
        permissions: { read: 'projects:read' },
      }),
    ).toThrow(/two keys named startDateWeek/);
  });

  describe('in the database', () => {
    const db = ownerDb();
    const superuser = testPool('superuser', 1);
    afterAll(closeTestPools);

    it('buckets date columns by calendar day, week (from Monday) and month, as SQL does', async () => {
      const { organization, owner } = await createTenant(db);
      const projects = [
        await createProject(db, organization.id, owner.id),
        await createProject(db, organization.id, owner.id),
      ];
      // Sprints of two weeks, the second project's shifted by three days: weeks and months cut across them.
      const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
      const values = projects.flatMap((project, p) =>
        Array.from({ length: 8 }, (_, i) => ({
          organization_id: organization.id,
          project_id: project.id,
          name: `S${i}`,
          start_date: day(p * 3 + i * 14),
          end_date: day(p * 3 + i * 14 + 13),
          status: (['planned', 'active', 'completed'] as const)[i % 3],
        })),
      );
      const other = await createTenant(db);
      const otherProject = await createProject(db, other.organization.id, other.owner.id);
      await withTenant(db, { organizationId: other.organization.id, userId: other.owner.id }, (trx) =>
        trx
          .insertInto('sprints')
          .values({ ...values[0]!, organization_id: other.organization.id, project_id: otherProject.id })
          .execute(),
      );

      for (const [unit, groupBy] of [
        ['day', ['startDateDay']],
        ['week', ['startDateWeek', 'status']],
        ['month', ['startDateMonth']],
      ] as const) {
        const answered = await withTenant(db, { organizationId: organization.id, userId: owner.id }, async (trx) => {
          if (unit === 'day') await trx.insertInto('sprints').values(values).execute();
          const [rows] = await sprints.loader.batch(
            trx,
            [{ organizationId: organization.id, filter: null, groupBy, includeDeleted: false }],
            undefined as never,
          );
          return rows as Record<string, unknown>[];
        });
        const statusColumn = groupBy.length > 1 ? ', status' : '';
        const { rows: want } = await superuser.query<Record<string, unknown>>(
          `select to_char(date_trunc('${unit}', start_date), 'YYYY-MM-DD') as k0 ${statusColumn.replace('status', 'status as k1')},
                  count(*)::int as count, min(end_date)::text as min_end_date, max(end_date)::text as max_end_date
             from sprints where organization_id = $1 group by 1 ${statusColumn ? ', 2' : ''} order by 1 ${statusColumn ? ', 2' : ''}`,
          [organization.id],
        );
        expect(want.length).toBeGreaterThan(1);
        expect({ unit, rows: answered }).toEqual({ unit, rows: want });
      }
    });
  });
});
