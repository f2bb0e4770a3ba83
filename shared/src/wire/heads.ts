import { MAX_HEADER_COUNT } from '../constants.js';
import { ProtocolError } from '../errors.js';
import { isPlainObject, packValue, unpackValue } from './msgpack.js';

/** Header fields in order, names lower-case; repeated names stay separate entries. */
export type HeaderList = [name: string, value: string][];

export interface RequestHead {
  method: string;
  /** Path and query, starting with '/'. The client never names a host. */
  path: string;
  headers: HeaderList;
}

export interface ResponseHead {
  status: number;
  statusText: string;
  headers: HeaderList;
}

/**
 * A well-formed head with more than MAX_HEADER_COUNT header fields. It refuses one exchange,
 * not the session: the receiver answers it (431 for a request, 502 for a response) with
 * `head`, which is the message's head without its header fields.
 */
export class TooManyHeaderFieldsError<Head extends RequestHead | ResponseHead> extends Error {
  override readonly name = 'PeerFetchTooManyHeaderFieldsError';
  constructor(
    readonly head: Head,
    readonly count: number,
  ) {
    super(`${count} header fields, more than the ${MAX_HEADER_COUNT} allowed`);
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII only: a path is already percent-encoded by the URL parser.
const PATH = /^\/[\x21-\x7e]*$/;
// Field values: no CR, LF or NUL (RFC 9110 §5.5).
const FIELD_VALUE = /^[^\r\n\0]*$/;
const MAX_PATH_LENGTH = 8 * 1024;
const MAX_METHOD_LENGTH = 32;

export function encodeRequestHead(head: RequestHead): Uint8Array {
  return packValue({ method: head.method, path: head.path, headers: head.headers });
}

export function encodeResponseHead(head: ResponseHead): Uint8Array {
  return packValue({ status: head.status, statusText: head.statusText, headers: head.headers });
}

export function decodeRequestHead(bytes: Uint8Array): RequestHead {
  const value = unpackValue(bytes, 'bad-head', 'request head');
  if (!isPlainObject(value)) throw bad('request head is not a map');
  const { method, path, headers } = value;
  if (typeof method !== 'string' || method.length > MAX_METHOD_LENGTH || !TOKEN.test(method)) {
    throw bad('request method is not a valid token');
  }
  if (typeof path !== 'string' || path.length > MAX_PATH_LENGTH || !PATH.test(path)) {
    throw bad('request path must start with "/" and hold only visible ASCII');
  }
  checkFieldCount({ method, path, headers: [] }, headers);
  return { method, path, headers: decodeHeaders(headers) };
}

/**
 * `switching`: the head answers a WEBSOCKET ticket, where 101 (Switching Protocols) means the
 * WebSocket is open (PROTOCOL.md §12).
 */
export function decodeResponseHead(bytes: Uint8Array, switching = false): ResponseHead {
  const value = unpackValue(bytes, 'bad-head', 'response head');
  if (!isPlainObject(value)) throw bad('response head is not a map');
  const { status, statusText = '', headers } = value;
  // The Fetch API can only construct responses with these statuses.
  const opened = switching && status === 101;
  if (
    typeof status !== 'number' ||
    !Number.isInteger(status) ||
    ((status < 200 || status > 599) && !opened)
  ) {
    throw bad('response status must be an integer from 200 to 599');
  }
  if (typeof statusText !== 'string' || statusText.length > 256 || !FIELD_VALUE.test(statusText)) {
    throw bad('response status text is not valid');
  }
  checkFieldCount({ status, statusText, headers: [] }, headers);
  return { status, statusText, headers: decodeHeaders(headers) };
}

/** Throws TooManyHeaderFieldsError for a header array over the limit (its fields unread). */
function checkFieldCount<Head extends RequestHead | ResponseHead>(
  head: Head,
  fields: unknown,
): void {
  if (Array.isArray(fields) && fields.length > MAX_HEADER_COUNT) {
    throw new TooManyHeaderFieldsError(head, fields.length);
  }
}

function decodeHeaders(value: unknown): HeaderList {
  if (!Array.isArray(value)) throw bad('headers must be an array of [name, value] pairs');
  const headers: HeaderList = [];
  for (const field of value) {
    if (!Array.isArray(field) || field.length !== 2)
      throw bad('a header field is not a [name, value] pair');
    const [name, fieldValue] = field as unknown[];
    if (typeof name !== 'string' || !TOKEN.test(name))
      throw bad('a header name is not a valid token');
    if (typeof fieldValue !== 'string' || !FIELD_VALUE.test(fieldValue)) {
      throw bad(`header ${name} has an invalid value`);
    }
    headers.push([name.toLowerCase(), fieldValue]);
  }
  return headers;
}

/** The header list of a Headers object, keeping each Set-Cookie separate. */
export function headerListOf(headers: Headers): HeaderList {
  const list: HeaderList = [];
  for (const [name, value] of headers) list.push([name, value]);
  return list;
}

function bad(message: string): ProtocolError {
  return new ProtocolError('bad-head', message);
}
