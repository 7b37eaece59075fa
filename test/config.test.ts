import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPoolMax, ENVIRONMENT_VARIABLES, loadConfig, loadEnvFile } from '../src/config';
import { ConfigError } from '../src/errors';
import { PROJECT_ROOT } from '../src/paths';

describe('configuration', () => {
  it('defaults to the embedded database in ./.data, demo data and port 4000', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'embedded', dataDir: path.join(PROJECT_ROOT, '.data'), port: 54329 });
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      seedDemo: true,
      migrateOnStart: true,
      env: 'development',
    });
  });

  it('uses DATABASE_URL, and migrates at start only when the owner URL is given', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://a@h/d' })).toMatchObject({
      database: { kind: 'external', appUrl: 'postgres://a@h/d', ownerUrl: undefined },
      migrateOnStart: false,
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://a@h/d', DATABASE_OWNER_URL: 'postgres://o@h/d' })).toMatchObject({
      database: { kind: 'external', ownerUrl: 'postgres://o@h/d' },
      migrateOnStart: true,
    });
  });

  it('never loads demo data in production, whatever SEED_DEMO says, and requires DATABASE_URL there', () => {
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://a@h/d', SEED_DEMO: 'true' }).seedDemo).toBe(
      false,
    );
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });

  it('gives in-flight requests 10 s at shutdown unless SHUTDOWN_TIMEOUT_MS says otherwise, and leaves /metrics open without METRICS_TOKEN', () => {
    expect(loadConfig({})).toMatchObject({ shutdownTimeoutMs: 10_000, metricsToken: undefined });
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '2500', METRICS_TOKEN: 'scrape-me' })).toMatchObject({
      shutdownTimeoutMs: 2500,
      metricsToken: 'scrape-me',
    });
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '-1' })).toThrow(
      /SHUTDOWN_TIMEOUT_MS must be an integer between 0 and 600000/,
    );
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: 'soon' })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
  });

  it('sizes the request pool by the cores (2 per core plus 1, at most 10) unless DB_POOL_MAX says otherwise', () => {
    expect([1, 2, 4, 8].map((cores) => defaultPoolMax(cores))).toEqual([3, 5, 9, 10]);
    expect(loadConfig({}).poolMax).toBe(defaultPoolMax());
    expect(loadConfig({ DB_POOL_MAX: '25' }).poolMax).toBe(25);
  });

  it('lets the heap grow 50% after a full collection unless HEAP_GROWING_PERCENT says otherwise (0: V8 decides)', () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(50);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
  });

  it('names the variable when a value is invalid', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer/);
    expect(() => loadConfig({ DB_POOL_MAX: '0' })).toThrow(/DB_POOL_MAX/);
    expect(() => loadConfig({ SEED_DEMO: 'maybe' })).toThrow(/SEED_DEMO must be true or false/);
  });

  it('keeps audit-log entries 365 days unless AUDIT_RETENTION_DAYS says otherwise (a whole number of days, at least 1)', () => {
    expect(loadConfig({}).auditRetentionDays).toBe(365);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '' }).auditRetentionDays).toBe(365);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '1' }).auditRetentionDays).toBe(1);
    for (const value of ['0', '-7', '1.5', 'a year', '36501']) {
      expect(() => loadConfig({ AUDIT_RETENTION_DAYS: value })).toThrow(ConfigError);
      expect(() => loadConfig({ AUDIT_RETENTION_DAYS: value })).toThrow(/AUDIT_RETENTION_DAYS must be an integer/);
    }
  });

  it('names every invalid variable in one error, not only the first', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        SEED_DEMO: 'maybe',
        LOG_LEVEL: 'loud',
        NODE_ENV: 'prod',
        DATABASE_URL: 'mysql://x',
        QUERY_MAX_DEPTH: '0',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^6 invalid environment variables:\n/);
    expect(message).toContain('PORT must be an integer between 0 and 65535, got "eighty"');
    expect(message).toContain('SEED_DEMO must be true or false, got "maybe"');
    expect(message).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
    expect(message).toContain('NODE_ENV must be one of development, production, test, got "prod"');
    expect(message).toContain('DATABASE_URL must be a postgres:// URL');
    expect(message).toContain('QUERY_MAX_DEPTH must be an integer between 1 and 1000');
    // The rule across variables joins the same list.
    expect(() => loadConfig({ NODE_ENV: 'production', PORT: 'x' })).toThrow(
      /2 invalid environment variables:\n {2}PORT .*\n {2}DATABASE_URL is required when NODE_ENV=production/,
    );
  });

  it('stores files under DATA_DIR/blobs by default, and in an S3 bucket with BLOB_STORE=s3', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/tenantql' }).blobStore).toEqual({
      kind: 'local',
      dir: '/var/lib/tenantql/blobs',
    });
    expect(
      loadConfig({
        BLOB_STORE: 's3',
        S3_BUCKET: 'files',
        S3_ENDPOINT: 'https://s3.example.com',
        S3_ACCESS_KEY_ID: 'id',
        S3_SECRET_ACCESS_KEY: 'secret',
        S3_FORCE_PATH_STYLE: 'true',
      }).blobStore,
    ).toEqual({
      kind: 's3',
      bucket: 'files',
      endpoint: 'https://s3.example.com',
      region: 'us-east-1',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
      forcePathStyle: true,
      allowPrivateEndpoint: false,
    });
    expect(() =>
      loadConfig({
        BLOB_STORE: 's4',
        S3_ENDPOINT: 'ftp://x',
        S3_ACCESS_KEY_ID: 'id',
        S3_ALLOW_PRIVATE_ENDPOINT: 'maybe',
      }),
    ).toThrow(
      /4 invalid environment variables:\n {2}BLOB_STORE must be one of local, s3, got "s4"\n {2}S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL\n {2}S3_ALLOW_PRIVATE_ENDPOINT must be true or false, got "maybe"\n {2}S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together/,
    );
    expect(() => loadConfig({ BLOB_STORE: 's3' })).toThrow(/S3_BUCKET is required when BLOB_STORE=s3/);
  });

  it('lists every variable it reads in .env.example (commented, with its default) and in the README', () => {
    const example = fs.readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const name of ENVIRONMENT_VARIABLES) {
      expect([name, new RegExp(`^# ${name}=`, 'm').test(example)]).toEqual([name, true]);
      expect([name, readme.includes(`\`${name}\``)]).toEqual([name, true]);
    }
    expect(fs.readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
  });

  it('loads .env when there is one, and variables already set in the environment win', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenantql-env-'));
    const names = ['TENANTQL_TEST_FROM_FILE', 'TENANTQL_TEST_SET_BEFORE'];
    try {
      expect(loadEnvFile(path.join(dir, '.env'))).toBe(false);
      fs.writeFileSync(path.join(dir, '.env'), 'TENANTQL_TEST_FROM_FILE=file\nTENANTQL_TEST_SET_BEFORE=file\n');
      process.env.TENANTQL_TEST_SET_BEFORE = 'environment';
      expect(loadEnvFile(path.join(dir, '.env'))).toBe(true);
      expect(process.env.TENANTQL_TEST_FROM_FILE).toBe('file');
      expect(process.env.TENANTQL_TEST_SET_BEFORE).toBe('environment');
    } finally {
      for (const name of names) delete process.env[name];
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
