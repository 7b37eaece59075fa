import 'reflect-metadata';
import fs from 'node:fs';
import { createSchema, printSchemaSdl } from '../src/graphql/schema';
import { SCHEMA_FILE } from '../src/paths';

/** Writes schema/schema.graphql from the type-graphql classes (part of `npm run codegen`). */
createSchema().then(
  (schema) => {
    fs.writeFileSync(SCHEMA_FILE, printSchemaSdl(schema));
    console.log(`wrote ${SCHEMA_FILE}`);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
