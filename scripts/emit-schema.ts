import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { createSchema, printSchemaSdl } from '../src/graphql/schema';
import { SCHEMA_FILE } from '../src/paths';
import { RESOURCE_ROWS_FILE, resourceRowsSource } from './resource-rows';

/**
 * Writes schema/schema.graphql from the type-graphql classes, and the resource tables' Kysely row
 * types from their definitions (part of `npm run codegen`).
 */
createSchema()
  .then(async (schema) => {
    fs.writeFileSync(SCHEMA_FILE, printSchemaSdl(schema));
    console.log(`wrote ${SCHEMA_FILE}`);
    fs.mkdirSync(path.dirname(RESOURCE_ROWS_FILE), { recursive: true });
    fs.writeFileSync(RESOURCE_ROWS_FILE, resourceRowsSource(schema));
    console.log(`wrote ${RESOURCE_ROWS_FILE}`);
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
