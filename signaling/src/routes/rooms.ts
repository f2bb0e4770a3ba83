/**
 * `/rooms`: join the room of the caller's network, list it, leave it.
 */
import type { RoomListing } from '@peerfetch/shared';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { addressKey } from '../address-limits.js';
import type { SignalingMetrics } from '../metrics.js';
import { InvalidAddressError, networkKey, roomIdFor } from '../network-key.js';
import { sendProblem } from '../problem.js';
import { AddressMembersError, RoomFullError } from '../rooms.js';
import type { RoomStore } from '../shared-state.js';
import { asyncRoute } from './async-route.js';
import { type Authenticate, queryCredentials } from './auth.js';
import { describeIssues, joinSchema } from './validation.js';

export interface RoomsRouteDeps {
  rooms: RoomStore;
  roomSecret: string;
  authenticate: Authenticate;
  metrics: SignalingMetrics;
  logger: Logger;
}

export function roomsRouter(deps: RoomsRouteDeps): Router {
  const { rooms, metrics, logger, authenticate } = deps;
  const router = express.Router();

  router.post(
    '/join',
    asyncRoute(async (req, res) => {
      const parsed = joinSchema.safeParse(req.body);
      if (!parsed.success) {
        // Authenticate first when the credentials themselves are fine, so a bad name from a
        // stranger is still a 401.
        if ((await authenticate(req.body, res)) === undefined) return;
        metrics.rejections.inc({ reason: 'bad_request' });
        sendProblem(res, 400, describeIssues(parsed.error));
        return;
      }
      if ((await authenticate(parsed.data, res)) === undefined) return;
      let roomId: string;
      // req.ip honours X-Forwarded-For only through hops TRUST_PROXY trusts.
      const address = req.ip ?? '';
      try {
        roomId = roomIdFor(deps.roomSecret, networkKey(address));
      } catch (error) {
        if (!(error instanceof InvalidAddressError)) throw error;
        metrics.rejections.inc({ reason: 'bad_address' });
        sendProblem(res, 400, 'the client address could not be determined');
        return;
      }
      const { id, role, name } = parsed.data;
      try {
        const members = await rooms.join(roomId, { id, role, name }, addressKey(address));
        metrics.joins.inc();
        logger.debug({ peer: id, role, room: roomId, members: members.length }, 'joined room');
        res.json({ room: roomId, members } satisfies RoomListing);
      } catch (error) {
        if (error instanceof RoomFullError) {
          metrics.rejections.inc({ reason: 'room_full' });
          sendProblem(res, 409, error.message, { maxRoomSize: error.maxRoomSize });
        } else if (error instanceof AddressMembersError) {
          metrics.rejections.inc({ reason: 'members_per_address' });
          logger.debug({ peer: id, room: roomId }, 'join refused: address holds its share');
          sendProblem(res, 429, error.message, {
            maxMembersPerAddress: error.maxMembersPerAddress,
          });
        } else throw error;
      }
    }),
  );

  router.get(
    '/members',
    asyncRoute(async (req, res) => {
      const credentials = await authenticate(queryCredentials(req), res);
      if (!credentials) return;
      const listing = await rooms.roomOf(credentials.id);
      if (!listing) {
        metrics.rejections.inc({ reason: 'not_in_room' });
        sendProblem(res, 404, 'this peer is in no room: POST /rooms/join first');
        return;
      }
      res.json(listing satisfies RoomListing);
    }),
  );

  router.post(
    '/leave',
    asyncRoute(async (req, res) => {
      const credentials = await authenticate(req.body, res);
      if (!credentials) return;
      await rooms.leave(credentials.id);
      res.status(204).end();
    }),
  );

  return router;
}
