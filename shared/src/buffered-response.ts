import { NULL_BODY_STATUSES } from './constants.js';

/**
 * A Response whose whole body is already in memory. `serveRequests` sends its bytes as they
 * are, without reading a stream, and a client's fetch answers with one when the response
 * arrived whole in its first frame: in Node 20 a Response built around bytes makes a web
 * stream at once, which costs ten times the rest of the Response (about 12 µs against 1 µs),
 * and reading it back costs more promises. A small answer, such as JSON, does not need one.
 *
 * To every other reader it is an ordinary Response. `text()`, `json()`, `arrayBuffer()` and
 * `bytes()` decode the bytes directly; the stream (and `blob()`, `formData()`) are made from
 * them on first use.
 */
export class BufferedResponse extends Response {
  /** The whole body. */
  readonly content: Uint8Array;
  #withStream: Response | undefined;
  /** Read by one of the direct methods: the body is used, as after any read. */
  #taken = false;

  constructor(bytes: Uint8Array, init: ResponseInit = {}) {
    super(null, init);
    if (bytes.byteLength > 0 && NULL_BODY_STATUSES.has(this.status)) {
      throw new TypeError(`a ${this.status} response cannot have a body`);
    }
    this.content = bytes;
  }

  get #init(): ResponseInit {
    return { status: this.status, statusText: this.statusText, headers: this.headers };
  }

  /** True while nobody has read the body or asked for its stream: `content` is the unread body. */
  get untouched(): boolean {
    return !this.#taken && this.#withStream === undefined;
  }

  /** The same response with a real body, made on first use; already read if the bytes were. */
  #streamed(): Response {
    if (!this.#withStream) {
      this.#withStream = new Response(
        NULL_BODY_STATUSES.has(this.status) ? null : (this.content as BodyInit),
        this.#init,
      );
      // A body read directly is used: its stream must say so too.
      if (this.#taken) this.#withStream.arrayBuffer().catch(() => {});
    }
    return this.#withStream;
  }

  /** The bytes, for a direct read; rejects as any Response does once its body is used. */
  #take(): Promise<Uint8Array> {
    if (this.#withStream) return this.#withStream.bytes();
    if (this.#taken)
      return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#taken = true;
    return Promise.resolve(this.content);
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#streamed().body;
  }

  override get bodyUsed(): boolean {
    return this.#taken || (this.#withStream?.bodyUsed ?? false);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer;
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    // A copy: the reader may change it, and `content` can be a view of a larger message.
    return (await this.#take()).slice();
  }

  override blob(): Promise<Blob> {
    return this.#streamed().blob();
  }

  override formData(): Promise<FormData> {
    return this.#streamed().formData();
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  override async text(): Promise<string> {
    // TextDecoder as Response.text(): UTF-8, a leading BOM dropped, bad bytes replaced.
    return new TextDecoder().decode(await this.#take());
  }

  override clone(): BufferedResponse {
    if (this.bodyUsed) throw new TypeError('the body has already been read');
    return new BufferedResponse(this.content, this.#init);
  }
}

/** A JSON answer as a BufferedResponse; `init.headers` may replace the content type. */
export function jsonResponse(
  value: unknown,
  init: ResponseInit & { headers?: Record<string, string> } = {},
): BufferedResponse {
  return new BufferedResponse(new TextEncoder().encode(JSON.stringify(value)), {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
}
