import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSchema, printSchemaSdl } from '../../src/graphql/schema';
import { PROJECT_ROOT, SCHEMA_FILE } from '../../src/paths';

const FIX = 'run `npm run codegen` and commit the result';

// GraphQL Code Generator loads ES modules that jest's module system cannot: ask plain Node for
// what it would write (without writing it) and compare that with the committed files.
const GENERATE = `
const { generate, loadCodegenConfig } = require('@graphql-codegen/cli');
loadCodegenConfig({ configFilePath: 'codegen.yml' })
  .then(({ config }) => generate({ ...config, silent: true }, false))
  .then((outputs) => process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content })))))
  .catch((error) => { console.error(error); process.exit(1); });
`;

describe('generated artefacts', () => {
  it(`schema/schema.graphql matches the code (${FIX})`, async () => {
    const sdl = printSchemaSdl(await createSchema());
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(sdl);
  });

  it(`every codegen.yml output matches what codegen produces (${FIX})`, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', GENERATE], { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 });
    const outputs = JSON.parse(stdout) as { filename: string; content: string }[];
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const file = path.resolve(PROJECT_ROOT, output.filename);
      expect({ file: output.filename, content: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing)' })
        .toEqual({ file: output.filename, content: output.content });
    }
  });
});
