import 'reflect-metadata';
import { getMetadataStorage } from 'type-graphql';
import { createSchema } from '../../src/graphql/schema';

/**
 * `simpleResolvers: true` (fast plain fields, see docs/performance.md) makes type-graphql skip
 * field-level @Authorized and middlewares on that type without a word: guard against one
 * being added there and silently doing nothing.
 */
describe('object types with simpleResolvers', () => {
  it('declare no field-level @Authorized or middleware', async () => {
    await createSchema(); // the metadata is complete once the schema is built
    const storage = getMetadataStorage();
    const simple = storage.objectTypes.filter((t) => t.simpleResolvers);
    expect(simple.map((t) => t.name)).toEqual(expect.arrayContaining(['Task', 'Project', 'User', 'PageInfo']));
    const targets = new Set(simple.map((t) => t.target));
    const guarded = [...storage.authorizedFields, ...storage.middlewares]
      .filter((m) => targets.has(m.target))
      .map((m) => `${(m.target as { name: string }).name}.${m.fieldName}`);
    expect(guarded).toEqual([]);
  });
});
