import { PG } from './__testUtils__/testEnvironment';
import {
  connectPostgres,
  describePostgresError,
  pgToolEnvironment,
} from './postgresAccess';

describe('connectPostgres', () => {
  it('refuses an unknown database, naming it and its variable', async () => {
    await expect(
      connectPostgres(PG, 'agent_does_not_exist'),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: `database "agent_does_not_exist" does not exist on PostgreSQL at ${PG.host}:${PG.port} (PGDATABASE); check the name`,
    });
  });

  it('fails clearly when the server cannot be reached', async () => {
    await expect(
      connectPostgres(
        { ...PG, port: 1, password: 'not-shown-123' },
        'postgres',
      ),
    ).rejects.toMatchObject({
      exitCode: 1,
      message: `cannot reach PostgreSQL at ${PG.host}:1 (ECONNREFUSED); check PGHOST and PGPORT`,
    });
  });
});

describe('describePostgresError', () => {
  it('names PGUSER on authentication failures without the password', () => {
    const error = describePostgresError(
      Object.assign(
        new Error('password authentication failed for user "app"'),
        { code: '28P01' },
      ),
      { ...PG, user: 'app', password: 'p4ss' },
      'qawave',
    );
    expect(error.message).toContain('rejected user "app" (PGUSER)');
    expect(error.message).not.toContain('p4ss');
  });
});

describe('pgToolEnvironment', () => {
  it('passes libpq settings and the password, not the AWS credentials', () => {
    const env = pgToolEnvironment(
      { host: 'db', port: 5433, user: 'backup', password: 'pw' },
      {
        PATH: '/usr/bin',
        PGSSLMODE: 'require',
        PGPASSWORD_FILE: '/secrets/pw',
        AWS_SECRET_ACCESS_KEY: 'aws',
        S3_BUCKET: 'b',
      },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      PGSSLMODE: 'require',
      PGHOST: 'db',
      PGPORT: '5433',
      PGUSER: 'backup',
      PGPASSWORD: 'pw',
      PGCONNECT_TIMEOUT: '30',
    });
  });
});
