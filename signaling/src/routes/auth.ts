/**
 * Checks that the caller is a peer connected to this server (or, with Redis, to any of its
 * instances) right now, with its token.
 */

import type { PeerCredentials } from '@peerfetch/shared';
import type { Request, Response } from 'express';
import type { SignalingMetrics } from '../metrics.js';
import { sendProblem } from '../problem.js';
import type { PeerVerifier } from '../shared-state.js';
import { credentialsSchema, describeIssues } from './validation.js';

export type Authenticate = (source: unknown, res: Response) => Promise<PeerCredentials | undefined>;

/** Returns the credentials, or answers 400/401 itself and returns undefined. */
export function createAuthenticate(peers: PeerVerifier, metrics: SignalingMetrics): Authenticate {
  return async (source, res) => {
    const parsed = credentialsSchema.safeParse(source);
    if (!parsed.success) {
      metrics.rejections.inc({ reason: 'bad_request' });
      sendProblem(res, 400, describeIssues(parsed.error));
      return undefined;
    }
    if (!(await peers.verify(parsed.data.id, parsed.data.token))) {
      metrics.rejections.inc({ reason: 'unauthorized' });
      sendProblem(res, 401, 'id and token are not a peer connected to this server');
      return undefined;
    }
    return parsed.data;
  };
}

/** The query string as plain strings (express may parse `a[b]=c` into objects). */
export function queryCredentials(req: Request): unknown {
  const { id, token } = req.query;
  return { id, token };
}
