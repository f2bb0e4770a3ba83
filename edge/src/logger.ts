/** The process's one structured logger (JSON lines on stdout, for journald). */
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'peerfetch-edge' } }, destination);
}
