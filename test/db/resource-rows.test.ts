import fs from 'node:fs';
import path from 'node:path';
import { createSchema } from '../../src/graphql/schema';
import { PROJECT_ROOT } from '../../src/paths';
import { RESOURCE_ROWS_FILE, resourceRowsSource } from '../../scripts/resource-rows';

/**
 * The resource tables' row types are written from their definitions by `npm run codegen`
 * (scripts/resource-rows.ts); test/db/row-types.test.ts holds them against the catalog.
 */
describe('the generated row types of the resource tables', () => {
  it(`${path.relative(PROJECT_ROOT, RESOURCE_ROWS_FILE)} matches the resource definitions (run \`npm run codegen\` and commit the result)`, async () => {
    const text = resourceRowsSource(await createSchema());
    expect(fs.readFileSync(RESOURCE_ROWS_FILE, 'utf8')).toBe(text);
  });
});
