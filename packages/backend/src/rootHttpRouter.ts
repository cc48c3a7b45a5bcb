import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { Socket } from 'node:net';

/** What Node.js answers, before any route runs, to a request it cannot parse. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'The URL and headers are over the 16 KiB Node.js accepts; send a shorter URL (fewer or shorter query parameters)',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'Request Timeout',
    'The request was not received in time',
  ],
};

/** Answers an unparseable request with a JSON error body, as every route's errors are. */
export function answerClientError(
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'Bad Request',
    'The request is not valid HTTP',
  ];
  const body = JSON.stringify({
    error: { name: reason.replace(/ /g, ''), message },
    response: { statusCode: status },
  });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(
      body,
    )}\r\nConnection: close\r\n\r\n${body}`,
  );
}

type ErrorBody = {
  error?: { stack?: unknown; cause?: unknown };
  response?: { statusCode?: unknown };
};

/** An error body (Backstage's ErrorResponseBody) without stack traces, its causes' included. */
export function withoutStacks(body: unknown): unknown {
  const errorBody = body as ErrorBody | undefined;
  if (
    typeof errorBody?.error !== 'object' ||
    errorBody.error === null ||
    typeof errorBody.response?.statusCode !== 'number'
  )
    return body;
  const strip = (error: unknown): unknown => {
    if (typeof error !== 'object' || error === null) return error;
    const {
      stack: _stack,
      cause,
      ...rest
    } = error as {
      stack?: unknown;
      cause?: unknown;
    };
    return cause === undefined ? rest : { ...rest, cause: strip(cause) };
  };
  return { ...errorBody, error: strip(errorBody.error) };
}

/**
 * Backstage's root HTTP router and default middleware, with two changes for a portal people
 * use: error bodies never carry stack traces (every plugin's error handler adds them when
 * NODE_ENV is `development`, which `yarn start` sets, and they hold the backend's absolute file
 * paths), and requests Node.js cannot parse, such as a URL over 16 KiB, get a JSON error instead
 * of an empty response.
 */
export const portalRootHttpRouter = rootHttpRouterServiceFactory({
  configure({ app, server, applyDefaults }) {
    server.on('clientError', answerClientError);
    app.use((_req, res, next) => {
      const json = res.json.bind(res);
      res.json = body => json(withoutStacks(body));
      next();
    });
    applyDefaults();
  },
});
