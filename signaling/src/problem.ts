/**
 * RFC 9457 problem bodies from express, the same shape as `problemResponse` in shared.
 */
import { PROBLEM_CONTENT_TYPE, type Problem, problemBody, statusTitle } from '@peerfetch/shared';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { SharedStateUnavailableError } from './shared-state.js';

export function sendProblem(
  res: Response,
  status: number,
  detail: string,
  extra: Omit<Partial<Problem>, 'status'> = {},
): void {
  res
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemBody(status, detail, extra)));
}

/** Answers anything no route took with 404. */
export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, 404, `no route for ${req.method} ${req.path}`);
};

/** Seconds a client is asked to wait while the shared store is unreachable. */
const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * body-parser's and express's errors carry their status (400, 413, 415); an unreachable
 * shared store is a 503 (logged once by its client, not per request); anything else is a
 * 500, logged.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof SharedStateUnavailableError) {
      res.setHeader('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
      sendProblem(res, 503, error.message, { retryAfter: STORE_RETRY_AFTER_SECONDS });
      return;
    }
    const status = httpStatusOf(error);
    if (status !== undefined && status >= 400 && status < 500) {
      sendProblem(res, status, clientErrorDetail(error, status));
      return;
    }
    logger.error({ err: error }, 'request failed');
    sendProblem(res, 500, 'the server failed to answer this request');
  };
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' ? value : undefined;
}

function clientErrorDetail(error: unknown, status: number): string {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') return 'request body is too large';
  if (type === 'entity.parse.failed') return 'request body is not valid JSON';
  if (status === 415) return 'request body must be application/json';
  return error instanceof Error && error.message ? error.message : statusTitle(status);
}
