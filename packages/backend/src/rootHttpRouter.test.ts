import http from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { answerClientError, withoutStacks } from './rootHttpRouter';

describe('answerClientError', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    server.on('clientError', answerClientError);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise(resolve => server.close(resolve)));

  it('answers a URL over 16 KiB with a JSON 431 naming the limit', async () => {
    const res = await fetch(
      `http://127.0.0.1:${port}/api/pg-backup/fleet?owner=${'x'.repeat(
        17_000,
      )}`,
    );
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: {
        name: 'RequestHeaderFieldsTooLarge',
        message: expect.stringMatching(/over the 16 KiB .* send a shorter URL/),
      },
      response: { statusCode: 431 },
    });
  });

  it('answers a request that is not HTTP with a JSON 400', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = new Socket();
      let data = '';
      socket.on('data', chunk => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.connect(port, '127.0.0.1', () =>
        socket.write('NOT HTTP AT ALL\r\n\r\n'),
      );
    });
    expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1])).toEqual({
      error: { name: 'BadRequest', message: 'The request is not valid HTTP' },
      response: { statusCode: 400 },
    });
  });

  it('still serves requests within the limit', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/?q=${'x'.repeat(1000)}`);
    expect(await res.text()).toBe('ok');
  });
});

describe('withoutStacks', () => {
  it('drops the stack of an error body and of its causes, and keeps the rest', () => {
    expect(
      withoutStacks({
        error: {
          name: 'NotFoundError',
          message: 'No entity named nope',
          stack:
            'NotFoundError: No entity\n    at /work/main/node_modules/x.js:1:1',
          cause: { name: 'Error', message: 'inner', stack: 'at /srv/y.js' },
        },
        request: { method: 'GET', url: '/api/catalog/x' },
        response: { statusCode: 404 },
      }),
    ).toEqual({
      error: {
        name: 'NotFoundError',
        message: 'No entity named nope',
        cause: { name: 'Error', message: 'inner' },
      },
      request: { method: 'GET', url: '/api/catalog/x' },
      response: { statusCode: 404 },
    });
  });

  it('leaves every other body alone', () => {
    const body = { error: 'not an error body', stack: 'kept' };
    expect(withoutStacks(body)).toBe(body);
    expect(withoutStacks([1, 2])).toEqual([1, 2]);
    expect(withoutStacks(undefined)).toBeUndefined();
  });
});
