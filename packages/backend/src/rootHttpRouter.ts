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

/**
 * The root HTTP router with Backstage's default middleware, except that error bodies never
 * carry stack traces (Backstage adds them when NODE_ENV is `development`, which `yarn start`
 * sets, and they hold the backend's absolute file paths), and requests Node.js cannot parse,
 * such as a URL over 16 KiB, get a JSON error instead of an empty response.
 */
export const portalRootHttpRouter = rootHttpRouterServiceFactory({
  configure({ app, server, middleware, routes, healthRouter }) {
    server.on('clientError', answerClientError);
    app.use(middleware.helmet());
    app.use(middleware.cors());
    app.use(middleware.compression());
    app.use(middleware.logging());
    app.use(middleware.rateLimit());
    app.use(healthRouter);
    app.use(routes);
    app.use(middleware.notFound());
    app.use(middleware.error({ showStackTraces: false }));
  },
});
