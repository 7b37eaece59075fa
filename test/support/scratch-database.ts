import crypto from 'node:crypto';
import pg from 'pg';
import { roleUrl, ROLES } from '../../src/db/bootstrap';
import { testUrls } from './db';

/** A new, empty database owned by the owner role, for tests that migrate from zero. */
export async function createScratchDatabase(): Promise<{
  name: string;
  ownerUrl: string;
  superuserUrl: string;
  drop(): Promise<void>;
}> {
  const name = `scratch_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: testUrls.superuser });
  await admin.connect();
  await admin.query(`create database ${name} owner ${ROLES.owner}`);
  await admin.query(`grant connect on database ${name} to ${ROLES.app}`);
  await admin.end();
  return {
    name,
    ownerUrl: roleUrl(testUrls.superuser, ROLES.owner, 'test-owner', name),
    superuserUrl: Object.assign(new URL(testUrls.superuser), { pathname: `/${name}` }).toString(),
    async drop() {
      const client = new pg.Client({ connectionString: testUrls.superuser });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
