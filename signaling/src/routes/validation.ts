/**
 * Input schemas for the rooms and ICE routes, bounded by the limits shared declares.
 */
import {
  PEER_ID_MAX_LENGTH,
  PEER_TOKEN_MAX_LENGTH,
  ROOM_MEMBER_NAME_MAX_LENGTH,
  ROOM_ROLES,
} from '@peerfetch/shared';
import { z } from 'zod';

/** PeerJS's own id rule: letters and digits, single `-`, `_` or space between them. */
const PEER_ID_PATTERN = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;

/** Control characters, and Unicode format characters (bidi overrides, zero-width joiners). */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export const credentialsSchema = z.object({
  id: z.string().max(PEER_ID_MAX_LENGTH).regex(PEER_ID_PATTERN, 'is not a PeerJS peer id'),
  token: z.string().min(1).max(PEER_TOKEN_MAX_LENGTH),
});

export const joinSchema = credentialsSchema.extend({
  role: z.enum(ROOM_ROLES),
  name: z
    .string()
    .transform((name) => name.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(ROOM_MEMBER_NAME_MAX_LENGTH)
        .refine((name) => !UNPRINTABLE.test(name), 'must not contain control characters'),
    ),
});

/** One line naming each bad field, for the problem detail. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
