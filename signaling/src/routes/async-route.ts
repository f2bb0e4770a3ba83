/**
 * express 4 does not catch a rejected promise from a route: this hands it to the error
 * handler (problem.ts), which answers 503 when the shared store is unreachable.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export function asyncRoute(
  handler: (req: Request, res: Response) => Promise<void>,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };
}
