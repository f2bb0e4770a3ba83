/**
 * `GET /ice`: the ICE servers a connected peer should use.
 */
import type { IceServersResult } from '@peerfetch/shared';
import express, { type Router } from 'express';
import { type IceOptions, iceServersFor } from '../ice.js';
import { asyncRoute } from './async-route.js';
import { type Authenticate, queryCredentials } from './auth.js';

export function iceRouter(
  options: IceOptions,
  authenticate: Authenticate,
  now: () => number,
): Router {
  const router = express.Router();
  router.get(
    '/',
    asyncRoute(async (req, res) => {
      const credentials = await authenticate(queryCredentials(req), res);
      if (!credentials) return;
      // Credentials are personal and short-lived: never let a cache keep them.
      res.setHeader('Cache-Control', 'no-store');
      res.json(iceServersFor(options, credentials.id, now()) satisfies IceServersResult);
    }),
  );
  return router;
}
